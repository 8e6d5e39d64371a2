//! Carrying out one dataflow's step: resolve what the document names (base
//! connection, dataset, flow spec, columns), then create the source
//! connection, target connection and mapping set side by side and the flow
//! after them; update in place; replace (new chain, then the old one
//! deleted); or delete in reverse order. Each object is recorded the moment
//! it exists.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::{Mutex, OnceCell};

use super::chain::{Body, Chain, Inventory, Permits};
use super::{ActionError, Done, Engine};
use crate::api::dataflow::{FlowAction, FlowItem};
use crate::api::ingestion::DATA_LAKE_SPEC_ID;
use crate::api::ingestion_bodies::{self as bodies, FlowInputs, ScheduleInputs};
use crate::api::ingestion_patches as patches;
use crate::api::wire::{POSTGRES_SPEC_ID, PatchOp, SpecRef};
use crate::api::{ApiError, DatasetSummary, FlowService, ListQuery, MappingSetRef, Scope};
use crate::config::{ConnectionKey, DataflowKey, DatasetRef};
use crate::desired::dataflow::DesiredDataflow;
use crate::plan::dataflow::{DataflowAction, DataflowStep};
use crate::plan::dataflow_start;
use crate::state::{Change, DataflowRecord, ObjectRef, Part, Retired, timestamp};

/// The flow spec of table sources.
const FLOW_SPEC: &str = "CRMToAEP";

type Cells<K, V> = Mutex<HashMap<K, Arc<OnceCell<V>>>>;

/// What every dataflow step of a run shares: the documents, the records
/// as loaded, the request slots, and what is looked up once per scope.
pub(crate) struct Flows {
    pub permits: Permits,
    pub desired: HashMap<DataflowKey, DesiredDataflow>,
    pub records: HashMap<DataflowKey, DataflowRecord>,
    /// Every object id state records under a dataflow.
    pub excluded: HashSet<String>,
    /// Look every name up live before its create (a saved plan).
    pub lookup: bool,
    inventories: Cells<Scope, Arc<Inventory>>,
    specs: Cells<Scope, SpecRef>,
    datasets: Cells<(Scope, DatasetRef), DatasetSummary>,
}

impl Flows {
    pub(crate) fn new(
        permits: Permits,
        desired: HashMap<DataflowKey, DesiredDataflow>,
        records: HashMap<DataflowKey, DataflowRecord>,
        lookup: bool,
    ) -> Self {
        let excluded = super::chain::recorded_ids(&records);
        Flows {
            permits,
            desired,
            records,
            excluded,
            lookup,
            inventories: Mutex::default(),
            specs: Mutex::default(),
            datasets: Mutex::default(),
        }
    }
}

async fn cell<K: std::hash::Hash + Eq + Clone, V>(
    cells: &Cells<K, V>,
    key: &K,
) -> Arc<OnceCell<V>> {
    Arc::clone(cells.lock().await.entry(key.clone()).or_default())
}

/// The `PATCH` operations that bring `flow` as read to the document's
/// name, description, schedule (first run at `start`) and, with `delta`,
/// delta column; empty when they match.
fn flow_field_ops(
    flow: &FlowItem,
    d: &DesiredDataflow,
    start: i64,
    delta: bool,
) -> Result<Vec<PatchOp>, ActionError> {
    let doc = &d.doc;
    let mut ops = Vec::new();
    if flow.name != d.key.name() {
        ops.push(PatchOp::replace("/name", serde_json::json!(d.key.name())));
    }
    ops.extend(patches::description_ops(
        flow.description.as_deref(),
        doc.description.as_deref(),
    ));
    let wanted = bodies::schedule_params(&ScheduleInputs {
        start,
        frequency: doc.schedule.frequency,
        interval: doc.schedule.interval,
        backfill: doc.backfill(),
    });
    ops.extend(patches::schedule_ops(&flow.schedule_params, &wanted));
    if delta {
        ops.extend(
            patches::delta_ops(flow, doc.delta.as_ref()).map_err(|e| blocked(e.to_string()))?,
        );
    }
    Ok(ops)
}

/// What a resumed chain's recorded objects must carry to be kept.
struct Wanted<'a> {
    base: &'a str,
    table: &'a str,
    columns: &'a [&'a str],
    dataset: &'a str,
    schema: &'a str,
}

fn blocked(message: String) -> ActionError {
    ActionError::Blocked(message)
}

