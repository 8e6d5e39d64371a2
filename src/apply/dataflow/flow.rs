//! A chain's flow brought to its document: the `PATCH` operations for the
//! fields that differ, the mapping set's version it runs, and the state
//! (`ENABLE`/`DISABLE`) the document asks for.

use super::{Flows, blocked};
use crate::api::dataflow::{FlowAction, FlowItem};
use crate::api::ingestion::CreateMappingSet;
use crate::api::ingestion_bodies::{self as bodies, ScheduleInputs};
use crate::api::ingestion_patches as patches;
use crate::api::wire::PatchOp;
use crate::api::{ApiError, FlowService, MappingSetRef, Scope};
use crate::apply::chain::Chain;
use crate::apply::{ActionError, Engine};
use crate::desired::dataflow::DesiredDataflow;
use crate::state::ObjectRef;

/// The `PATCH` operations that bring `flow` as read to the document's
/// name, description, schedule (first run at `start`) and, with `delta`,
/// delta column; empty when they match.
pub(super) fn flow_field_ops(
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

impl<F: FlowService + 'static> Engine<F> {
    /// The mapping set's version the flow uses: its current one when it
    /// holds the document's mapping and name (a set just created, or
    /// adopted, or the one a replace keeps), else a new version with them. The set is read
    /// every time: an adopted one may be a pruned dataflow's, and a resumed
    /// chain's document may have changed since its set was made.
    pub(super) async fn mapping_version(
        &self,
        flows: &Flows,
        chain: &Chain,
        mapping: &ObjectRef,
        wanted: &CreateMappingSet,
    ) -> Result<i64, ActionError> {
        // Made by this run from `wanted` itself: nothing to compare.
        if let Some(Some(version)) = chain.fresh(crate::state::Part::MappingSet) {
            return Ok(version);
        }
        let read = self
            .call(
                &flows.permits,
                self.api.get_mapping_set(&chain.scope, &mapping.id, None),
            )
            .await?;
        // A read without a name says nothing against it; another name is a
        // renamed dataflow's set, which takes the new one.
        let named = read.name.is_empty() || read.name == wanted.name;
        if read.mappings == wanted.mappings
            && read.schema_id == wanted.output_schema.schema_ref.id
            && named
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
    /// state and start after. `made`: the start of a flow this run created
    /// from the document (created enabled; nothing to read back).
    pub(super) async fn finish_flow(
        &self,
        flows: &Flows,
        scope: &Scope,
        flow: &ObjectRef,
        d: &DesiredDataflow,
        mapping: &MappingSetRef,
        made: Option<i64>,
    ) -> Result<(String, String, i64), ActionError> {
        let permits = &flows.permits;
        let mut attempt = 0;
        let (etag, state, start) = loop {
            if let Some(start) = made {
                break (flow.etag.clone(), "enabled".to_owned(), start);
            }
            let read = self
                .call(permits, self.api.get_flow(scope, &flow.id))
                .await?;
            let start = d
                .doc
                .schedule
                .start_seconds()
                .and_then(Result::ok)
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
}
