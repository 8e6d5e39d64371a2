//! Credentials go only to Adobe: the hosts the client sends a secret or a
//! token to must be Adobe's (`*.adobe.io`, `*.adobelogin.com`) or loopback,
//! since a pull request can edit `provision.yaml`; any other host must be
//! named in `PROVISION_ALLOW_HOSTS` in the process environment.

use url::{Host, Url};

/// The process environment variable that allows other hosts (never a
/// setting: a pull request cannot set it).
pub const ALLOW_HOSTS_VAR: &str = "PROVISION_ALLOW_HOSTS";

/// Adobe's domains: the host is one of them or a subdomain.
const ADOBE_DOMAINS: [&str; 2] = ["adobe.io", "adobelogin.com"];

/// `PROVISION_ALLOW_HOSTS` as read from the process environment: host names
/// separated by commas or whitespace; `*.example.com` allows subdomains.
pub fn allowed_from_env() -> Vec<String> {
    std::env::var(ALLOW_HOSTS_VAR)
        .map(|value| parse_allowed(&value))
        .unwrap_or_default()
}

fn parse_allowed(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|entry| entry.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .collect()
}

/// `127.0.0.0/8`, `::1` and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            name.eq_ignore_ascii_case("localhost")
        }
        None => false,
    }
}

fn under(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// Why `url` may not receive credentials, or `None` when it may.
pub fn refused(url: &Url, allowed: &[String]) -> Option<String> {
    if is_loopback(url) {
        return None;
    }
    let host = match url.host() {
        Some(Host::Domain(name)) => name.trim_end_matches('.').to_ascii_lowercase(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        None => return Some("has no host".to_owned()),
    };
    if ADOBE_DOMAINS.iter().any(|domain| under(&host, domain)) {
        return None;
    }
    let allowed_here = allowed.iter().any(|entry| match entry.strip_prefix("*.") {
        Some(domain) => host.ends_with(&format!(".{domain}")),
        None => *entry == host,
    });
    if allowed_here {
        return None;
    }
    Some(format!(
        "is not an Adobe host (`*.adobe.io`, `*.adobelogin.com`) nor loopback: the client secret and tokens go only to Adobe, so nothing was sent; if `{host}` is yours (a proxy, a test server), allow it with `{ALLOW_HOSTS_VAR}={host}` in the process environment (it is never read from settings)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allowed: &str) -> bool {
        refused(&Url::parse(url).unwrap(), &parse_allowed(allowed)).is_none()
    }

    #[test]
    fn only_adobe_loopback_or_allowed_hosts_receive_credentials() {
        assert!(check("https://platform.adobe.io", ""));
        assert!(check("https://platform-va7.adobe.io/", ""));
        assert!(check("https://ims-na1.adobelogin.com", ""));
        assert!(check("http://127.0.0.1:8080", ""));
        assert!(check("http://localhost:1", ""));
        assert!(!check("https://evil.example", ""));
        assert!(!check("https://adobe.io.evil.example", ""));
        assert!(!check("https://eviladobe.io", ""));
        assert!(check("https://evil.example", "other.test, evil.example"));
        assert!(check("https://a.proxy.test", "*.proxy.test"));
        assert!(!check("https://proxy.test", "*.proxy.test"));
    }
}
