//! `FlowServiceClient`: the `FlowService` trait over HTTP with reqwest. One
//! `reqwest::Client` (connection reuse) and one send loop, the single place
//! where headers, token renewal, retries and the POST safety rule live.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, IF_MATCH, RETRY_AFTER};
use url::Url;

use super::auth::TokenSource;
use super::client_config::ClientConfig;
use super::error::ApiError;
use super::retry::{self, CallKind, RetryPolicy, Verdict};
use super::wire::{
    ConnectionItem, ConnectionListResponse, CreateConnectionRequest, IdEtag, PatchOp,
};
use super::{FlowService, ListQuery, Scope};

const CONNECTIONS_PATH: &str = "/data/foundation/flowservice/connections";

/// The Flow Service client. Cheap to share: wrap it in an `Arc`.
#[derive(Debug)]
pub struct FlowServiceClient {
    http: reqwest::Client,
    connections: Url,
    base: Url,
    auth: TokenSource,
    retry: RetryPolicy,
}

/// One request, rebuilt for each attempt.
struct Call<'a> {
    kind: CallKind,
    method: Method,
    url: Url,
    body: Option<Vec<u8>>,
    if_match: Option<&'a str>,
    /// The connection the call is about, for typed 404/412 errors.
    id: Option<&'a str>,
    /// The name a create is for, for `CreateOutcomeUnknown`.
    name: Option<&'a str>,
}

/// The outcome of one try.
enum Attempt {
    Answered(reqwest::Response),
    /// The token was rejected: fetch a new one and resend.
    Renew,
    Failed(ApiError, Verdict, Option<Duration>),
}

impl FlowServiceClient {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeouts.connect)
            .read_timeout(config.timeouts.read)
            .timeout(config.timeouts.overall)
            .user_agent(concat!("provision/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Config(format!("cannot build the http client: {e}")))?;
        let endpoint = config.endpoint.trim_end_matches('/');
        let base = Url::parse(endpoint)
            .map_err(|e| ApiError::Config(format!("endpoint `{endpoint}` is not a url: {e}")))?;
        let connections = Url::parse(&format!("{endpoint}{CONNECTIONS_PATH}"))
            .map_err(|e| ApiError::Config(format!("endpoint `{endpoint}` is not a url: {e}")))?;
        let auth = TokenSource::new(http.clone(), &config.ims, config.credentials);
        Ok(FlowServiceClient {
            http,
            connections,
            base,
            auth,
            retry: config.retry,
        })
    }

    fn connection_url(&self, id: &str) -> Url {
        let mut url = self.connections.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(id);
        }
        url
    }

    /// `_links.next.href` is relative to the service root (`/connections?…`)
    /// or to the host (`/data/…`), or absolute.
    fn next_url(&self, href: &str) -> Result<Url, ApiError> {
        let joined = if href.starts_with("/connections") {
            format!(
                "{}{}",
                self.connections.as_str().trim_end_matches("/connections"),
                href
            )
        } else {
            href.to_owned()
        };
        self.base.join(&joined).map_err(|e| ApiError::Decode {
            url: href.into(),
            message: format!("bad `_links.next.href`: {e}"),
        })
    }

    /// Sends one call: the five headers, token renewal on `401013`, retries
    /// within the budget, and no blind repeat of a create or patch.
    async fn send(&self, scope: &Scope, call: &Call<'_>) -> Result<reqwest::Response, ApiError> {
        let mut attempt = 0u32;
        let mut waited = Duration::ZERO;
        let mut renewed = false;
        loop {
            attempt += 1;
            let (error, verdict, retry_after) = match self.attempt(scope, call, !renewed).await {
                Attempt::Answered(answer) => return Ok(answer),
                Attempt::Renew => {
                    // The gateway rejected the token before doing anything: renew once, resend.
                    renewed = true;
                    attempt -= 1;
                    continue;
                }
                Attempt::Failed(error, verdict, retry_after) => (error, verdict, retry_after),
            };
            match (verdict, call.kind) {
                (Verdict::Final, _) => return Err(error),
                (Verdict::Unknown, CallKind::Create) => {
                    let name = call.name.unwrap_or_default().into();
                    return Err(ApiError::CreateOutcomeUnknown {
                        name,
                        source: Box::new(error),
                    });
                }
                (Verdict::Unknown, CallKind::Patch) => {
                    let id = call.id.unwrap_or_default().into();
                    return Err(ApiError::PatchOutcomeUnknown {
                        id,
                        source: Box::new(error),
                    });
                }
                _ => {}
            }
            let delay = self.retry.delay(attempt, retry_after);
            if attempt >= self.retry.max_attempts || waited + delay > self.retry.max_total_delay {
                return Err(ApiError::RetriesExhausted {
                    attempts: attempt,
                    waited_ms: waited.as_millis() as u64,
                    last: Box::new(error),
                });
            }
            tracing::info!(attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying flow service call");
            tokio::time::sleep(delay).await;
            waited += delay;
        }
    }

    /// One try: get a token, send, classify the outcome.
    async fn attempt(&self, scope: &Scope, call: &Call<'_>, may_renew: bool) -> Attempt {
        let token = match self.auth.token().await {
            Ok(token) => token,
            // No token, nothing sent: safe to try again if IMS was only unavailable.
            Err(error) => {
                let verdict = match &error {
                    ApiError::Ims { status, .. }
                        if retry::verdict_for_status(*status) == Verdict::Final =>
                    {
                        Verdict::Final
                    }
                    ApiError::Ims { .. } | ApiError::Transport { .. } => Verdict::NotApplied,
                    _ => Verdict::Final,
                };
                return Attempt::Failed(error, verdict, None);
            }
        };
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .bearer_auth(token.expose())
            .header("x-api-key", self.auth.client_id())
            .header("x-gw-ims-org-id", &scope.org)
            .header("x-sandbox-name", &scope.sandbox);
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        if let Some(etag) = call.if_match {
            request = request.header(IF_MATCH, etag);
        }
        tracing::debug!(method = %call.method, url = %call.url, "flow service request");
        let answer = match request.send().await {
            Ok(answer) => answer,
            Err(err) => {
                let error = ApiError::from_transport(call.url.as_str(), &err);
                tracing::debug!(error = %error, "flow service transport failure");
                let verdict = retry::verdict_for_transport(&error);
                return Attempt::Failed(error, verdict, None);
            }
        };
        let status = answer.status().as_u16();
        tracing::debug!(status, "flow service answer");
        if answer.status().is_success() {
            return Attempt::Answered(answer);
        }
        let retry_after = answer
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok());
        let retry_after = retry::parse_retry_after(retry_after);
        let body = answer.bytes().await.unwrap_or_default();
        let error = ApiError::from_answer(status, call.url.as_str(), &body, call.id);
        tracing::debug!(status, error = %error, "flow service error answer");
        if status == 401 && error.code() == Some("401013") && may_renew && self.auth.can_renew() {
            self.auth.invalidate(&token).await;
            return Attempt::Renew;
        }
        Attempt::Failed(error, retry::verdict_for_status(status), retry_after)
    }

    async fn json<T: serde::de::DeserializeOwned>(
        answer: reqwest::Response,
    ) -> Result<T, ApiError> {
        let url = answer.url().to_string();
        let body = answer
            .bytes()
            .await
            .map_err(|e| ApiError::from_transport(&url, &e))?;
        serde_json::from_slice(&body).map_err(|e| ApiError::Decode {
            url,
            message: e.to_string(),
        })
    }

    fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
        serde_json::to_vec(value)
            .map_err(|e| ApiError::Config(format!("cannot encode the request body: {e}")))
    }
}

