//! What a dataflow's document names, resolved on the platform: the base
//! connection, the scope's listing, the table-source flow spec and the
//! dataset, each looked up once per run (per scope) and shared by its steps.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use futures_util::future::join_all;

use super::listing::Listing;
use super::{Flows, blocked, cell};
use crate::api::ingestion::DATA_LAKE_SPEC_ID;
use crate::api::wire::{POSTGRES_SPEC_ID, SpecRef};
use crate::api::{ApiError, DatasetSummary, FlowService, ListQuery, Scope};
use crate::apply::{ActionError, Engine};
use crate::config::{ConnectionKey, DatasetRef};
use crate::plan::dataflow::{DataflowAction, DataflowStep};

/// The flow spec of table sources.
const FLOW_SPEC: &str = "CRMToAEP";

impl<F: FlowService + 'static> Engine<F> {
    /// Looks up, as the run starts, what the creates and replaces among
    /// `actions` will resolve once per scope (flow spec, listing,
    /// datasets), so no chain waits for them after its base connection.
    /// A failed lookup is left to the chain that needs it, which tries
    /// again and reports it.
    pub(crate) async fn warm(&self, flows: &Flows, actions: &[DataflowAction]) {
        let mut scopes = BTreeSet::new();
        let mut datasets = HashSet::new();
        for action in actions
            .iter()
            .filter(|a| matches!(a.action, DataflowStep::Create | DataflowStep::Replace))
        {
            if let Some(d) = flows.desired.get(&action.key) {
                let scope = Scope::new(&d.org, d.key.sandbox());
                datasets.insert((scope.clone(), d.doc.target.dataset.clone()));
                scopes.insert(scope);
            }
        }
        let listings = scopes.iter().map(|scope| self.listing(flows, scope));
        let found = datasets
            .iter()
            .map(|(scope, reference)| self.dataset(flows, scope, reference));
        let _ = tokio::join!(join_all(listings), join_all(found));
    }

    /// The base connection's id: made in this run, recorded, or found on
    /// the platform by name (exactly one).
    pub(super) async fn base_id(
        &self,
        flows: &Flows,
        scope: &Scope,
        connection: &ConnectionKey,
        made: Option<String>,
    ) -> Result<String, ActionError> {
        if let Some(id) = made {
            return Ok(id);
        }
        if let Some(record) = self.records.get(connection) {
            return Ok(record.id.clone());
        }
        let found = self
            .call(
                &flows.permits,
                self.api.find_by_name(scope, &connection.name),
            )
            .await?;
        match found.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(blocked(format!(
                "base connection `{}` is neither in these files nor on the platform in sandbox `{}`",
                connection.name, scope.sandbox
            ))),
            several => Err(blocked(format!(
                "{} connections named `{}` exist in sandbox `{}`: the dataflow cannot tell which to read through",
                several.len(),
                connection.name,
                scope.sandbox
            ))),
        }
    }

    /// The scope's source connections, target connections, flows (of the
    /// table-source flow spec: others may not read as dataflows) and
    /// mapping sets, listed once per run.
    pub(super) async fn listing(
        &self,
        flows: &Flows,
        scope: &Scope,
    ) -> Result<Arc<Listing>, ActionError> {
        let cell = cell(&flows.listings, scope).await;
        let listing = cell
            .get_or_try_init(|| async {
                let permits = &flows.permits;
                let postgres = ListQuery::new().eq("connectionSpec.id", POSTGRES_SPEC_ID);
                let lake = ListQuery::new().eq("connectionSpec.id", DATA_LAKE_SPEC_ID);
                // Only the flows wait for the spec: the rest is listed meanwhile.
                let spec_flows = async {
                    let spec = self.flow_spec(flows, scope).await?;
                    let query = ListQuery::new().eq("flowSpec.id", &spec.id);
                    Ok::<_, ActionError>(
                        self.call(permits, self.api.list_flows(scope, &query))
                            .await?,
                    )
                };
                let (sources, targets, listed, sets) = tokio::try_join!(
                    async {
                        Ok::<_, ActionError>(
                            self.call(permits, self.api.list_source_connections(scope, &postgres))
                                .await?,
                        )
                    },
                    async {
                        Ok(self
                            .call(permits, self.api.list_target_connections(scope, &lake))
                            .await?)
                    },
                    spec_flows,
                    async {
                        Ok(self
                            .call(permits, self.api.list_mapping_sets(scope))
                            .await?)
                    },
                )?;
                Ok::<_, ActionError>(Arc::new(Listing::of(sources, targets, listed, sets)))
            })
            .await?;
        Ok(Arc::clone(listing))
    }

    /// The `CRMToAEP` flow spec, looked up once per scope and checked to
    /// take PostgreSQL sources.
    pub(super) async fn flow_spec(
        &self,
        flows: &Flows,
        scope: &Scope,
    ) -> Result<SpecRef, ActionError> {
        let cell = cell(&flows.specs, scope).await;
        let spec = cell
            .get_or_try_init(|| async {
                let found = self
                    .call(&flows.permits, self.api.find_flow_spec(scope, FLOW_SPEC))
                    .await?;
                match found {
                    Some(spec) if spec.lists_postgres() => Ok(spec.spec_ref()),
                    Some(_) => Err(blocked(format!(
                        "the `{FLOW_SPEC}` flow spec of sandbox `{}` does not list the PostgreSQL connection spec among its sources",
                        scope.sandbox
                    ))),
                    None => Err(blocked(format!(
                        "sandbox `{}` has no `{FLOW_SPEC}` flow spec",
                        scope.sandbox
                    ))),
                }
            })
            .await?;
        Ok(spec.clone())
    }

    /// The dataset the document names, looked up once per (scope, name).
    pub(super) async fn dataset(
        &self,
        flows: &Flows,
        scope: &Scope,
        reference: &DatasetRef,
    ) -> Result<DatasetSummary, ActionError> {
        let cell = cell(&flows.datasets, &(scope.clone(), reference.clone())).await;
        let found = cell
            .get_or_try_init(|| async {
                match reference {
                    DatasetRef::Id(id) => match self.call(&flows.permits, self.api.get_dataset(scope, id)).await {
                        Ok(found) => Ok(found),
                        Err(ApiError::NotFound { .. }) => Err(blocked(format!(
                            "no dataset has id `{id}` in sandbox `{}`",
                            scope.sandbox
                        ))),
                        Err(err) => Err(err.into()),
                    },
                    DatasetRef::Name(name) => {
                        let mut found = self
                            .call(&flows.permits, self.api.find_datasets_by_name(scope, name))
                            .await?;
                        match found.len() {
                            1 => Ok(found.remove(0)),
                            0 => Err(blocked(format!(
                                "no dataset is named `{name}` in sandbox `{}`: create it on the platform (provision never manages datasets), or name it by `{{ id: ... }}`",
                                scope.sandbox
                            ))),
                            _ => Err(blocked(format!(
                                "{} datasets are named `{name}` in sandbox `{}` ({}): name the one you mean with `{{ id: ... }}`",
                                found.len(),
                                scope.sandbox,
                                found.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", ")
                            ))),
                        }
                    }
                }
            })
            .await?;
        Ok(found.clone())
    }
}
