//! Typed Flow Service and IMS errors. Each carries the service's own code
//! and message (`403003 Api Key is invalid`, `FLOW-1439-404`) so users see
//! what the platform said; text quoted from a server is redacted of every
//! secret the run knows before an error leaves the client.

use std::time::Duration;

use serde_json::Value;

use super::redact::Redactor;
use super::resource::Resource;
use super::wire::{GatewayError, ImsErrorBody};

/// The Flow Service codes that mean the credential lacks Sources
/// permissions in the sandbox.
const PERMISSION_CODES: [&str; 3] = ["FLOW-2118-403", "FLOW-2120-403", "FLOW-2121-403"];

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
    /// The etag sent in `If-Match` is stale: someone changed the object.
    #[error("{what} `{id}` changed since it was read (etag mismatch, http 412): read it again")]
    EtagMismatch { what: Resource, id: String },
    /// No object with that id in this sandbox (any `FLOW-1439-*`; a 404
    /// from Data Prep or Catalog about the id).
    #[error("{what} `{id}` not found (http 404)")]
    NotFound { what: Resource, id: String },
    /// `FLOW-1445-*`: the service does not allow PATCH on this object.
    #[error(
        "{what} `{id}` cannot be updated in place ({code}: {message}): the service does not allow changing it"
    )]
    NotPatchable {
        what: Resource,
        id: String,
        code: String,
        message: String,
    },
    /// `FLOW-2118/2120/2121-403`: the credential lacks Sources permissions.
    #[error(
        "the credential lacks Sources permissions in sandbox `{sandbox}` ({code}: {message}): in the Adobe Admin Console, open the Experience Platform product profile the API credential belongs to, add sandbox `{sandbox}` and the Sources permissions (View Sources, Manage Sources), then run again"
    )]
    Permission {
        code: String,
        sandbox: String,
        message: String,
    },
    /// Any other error answer.
    #[error("unexpected http {status} from `{url}`: {excerpt}")]
    Http {
        status: u16,
        url: String,
        excerpt: String,
    },
    /// A 3xx answer: redirects are never followed.
    #[error(
        "`{url}` answered http {status} redirecting to `{location}`: redirects are never followed (they would carry the token or secrets to another address); point the setting at the final address instead"
    )]
    Redirected {
        status: u16,
        url: String,
        location: String,
    },
    /// IMS refused to issue a token.
    #[error("ims token request failed: {error}: {description} (http {status})")]
    Ims {
        status: u16,
        error: String,
        description: String,
    },
    /// IMS refused the requested scopes.
    #[error(
        "ims refused the scopes `{scopes}` ({description}): set `credentials.scopes` in provision.yaml to the scopes listed on the Developer Console's credential page (copy them from there)"
    )]
    InvalidScope { scopes: String, description: String },
    /// The network failed (connect, timeout, reset).
    #[error("request to `{url}` failed: {message}")]
    Transport {
        url: String,
        message: String,
        timeout: bool,
        connect: bool,
    },
    /// An answer larger than the cap; the rest was not read.
    #[error(
        "the answer from `{url}` is larger than {limit} bytes: refused without reading the rest"
    )]
    TooLarge { url: String, limit: usize },
    /// `_links.next.href` points away from the endpoint: not followed.
    #[error(
        "the listing's next page `{href}` is not on the endpoint's origin `{origin}`: not followed (it would receive the token)"
    )]
    ForeignLink { href: String, origin: String },
    /// A listing's next page repeats one already read.
    #[error(
        "the listing's next page `{href}` repeats an earlier page: the service's pagination loops"
    )]
    PageLoop { href: String },
    /// A listing went on for more pages than any real sandbox has.
    #[error("the listing did not end after {max} pages: stopped")]
    TooManyPages { max: usize },
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
    /// Retried until the attempts or the time budget ran out.
    #[error("gave up after {attempts} attempts in {}: {last}", seconds(*.elapsed))]
    RetriesExhausted {
        attempts: u32,
        elapsed: Duration,
        last: Box<ApiError>,
    },
    /// The service asked to wait longer than the call may still take.
    #[error(
        "the service asked to retry after {after_secs} s (Retry-After), more than the {} left of this call's budget: {last}", seconds(*.left)
    )]
    RetryAfterTooLong {
        after_secs: u64,
        left: Duration,
        last: Box<ApiError>,
    },
    /// A success answer whose body did not have the expected shape.
    #[error("unexpected response body from `{url}`: {message}")]
    Decode { url: String, message: String },
    /// The client was configured wrong (bad URL, missing credentials).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

/// `3.4 s`, `250 ms`.
pub(crate) fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// What an error answer is about, to type it.
pub(crate) struct AnswerContext<'a> {
    pub url: &'a str,
    /// The object the call was about, if any.
    pub id: Option<&'a str>,
    /// What kind of object it is.
    pub what: Resource,
    pub sandbox: &'a str,
    /// Masks secrets in a body before it is cut to an excerpt.
    pub redactor: &'a Redactor,
}