impl FlowService for FlowServiceClient {
    async fn create(
        &self,
        scope: &Scope,
        body: &CreateConnectionRequest,
    ) -> Result<IdEtag, ApiError> {
        let call = Call {
            kind: CallKind::Create,
            method: Method::POST,
            url: self.connections.clone(),
            body: Some(Self::encode(body)?),
            if_match: None,
            id: None,
            name: Some(&body.name),
        };
        let answer = self.send(scope, &call).await?;
        // A 201 whose body was lost still means the connection exists.
        Self::json(answer)
            .await
            .map_err(|source| ApiError::CreateOutcomeUnknown {
                name: body.name.clone(),
                source: Box::new(source),
            })
    }

    async fn get(&self, scope: &Scope, id: &str) -> Result<ConnectionItem, ApiError> {
        let url = self.connection_url(id);
        let call = Call {
            kind: CallKind::Idempotent,
            method: Method::GET,
            url,
            body: None,
            if_match: None,
            id: Some(id),
            name: None,
        };
        let page: ConnectionListResponse = Self::json(self.send(scope, &call).await?).await?;
        page.items
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::NotFound { id: id.into() })
    }

    async fn list(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<Vec<ConnectionItem>, ApiError> {
        let mut url = self.connections.clone();
        {
            let mut pairs = url.query_pairs_mut();
            for filter in &query.filters {
                pairs.append_pair("property", &filter.to_query_value());
            }
            if let Some(order) = &query.order_by {
                pairs.append_pair("orderby", order);
            }
            if let Some(size) = query.page_size {
                pairs.append_pair("limit", &size.to_string());
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let mut items = Vec::new();
        loop {
            let call = Call {
                kind: CallKind::Idempotent,
                method: Method::GET,
                url,
                body: None,
                if_match: None,
                id: None,
                name: None,
            };
            let page: ConnectionListResponse = Self::json(self.send(scope, &call).await?).await?;
            items.extend(page.items);
            match page.links.and_then(|l| l.next) {
                Some(next) => url = self.next_url(&next.href)?,
                None => return Ok(items),
            }
        }
    }

    async fn patch(
        &self,
        scope: &Scope,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> Result<IdEtag, ApiError> {
        let call = Call {
            kind: CallKind::Patch,
            method: Method::PATCH,
            url: self.connection_url(id),
            body: Some(Self::encode(&ops)?),
            if_match: Some(etag),
            id: Some(id),
            name: None,
        };
        let answer = self.send(scope, &call).await?;
        Self::json(answer)
            .await
            .map_err(|source| ApiError::PatchOutcomeUnknown {
                id: id.into(),
                source: Box::new(source),
            })
    }

    async fn delete(&self, scope: &Scope, id: &str) -> Result<(), ApiError> {
        let call = Call {
            kind: CallKind::Idempotent,
            method: Method::DELETE,
            url: self.connection_url(id),
            body: None,
            if_match: None,
            id: Some(id),
            name: None,
        };
        self.send(scope, &call).await.map(drop)
    }
}
