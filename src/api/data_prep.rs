//! Data Prep's mapping sets under `/data/foundation/conversion`, in Data
//! Prep's own shapes: a create answers 200 with id and version (never
//! retried blindly), an update is a PUT without If-Match that makes a new
//! version, and lists take `limit` and `start` and answer `data` + `_page`.

use std::collections::HashSet;

use reqwest::Method;
use serde::Deserialize;

use super::Scope;
use super::client::{Call, FlowServiceClient, usable_id};
use super::error::ApiError;
use super::ingestion::{CreateMappingSet, MappingSetItem};
use super::resource::Resource;
use super::retry::CallKind;
use super::transport::MAX_PAGES;

/// Mapping sets asked for per page (Data Prep's maximum).
const PAGE: usize = 100;

/// Which mapping set and which of its versions: what a create or an update
/// answers, and what a flow's `Mapping` transformation names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MappingSetRef {
    pub id: String,
    pub version: i64,
}

/// A list page with the mapping sets read in either dialect.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<MappingSetItem>,
}

impl FlowServiceClient {
    /// `POST /mappingSets`: 200 with the id and version 0.
    pub(super) async fn post_mapping_set(
        &self,
        scope: &Scope,
        body: &CreateMappingSet,
    ) -> Result<MappingSetRef, ApiError> {
        let call = Call {
            kind: CallKind::Create,
            method: Method::POST,
            url: self.collection_url(scope, Resource::MappingSet),
            body: Some(Self::encode(body)?),
            if_match: None,
            id: None,
            what: Resource::MappingSet,
            name: Some(&body.name),
        };
        let answer = self.send(scope, &call).await?;
        let unknown = |source: ApiError| ApiError::CreateOutcomeUnknown {
            name: body.name.clone(),
            source: Box::new(source),
        };
        let created: MappingSetRef = self.json(&answer).map_err(unknown)?;
        if !usable_id(&created.id) {
            let shown: String = created.id.chars().take(80).collect();
            let message = format!(
                "the create was answered without a usable mapping set id (`{}`)",
                shown.escape_debug()
            );
            let error = ApiError::Decode {
                url: answer.url,
                message,
            };
            return Err(unknown(error.redacted(&self.redactor)));
        }
        Ok(created)
    }

    /// `GET /mappingSets/{id}` (`?version=N` for an older version).
    pub(super) async fn mapping_set(
        &self,
        scope: &Scope,
        id: &str,
        version: Option<i64>,
    ) -> Result<MappingSetItem, ApiError> {
        let mut url = self.object_url(scope, Resource::MappingSet, id, &[]);
        if let Some(version) = version {
            url.query_pairs_mut()
                .append_pair("version", &version.to_string());
        }
        let answer = self
            .send(scope, &Call::read(Resource::MappingSet, url, Some(id)))
            .await?;
        self.json(&answer)
    }

    /// `PUT /mappingSets/{id}`: a new version. Not repeated blindly: a
    /// failure after which it may have landed is `PatchOutcomeUnknown`.
    pub(super) async fn put_mapping_set(
        &self,
        scope: &Scope,
        id: &str,
        body: &CreateMappingSet,
    ) -> Result<MappingSetRef, ApiError> {
        let call = Call {
            kind: CallKind::Patch,
            method: Method::PUT,
            url: self.object_url(scope, Resource::MappingSet, id, &[]),
            body: Some(Self::encode(body)?),
            if_match: None,
            id: Some(id),
            what: Resource::MappingSet,
            name: None,
        };
        let answer = self.send(scope, &call).await?;
        self.json(&answer)
            .map_err(|source| ApiError::PatchOutcomeUnknown {
                id: id.into(),
                source: Box::new(source),
            })
    }

    /// `GET /mappingSets?name=NAME&limit=100&start=…`, page by page until a
    /// short page; only sets named exactly `name` are kept.
    pub(super) async fn mapping_sets_named(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Vec<MappingSetItem>, ApiError> {
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        let mut start = 0usize;
        for _ in 0..MAX_PAGES {
            let mut url = self.collection_url(scope, Resource::MappingSet);
            url.query_pairs_mut()
                .append_pair("name", name)
                .append_pair("limit", &PAGE.to_string())
                .append_pair("start", &start.to_string());
            let shown = url.to_string();
            let answer = self
                .send(scope, &Call::read(Resource::MappingSet, url, None))
                .await?;
            let page: Page = self.json(&answer)?;
            let size = page.data.len();
            for set in page.data {
                if !seen.insert(set.id.clone()) {
                    // A page that repeats an earlier one: `start` is ignored.
                    return Err(ApiError::PageLoop { href: shown }.redacted(&self.redactor));
                }
                if set.name == name {
                    found.push(set);
                }
            }
            if size < PAGE {
                return Ok(found);
            }
            start = start.saturating_add(size);
        }
        Err(ApiError::TooManyPages { max: MAX_PAGES })
    }
}
