//! Typed Flow Service and IMS errors. Each carries the service's own code
//! and message (`403003 Api Key is invalid`, `FLOW-1439-404`) so users see
//! what the platform said; none carries a secret or a request body.

use serde_json::Value;

use super::wire::{GatewayError, ImsErrorBody};

/// Everything a Flow Service call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The API gateway refused the call (auth, headers, rate limit).
    #[error("{code} {message} (http {status})")]
    Gateway {
        status: u16,
        code: String,
        message: String,
    },
    /// Flow Service itself answered with an error (`FLOW-…` codes).
    #[error("{code} {title}: {message} (http {status})")]
    Service {
        status: u16,
        code: String,
        title: String,
        message: String,
    },
    /// The etag sent in `If-Match` is stale: someone changed the connection.
    #[error("connection `{id}` changed since it was read (etag mismatch, http 412): read it again")]
    EtagMismatch { id: String },
    /// No connection with that id in this sandbox.
    #[error("connection `{id}` not found (http 404)")]
    NotFound { id: String },
    /// Any other error answer.
    #[error("unexpected http {status} from `{url}`: {excerpt}")]
    Http {
        status: u16,
        url: String,
        excerpt: String,
    },
    /// IMS refused to issue a token.
    #[error("ims token request failed: {error}: {description} (http {status})")]
    Ims {
        status: u16,
        error: String,
        description: String,
    },
    /// The network failed (connect, timeout, reset).
    #[error("request to `{url}` failed: {message}")]
    Transport {
        url: String,
        message: String,
        timeout: bool,
        connect: bool,
    },
    /// A create failed in a way that may have happened after the service
    /// committed it. Look the name up before creating again.
    #[error(
        "create of `{name}` may or may not have landed ({source}): look it up by name before retrying"
    )]
    CreateOutcomeUnknown { name: String, source: Box<ApiError> },
    /// A patch failed in a way that may have happened after it was applied.
    #[error(
        "update of `{id}` may or may not have landed ({source}): read it again before retrying"
    )]
    PatchOutcomeUnknown { id: String, source: Box<ApiError> },
    /// Retried until the budget ran out.
    #[error("gave up after {attempts} attempts over {waited_ms} ms: {last}")]
    RetriesExhausted {
        attempts: u32,
        waited_ms: u64,
        last: Box<ApiError>,
    },
    /// A success answer whose body did not have the expected shape.
    #[error("unexpected response body from `{url}`: {message}")]
    Decode { url: String, message: String },
    /// The client was configured wrong (bad URL, missing credentials).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl ApiError {
    /// The service's code, e.g. `401013` or `FLOW-1439-404`.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Gateway { code, .. } | ApiError::Service { code, .. } => Some(code),
            ApiError::EtagMismatch { .. } => Some("FLOW-1404-412"),
            ApiError::NotFound { .. } => Some("FLOW-1439-404"),
            _ => None,
        }
    }

    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Gateway { status, .. }
            | ApiError::Service { status, .. }
            | ApiError::Http { status, .. }
            | ApiError::Ims { status, .. } => Some(*status),
            ApiError::EtagMismatch { .. } => Some(412),
            ApiError::NotFound { .. } => Some(404),
            ApiError::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// Builds the typed error from an error answer's status and body.
    /// `id` names the connection the call was about, if any.
    pub(crate) fn from_answer(status: u16, url: &str, body: &[u8], id: Option<&str>) -> ApiError {
        let value: Option<Value> = serde_json::from_slice(body).ok();
        if let Some(gateway) = value
            .clone()
            .and_then(|v| serde_json::from_value::<GatewayError>(v).ok())
        {
            return ApiError::Gateway {
                status,
                code: gateway.error_code,
                message: gateway.message,
            };
        }
        if let Some(value) = &value {
            if let Some(code) = flow_code(value) {
                match (status, id) {
                    (412, Some(id)) => return ApiError::EtagMismatch { id: id.into() },
                    (404, Some(id)) if code == "FLOW-1439-404" => {
                        return ApiError::NotFound { id: id.into() };
                    }
                    _ => {}
                }
                let text = |key: &str| {
                    value
                        .get(key)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                let detail = value
                    .pointer("/report/detailed-message")
                    .and_then(Value::as_str);
                let message = detail
                    .map(str::to_owned)
                    .unwrap_or_else(|| text("errorMessage"));
                return ApiError::Service {
                    status,
                    code,
                    title: text("title"),
                    message,
                };
            }
            if let (Some(title), Some(detail)) = (value.get("title"), value.get("detail")) {
                return ApiError::Service {
                    status,
                    code: format!("http-{status}"),
                    title: title.as_str().unwrap_or_default().into(),
                    message: detail.as_str().unwrap_or_default().into(),
                };
            }
        }
        ApiError::Http {
            status,
            url: url.into(),
            excerpt: excerpt(body),
        }
    }

    pub(crate) fn from_ims(status: u16, body: &[u8]) -> ApiError {
        match serde_json::from_slice::<ImsErrorBody>(body) {
            Ok(b) => ApiError::Ims {
                status,
                error: b.error,
                description: b.error_description,
            },
            Err(_) => ApiError::Ims {
                status,
                error: "unexpected answer".into(),
                description: excerpt(body),
            },
        }
    }

    pub(crate) fn from_transport(url: &str, err: &reqwest::Error) -> ApiError {
        // reqwest's message names the URL and cause, never headers or bodies.
        let mut message = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        ApiError::Transport {
            url: url.into(),
            message,
            timeout: err.is_timeout(),
            connect: err.is_connect(),
        }
    }
}

/// `FLOW-1439-404` out of `"type": "https://ns.adobe.com/aep/errors/FLOW-1439-404"`.
fn flow_code(value: &Value) -> Option<String> {
    let kind = value.get("type")?.as_str()?;
    let code = kind.rsplit('/').next()?;
    code.starts_with("FLOW-").then(|| code.to_owned())
}

/// A short, single-line start of an unknown body. Error bodies never echo
/// request secrets, but keep it short anyway.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.trim().is_empty() {
        "(empty body)".into()
    } else {
        line
    }
}