impl ApiError {
    /// The service's code, e.g. `401013` or `FLOW-1439-404`.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Gateway { code, .. }
            | ApiError::Service { code, .. }
            | ApiError::NotPatchable { code, .. }
            | ApiError::Permission { code, .. } => Some(code),
            ApiError::EtagMismatch { .. } => Some("FLOW-1404-412"),
            ApiError::NotFound { .. } => Some("FLOW-1439-404"),
            ApiError::RetriesExhausted { last, .. } | ApiError::RetryAfterTooLong { last, .. } => {
                last.code()
            }
            _ => None,
        }
    }

    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Gateway { status, .. }
            | ApiError::Service { status, .. }
            | ApiError::Http { status, .. }
            | ApiError::Redirected { status, .. }
            | ApiError::Ims { status, .. } => Some(*status),
            ApiError::EtagMismatch { .. } => Some(412),
            ApiError::NotFound { .. } => Some(404),
            ApiError::NotPatchable { .. } => Some(400),
            ApiError::Permission { .. } => Some(403),
            ApiError::RetriesExhausted { last, .. } | ApiError::RetryAfterTooLong { last, .. } => {
                last.status()
            }
            _ => None,
        }
    }

    /// Whether the outcome of the call is unknown (it may have taken effect).
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            ApiError::CreateOutcomeUnknown { .. } | ApiError::PatchOutcomeUnknown { .. }
        )
    }

    /// Builds the typed error from an error answer's status and body.
    pub(crate) fn from_answer(status: u16, body: &[u8], cx: &AnswerContext<'_>) -> ApiError {
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
                return flow_error(status, code, value, cx);
            }
            // Data Prep and Catalog answer a 404 about the object in their
            // own problem shape, without a `FLOW-` code.
            if let Some(id) = cx.id
                && status == 404
                && cx.what.root() != super::resource::FLOW_SERVICE_ROOT
                && (value.get("title").is_some() || value.get("type").is_some())
            {
                return ApiError::NotFound {
                    what: cx.what,
                    id: id.into(),
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
            url: cx.url.into(),
            excerpt: excerpt(body, cx.redactor),
        }
    }

    pub(crate) fn from_ims(status: u16, body: &[u8], scopes: &str, r: &Redactor) -> ApiError {
        match serde_json::from_slice::<ImsErrorBody>(body) {
            Ok(b) if b.error == "invalid_scope" => ApiError::InvalidScope {
                scopes: scopes.into(),
                description: b.error_description,
            },
            Ok(b) => ApiError::Ims {
                status,
                error: b.error,
                description: b.error_description,
            },
            Err(_) => ApiError::Ims {
                status,
                error: "unexpected answer".into(),
                description: excerpt(body, r),
            },
        }
    }

    /// A network failure; `limits` says which timeouts applied, so a
    /// timeout message names the one that ran out.
    pub(crate) fn from_transport(
        url: &str,
        err: &reqwest::Error,
        limits: (Duration, Duration),
    ) -> ApiError {
        let (connect_limit, request_limit) = limits;
        // Built locally and refused before sending: it fails the same way
        // every time, so it is a configuration error, never retried.
        if err.is_builder() {
            return ApiError::Config(format!(
                "the request to `{url}` could not be built (nothing was sent): {err}"
            ));
        }
        let message = if err.is_timeout() && err.is_connect() {
            format!(
                "could not connect within {} (connect timeout)",
                seconds(connect_limit)
            )
        } else if err.is_timeout() {
            format!(
                "no complete answer within {} (request timeout)",
                seconds(request_limit)
            )
        } else {
            // reqwest's message names the URL and cause, never headers or bodies.
            let mut message = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            message
        };
        ApiError::Transport {
            url: url.into(),
            message,
            timeout: err.is_timeout(),
            connect: err.is_connect(),
        }
    }
}

/// A `FLOW-…` error answer, typed by its code.
fn flow_error(status: u16, code: String, value: &Value, cx: &AnswerContext<'_>) -> ApiError {
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
    match cx.id {
        Some(id) if status == 412 => {
            return ApiError::EtagMismatch {
                what: cx.what,
                id: id.into(),
            };
        }
        Some(id) if code.starts_with("FLOW-1439-") => {
            return ApiError::NotFound {
                what: cx.what,
                id: id.into(),
            };
        }
        Some(id) if code.starts_with("FLOW-1445-") => {
            return ApiError::NotPatchable {
                what: cx.what,
                id: id.into(),
                code,
                message,
            };
        }
        _ => {}
    }
    if PERMISSION_CODES.contains(&code.as_str()) {
        return ApiError::Permission {
            code,
            sandbox: cx.sandbox.into(),
            message,
        };
    }
    ApiError::Service {
        status,
        code,
        title: text("title"),
        message,
    }
}

/// `FLOW-1439-404` out of `"type": "https://ns.adobe.com/aep/errors/FLOW-1439-404"`.
fn flow_code(value: &Value) -> Option<String> {
    let kind = value.get("type")?.as_str()?;
    let code = kind.rsplit('/').next()?;
    code.starts_with("FLOW-").then(|| code.to_owned())
}

/// A short, single-line start of an unknown body, redacted before it is
/// cut (a secret cut in half would no longer match).
fn excerpt(body: &[u8], r: &Redactor) -> String {
    let text = r.redact(&String::from_utf8_lossy(body));
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
