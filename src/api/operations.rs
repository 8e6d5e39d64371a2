//! `FlowService` over HTTP: each operation is one of the client's calls on
//! its resource (the collections' shared calls in `objects.rs`, Data Prep
//! in `data_prep.rs`, flow specs, explore and Catalog in `discovery.rs`).

use super::client::FlowServiceClient;
use super::data_prep::MappingSetRef;
use super::dataflow::FlowSpecSummary;
use super::dataflow::{
    CreateFlow, CreateSourceConnection, CreateTargetConnection, FlowAction, FlowItem,
    SourceConnectionItem, TargetConnectionItem,
};
use super::discovery::DatasetSummary;
use super::error::ApiError;
use super::ingestion::{Column, CreateMappingSet, ExploreItem, MappingSetItem};
use super::resource::Resource::{self, Flow, SourceConnection, TargetConnection};
use super::service::FlowService;
use super::wire::{ConnectionItem, CreateConnectionRequest, IdEtag, PatchOp};
use super::{ListQuery, Scope};

const BASE: Resource = Resource::Connection;

impl FlowService for FlowServiceClient {
    async fn create(
        &self,
        scope: &Scope,
        body: &CreateConnectionRequest,
    ) -> Result<IdEtag, ApiError> {
        self.create_object(scope, BASE, &body.name, body).await
    }

    async fn get(&self, scope: &Scope, id: &str) -> Result<ConnectionItem, ApiError> {
        self.get_object(scope, BASE, id).await
    }

    async fn list(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<Vec<ConnectionItem>, ApiError> {
        self.list_objects(scope, BASE, query).await
    }

    async fn patch(
        &self,
        scope: &Scope,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> Result<IdEtag, ApiError> {
        self.patch_object(scope, BASE, id, etag, ops).await
    }

    async fn delete(&self, scope: &Scope, id: &str) -> Result<(), ApiError> {
        self.delete_object(scope, BASE, id).await
    }

    async fn create_source_connection(
        &self,
        scope: &Scope,
        body: &CreateSourceConnection,
    ) -> Result<IdEtag, ApiError> {
        self.create_object(scope, SourceConnection, &body.name, body)
            .await
    }

    async fn get_source_connection(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<SourceConnectionItem, ApiError> {
        self.get_object(scope, SourceConnection, id).await
    }

    async fn list_source_connections(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<Vec<SourceConnectionItem>, ApiError> {
        self.list_objects(scope, SourceConnection, query).await
    }

    async fn patch_source_connection(
        &self,
        scope: &Scope,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> Result<IdEtag, ApiError> {
        self.patch_object(scope, SourceConnection, id, etag, ops)
            .await
    }

    async fn delete_source_connection(&self, scope: &Scope, id: &str) -> Result<(), ApiError> {
        self.delete_object(scope, SourceConnection, id).await
    }

    async fn create_target_connection(
        &self,
        scope: &Scope,
        body: &CreateTargetConnection,
    ) -> Result<IdEtag, ApiError> {
        self.create_object(scope, TargetConnection, &body.name, body)
            .await
    }

    async fn get_target_connection(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<TargetConnectionItem, ApiError> {
        self.get_object(scope, TargetConnection, id).await
    }

    async fn list_target_connections(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<Vec<TargetConnectionItem>, ApiError> {
        self.list_objects(scope, TargetConnection, query).await
    }

    async fn patch_target_connection(
        &self,
        scope: &Scope,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> Result<IdEtag, ApiError> {
        self.patch_object(scope, TargetConnection, id, etag, ops)
            .await
    }

    async fn delete_target_connection(&self, scope: &Scope, id: &str) -> Result<(), ApiError> {
        self.delete_object(scope, TargetConnection, id).await
    }

    async fn create_flow(&self, scope: &Scope, body: &CreateFlow) -> Result<IdEtag, ApiError> {
        self.create_object(scope, Flow, &body.name, body).await
    }

    async fn get_flow(&self, scope: &Scope, id: &str) -> Result<FlowItem, ApiError> {
        self.get_object(scope, Flow, id).await
    }

    async fn list_flows(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<Vec<FlowItem>, ApiError> {
        self.list_objects(scope, Flow, query).await
    }

    async fn patch_flow(
        &self,
        scope: &Scope,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> Result<IdEtag, ApiError> {
        self.patch_object(scope, Flow, id, etag, ops).await
    }

    async fn delete_flow(&self, scope: &Scope, id: &str) -> Result<(), ApiError> {
        self.delete_object(scope, Flow, id).await
    }

    async fn flow_action(
        &self,
        scope: &Scope,
        id: &str,
        action: FlowAction,
    ) -> Result<IdEtag, ApiError> {
        self.act_on_flow(scope, id, action).await
    }

    async fn find_flow_spec(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<FlowSpecSummary>, ApiError> {
        self.flow_spec_by_name(scope, name).await
    }

    async fn create_mapping_set(
        &self,
        scope: &Scope,
        body: &CreateMappingSet,
    ) -> Result<MappingSetRef, ApiError> {
        self.post_mapping_set(scope, body).await
    }

    async fn get_mapping_set(
        &self,
        scope: &Scope,
        id: &str,
        version: Option<i64>,
    ) -> Result<MappingSetItem, ApiError> {
        self.mapping_set(scope, id, version).await
    }

    async fn update_mapping_set(
        &self,
        scope: &Scope,
        id: &str,
        body: &CreateMappingSet,
    ) -> Result<MappingSetRef, ApiError> {
        self.put_mapping_set(scope, id, body).await
    }

    async fn find_mapping_sets_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Vec<MappingSetItem>, ApiError> {
        self.mapping_sets_named(scope, name).await
    }

    async fn find_datasets_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Vec<DatasetSummary>, ApiError> {
        self.datasets_named(scope, name).await
    }

    async fn get_dataset(&self, scope: &Scope, id: &str) -> Result<DatasetSummary, ApiError> {
        self.dataset_by_id(scope, id).await
    }

    async fn explore_table(
        &self,
        scope: &Scope,
        base_connection_id: &str,
        table: &str,
    ) -> Result<Vec<Column>, ApiError> {
        self.explore_columns(scope, base_connection_id, table).await
    }

    async fn list_tables(
        &self,
        scope: &Scope,
        base_connection_id: &str,
    ) -> Result<Vec<ExploreItem>, ApiError> {
        self.explore_root(scope, base_connection_id).await
    }
}
