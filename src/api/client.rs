//! `FlowServiceClient`: the `FlowService` trait over HTTP with reqwest. One
//! `reqwest::Client` (connection reuse, redirects off), hosts per org
//! checked by the transport rules, and the operations; the one send loop
//! where headers, token renewal, retries, deadlines, the body cap,
//! redaction and the POST safety rule live is in `send.rs`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use reqwest::Method;
use url::Url;

use super::auth::{ImsSetup, TokenSource};
use super::client_config::{ClientConfig, Timeouts};
use super::error::ApiError;
use super::redact::Redactor;
use super::retry::{CallKind, RetryPolicy, Verdict};
use super::transport::{self, MAX_PAGES};
use super::wire::{
    ConnectionItem, ConnectionListResponse, CreateConnectionRequest, IdEtag, PatchOp,
};
use super::{FlowService, ListQuery, Scope};

const CONNECTIONS_PATH: &str = "/data/foundation/flowservice/connections";
/// The page size asked for when a query names none (the documented default).
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The most one listing reads over all its pages.
const MAX_LISTING_BYTES: usize = 256 * 1024 * 1024;

/// One Flow Service host: its base (whose origin next links must keep) and
/// its `/connections` resource.
#[derive(Debug, Clone)]
pub(super) struct Site {
    base: Url,
    connections: Url,
}

/// The Flow Service client. Cheap to share: wrap it in an `Arc`.
#[derive(Debug)]
pub struct FlowServiceClient {
    pub(super) http: reqwest::Client,
    site: Site,
    /// Hosts of particular orgs (`orgs.<cloud>.endpoint`).
    org_sites: HashMap<String, Site>,
    pub(super) auth: TokenSource,
    pub(super) retry: RetryPolicy,
    pub(super) timeouts: Timeouts,
    pub(super) body_limit: usize,
    pub(super) redactor: Redactor,
}

/// One request, rebuilt for each attempt.
pub(super) struct Call<'a> {
    pub kind: CallKind,
    pub method: Method,
    pub url: Url,
    pub body: Option<Vec<u8>>,
    pub if_match: Option<&'a str>,
    /// The connection the call is about, for typed 404/412 errors.
    pub id: Option<&'a str>,
    /// The name a create is for, for `CreateOutcomeUnknown`.
    pub name: Option<&'a str>,
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
pub(super) struct Answer {
    pub url: String,
    pub body: Vec<u8>,
}

/// The outcome of one try.
pub(super) enum Attempt {
    Answered(Answer),
    /// The token was rejected: fetch a new one and resend.
    Renew,
    Failed(ApiError, Verdict, Option<Duration>),
}

fn site(endpoint: &str, what: &str, allowed: &[String]) -> Result<Site, ApiError> {
    let base = transport::checked_base(endpoint, what, allowed)?;
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
        let allowed = &config.allowed_hosts;
        let main = site(&config.endpoint, "endpoint", allowed)?;
        let mut org_sites = HashMap::new();
        for (org, endpoint) in &config.org_endpoints {
            org_sites.insert(
                org.clone(),
                site(endpoint, &format!("endpoint of org `{org}`"), allowed)?,
            );
        }
        let ims = transport::checked_base(&config.ims, "ims", allowed)?;
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
