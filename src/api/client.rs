//! `FlowServiceClient`: the platform's APIs over HTTP with reqwest. One
//! `reqwest::Client` (connection reuse, redirects off), hosts per org
//! checked by the transport rules, each resource's URL on them; the
//! operations are in `operations.rs` and the collections' generic calls in
//! `objects.rs`; the one send loop where headers, token renewal, retries,
//! deadlines, the body cap, redaction and the POST safety rule live is in `send.rs`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Method;
use url::Url;

use super::auth::{ImsSetup, TokenSource};
use super::client_config::{ClientConfig, Timeouts};
use super::dataflow::FlowSpecSummary;
use super::error::ApiError;
use super::redact::Redactor;
use super::resource::Resource;
use super::retry::{CallKind, RetryPolicy, Verdict};
use super::transport;
use super::wire::ConnectionListResponse;
use super::{ListQuery, Scope};

/// The page size asked for when a query names none (the documented default).
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// One platform host: its base (whose origin next links must keep) and the
/// URL of each resource's collection on it.
#[derive(Debug, Clone)]
pub(super) struct Site {
    base: Url,
    collections: Vec<Url>,
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
    /// Flow specs found by name, per (org, sandbox): looked up once.
    pub(super) flow_specs: Mutex<HashMap<(Scope, String), FlowSpecSummary>>,
}

/// One request, rebuilt for each attempt.
pub(super) struct Call<'a> {
    pub kind: CallKind,
    pub method: Method,
    pub url: Url,
    pub body: Option<Vec<u8>>,
    pub if_match: Option<&'a str>,
    /// The object the call is about, for typed 404/412 errors.
    pub id: Option<&'a str>,
    /// What kind of object the call is about.
    pub what: Resource,
    /// The name a create is for, for `CreateOutcomeUnknown`.
    pub name: Option<&'a str>,
}

impl<'a> Call<'a> {
    /// A GET of `url`, about object `id` when it reads one.
    pub(super) fn read(what: Resource, url: Url, id: Option<&'a str>) -> Self {
        Call {
            kind: CallKind::Idempotent,
            method: Method::GET,
            url,
            body: None,
            if_match: None,
            id,
            what,
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
    let collections = Resource::ALL
        .iter()
        .map(|resource| {
            Url::parse(&format!(
                "{}{}",
                base.as_str().trim_end_matches('/'),
                resource.path()
            ))
            .map_err(|e| ApiError::Config(format!("{what} `{endpoint}` is not a url: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Site { base, collections })
}

/// An id the service may have issued: non-empty, short, one path segment.
pub(super) fn usable_id(id: &str) -> bool {
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
            flow_specs: Mutex::new(HashMap::new()),
        })
    }

    /// The secrets masked in server text; more can be added (smoke adds its own).
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    fn site_of(&self, scope: &Scope) -> &Site {
        self.org_sites.get(&scope.org).unwrap_or(&self.site)
    }

    /// The URL of a resource's collection on the scope's host.
    pub(super) fn collection_url(&self, scope: &Scope, what: Resource) -> Url {
        let site = self.site_of(scope);
        site.collections
            .get(what.index())
            .cloned()
            .unwrap_or_else(|| site.base.clone())
    }

    /// The URL of one object, or of a path under it (`/explore`, `/action`).
    pub(super) fn object_url(
        &self,
        scope: &Scope,
        what: Resource,
        id: &str,
        under: &[&str],
    ) -> Url {
        let mut url = self.collection_url(scope, what);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(id);
            segments.extend(under);
        }
        url
    }

    /// The first page's URL of a Flow Service listing (`limit` defaults to 100).
    pub(super) fn list_url(&self, scope: &Scope, what: Resource, query: &ListQuery) -> Url {
        let mut url = self.collection_url(scope, what);
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

    /// Where `_links.next.href` of a connection listing leads, if it may be
    /// followed at all: it is relative to the service root
    /// (`/connections?…`), to the host (`/data/…`), or absolute; it must
    /// stay on the endpoint's origin.
    pub fn resolve_next(&self, scope: &Scope, href: &str) -> Result<Url, ApiError> {
        self.resolve_next_of(scope, Resource::Connection, href)
    }

    /// [`Self::resolve_next`] for a listing of `what`.
    pub(super) fn resolve_next_of(
        &self,
        scope: &Scope,
        what: Resource,
        href: &str,
    ) -> Result<Url, ApiError> {
        let site = self.site_of(scope);
        let joined = if what.is_own_href(href) {
            let collection = self.collection_url(scope, what);
            format!(
                "{}{}",
                collection.as_str().trim_end_matches(what.collection()),
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

    pub(super) fn json<T: serde::de::DeserializeOwned>(
        &self,
        answer: &Answer,
    ) -> Result<T, ApiError> {
        serde_json::from_slice(&answer.body).map_err(|e| {
            ApiError::Decode {
                url: answer.url.clone(),
                message: e.to_string(),
            }
            .redacted(&self.redactor)
        })
    }

    pub(super) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
        serde_json::to_vec(value)
            .map_err(|e| ApiError::Config(format!("cannot encode the request body: {e}")))
    }

    /// The first page of a listing, as the service sent it (no following).
    pub async fn first_page(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<ConnectionListResponse, ApiError> {
        let url = self.list_url(scope, Resource::Connection, query);
        let answer = self
            .send(scope, &Call::read(Resource::Connection, url, None))
            .await?;
        self.json(&answer)
    }

    /// The page `_links.next.href` leads to, after the origin check.
    pub async fn next_page(
        &self,
        scope: &Scope,
        href: &str,
    ) -> Result<ConnectionListResponse, ApiError> {
        let url = self.resolve_next(scope, href)?;
        let answer = self
            .send(scope, &Call::read(Resource::Connection, url, None))
            .await?;
        self.json(&answer)
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
