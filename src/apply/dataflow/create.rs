//! A dataflow's chain made: what the document names resolved, the record
//! opened (a resumed one rechecked), then the source connection, target
//! connection and mapping set side by side and the flow after them.

use std::sync::Arc;

use tokio::sync::Mutex;

use super::listing::Listing;
use super::{Flows, blocked, object};
use crate::api::ingestion::Column;
use crate::api::ingestion_bodies::{self as bodies, FlowInputs, ScheduleInputs};
use crate::api::wire::SpecRef;
use crate::api::{
    ApiError, DatasetSummary, ExploreError, FlowService, MappingSetRef, Scope, explore_columns,
};
use crate::apply::chain::{Body, Chain};
use crate::apply::{ActionError, Done, Engine};
use crate::config::Dataflow;
use crate::desired::dataflow::DesiredDataflow;
use crate::plan::dataflow::DataflowAction;
use crate::state::{DataflowRecord, ObjectRef, Part, Retired, timestamp};

/// What the document names, as found on the platform.
struct Resolved {
    base: String,
    dataset: DatasetSummary,
    schema_id: String,
    spec: SpecRef,
    listing: Arc<Listing>,
    columns: Vec<Column>,
}

/// What a resumed chain's recorded objects must carry to be kept.
struct Wanted<'a> {
    base: &'a str,
    table: &'a str,
    columns: &'a [&'a str],
    dataset: &'a str,
    schema: &'a str,
}

/// The XDM schema the target connection writes: the dataset's, which a
/// pinned `target.schema` must match.
fn schema_of(doc: &Dataflow, dataset: &DatasetSummary) -> Result<String, ActionError> {
    match (&doc.target.schema, &dataset.schema_id) {
        (Some(pinned), Some(has)) if pinned != has => Err(blocked(format!(
            "`target.schema` is `{pinned}`, but dataset `{}` follows `{has}`: they must be the same",
            dataset.name
        ))),
        (_, Some(has)) => Ok(has.clone()),
        (Some(pinned), None) => Ok(pinned.clone()),
        (None, None) => Err(blocked(format!(
            "dataset `{}` has no XDM schema: a dataflow needs one",
            dataset.name
        ))),
    }
}

