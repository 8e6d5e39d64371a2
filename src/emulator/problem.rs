//! The error answers the emulator gives, in the exact shapes the real
//! gateway, IMS and Flow Service use (docs/contract/platform-api.md), so the client's
//! error parsing is exercised for real.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api::wire::{GatewayError, ImsErrorBody};

/// A gateway error: `{"error_code": …, "message": …}`.
pub(super) fn gateway(status: u16, code: &str, message: &str) -> Response {
    let body = GatewayError {
        error_code: code.into(),
        message: message.into(),
    };
    (status_code(status), Json(body)).into_response()
}

/// The gateway's rate-limit answer, with `Retry-After` in seconds.
pub(super) fn rate_limited(retry_after_secs: u64) -> Response {
    let mut answer = gateway(429, "429050", "Too many requests");
    answer
        .headers_mut()
        .insert("retry-after", retry_after_secs.into());
    answer
}

/// A Flow Service error, `code` like `1439-404` (rendered `FLOW-1439-404`).
pub(super) fn flow(status: u16, code: &str, title: &str, detail: &str) -> Response {
    let body = json!({
        "type": format!("https://ns.adobe.com/aep/errors/FLOW-{code}"),
        "title": title,
        "status": status,
        "report": {"detailed-message": detail},
        "errorMessage": detail,
    });
    (status_code(status), Json(body)).into_response()
}

/// A 400 about the request body or query, naming the offending field.
pub(super) fn bad_request(detail: &str) -> Response {
    flow(400, "1400-400", "Bad Request", detail)
}

/// `404 FLOW-1439-404`.
pub(super) fn not_found(id: &str) -> Response {
    flow(
        404,
        "1439-404",
        "Not Found",
        &format!("connection `{id}` not found"),
    )
}

/// Content-Type missing on POST/PATCH, in the service's own odd shape.
pub(super) fn content_type_missing() -> Response {
    let body = json!({
        "type": "/placeholder/type/uri",
        "status": 400,
        "title": "BadRequestError",
        "detail": "A valid content-type must be specified",
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// 405 for a method a path does not take, in the same problem shape as
/// the service's content-type error (no `FLOW-` code is documented for it).
pub(super) async fn method_not_allowed() -> Response {
    let body = json!({
        "type": "/placeholder/type/uri",
        "status": 405,
        "title": "MethodNotAllowedError",
        "detail": "this method is not allowed on this path",
    });
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

/// An IMS error: `{"error": …, "error_description": …}`.
pub(super) fn ims(status: u16, error: &str, description: &str) -> Response {
    let body = ImsErrorBody {
        error: error.into(),
        error_description: description.into(),
    };
    (status_code(status), Json(body)).into_response()
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
