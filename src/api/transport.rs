//! The transport rules (docs/contract/transport.md), in one place: which URLs may be called at
//! all (https, or http to loopback only; checked before any request), how
//! much of an answer is read (capped), and which `_links.next` may be
//! followed (the endpoint's own origin only).

use url::Url;

use super::error::ApiError;
use super::hosts::{self, is_loopback};

/// The most of one answer's body that is read.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The most pages one listing follows (a million connections at 100 a page).
pub const MAX_PAGES: usize = 10_000;

/// Parses a configured host URL (`what` names the setting) and refuses
/// what must never be called: another scheme than http(s), plain http to a
/// host that is not loopback, credentials in the URL, and a host that is
/// neither Adobe's nor loopback nor in `allowed` (`PROVISION_ALLOW_HOSTS`).
pub fn checked_base(text: &str, what: &str, allowed: &[String]) -> Result<Url, ApiError> {
    let refuse = |why: String| ApiError::Config(format!("{what} `{text}` {why}"));
    let url = Url::parse(text.trim()).map_err(|e| {
        refuse(format!(
            "is not a url ({e}): expected e.g. `https://platform.adobe.io`"
        ))
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(refuse(
                "uses plain http to a host that is not loopback: tokens, the client secret and database passwords would travel in clear text; use https (plain http is allowed only for 127.0.0.0/8, ::1 and localhost)".into(),
            ));
        }
        other => {
            return Err(refuse(format!(
                "has the scheme `{other}`: expected `https://` (or `http://` to a loopback host)"
            )));
        }
    }
    if url.host().is_none() {
        return Err(refuse(
            "has no host: expected e.g. `https://platform.adobe.io`".into(),
        ));
    }
    if let Some(why) = hosts::refused(&url, allowed) {
        return Err(refuse(why));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "holds credentials: put them in `credentials`, not in the url".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(
            "has a query or fragment: expected a host, optionally with a path".into(),
        ));
    }
    Ok(url)
}

/// Whether `next` may receive the token: same scheme, host and port as `base`.
pub fn same_origin(base: &Url, next: &Url) -> bool {
    base.origin() == next.origin()
}

/// Reads an answer's body, refusing more than `limit` bytes (by the
/// announced length before reading, else as the bytes arrive).
pub async fn read_capped(
    answer: &mut reqwest::Response,
    url: &str,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let too_large = || {
        BodyError::TooLarge(ApiError::TooLarge {
            url: url.to_owned(),
            limit,
        })
    };
    if answer
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = answer.chunk().await.map_err(BodyError::Transport)? {
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Over the cap: nothing more is read.
    TooLarge(ApiError),
    /// The connection failed or timed out mid-body.
    Transport(reqwest::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        for ok in [
            "https://platform.adobe.io",
            "https://platform-va7.adobe.io/",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:9",
            "http://localhost:1234/base",
            "http://LOCALHOST.",
        ] {
            assert!(checked_base(ok, "endpoint", &[]).is_ok(), "{ok}");
        }
        for bad in [
            "http://platform.adobe.io",
            "http://10.0.0.1",
            "http://localhost.example.com",
            "file:///etc/passwd",
            "ftp://platform.adobe.io",
            "https://user:pw@platform.adobe.io",
            "https://platform.adobe.io/?x=1",
            "platform.adobe.io",
        ] {
            let err = checked_base(bad, "endpoint", &[])
                .err()
                .map(|e| e.to_string());
            assert!(
                err.is_some_and(|e| e.contains(&format!("`{bad}`"))),
                "{bad}"
            );
        }
    }

    #[test]
    fn origin_is_scheme_host_and_port() {
        let base = Url::parse("https://platform.adobe.io").ok();
        let check = |next: &str| {
            let next = Url::parse(next).ok();
            matches!((&base, &next), (Some(b), Some(n)) if same_origin(b, n))
        };
        assert!(check("https://platform.adobe.io/data/x?c=1"));
        assert!(!check("https://evil.example/data/x"));
        assert!(!check("http://platform.adobe.io/data/x"));
        assert!(!check("https://platform.adobe.io:444/data/x"));
    }
}
