//! Reads that keep the service's JSON as it came, for `smoke` to record
//! which wire forms the platform returns (a `startTime` as an integer or a
//! string, whether a mapping-set name filter filters) instead of the typed
//! values the rest of the client reads, which accept either form.

use serde_json::Value;

use super::Scope;
use super::client::{Call, FlowServiceClient};
use super::error::ApiError;
use super::resource::Resource;

impl FlowServiceClient {
    /// `GET {collection}/{id}` as the service sent it: a Flow Service
    /// answer's first item (`{"items": [one]}`), a Data Prep answer whole.
    pub async fn get_json(
        &self,
        scope: &Scope,
        what: Resource,
        id: &str,
    ) -> Result<Value, ApiError> {
        let url = self.object_url(scope, what, id, &[]);
        let answer = self.send(scope, &Call::read(what, url, Some(id))).await?;
        let body: Value = self.json(&answer)?;
        match body.get("items") {
            Some(Value::Array(items)) => items.first().cloned().ok_or(ApiError::NotFound {
                what,
                id: id.into(),
            }),
            _ => Ok(body),
        }
    }

    /// The first page of `GET /mappingSets?name=NAME&limit=100`, as sent
    /// (`data` holds what the service listed for the filter).
    pub async fn mapping_sets_page_named(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Value, ApiError> {
        let mut url = self.collection_url(scope, Resource::MappingSet);
        url.query_pairs_mut()
            .append_pair("name", name)
            .append_pair("limit", "100");
        let answer = self
            .send(scope, &Call::read(Resource::MappingSet, url, None))
            .await?;
        self.json(&answer)
    }

    /// The first page of `GET /runs?property=flowId==ID`, as sent.
    pub async fn runs_of_flow(&self, scope: &Scope, flow_id: &str) -> Result<Value, ApiError> {
        // `/runs` sits beside `/flows` under the Flow Service root.
        let mut url = self.collection_url(scope, Resource::Flow);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop().push("runs");
        }
        url.query_pairs_mut()
            .append_pair("property", &format!("flowId=={flow_id}"))
            .append_pair("limit", "100");
        let answer = self
            .send(scope, &Call::read(Resource::Flow, url, None))
            .await?;
        self.json(&answer)
    }
}
