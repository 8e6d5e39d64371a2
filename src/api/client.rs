//! `FlowServiceClient`: the `FlowService` trait over HTTP with reqwest. One
//! `reqwest::Client` (connection reuse, redirects off) and one send loop,
//! the single place where headers, token renewal, retries, deadlines, the
//! body cap, redaction and the POST safety rule live.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, IF_MATCH, LOCATION, RETRY_AFTER};
use tokio::time::Instant;
use url::Url;

use super::auth::{ImsSetup, TokenSource};
use super::client_config::{ClientConfig, Timeouts};
use super::error::{AnswerContext, ApiError};
use super::redact::Redactor;
use super::retry::{self, CallKind, RetryPolicy, Verdict};
use super::transport::{self, BodyError, MAX_PAGES};
use super::wire::{
    ConnectionItem, ConnectionListResponse, CreateConnectionRequest, IdEtag, PatchOp,
};
use super::{FlowService, ListQuery, Scope};
use crate::secret::Secret;

const CONNECTIONS_PATH: &str = "/data/foundation/flowservice/connections";
/// The page size asked for when a query names none (the documented default).
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The most one listing reads over all its pages.
const MAX_LISTING_BYTES: usize = 256 * 1024 * 1024;

/// One Flow Service host: its base (whose origin next links must keep) and
/// its `/connections` resource.
#[derive(Debug, Clone)]
struct Site {
    base: Url,
    connections: Url,
}

/// The Flow Service client. Cheap to share: wrap it in an `Arc`.
#[derive(Debug)]
pub struct FlowServiceClient {
    http: reqwest::Client,
    site: Site,
    /// Hosts of particular orgs (`orgs.<cloud>.endpoint`).
    org_sites: HashMap<String, Site>,
    auth: TokenSource,
    retry: RetryPolicy,
    timeouts: Timeouts,
    body_limit: usize,
    redactor: Redactor,
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

impl<'a> Call<'a> {
    fn read(url: Url, id: Option<&'a str>) -> Self {
        Call {
            kind: CallKind::Idempotent,
            method: Method::GET,
            url,
            body: None,
            if_match: None,
            id,
            name: None,
        }
    }
}

/// A success answer, read whole (within the cap).
struct Answer {
    url: String,
    body: Vec<u8>,
}

/// The outcome of one try.
enum Attempt {
    Answered(Answer),
    /// The token was rejected: fetch a new one and resend.
    Renew,
    Failed(ApiError, Verdict, Option<Duration>),
}

fn site(endpoint: &str, what: &str) -> Result<Site, ApiError> {
    let base = transport::checked_base(endpoint, what)?;
    let connections = Url::parse(&format!(
        "{}{CONNECTIONS_PATH}",
        base.as_str().trim_end_matches('/')
    ))
    .map_err(|e| ApiError::Config(format!("{what} `{endpoint}` is not a url: {e}")))?;
    Ok(Site { base, connections })
}

/// An id the service may have issued: non-empty, short, one path segment.
fn usable_id(id: &str) -> bool {
    !id.trim().is_empty()
        && id.len() <= 256
        && !id
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "/?#%\\".contains(c))
}

