//! The exchange journal: every Flow Service request the emulator receives
//! and the answer it gives, secrets masked, kept in memory and/or appended
//! to a JSON-lines file, so a contract test can check both sides against
//! Adobe's OpenAPI file with a validator that is not ours.

use std::io::Write;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Shared, lock};
use crate::secret::{MASK, SECRET_FIELDS};

/// The most of a body the journal keeps (the emulator's own answers are small).
const MAX_JOURNAL_BODY: usize = 4 * 1024 * 1024;
const REQUEST_HEADERS: [&str; 7] = [
    "user-agent",
    "authorization",
    "x-api-key",
    "x-gw-ims-org-id",
    "x-sandbox-name",
    "content-type",
    "if-match",
];
const RESPONSE_HEADERS: [&str; 3] = ["content-type", "location", "retry-after"];

/// One request and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub request_headers: Vec<(String, String)>,
    /// The body as sent, secrets masked; `None` when there was none.
    pub request_body: Option<String>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    /// `None` when the answer was dropped (fault injection) or empty.
    pub response_body: Option<String>,
}

/// Where exchanges go.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    pub kept: Vec<Exchange>,
}

fn headers(map: &HeaderMap, names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .filter_map(|name| {
            let value = map.get(*name)?.to_str().ok()?;
            let value = if *name == "authorization" {
                format!("Bearer {MASK}")
            } else {
                value.to_owned()
            };
            Some(((*name).to_owned(), value))
        })
        .collect()
}

/// A JSON body with every secret field's value masked (kept a string, so
/// its shape still validates); anything else described, not copied.
fn masked_body(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut value) => {
            mask(&mut value);
            Some(value.to_string())
        }
        Err(_) => Some(format!("(not json: {} bytes)", bytes.len())),
    }
}

fn mask(value: &mut Value) {
    match value {
        // A JSON Patch op that sets a secret (`/auth/params/password`)
        // carries it under `value`.
        Value::Object(map) if patches_secret(map) => {
            if let Some(v) = map.get_mut("value") {
                if v.is_string() {
                    *v = Value::String(MASK.into());
                } else {
                    mask(v);
                }
            }
        }
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if SECRET_FIELDS.contains(&key.as_str()) && v.is_string() {
                    *v = Value::String(MASK.into());
                } else {
                    mask(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

/// Whether a JSON Patch op's path names a secret field (or `/auth/params`, whose value holds them).
fn patches_secret(map: &serde_json::Map<String, Value>) -> bool {
    let Some(Value::String(path)) = map.get("path") else {
        return false;
    };
    map.contains_key("op")
        && (path.ends_with("/auth/params")
            || path
                .rsplit('/')
                .next()
                .is_some_and(|last| SECRET_FIELDS.contains(&last)))
}

/// Records Flow Service exchanges when asked to; otherwise passes through.
pub(super) async fn journal(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let wanted = shared.config.record_exchanges || shared.config.exchange_log.is_some();
    if !wanted || !request.uri().path().starts_with("/data/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_JOURNAL_BODY).await else {
        return super::problem::bad_request("request body is too large");
    };
    let mut exchange = Exchange {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        request_headers: headers(&parts.headers, &REQUEST_HEADERS),
        request_body: masked_body(&bytes),
        status: 0,
        response_headers: Vec::new(),
        response_body: None,
    };
    let answer = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = answer.into_parts();
    exchange.status = parts.status.as_u16();
    exchange.response_headers = headers(&parts.headers, &RESPONSE_HEADERS);
    let body = match axum::body::to_bytes(body, MAX_JOURNAL_BODY).await {
        Ok(bytes) => {
            exchange.response_body = masked_body(&bytes);
            Body::from(bytes)
        }
        // A dropped answer stays dropped.
        Err(_) => super::severed::severed_body(),
    };
    keep(&shared, exchange);
    Response::from_parts(parts, body)
}

fn keep(shared: &Shared, exchange: Exchange) {
    if let Some(path) = &shared.config.exchange_log {
        let line = serde_json::to_string(&exchange).unwrap_or_default();
        let mut journal = lock(&shared.exchanges);
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| writeln!(file, "{line}"));
        if let Err(err) = written {
            tracing::error!(error = %err, "emulator cannot append to its exchange log");
        }
        if shared.config.record_exchanges {
            journal.kept.push(exchange);
        }
    } else {
        lock(&shared.exchanges).kept.push(exchange);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_shapes_kept() {
        let body = br#"{"auth":{"params":{"password":"pw","port":"5432"}},"ops":[{"connectionString":"x"}]}"#;
        let masked = masked_body(body).unwrap_or_default();
        assert!(
            !masked.contains("\"pw\"") && masked.contains("5432"),
            "{masked}"
        );
        assert_eq!(masked_body(b"not json"), Some("(not json: 8 bytes)".into()));
        let patch = br#"[{"op":"replace","path":"/auth/params/password","value":"pw"},{"op":"Add","path":"/auth/params","value":{"password":"pw2","port":"1"}},{"op":"replace","path":"/name","value":"kept"}]"#;
        let masked = masked_body(patch).unwrap_or_default();
        assert!(
            !masked.contains("pw") && masked.contains("kept"),
            "{masked}"
        );
    }
}
