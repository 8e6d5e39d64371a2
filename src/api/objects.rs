//! The calls every Flow Service collection shares (connections, source and
//! target connections, flows): create without a blind repeat, read one,
//! list following `_links.next`, patch with `If-Match`, delete. Each
//! operation of the `FlowService` trait is one of these on its resource.

use std::collections::HashSet;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::client::{Call, FlowServiceClient, usable_id};
use super::dataflow::Items;
use super::error::ApiError;
use super::resource::Resource;
use super::retry::CallKind;
use super::transport::MAX_PAGES;
use super::wire::{IdEtag, PatchOp};
use super::{ListQuery, Scope};

/// The most one listing reads over all its pages.
const MAX_LISTING_BYTES: usize = 256 * 1024 * 1024;

/// What identifies a page for loop detection: its continuation token, or
/// the whole URL when it has none.
fn page_key(url: &Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "continuationToken")
        .map_or_else(|| url.to_string(), |(_, v)| format!("token:{v}"))
}

impl FlowServiceClient {
    /// `POST` to a collection. A failure after which the object may exist
    /// is `ApiError::CreateOutcomeUnknown` (never retried); so is a 2xx
    /// without a usable id, which says the object exists but not where.
    pub(super) async fn create_object<B: Serialize>(
        &self,
        scope: &Scope,
        what: Resource,
        name: &str,
        body: &B,
    ) -> Result<IdEtag, ApiError> {
        let call = Call {
            kind: CallKind::Create,
            method: Method::POST,
            url: self.collection_url(scope, what),
            body: Some(Self::encode(body)?),
            if_match: None,
            id: None,
            what,
            name: Some(name),
        };
        let answer = self.send(scope, &call).await?;
        let unknown = |source: ApiError| ApiError::CreateOutcomeUnknown {
            name: name.to_owned(),
            source: Box::new(source),
        };
        let created: IdEtag = self.json(&answer).map_err(unknown)?;
        if !usable_id(&created.id) {
            let shown: String = created.id.chars().take(80).collect();
            return Err(unknown(
                ApiError::Decode {
                    url: answer.url,
                    message: format!(
                        "the create was answered without a usable {what} id (`{}`)",
                        shown.escape_debug()
                    ),
                }
                .redacted(&self.redactor),
            ));
        }
        Ok(created)
    }

    /// `GET {collection}/{id}`: `{"items": [one]}`; 404 is `ApiError::NotFound`.
    pub(super) async fn get_object<T: DeserializeOwned>(
        &self,
        scope: &Scope,
        what: Resource,
        id: &str,
    ) -> Result<T, ApiError> {
        let url = self.object_url(scope, what, id, &[]);
        let answer = self.send(scope, &Call::read(what, url, Some(id))).await?;
        let page: Items<T> = self.json(&answer)?;
        page.items
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::NotFound {
                what,
                id: id.into(),
            })
    }

    /// `GET {collection}` with filters, following `_links.next` to the end
    /// (on the endpoint's origin only, within a page count and a byte budget).
    pub(super) async fn list_objects<T: DeserializeOwned>(
        &self,
        scope: &Scope,
        what: Resource,
        query: &ListQuery,
    ) -> Result<Vec<T>, ApiError> {
        let mut url = self.list_url(scope, what, query);
        let mut seen = HashSet::from([page_key(&url)]);
        let mut items = Vec::new();
        let mut read = 0usize;
        for _ in 0..MAX_PAGES {
            let answer = self.send(scope, &Call::read(what, url, None)).await?;
            read = read.saturating_add(answer.body.len());
            if read > MAX_LISTING_BYTES {
                return Err(ApiError::TooLarge {
                    url: answer.url,
                    limit: MAX_LISTING_BYTES,
                });
            }
            let page: Items<T> = self.json(&answer)?;
            items.extend(page.items);
            let Some(next) = page.links.and_then(|l| l.next) else {
                return Ok(items);
            };
            url = self.resolve_next_of(scope, what, &next.href)?;
            if !seen.insert(page_key(&url)) {
                return Err(ApiError::PageLoop { href: next.href }.redacted(&self.redactor));
            }
        }
        Err(ApiError::TooManyPages { max: MAX_PAGES })
    }

    /// `PATCH {collection}/{id}` with `If-Match`: the new etag. A stale etag
    /// is `ApiError::EtagMismatch`; a failure after which the patch may have
    /// applied is `ApiError::PatchOutcomeUnknown`.
    pub(super) async fn patch_object(
        &self,
        scope: &Scope,
        what: Resource,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> Result<IdEtag, ApiError> {
        let call = Call {
            kind: CallKind::Patch,
            method: Method::PATCH,
            url: self.object_url(scope, what, id, &[]),
            body: Some(Self::encode(&ops)?),
            if_match: Some(etag),
            id: Some(id),
            what,
            name: None,
        };
        let answer = self.send(scope, &call).await?;
        self.json(&answer)
            .map_err(|source| ApiError::PatchOutcomeUnknown {
                id: id.into(),
                source: Box::new(source),
            })
    }

    /// `DELETE {collection}/{id}`, retried like a read (a retry after a
    /// lost answer reads `ApiError::NotFound`: deleted).
    pub(super) async fn delete_object(
        &self,
        scope: &Scope,
        what: Resource,
        id: &str,
    ) -> Result<(), ApiError> {
        let call = Call {
            kind: CallKind::Idempotent,
            method: Method::DELETE,
            url: self.object_url(scope, what, id, &[]),
            body: None,
            if_match: None,
            id: Some(id),
            what,
            name: None,
        };
        self.send(scope, &call).await.map(drop)
    }
}

impl FlowServiceClient {
    /// `POST /flows/{id}/action?op=ENABLE|DISABLE`: the new etag. Repeating
    /// an action leaves the flow as the first one did, so it is retried
    /// like a read; no `If-Match`, which a landed first attempt would make stale.
    pub(super) async fn act_on_flow(
        &self,
        scope: &Scope,
        id: &str,
        action: super::dataflow::FlowAction,
    ) -> Result<IdEtag, ApiError> {
        let mut url = self.object_url(scope, Resource::Flow, id, &["action"]);
        url.query_pairs_mut().append_pair("op", action.op());
        let call = Call {
            kind: CallKind::Idempotent,
            method: Method::POST,
            url,
            body: None,
            if_match: None,
            id: Some(id),
            what: Resource::Flow,
            name: None,
        };
        let answer = self.send(scope, &call).await?;
        self.json(&answer)
    }
}
