//! The `FlowService` trait: every platform call `provision` makes, per
//! (org, sandbox), so apply and plan can run against a fake. Base
//! connections, then the objects a dataflow stands for (source and target
//! connections, flows, mapping sets) and what their inputs resolve against.

use std::future::Future;

use super::data_prep::MappingSetRef;
use super::dataflow::FlowSpecSummary;
use super::dataflow::{
    CreateFlow, CreateSourceConnection, CreateTargetConnection, FlowAction, FlowItem,
    SourceConnectionItem, TargetConnectionItem,
};
use super::discovery::DatasetSummary;
use super::error::ApiError;
use super::ingestion::{Column, CreateMappingSet, DATA_LAKE_SPEC_ID, ExploreItem, MappingSetItem};
use super::wire::{ConnectionItem, CreateConnectionRequest, IdEtag, POSTGRES_SPEC_ID, PatchOp};
use super::{ListQuery, Scope};

/// The query for objects named `name`: a comma in a filter value means OR
/// on the service, so a name with a comma cannot be filtered for (all are
/// listed and the caller keeps the exact name).
fn named(name: &str) -> ListQuery {
    if name.contains(',') {
        ListQuery::new()
    } else {
        ListQuery::new().eq("name", name)
    }
}

/// The platform operations `provision` needs, per (org, sandbox).
/// Implemented by `FlowServiceClient`; tests of the planner can fake it.
/// Creates are never retried blindly: a failure after which the object may
/// exist is `ApiError::CreateOutcomeUnknown` (look the name up). Reads and
/// deletes are retried; a 404 is `ApiError::NotFound`; a stale `If-Match`
/// is `ApiError::EtagMismatch`.
pub trait FlowService: Send + Sync {
    /// `POST /connections`. Never retried blindly: a failure after which the
    /// connection may exist is `ApiError::CreateOutcomeUnknown`.
    fn create(
        &self,
        scope: &Scope,
        body: &CreateConnectionRequest,
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// `GET /connections/{id}`; `ApiError::NotFound` when it does not exist.
    fn get(
        &self,
        scope: &Scope,
        id: &str,
    ) -> impl Future<Output = Result<ConnectionItem, ApiError>> + Send;

    /// `GET /connections` with filters, following `_links.next` to the end.
    fn list(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Vec<ConnectionItem>, ApiError>> + Send;

    /// `PATCH /connections/{id}` with `If-Match: etag`; a stale etag is
    /// `ApiError::EtagMismatch`. Returns the new etag.
    fn patch(
        &self,
        scope: &Scope,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// `DELETE /connections/{id}`. Retried like a read, so when an attempt
    /// landed but its answer was lost the retry reads `ApiError::NotFound`:
    /// treat that as deleted.
    fn delete(&self, scope: &Scope, id: &str) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// Live PostgreSQL connections named exactly `name` in the scope (those
    /// being deleted are ignored): the lookup apply does after a create
    /// whose outcome is unknown, and before each create of a saved plan
    /// (one match: adopt; more: refuse).
    fn find_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> impl Future<Output = Result<Vec<ConnectionItem>, ApiError>> + Send {
        async move {
            let items = self.list(scope, &named(name).postgres()).await?;
            Ok(items
                .into_iter()
                .filter(|item| item.name == name && item.is_live())
                .collect())
        }
    }

    /// `POST /sourceConnections`: which table of which base connection.
    fn create_source_connection(
        &self,
        scope: &Scope,
        body: &CreateSourceConnection,
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// `GET /sourceConnections/{id}`.
    fn get_source_connection(
        &self,
        scope: &Scope,
        id: &str,
    ) -> impl Future<Output = Result<SourceConnectionItem, ApiError>> + Send;

    /// `GET /sourceConnections` with filters, following `_links.next`.
    fn list_source_connections(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Vec<SourceConnectionItem>, ApiError>> + Send;

    /// `PATCH /sourceConnections/{id}` with `If-Match`: the new etag.
    fn patch_source_connection(
        &self,
        scope: &Scope,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// `DELETE /sourceConnections/{id}` (a retry reading 404: deleted).
    fn delete_source_connection(
        &self,
        scope: &Scope,
        id: &str,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// Live PostgreSQL source connections named exactly `name`.
    fn find_source_connections_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> impl Future<Output = Result<Vec<SourceConnectionItem>, ApiError>> + Send {
        async move {
            let query = named(name).eq("connectionSpec.id", POSTGRES_SPEC_ID);
            let items = self.list_source_connections(scope, &query).await?;
            Ok(items
                .into_iter()
                .filter(|item| item.name == name && item.is_live())
                .collect())
        }
    }

    /// `POST /targetConnections`: which dataset, with which schema.
    fn create_target_connection(
        &self,
        scope: &Scope,
        body: &CreateTargetConnection,
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// `GET /targetConnections/{id}`.
    fn get_target_connection(
        &self,
        scope: &Scope,
        id: &str,
    ) -> impl Future<Output = Result<TargetConnectionItem, ApiError>> + Send;

    /// `GET /targetConnections` with filters, following `_links.next`.
    fn list_target_connections(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Vec<TargetConnectionItem>, ApiError>> + Send;

    /// `PATCH /targetConnections/{id}` with `If-Match`: the new etag.
    fn patch_target_connection(
        &self,
        scope: &Scope,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// `DELETE /targetConnections/{id}` (a retry reading 404: deleted).
    fn delete_target_connection(
        &self,
        scope: &Scope,
        id: &str,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// Live data lake target connections named exactly `name`.
    fn find_target_connections_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> impl Future<Output = Result<Vec<TargetConnectionItem>, ApiError>> + Send {
        async move {
            let query = named(name).eq("connectionSpec.id", DATA_LAKE_SPEC_ID);
            let items = self.list_target_connections(scope, &query).await?;
            Ok(items
                .into_iter()
                .filter(|item| item.name == name && item.is_live())
                .collect())
        }
    }

    /// `POST /flows`.
    fn create_flow(
        &self,
        scope: &Scope,
        body: &CreateFlow,
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// `GET /flows/{id}`.
    fn get_flow(
        &self,
        scope: &Scope,
        id: &str,
    ) -> impl Future<Output = Result<FlowItem, ApiError>> + Send;

    /// `GET /flows` with filters, following `_links.next`.
    fn list_flows(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Vec<FlowItem>, ApiError>> + Send;

    /// `PATCH /flows/{id}` with `If-Match` (`/name`, `/description`,
    /// `/scheduleParams/…`, `/transformations/{i}/params/…`): the new etag.
    fn patch_flow(
        &self,
        scope: &Scope,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// `DELETE /flows/{id}` (a retry reading 404: deleted).
    fn delete_flow(
        &self,
        scope: &Scope,
        id: &str,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// `POST /flows/{id}/action?op=ENABLE|DISABLE`: the flow's new etag.
    fn flow_action(
        &self,
        scope: &Scope,
        id: &str,
        action: FlowAction,
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// Live flows named exactly `name`.
    fn find_flows_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> impl Future<Output = Result<Vec<FlowItem>, ApiError>> + Send {
        async move {
            let items = self.list_flows(scope, &named(name)).await?;
            Ok(items
                .into_iter()
                .filter(|item| item.name == name && item.is_live())
                .collect())
        }
    }

    /// `GET /flowSpecs?property=name=="NAME"`: the spec named exactly
    /// `name` (`CRMToAEP`), `None` when there is none; found once per scope.
    fn find_flow_spec(
        &self,
        scope: &Scope,
        name: &str,
    ) -> impl Future<Output = Result<Option<FlowSpecSummary>, ApiError>> + Send;

    /// `POST /mappingSets` (Data Prep): id and version (0).
    fn create_mapping_set(
        &self,
        scope: &Scope,
        body: &CreateMappingSet,
    ) -> impl Future<Output = Result<MappingSetRef, ApiError>> + Send;

    /// `GET /mappingSets/{id}`, the current version or `version`.
    fn get_mapping_set(
        &self,
        scope: &Scope,
        id: &str,
        version: Option<i64>,
    ) -> impl Future<Output = Result<MappingSetItem, ApiError>> + Send;

    /// `PUT /mappingSets/{id}`: a new version (no `If-Match`; not repeated
    /// blindly, an unknown outcome is `ApiError::PatchOutcomeUnknown`).
    fn update_mapping_set(
        &self,
        scope: &Scope,
        id: &str,
        body: &CreateMappingSet,
    ) -> impl Future<Output = Result<MappingSetRef, ApiError>> + Send;

    /// Mapping sets named exactly `name` (current versions).
    fn find_mapping_sets_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> impl Future<Output = Result<Vec<MappingSetItem>, ApiError>> + Send;

    /// Catalog datasets named exactly `name`.
    fn find_datasets_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> impl Future<Output = Result<Vec<DatasetSummary>, ApiError>> + Send;

    /// `GET /dataSets/{id}` (Catalog).
    fn get_dataset(
        &self,
        scope: &Scope,
        id: &str,
    ) -> impl Future<Output = Result<DatasetSummary, ApiError>> + Send;

    /// The columns of `table` (`schema.table`) of a base connection's server.
    fn explore_table(
        &self,
        scope: &Scope,
        base_connection_id: &str,
        table: &str,
    ) -> impl Future<Output = Result<Vec<Column>, ApiError>> + Send;

    /// What a base connection's server holds (its tables), so a caller can
    /// say "did you mean".
    fn list_tables(
        &self,
        scope: &Scope,
        base_connection_id: &str,
    ) -> impl Future<Output = Result<Vec<ExploreItem>, ApiError>> + Send;
}