impl FlowServiceClient {
    /// Builds the client. Every host is checked by the transport rules
    /// here, before any request: https, or http to loopback only.
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeouts.connect)
            .read_timeout(config.timeouts.request)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("provision/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Config(format!("cannot build the http client: {e}")))?;
        let main = site(&config.endpoint, "endpoint")?;
        let mut org_sites = HashMap::new();
        for (org, endpoint) in &config.org_endpoints {
            org_sites.insert(
                org.clone(),
                site(endpoint, &format!("endpoint of org `{org}`"))?,
            );
        }
        let ims = transport::checked_base(&config.ims, "ims")?;
        let setup = ImsSetup {
            ims,
            scopes: config.scopes,
            connect_timeout: config.timeouts.connect,
            request_timeout: config.timeouts.request,
            body_limit: config.body_limit,
            redactor: config.redactor.clone(),
        };
        let auth = TokenSource::new(http.clone(), setup, config.credentials);
        Ok(FlowServiceClient {
            http,
            site: main,
            org_sites,
            auth,
            retry: config.retry,
            timeouts: config.timeouts,
            body_limit: config.body_limit,
            redactor: config.redactor,
        })
    }

    /// The secrets masked in server text; more can be added (smoke adds its own).
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    fn site_of(&self, scope: &Scope) -> &Site {
        self.org_sites.get(&scope.org).unwrap_or(&self.site)
    }

    fn connection_url(&self, scope: &Scope, id: &str) -> Url {
        let mut url = self.site_of(scope).connections.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(id);
        }
        url
    }

    /// The first page's URL of a listing (`limit` defaults to 100).
    fn list_url(&self, scope: &Scope, query: &ListQuery) -> Url {
        let mut url = self.site_of(scope).connections.clone();
        {
            let mut pairs = url.query_pairs_mut();
            for filter in &query.filters {
                pairs.append_pair("property", &filter.to_query_value());
            }
            if let Some(order) = &query.order_by {
                pairs.append_pair("orderby", order);
            }
            let size = query.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
            pairs.append_pair("limit", &size.to_string());
        }
        url
    }

    /// Where `_links.next.href` leads, if it may be followed at all: it is
    /// relative to the service root (`/connections?…`), to the host
    /// (`/data/…`), or absolute; it must stay on the endpoint's origin.
    pub fn resolve_next(&self, scope: &Scope, href: &str) -> Result<Url, ApiError> {
        let site = self.site_of(scope);
        let joined = if href.starts_with("/connections") {
            format!(
                "{}{}",
                site.connections.as_str().trim_end_matches("/connections"),
                href
            )
        } else {
            href.to_owned()
        };
        let url = site.base.join(&joined).map_err(|e| ApiError::Decode {
            url: href.into(),
            message: format!("bad `_links.next.href`: {e}"),
        })?;
        if !transport::same_origin(&site.base, &url) {
            return Err(ApiError::ForeignLink {
                href: href.into(),
                origin: site.base.origin().ascii_serialization(),
            }
            .redacted(&self.redactor));
        }
        Ok(url)
    }

    /// Sends one call: the five headers, token renewal on `401013`, retries
    /// within the attempt and time budget, and no blind repeat of a create or patch.
    async fn send(&self, scope: &Scope, call: &Call<'_>) -> Result<Answer, ApiError> {
        let started = Instant::now();
        let deadline = started.checked_add(self.timeouts.call);
        let left = || {
            deadline.map_or(self.timeouts.call, |d| {
                d.saturating_duration_since(Instant::now())
            })
        };
        let mut attempt = 0u32;
        let mut waited = Duration::ZERO;
        let mut renewed = false;
        loop {
            attempt = attempt.saturating_add(1);
            let limit = self
                .timeouts
                .request
                .min(left())
                .max(Duration::from_millis(1));
            let (error, verdict, retry_after) =
                match self.attempt(scope, call, !renewed, limit).await {
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
            let budget = left().min(self.retry.max_total_delay.saturating_sub(waited));
            if attempt >= self.retry.max_attempts || delay >= budget {
                let last = Box::new(error);
                return Err(match retry_after {
                    Some(after)
                        if after == delay
                            && delay >= budget
                            && attempt < self.retry.max_attempts =>
                    {
                        ApiError::RetryAfterTooLong {
                            after_secs: after.as_secs(),
                            left: budget,
                            last,
                        }
                    }
                    _ => ApiError::RetriesExhausted {
                        attempts: attempt,
                        elapsed: started.elapsed(),
                        last,
                    },
                });
            }
            tracing::info!(attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying flow service call");
            tokio::time::sleep(delay).await;
            waited = waited.saturating_add(delay);
        }
    }

    /// One try: get a token, send, read the answer within the cap, classify.
    async fn attempt(
        &self,
        scope: &Scope,
        call: &Call<'_>,
        may_renew: bool,
        limit: Duration,
    ) -> Attempt {
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
        // A next page's URL came from the server: redacted like any server text.
        let shown = self.redactor.redact(call.url.as_str());
        tracing::debug!(method = %call.method, url = %shown, "flow service request");
        let limits = (self.timeouts.connect, limit);
        let url = call.url.as_str();
        let answer = match self.request(scope, call, &token, limit).send().await {
            Ok(answer) => answer,
            Err(err) => {
                let error = ApiError::from_transport(url, &err, limits).redacted(&self.redactor);
                tracing::debug!(error = %error, "flow service transport failure");
                let verdict = retry::verdict_for_transport(&error);
                return Attempt::Failed(error, verdict, None);
            }
        };
        match self.read(scope, call, answer, limits).await {
            Ok(answer) => Attempt::Answered(answer),
            Err((error, status, retry_after)) => {
                let renew = status == Some(401) && error.code() == Some("401013");
                if renew && may_renew && self.auth.can_renew() {
                    self.auth.invalidate(&token).await;
                    return Attempt::Renew;
                }
                let verdict = match status {
                    Some(status) => retry::verdict_for_status(status),
                    None => error_verdict(&error, call.kind),
                };
                Attempt::Failed(error, verdict, retry_after)
            }
        }
    }

    /// The request with the five headers and this attempt's timeout.
    fn request(
        &self,
        scope: &Scope,
        call: &Call<'_>,
        token: &Secret,
        limit: Duration,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .timeout(limit)
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
        request
    }

    /// Reads an answer within the cap: a success, or the typed error with
    /// the status it came with (none when the answer itself failed) and
    /// any `Retry-After`.
    async fn read(
        &self,
        scope: &Scope,
        call: &Call<'_>,
        mut answer: reqwest::Response,
        limits: (Duration, Duration),
    ) -> Result<Answer, (ApiError, Option<u16>, Option<Duration>)> {
        let url = call.url.as_str();
        let status = answer.status().as_u16();
        tracing::debug!(status, "flow service answer");
        if answer.status().is_redirection() {
            let location = answer
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no location)")
                .to_owned();
            let error = ApiError::Redirected {
                status,
                url: url.into(),
                location,
            };
            return Err((error.redacted(&self.redactor), Some(status), None));
        }
        let retry_after = answer
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok());
        let retry_after = retry::parse_retry_after(retry_after);
        let success = answer.status().is_success();
        let body = match transport::read_capped(&mut answer, url, self.body_limit).await {
            Ok(body) => body,
            // A create or patch that answered 2xx happened, whatever its size.
            Err(BodyError::TooLarge(error)) if success => {
                return Err((error.redacted(&self.redactor), None, None));
            }
            Err(BodyError::TooLarge(error)) => {
                return Err((error.redacted(&self.redactor), Some(status), None));
            }
            Err(BodyError::Transport(err)) => {
                let error = ApiError::from_transport(url, &err, limits).redacted(&self.redactor);
                return Err((error, None, None));
            }
        };
        if success {
            return Ok(Answer {
                url: url.to_owned(),
                body,
            });
        }
        let cx = AnswerContext {
            url,
            id: call.id,
            sandbox: &scope.sandbox,
            redactor: &self.redactor,
        };
        let error = ApiError::from_answer(status, &body, &cx).redacted(&self.redactor);
        tracing::debug!(status, error = %error, "flow service error answer");
        Err((error, Some(status), retry_after))
    }

    fn json<T: serde::de::DeserializeOwned>(&self, answer: &Answer) -> Result<T, ApiError> {
        serde_json::from_slice(&answer.body).map_err(|e| {
            ApiError::Decode {
                url: answer.url.clone(),
                message: e.to_string(),
            }
            .redacted(&self.redactor)
        })
    }

    fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
        serde_json::to_vec(value)
            .map_err(|e| ApiError::Config(format!("cannot encode the request body: {e}")))
    }

    /// The first page of a listing, as the service sent it (no following).
    pub async fn first_page(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<ConnectionListResponse, ApiError> {
        let url = self.list_url(scope, query);
        let answer = self.send(scope, &Call::read(url, None)).await?;
        self.json(&answer)
    }

    /// The page `_links.next.href` leads to, after the origin check.
    pub async fn next_page(
        &self,
        scope: &Scope,
        href: &str,
    ) -> Result<ConnectionListResponse, ApiError> {
        let url = self.resolve_next(scope, href)?;
        let answer = self.send(scope, &Call::read(url, None)).await?;
        self.json(&answer)
    }
}

