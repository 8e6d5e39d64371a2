//! What stands in front of the emulated Flow Service: the IMS token
//! endpoint, the gateway's header checks with their exact error answers,
//! the request log, and the injected faults (rate limit, latency, 5xx).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use super::{MAX_TOKEN_TTL, RequestRecord, Shared, lock, problem};
use crate::api::wire::TokenResponse;
use crate::config::Cloud;
use crate::secret::Secret;

/// Who is calling, once the gateway let the request through.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub org: String,
    pub sandbox: String,
    pub client_id: String,
    /// The org's cloud when orgs are configured; `None` accepts both auth forms.
    pub cloud: Option<Cloud>,
}

/// A token bucket: `rate` requests per second, bursts up to `rate`.
#[derive(Debug)]
pub(crate) struct Bucket {
    rate: Option<f64>,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    pub(crate) fn new(rate: Option<u32>) -> Self {
        let rate = rate.map(|r| f64::from(r.max(1)));
        Bucket {
            rate,
            tokens: rate.unwrap_or(0.0),
            at: Instant::now(),
        }
    }

    /// Takes a token, or says how many whole seconds until one is free.
    fn take(&mut self) -> Result<(), u64> {
        let Some(rate) = self.rate else { return Ok(()) };
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * rate).min(rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        Err((((1.0 - self.tokens) / rate).ceil() as u64).max(1))
    }
}

/// Logs every request with its server-side arrival time and final status.
pub(super) async fn record(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let received = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    // Logged on arrival (status 0): a client that stops waiting drops this
    // future, and its request must still show in the log.
    let at = {
        let mut log = lock(&shared.log);
        log.push(RequestRecord {
            received,
            method: method.clone(),
            path: path.clone(),
            status: 0,
        });
        log.len() - 1
    };
    let answer = next.run(request).await;
    let status = answer.status().as_u16();
    tracing::debug!(%method, %path, status, "emulator request");
    if let Some(record) = lock(&shared.log).get_mut(at) {
        record.status = status;
    }
    answer
}

/// The gateway in front of Flow Service: faults first, then the header checks.
pub(super) async fn check(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Err(retry_after) = lock(&shared.bucket).take() {
        return problem::rate_limited(retry_after);
    }
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let fail = {
        let mut dice = lock(&shared.dice);
        (dice.random::<f64>() < shared.config.fail_rate)
            .then(|| [500, 502, 503, 504][dice.random_range(0..4)])
    };
    if let Some(status) = fail {
        return problem::gateway(
            status,
            &format!("{status}000"),
            "Service temporarily unavailable (injected fault)",
        );
    }
    // Only the operations that take a body need a content type; any other
    // method on a path is answered 405 by the router (schemathesis found a
    // POST to `/connections/{id}` answered 400 here).
    let takes_body = match *request.method() {
        Method::POST => {
            let path = request.uri().path();
            [
                "/connections",
                "/sourceConnections",
                "/targetConnections",
                "/flows",
                "/mappingSets",
            ]
            .iter()
            .any(|collection| path.ends_with(collection))
        }
        Method::PATCH | Method::PUT => true,
        _ => false,
    };
    match admit(&shared, takes_body, request.headers()) {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(answer) => answer,
    }
}

/// The header checks, in the order the gateway reports them (the error table
/// of docs/contract/platform-api.md).
fn admit(shared: &Shared, takes_body: bool, headers: &HeaderMap) -> Result<Caller, Response> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let Some(authorization) = header("authorization") else {
        return Err(problem::gateway(403, "403010", "Oauth token is missing."));
    };
    let Some(api_key) = header("x-api-key") else {
        return Err(problem::gateway(403, "403000", "Api Key is required"));
    };
    let token = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))
        .unwrap_or("");
    let client_id = match lock(&shared.tokens).get(token.trim()) {
        Some((client, expiry)) if Instant::now() < *expiry => client.clone(),
        _ => return Err(problem::gateway(401, "401013", "Oauth token is not valid")),
    };
    if api_key != client_id {
        return Err(problem::gateway(403, "403003", "Api Key is invalid"));
    }
    let Some(org) = header("x-gw-ims-org-id") else {
        return Err(problem::gateway(400, "400003", "Missing header"));
    };
    let cloud = if shared.config.orgs.is_empty() {
        None
    } else {
        match shared.config.orgs.iter().find(|(id, _)| id == org) {
            Some((_, cloud)) => Some(*cloud),
            None => return Err(problem::gateway(403, "403025", "Profile is not valid")),
        }
    };
    let Some(sandbox) = header("x-sandbox-name") else {
        return Err(problem::flow(
            400,
            "2105-400",
            "Bad Request",
            "header `x-sandbox-name` is required",
        ));
    };
    let known = &shared.config.sandboxes;
    if !known.is_empty() && !known.iter().any(|s| s == sandbox) {
        return Err(problem::flow(
            404,
            "2100-404",
            "Not Found",
            &format!("sandbox `{sandbox}` not found"),
        ));
    }
    if takes_body && header("content-type").is_none() {
        return Err(problem::content_type_missing());
    }
    Ok(Caller {
        org: org.into(),
        sandbox: sandbox.into(),
        client_id,
        cloud,
    })
}

/// `POST /ims/token/v3`: client credentials for the configured client only.
pub(super) async fn issue_token(
    State(shared): State<Arc<Shared>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if field("grant_type") != "client_credentials" {
        return problem::ims(
            400,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    if field("client_id").is_empty() || field("client_secret").is_empty() {
        return problem::ims(
            400,
            "invalid_request",
            "client_id and client_secret are required",
        );
    }
    let config = &shared.config;
    if field("client_id") != config.client_id
        || field("client_secret") != config.client_secret.expose()
    {
        return problem::ims(401, "invalid_client", "invalid client_id or client_secret");
    }
    if !config.scopes.is_empty() {
        let unknown: Vec<&str> = field("scope")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty() && !config.scopes.iter().any(|k| k == s))
            .collect();
        if !unknown.is_empty() {
            let description = format!("invalid scope ({})", unknown.join(","));
            return problem::ims(400, "invalid_scope", &description);
        }
    }
    let token = format!("emu-{}", uuid::Uuid::new_v4().simple());
    // Any lifetime is accepted; beyond the cap a token simply never expires.
    let ttl = config
        .token_ttl
        .clamp(Duration::from_secs(1), MAX_TOKEN_TTL);
    let now = Instant::now();
    let expiry = now
        .checked_add(ttl)
        .unwrap_or(now + Duration::from_secs(86399));
    lock(&shared.tokens).insert(token.clone(), (config.client_id.clone(), expiry));
    let body = TokenResponse {
        access_token: Secret::new(token),
        token_type: "bearer".into(),
        expires_in: ttl.as_secs(),
    };
    axum::Json(body).into_response()
}