impl<F: FlowService + 'static> Engine<F> {
    /// Creates what the chain lacks (all of it for a new dataflow, unless
    /// the platform lists it under an earlier name), then deletes a
    /// replaced chain's leftovers.
    pub(super) async fn create_chain(
        &self,
        flows: &Flows,
        action: &DataflowAction,
        made: Option<String>,
    ) -> Result<Done, ActionError> {
        let d = self.desired(flows, action)?;
        let scope = Scope::new(&d.org, d.key.sandbox());
        let now = timestamp::now();
        let resolved = self.resolve(flows, d, &scope, made).await?;
        let (chain, start) = self.open_chain(flows, d, &scope, &resolved, &now).await?;
        let adopted = self
            .adopt_earlier(flows, d, &chain, &resolved.listing)
            .await?;
        let (flow, written) = self.make_chain(flows, d, &chain, &resolved, start).await?;
        let replaced = !chain.snapshot().await.retired.is_empty();
        self.delete_retired(flows, &chain).await?;
        // Nothing recorded before and nothing made now: found whole on the
        // platform (state lost, or made by hand).
        let found_whole = !flows.records.contains_key(&d.key)
            && Part::ALL.iter().all(|part| chain.fresh(*part).is_none());
        Ok(match adopted {
            Some(from) => Done::Renamed { id: flow, from },
            None if replaced => Done::Replaced(flow),
            None if found_whole => Done::Adopted {
                id: flow,
                updated: written,
            },
            None => Done::Created(flow),
        })
    }

    /// The base connection, dataset (and its schema), flow spec, the
    /// scope's listing and the table columns the chain is made from.
    async fn resolve(
        &self,
        flows: &Flows,
        d: &DesiredDataflow,
        scope: &Scope,
        made: Option<String>,
    ) -> Result<Resolved, ActionError> {
        let base = self.base_id(flows, scope, &d.connection, made).await?;
        // Each is a read of its own (or already looked up): side by side.
        let (dataset, spec, listing, columns) = tokio::try_join!(
            self.dataset(flows, scope, &d.doc.target.dataset),
            self.flow_spec(flows, scope),
            self.listing(flows, scope),
            self.table_columns(flows, d, scope, &base),
        )?;
        let schema_id = schema_of(&d.doc, &dataset)?;
        Ok(Resolved {
            base,
            dataset,
            schema_id,
            spec,
            listing,
            columns,
        })
    }

    /// The columns the source connection reads: the table as explored
    /// through the base connection, narrowed to the document's list.
    async fn table_columns(
        &self,
        flows: &Flows,
        d: &DesiredDataflow,
        scope: &Scope,
        base: &str,
    ) -> Result<Vec<Column>, ActionError> {
        let _permit = flows.permits.acquire().await;
        self.pace().await;
        explore_columns(self.api.as_ref(), scope, (base, &d.connection.name), &d.doc)
            .await
            .map_err(|err| match err {
                ExploreError::Api(err) => err.into(),
                problem => match d.explore_problem_at(&problem) {
                    Some(at) => blocked(format!("{at}: {problem}")),
                    None => blocked(problem.to_string()),
                },
            })
    }

    /// The chain's record, committed before anything is sent: a new one
    /// (made `now`), or the recorded one rechecked; with the flow's start.
    async fn open_chain(
        &self,
        flows: &Flows,
        d: &DesiredDataflow,
        scope: &Scope,
        resolved: &Resolved,
        now: &str,
    ) -> Result<(Chain, i64), ActionError> {
        let doc = &d.doc;
        let earlier = flows.records.get(&d.key).cloned();
        let resumed = earlier.is_some();
        let earlier = match earlier {
            Some(record) if record.ids().any(|(part, _)| part != Part::MappingSet) => {
                let names: Vec<&str> = resolved.columns.iter().map(|c| c.name.as_str()).collect();
                let wanted = Wanted {
                    base: &resolved.base,
                    table: &doc.source.table,
                    columns: &names,
                    dataset: &resolved.dataset.id,
                    schema: &resolved.schema_id,
                };
                Some(self.recheck(flows, scope, record, &wanted).await?)
            }
            other => other,
        };
        let mut record =
            earlier.unwrap_or_else(|| DataflowRecord::new(&d.org, &resolved.base, now));
        record.base_connection_id = resolved.base.clone();
        record.data_set_id = Some(resolved.dataset.id.clone());
        record.schema_id = Some(resolved.schema_id.clone());
        let start = doc
            .schedule
            .start_seconds()
            .and_then(Result::ok)
            .or(record.start_time)
            .unwrap_or_else(|| {
                crate::plan::parse_timestamp(now)
                    .and_then(|s| i64::try_from(s).ok())
                    .unwrap_or(0)
            });
        record.start_time = Some(start);
        record.columns = resolved.columns.iter().map(|c| c.name.clone()).collect();
        record.source = Some(d.source.clone());
        let inventory = resolved
            .listing
            .for_chain(d.key.name(), &record, &flows.excluded);
        let chain = Chain {
            key: d.key.clone(),
            scope: scope.clone(),
            record: Mutex::new(record),
            excluded: Arc::clone(&flows.excluded),
            lookup: flows.lookup || resumed,
            inventory: Arc::new(inventory),
            fresh: Default::default(),
        };
        chain
            .commit(self, |_| {})
            .await
            .map_err(|reason| ActionError::State(format!("nothing sent: {reason}")))?;
        Ok((chain, start))
    }

    /// Makes the source connection, target connection and mapping set
    /// side by side, then the flow over them, brought to the document and
    /// recorded whole; the flow's id, and whether the flow had to be
    /// written to match the document.
    async fn make_chain(
        &self,
        flows: &Flows,
        d: &DesiredDataflow,
        chain: &Chain,
        resolved: &Resolved,
        start: i64,
    ) -> Result<(String, bool), ActionError> {
        let doc = &d.doc;
        let name = d.key.name();
        let description = doc.description.as_deref();
        let permits = &flows.permits;
        let mapping_body = bodies::mapping_set(name, &resolved.schema_id, &doc.mapping);
        let (source, target, mapping) = tokio::try_join!(
            self.ensure(
                permits,
                chain,
                Body::Source(bodies::source_connection(
                    name,
                    description,
                    &resolved.base,
                    &doc.source.table,
                    resolved.columns.clone()
                ))
            ),
            self.ensure(
                permits,
                chain,
                Body::Target(bodies::target_connection(
                    name,
                    description,
                    &resolved.dataset.id,
                    &resolved.schema_id
                ))
            ),
            self.ensure(permits, chain, Body::Mapping(mapping_body.clone())),
        )?;
        let version = self
            .mapping_version(flows, chain, &mapping, &mapping_body)
            .await?;
        let mapping_ref = MappingSetRef {
            id: mapping.id.clone(),
            version,
        };
        let flow_body = bodies::flow(&FlowInputs {
            name,
            description,
            flow_spec: &resolved.spec,
            source_connection_id: &source.id,
            target_connection_id: &target.id,
            delta: doc.delta.as_ref(),
            mapping: &mapping_ref,
            schedule: ScheduleInputs {
                start,
                frequency: doc.schedule.frequency,
                interval: doc.schedule.interval,
                backfill: doc.backfill(),
            },
        });
        let flow = self.ensure(permits, chain, Body::Flow(flow_body)).await?;
        let made = chain.fresh(Part::Flow).map(|_| start);
        let written = self
            .record_flow(flows, d, chain, &flow, &mapping_ref, made)
            .await?;
        Ok((flow.id, written))
    }

    /// Brings the made flow to the document and records the chain as
    /// applied; whether the flow had to be written to match.
    async fn record_flow(
        &self,
        flows: &Flows,
        d: &DesiredDataflow,
        chain: &Chain,
        flow: &ObjectRef,
        mapping: &MappingSetRef,
        made: Option<i64>,
    ) -> Result<bool, ActionError> {
        let (etag, state, start) = self
            .finish_flow(flows, &chain.scope, flow, d, mapping, made)
            .await?;
        // A new etag: the flow was patched or enabled/disabled to match.
        let written = etag != flow.etag;
        let done_flow = object(&flow.id, &etag);
        let version = mapping.version;
        chain
            .commit(self, |r| {
                r.set_object(Part::Flow, Some(done_flow));
                r.flow_state = Some(state);
                r.start_time = Some(start);
                r.mapping_version = Some(version.to_string());
                r.applied = Some(d.doc.clone());
                r.fingerprint = d.fingerprint.clone();
                r.protect = d.doc.protect;
            })
            .await
            .map_err(|reason| ActionError::NotRecorded {
                id: flow.id.clone(),
                reason,
            })?;
        Ok(written)
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
}