fn object(id: &str, etag: &str) -> ObjectRef {
    ObjectRef {
        id: id.to_owned(),
        etag: etag.to_owned(),
    }
}

impl<F: FlowService + 'static> Engine<F> {
    /// One dataflow step within the action deadline. `base` is the base
    /// connection's id when this run just made (or adopted) it.
    pub(crate) async fn run_dataflow(
        &self,
        flows: &Flows,
        action: &DataflowAction,
        base: Option<String>,
    ) -> Result<Done, ActionError> {
        let work = async {
            match action.action {
                DataflowStep::Create => self.create_chain(flows, action, base).await,
                DataflowStep::Update => self.update_chain(flows, action).await,
                DataflowStep::Replace => self.replace_chain(flows, action, base).await,
                DataflowStep::Delete => self.delete_chain(flows, action).await,
                DataflowStep::Unchanged => Err(ActionError::Internal("nothing to do".into())),
            }
        };
        match tokio::time::timeout(self.deadline, work).await {
            Ok(result) => result,
            Err(_) => Err(ActionError::DeadlineExceeded {
                deadline: self.deadline,
                create: matches!(action.action, DataflowStep::Create | DataflowStep::Replace),
            }),
        }
    }

    fn desired<'a>(
        &self,
        flows: &'a Flows,
        action: &DataflowAction,
    ) -> Result<&'a DesiredDataflow, ActionError> {
        flows
            .desired
            .get(&action.key)
            .ok_or_else(|| blocked(format!("`{}` is not in the config any more", action.key)))
    }

    /// The base connection's id: made in this run, recorded, or found on
    /// the platform by name (exactly one).
    async fn base_id(
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
    async fn inventory(&self, flows: &Flows, scope: &Scope) -> Result<Arc<Inventory>, ActionError> {
        let spec = self.flow_spec(flows, scope).await?;
        let cell = cell(&flows.inventories, scope).await;
        let inventory = cell
            .get_or_try_init(|| async {
                let permits = &flows.permits;
                let postgres = ListQuery::new().eq("connectionSpec.id", POSTGRES_SPEC_ID);
                let lake = ListQuery::new().eq("connectionSpec.id", DATA_LAKE_SPEC_ID);
                let spec_flows = ListQuery::new().eq("flowSpec.id", &spec.id);
                let (sources, targets, listed, sets) = tokio::try_join!(
                    self.call(permits, self.api.list_source_connections(scope, &postgres)),
                    self.call(permits, self.api.list_target_connections(scope, &lake)),
                    self.call(permits, self.api.list_flows(scope, &spec_flows)),
                    self.call(permits, self.api.list_mapping_sets(scope)),
                )?;
                let mut inventory = Inventory::default();
                let mut add = |part: Part, name: String, id: String, etag: String| {
                    inventory
                        .by_name
                        .entry((part, name))
                        .or_default()
                        .push(ObjectRef { id, etag });
                };
                for i in sources.into_iter().filter(|i| i.is_live()) {
                    add(Part::SourceConnection, i.name, i.id, i.etag);
                }
                for i in targets.into_iter().filter(|i| i.is_live()) {
                    add(Part::TargetConnection, i.name, i.id, i.etag);
                }
                for i in listed.into_iter().filter(|i| i.is_live()) {
                    add(Part::Flow, i.name, i.id, i.etag);
                }
                for set in sets {
                    add(Part::MappingSet, set.name, set.id, String::new());
                }
                Ok::<_, ApiError>(Arc::new(inventory))
            })
            .await?;
        Ok(Arc::clone(inventory))
    }

    /// The `CRMToAEP` flow spec, looked up once per scope and checked to
    /// take PostgreSQL sources.
    async fn flow_spec(&self, flows: &Flows, scope: &Scope) -> Result<SpecRef, ActionError> {
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
    async fn dataset(
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

    /// Creates what the chain lacks (all of it for a new dataflow), then
    /// deletes a replaced chain's leftovers.
    async fn create_chain(
        &self,
        flows: &Flows,
        action: &DataflowAction,
        made: Option<String>,
    ) -> Result<Done, ActionError> {
        let d = self.desired(flows, action)?;
        let doc = &d.doc;
        let scope = Scope::new(&d.org, d.key.sandbox());
        let now = timestamp::now();
        let earlier = flows.records.get(&d.key).cloned();
        let resumed = earlier.is_some();
        let base = self.base_id(flows, &scope, &d.connection, made).await?;
        let dataset = self.dataset(flows, &scope, &doc.target.dataset).await?;
        let schema_id = match (&doc.target.schema, &dataset.schema_id) {
            (Some(pinned), Some(has)) if pinned != has => {
                return Err(blocked(format!(
                    "`target.schema` is `{pinned}`, but dataset `{}` follows `{has}`: they must be the same",
                    dataset.name
                )));
            }
            (_, Some(has)) => has.clone(),
            (Some(pinned), None) => pinned.clone(),
            (None, None) => {
                return Err(blocked(format!(
                    "dataset `{}` has no XDM schema: a dataflow needs one",
                    dataset.name
                )));
            }
        };
        let (spec, inventory) =
            tokio::try_join!(self.flow_spec(flows, &scope), self.inventory(flows, &scope))?;
        let explored = match self
            .call(
                &flows.permits,
                self.api.explore_table(&scope, &base, &doc.source.table),
            )
            .await
        {
            Ok(columns) => columns,
            Err(ApiError::NotFound { .. }) => {
                return Err(blocked(format!(
                    "table `{}` is not one the base connection `{}` lists (explore)",
                    doc.source.table, d.connection.name
                )));
            }
            Err(err) => return Err(err.into()),
        };
        let columns =
            crate::api::select_columns(&doc.source.table, &explored, doc.source.columns.as_deref())
                .map_err(|missing| blocked(missing.to_string()))?;
        let earlier = match earlier {
            Some(record) if record.ids().any(|(part, _)| part != Part::MappingSet) => {
                let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                let wanted = Wanted {
                    base: &base,
                    table: &doc.source.table,
                    columns: &names,
                    dataset: &dataset.id,
                    schema: &schema_id,
                };
                Some(self.recheck(flows, &scope, record, &wanted).await?)
            }
            other => other,
        };
        let mut record = earlier.unwrap_or_else(|| DataflowRecord::new(&d.org, &base, &now));
        record.base_connection_id = base.clone();
        record.data_set_id = Some(dataset.id.clone());
        record.schema_id = Some(schema_id.clone());
        let start = doc
            .schedule
            .start
            .as_deref()
            .and_then(dataflow_start)
            .or(record.start_time)
            .unwrap_or_else(|| {
                crate::plan::parse_timestamp(&now)
                    .and_then(|s| i64::try_from(s).ok())
                    .unwrap_or(0)
            });
        record.start_time = Some(start);
        record.columns = columns.iter().map(|c| c.name.clone()).collect();
        record.source = Some(d.source.clone());
        let chain = Chain {
            key: d.key.clone(),
            scope: scope.clone(),
            record: Mutex::new(record.clone()),
            excluded: flows.excluded.clone(),
            lookup: flows.lookup || resumed,
            inventory,
        };
        chain
            .commit(self, |_| {})
            .await
            .map_err(|reason| ActionError::State(format!("nothing sent: {reason}")))?;
        let name = d.key.name();
        let description = doc.description.as_deref();
        let permits = &flows.permits;
        let mapping_body = bodies::mapping_set(name, &schema_id, &doc.mapping);
        let (source, target, mapping) = tokio::try_join!(
            self.ensure(
                permits,
                &chain,
                Body::Source(bodies::source_connection(
                    name,
                    description,
                    &base,
                    &doc.source.table,
                    columns.clone()
                ))
            ),
            self.ensure(
                permits,
                &chain,
                Body::Target(bodies::target_connection(
                    name,
                    description,
                    &dataset.id,
                    &schema_id
                ))
            ),
            self.ensure(permits, &chain, Body::Mapping(mapping_body.clone())),
        )?;
        let version = self
            .mapping_version(flows, &chain, &mapping, &mapping_body)
            .await?;
        let schedule = ScheduleInputs {
            start,
            frequency: doc.schedule.frequency,
            interval: doc.schedule.interval,
            backfill: doc.backfill(),
        };
        let mapping_ref = MappingSetRef {
            id: mapping.id.clone(),
            version,
        };
        let flow_body = bodies::flow(&FlowInputs {
            name,
            description,
            flow_spec: &spec,
            source_connection_id: &source.id,
            target_connection_id: &target.id,
            delta: doc.delta.as_ref(),
            mapping: &mapping_ref,
            schedule,
        });
        let flow = self.ensure(permits, &chain, Body::Flow(flow_body)).await?;
        let (etag, state, start) = self
            .finish_flow(flows, &scope, &flow, d, &mapping_ref)
            .await?;
        let done_flow = object(&flow.id, &etag);
        chain
            .commit(self, |r| {
                r.set_object(Part::Flow, Some(done_flow));
                r.flow_state = Some(state);
                r.start_time = Some(start);
                r.mapping_version = Some(version.to_string());
                r.applied = Some(doc.clone());
                r.fingerprint = d.fingerprint.clone();
                r.protect = doc.protect;
            })
            .await
            .map_err(|reason| ActionError::NotRecorded {
                id: flow.id.clone(),
                reason,
            })?;
        let replaced = !chain.snapshot().await.retired.is_empty();
        self.delete_retired(flows, &chain).await?;
        Ok(if replaced {
            Done::Replaced(flow.id)
        } else {
            Done::Created(flow.id)
        })
    }

    /// A chain resumed (a kill, a lost answer, or its flow deleted outside
    /// provision): each recorded source connection, target connection and
    /// flow is read by id, as a listing may lag and a read does not. One
    /// gone is forgotten, to be made again; one made for what the document
    /// said before (another base connection, table, columns, dataset or
    /// schema) is retired, to be deleted once the new chain exists, and the
    /// flow over it with it; the rest is kept, so nothing is made twice.
    async fn recheck(
        &self,
        flows: &Flows,
        scope: &Scope,
        mut record: DataflowRecord,
        wanted: &Wanted<'_>,
    ) -> Result<DataflowRecord, ActionError> {
        let permits = &flows.permits;
        let mut stale = Vec::new();
        if let Some(id) = record.source_connection.as_ref().map(|o| o.id.clone()) {
            match self
                .call(permits, self.api.get_source_connection(scope, &id))
                .await
            {
                Ok(read) => {
                    let columns: Vec<&str> = read
                        .params
                        .columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect();
                    // A read that leaves out the base connection or the
                    // columns says nothing against them.
                    let other_base = !read.base_connection_id.is_empty()
                        && read.base_connection_id != wanted.base;
                    let other_columns = !columns.is_empty() && columns != wanted.columns;
                    if other_base || other_columns || read.params.table_name != wanted.table {
                        stale.push(Part::SourceConnection);
                    }
                }
                Err(ApiError::NotFound { .. }) => record.set_object(Part::SourceConnection, None),
                Err(err) => return Err(err.into()),
            }
        }
        if let Some(id) = record.target_connection.as_ref().map(|o| o.id.clone()) {
            match self
                .call(permits, self.api.get_target_connection(scope, &id))
                .await
            {
                Ok(read) => {
                    if read.params.data_set_id != wanted.dataset
                        || read.data.schema.id != wanted.schema
                    {
                        stale.push(Part::TargetConnection);
                    }
                }
                Err(ApiError::NotFound { .. }) => record.set_object(Part::TargetConnection, None),
                Err(err) => return Err(err.into()),
            }
        }
        if let Some(id) = record.flow.as_ref().map(|o| o.id.clone()) {
            match self.call(permits, self.api.get_flow(scope, &id)).await {
                Ok(_) if !stale.is_empty() => stale.push(Part::Flow),
                Ok(_) => {}
                Err(ApiError::NotFound { .. }) => record.set_object(Part::Flow, None),
                Err(err) => return Err(err.into()),
            }
        }
        for part in stale {
            if let Some(old) = record.object(part).cloned() {
                record.retired.push(Retired { part, id: old.id });
                record.set_object(part, None);
            }
        }
        Ok(record)
    }

    /// The mapping set's version the flow uses: its current one when it
    /// holds the document's mapping (a set just created, or adopted, or the
    /// one a replace keeps), else a new version with it. The set is read
    /// every time: an adopted one may be a pruned dataflow's, and a resumed
    /// chain's document may have changed since its set was made.
    async fn mapping_version(
        &self,
        flows: &Flows,
        chain: &Chain,
        mapping: &ObjectRef,
        wanted: &crate::api::ingestion::CreateMappingSet,
    ) -> Result<i64, ActionError> {
        let read = self
            .call(
                &flows.permits,
                self.api.get_mapping_set(&chain.scope, &mapping.id, None),
            )
            .await?;
        if read.mappings == wanted.mappings && read.schema_id == wanted.output_schema.schema_ref.id
        {
            return Ok(read.version);
        }
        let made = self
            .call(
                &flows.permits,
                self.api
                    .update_mapping_set(&chain.scope, &mapping.id, wanted),
            )
            .await?;
        let version = made.version;
        chain
            .commit(self, |r| r.mapping_version = Some(version.to_string()))
            .await
            .map_err(ActionError::State)?;
        Ok(version)
    }

    /// Brings the chain's flow, as read, to the document: one `PATCH`
    /// (under `If-Match`, read again once when it moved) for whatever
    /// differs (an adopted flow may differ in anything, a flow just made in
    /// nothing), then `ENABLE`/`DISABLE` when its state differs. Its etag,
    /// state and start after.
    async fn finish_flow(
        &self,
        flows: &Flows,
        scope: &Scope,
        flow: &ObjectRef,
        d: &DesiredDataflow,
        mapping: &MappingSetRef,
    ) -> Result<(String, String, i64), ActionError> {
        let permits = &flows.permits;
        let mut attempt = 0;
        let (etag, state, start) = loop {
            let read = self
                .call(permits, self.api.get_flow(scope, &flow.id))
                .await?;
            let start = d
                .doc
                .schedule
                .start
                .as_deref()
                .and_then(dataflow_start)
                .unwrap_or(read.schedule_params.start_time);
            let mut ops = flow_field_ops(&read, d, start, true)?;
            ops.extend(patches::mapping_ops(&read, mapping).map_err(|e| blocked(e.to_string()))?);
            if ops.is_empty() {
                break (read.etag, read.state, start);
            }
            match self
                .call(
                    permits,
                    self.api.patch_flow(scope, &read.id, &read.etag, &ops),
                )
                .await
            {
                Ok(done) => break (done.etag, read.state, start),
                Err(ApiError::EtagMismatch { .. }) if attempt == 0 => attempt += 1,
                Err(ApiError::EtagMismatch { .. }) => {
                    return Err(ActionError::KeptChanging(d.key.to_string()));
                }
                Err(err) => return Err(err.into()),
            }
        };
        let wanted = if d.doc.enabled { "enabled" } else { "disabled" };
        if state.eq_ignore_ascii_case(wanted) {
            return Ok((etag, wanted.to_owned(), start));
        }
        let op = if d.doc.enabled {
            FlowAction::Enable
        } else {
            FlowAction::Disable
        };
        let done = self
            .call(permits, self.api.flow_action(scope, &flow.id, op))
            .await?;
        Ok((done.etag, wanted.to_owned(), start))
    }

    /// Deletes a replaced chain's objects, flow first, each forgotten as
    /// it goes.
    async fn delete_retired(&self, flows: &Flows, chain: &Chain) -> Result<(), ActionError> {
        let retired = chain.snapshot().await.retired;
        let (flow, rest): (Vec<Retired>, Vec<Retired>) =
            retired.into_iter().partition(|r| r.part == Part::Flow);
        for group in [flow, rest] {
            let deletes = group.iter().map(|r| async move {
                self.delete_object(flows, &chain.scope, r.part, &r.id)
                    .await?;
                chain
                    .commit(self, |rec| rec.retired.retain(|x| x != r))
                    .await
                    .map_err(ActionError::State)
            });
            futures_util::future::try_join_all(deletes).await?;
        }
        Ok(())
    }

    /// Deletes one object; already gone counts as deleted.
    async fn delete_object(
        &self,
        flows: &Flows,
        scope: &Scope,
        part: Part,
        id: &str,
    ) -> Result<(), ActionError> {
        let permits = &flows.permits;
        let result = match part {
            Part::Flow => self.call(permits, self.api.delete_flow(scope, id)).await,
            Part::SourceConnection => {
                self.call(permits, self.api.delete_source_connection(scope, id))
                    .await
            }
            Part::TargetConnection => {
                self.call(permits, self.api.delete_target_connection(scope, id))
                    .await
            }
            // Data Prep has no delete: a mapping set stays.
            Part::MappingSet => Ok(()),
        };
        match result {
            Ok(()) | Err(ApiError::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Changes the flow (and mapping set) in place.
    async fn update_chain(
        &self,
        flows: &Flows,
        action: &DataflowAction,
    ) -> Result<Done, ActionError> {
        let d = self.desired(flows, action)?;
        let doc = &d.doc;
        let record = flows
            .records
            .get(&d.key)
            .cloned()
            .ok_or_else(|| ActionError::Internal(format!("`{}` is not in state", d.key)))?;
        let scope = Scope::new(&record.org, d.key.sandbox());
        let flow_ref = record
            .flow
            .clone()
            .ok_or_else(|| ActionError::Internal(format!("`{}` has no flow recorded", d.key)))?;
        let chain = Chain {
            key: d.key.clone(),
            scope: scope.clone(),
            record: Mutex::new(record.clone()),
            excluded: flows.excluded.clone(),
            lookup: true,
            inventory: Arc::default(),
        };
        let updates = &action.updates;
        let mut etag = flow_ref.etag.clone();
        let mut version = record.mapping_version.clone();
        if updates.flow || updates.mapping {
            for attempt in 0..2 {
                let flow = match self
                    .call(&flows.permits, self.api.get_flow(&scope, &flow_ref.id))
                    .await
                {
                    Ok(flow) => flow,
                    Err(ApiError::NotFound { .. }) => {
                        return Err(ActionError::DeletedOutside(format!("flow {}", flow_ref.id)));
                    }
                    Err(err) => return Err(err.into()),
                };
                let mut ops: Vec<PatchOp> = Vec::new();
                if updates.flow {
                    let start = doc
                        .schedule
                        .start
                        .as_deref()
                        .and_then(dataflow_start)
                        .or(record.start_time)
                        .unwrap_or(flow.schedule_params.start_time);
                    let delta_changed =
                        record.applied.as_ref().is_none_or(|a| a.delta != doc.delta);
                    ops.extend(flow_field_ops(&flow, d, start, delta_changed)?);
                }
                if updates.mapping {
                    let mapping_id = record
                        .mapping_set
                        .as_ref()
                        .map(|m| m.id.clone())
                        .ok_or_else(|| ActionError::Internal("no mapping set recorded".into()))?;
                    let changed = record
                        .applied
                        .as_ref()
                        .is_none_or(|a| a.mapping != doc.mapping);
                    let schema_id = record.schema_id.clone().unwrap_or_default();
                    let number: i64 = if changed && attempt == 0 {
                        let body = bodies::mapping_set(d.key.name(), &schema_id, &doc.mapping);
                        let made = self
                            .call(
                                &flows.permits,
                                self.api.update_mapping_set(&scope, &mapping_id, &body),
                            )
                            .await?;
                        version = Some(made.version.to_string());
                        chain
                            .commit(self, |r| r.mapping_version = Some(made.version.to_string()))
                            .await
                            .map_err(ActionError::State)?;
                        made.version
                    } else {
                        version.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0)
                    };
                    ops.extend(
                        patches::mapping_ops(
                            &flow,
                            &MappingSetRef {
                                id: mapping_id,
                                version: number,
                            },
                        )
                        .map_err(|e| blocked(e.to_string()))?,
                    );
                }
                if ops.is_empty() {
                    etag = flow.etag.clone();
                    break;
                }
                match self
                    .call(
                        &flows.permits,
                        self.api.patch_flow(&scope, &flow.id, &flow.etag, &ops),
                    )
                    .await
                {
                    Ok(done) => {
                        etag = done.etag;
                        break;
                    }
                    Err(ApiError::EtagMismatch { .. }) if attempt == 0 => continue,
                    Err(ApiError::EtagMismatch { .. }) => {
                        return Err(ActionError::KeptChanging(d.key.to_string()));
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        }
        let mut state = record.flow_state.clone();
        if let Some(enable) = updates.enable {
            let op = if enable {
                FlowAction::Enable
            } else {
                FlowAction::Disable
            };
            let done = self
                .call(
                    &flows.permits,
                    self.api.flow_action(&scope, &flow_ref.id, op),
                )
                .await?;
            etag = done.etag;
            state = Some(if enable { "enabled" } else { "disabled" }.to_owned());
        }
        let flow_id = flow_ref.id.clone();
        chain
            .commit(self, |r| {
                r.flow = Some(object(&flow_id, &etag));
                r.flow_state = state;
                r.mapping_version = version;
                r.applied = Some(doc.clone());
                r.fingerprint = d.fingerprint.clone();
                r.protect = doc.protect;
                r.source = Some(d.source.clone());
            })
            .await
            .map_err(|reason| ActionError::NotRecorded {
                id: flow_id.clone(),
                reason,
            })?;
        self.delete_retired(flows, &chain).await?;
        Ok(Done::Updated(flow_id))
    }

    /// Disables the old flow, records the old chain as retired beside a
    /// new one that keeps the mapping set, then creates the new chain and
    /// deletes the old.
    async fn replace_chain(
        &self,
        flows: &Flows,
        action: &DataflowAction,
        made: Option<String>,
    ) -> Result<Done, ActionError> {
        let d = self.desired(flows, action)?;
        let old = flows
            .records
            .get(&d.key)
            .cloned()
            .ok_or_else(|| ActionError::Internal(format!("`{}` is not in state", d.key)))?;
        let scope = Scope::new(&old.org, d.key.sandbox());
        if let Some(flow) = &old.flow {
            match self
                .call(
                    &flows.permits,
                    self.api.flow_action(&scope, &flow.id, FlowAction::Disable),
                )
                .await
            {
                Ok(_) | Err(ApiError::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        let mut next = DataflowRecord::new(&old.org, &old.base_connection_id, &timestamp::now());
        next.created_at = old.created_at.clone();
        next.mapping_set = old.mapping_set.clone();
        next.mapping_version = old.mapping_version.clone();
        next.retired = old.retired.clone();
        for (part, id) in old.ids().filter(|(part, _)| *part != Part::MappingSet) {
            next.retired.push(Retired {
                part,
                id: id.to_owned(),
            });
        }
        self.recorder
            .commit(vec![Change::Dataflow(
                d.key.clone(),
                Box::new(next.clone()),
            )])
            .await
            .map_err(|reason| ActionError::State(format!("nothing created: {reason}")))?;
        let mut flows_view = HashMap::new();
        flows_view.insert(d.key.clone(), next);
        let resumed = Flows {
            permits: Arc::clone(&flows.permits),
            desired: HashMap::from([(d.key.clone(), d.clone())]),
            records: flows_view,
            excluded: flows.excluded.clone(),
            lookup: true,
            inventories: Mutex::default(),
            specs: Mutex::default(),
            datasets: Mutex::default(),
        };
        let base = if old
            .applied
            .as_ref()
            .is_some_and(|a| a.source.connection != d.doc.source.connection)
        {
            Some(self.base_id(flows, &scope, &d.connection, made).await?)
        } else {
            made
        };
        let mut retargeted = action.clone();
        retargeted.action = DataflowStep::Create;
        if let Some(base) = &base
            && let Some(r) = resumed.records.get(&d.key)
            && r.base_connection_id != *base
        {
            let mut r = r.clone();
            r.base_connection_id = base.clone();
            self.recorder
                .commit(vec![Change::Dataflow(d.key.clone(), Box::new(r))])
                .await
                .map_err(ActionError::State)?;
        }
        self.create_chain(&resumed, &retargeted, base).await
    }

    /// Deletes the flow, then its source and target connections, and
    /// forgets the dataflow (its mapping set stays: the API has no delete).
    async fn delete_chain(
        &self,
        flows: &Flows,
        action: &DataflowAction,
    ) -> Result<Done, ActionError> {
        let record =
            flows.records.get(&action.key).cloned().ok_or_else(|| {
                ActionError::Internal(format!("`{}` is not in state", action.key))
            })?;
        let scope = Scope::new(&record.org, action.key.sandbox());
        let record = if record.pending.is_empty() {
            record
        } else {
            let pending = Chain {
                key: action.key.clone(),
                scope: scope.clone(),
                record: Mutex::new(record),
                excluded: flows.excluded.clone(),
                lookup: true,
                inventory: Arc::default(),
            };
            self.record_landed(&flows.permits, &pending).await?;
            pending.snapshot().await
        };
        let flow_id = record
            .flow
            .as_ref()
            .map(|f| f.id.clone())
            .unwrap_or_default();
        let mut retired: Vec<Retired> = record.retired.clone();
        retired.extend(
            record
                .ids()
                .filter(|(part, _)| *part != Part::MappingSet)
                .map(|(part, id)| Retired {
                    part,
                    id: id.to_owned(),
                }),
        );
        let chain = Chain {
            key: action.key.clone(),
            scope,
            record: Mutex::new(DataflowRecord { retired, ..record }),
            excluded: HashSet::new(),
            lookup: false,
            inventory: Arc::default(),
        };
        self.delete_retired(flows, &chain).await?;
        self.recorder
            .commit(vec![Change::RemoveDataflow(action.key.clone())])
            .await
            .map_err(ActionError::State)?;
        Ok(Done::Deleted(flow_id))
    }
}