/// How a failure without an error status may be retried: a too-large
/// success answer to a create or patch means it happened (unknown outcome);
/// a body cut off mid-way may have been any answer.
fn error_verdict(error: &ApiError, kind: CallKind) -> Verdict {
    match error {
        ApiError::TooLarge { .. } if kind == CallKind::Idempotent => Verdict::Final,
        _ => Verdict::Unknown,
    }
}

/// What identifies a page for loop detection: its continuation token, or
/// the whole URL when it has none.
fn page_key(url: &Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "continuationToken")
        .map_or_else(|| url.to_string(), |(_, v)| format!("token:{v}"))
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
            url: self.site_of(scope).connections.clone(),
            body: Some(Self::encode(body)?),
            if_match: None,
            id: None,
            name: Some(&body.name),
        };
        let answer = self.send(scope, &call).await?;
        // A 2xx means the connection exists: an answer without a usable id
        // says nothing about where, so the outcome is unknown.
        let unknown = |source: ApiError| ApiError::CreateOutcomeUnknown {
            name: body.name.clone(),
            source: Box::new(source),
        };
        let created: IdEtag = self.json(&answer).map_err(unknown)?;
        if !usable_id(&created.id) {
            let shown: String = created.id.chars().take(80).collect();
            return Err(unknown(
                ApiError::Decode {
                    url: answer.url,
                    message: format!(
                        "the create was answered without a usable connection id (`{}`)",
                        shown.escape_debug()
                    ),
                }
                .redacted(&self.redactor),
            ));
        }
        Ok(created)
    }

    async fn get(&self, scope: &Scope, id: &str) -> Result<ConnectionItem, ApiError> {
        let url = self.connection_url(scope, id);
        let answer = self.send(scope, &Call::read(url, Some(id))).await?;
        let page: ConnectionListResponse = self.json(&answer)?;
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
        let mut url = self.list_url(scope, query);
        let mut seen = HashSet::from([page_key(&url)]);
        let mut items = Vec::new();
        let mut read = 0usize;
        for _ in 0..MAX_PAGES {
            let answer = self.send(scope, &Call::read(url, None)).await?;
            read = read.saturating_add(answer.body.len());
            if read > MAX_LISTING_BYTES {
                return Err(ApiError::TooLarge {
                    url: answer.url,
                    limit: MAX_LISTING_BYTES,
                });
            }
            let page: ConnectionListResponse = self.json(&answer)?;
            items.extend(page.items);
            let Some(next) = page.links.and_then(|l| l.next) else {
                return Ok(items);
            };
            url = self.resolve_next(scope, &next.href)?;
            if !seen.insert(page_key(&url)) {
                return Err(ApiError::PageLoop { href: next.href }.redacted(&self.redactor));
            }
        }
        Err(ApiError::TooManyPages { max: MAX_PAGES })
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
            url: self.connection_url(scope, id),
            body: Some(Self::encode(&ops)?),
            if_match: Some(etag),
            id: Some(id),
            name: None,
        };
        let answer = self.send(scope, &call).await?;
        self.json(&answer)
            .map_err(|source| ApiError::PatchOutcomeUnknown {
                id: id.into(),
                source: Box::new(source),
            })
    }

    async fn delete(&self, scope: &Scope, id: &str) -> Result<(), ApiError> {
        let call = Call {
            kind: CallKind::Idempotent,
            method: Method::DELETE,
            url: self.connection_url(scope, id),
            body: None,
            if_match: None,
            id: Some(id),
            name: None,
        };
        self.send(scope, &call).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_one_plain_segment() {
        assert!(usable_id("4e59288e-2a46-4c38-be74-2df14c4c17fd"));
        for bad in ["", " ", "a/b", "a b", "x?y", "..%2f", "a\u{1b}[31m"] {
            assert!(!usable_id(bad), "{bad:?}");
        }
        assert!(!usable_id(&"a".repeat(257)));
    }
}
