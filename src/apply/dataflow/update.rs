//! A chain changed in place: the flow patched (under `If-Match`, read again
//! once when it moved) for its fields and, after a new mapping-set version,
//! its mapping; then enabled or disabled; then recorded as applied.

use std::sync::Arc;

use tokio::sync::Mutex;

use super::flow::flow_field_ops;
use super::{Flows, blocked, object};
use crate::api::dataflow::{FlowAction, FlowItem};
use crate::api::ingestion_bodies as bodies;
use crate::api::ingestion_patches as patches;
use crate::api::wire::PatchOp;
use crate::api::{ApiError, FlowService, MappingSetRef};
use crate::apply::chain::Chain;
use crate::apply::{ActionError, Done, Engine};
use crate::desired::dataflow::DesiredDataflow;
use crate::plan::dataflow::DataflowAction;
use crate::state::DataflowRecord;

/// One in-place update: the document, the chain as recorded and what the
/// plan says to send (a rename: the flow's name and a mapping-set version
/// under it, besides).
pub(super) struct InPlace<'a> {
    pub flows: &'a Flows,
    pub d: &'a DesiredDataflow,
    pub chain: &'a Chain,
    pub record: &'a DataflowRecord,
    pub action: &'a DataflowAction,
}

impl<F: FlowService + 'static> Engine<F> {
    /// Changes the flow (and mapping set) in place.
    pub(super) async fn update_chain(
        &self,
        flows: &Flows,
        action: &DataflowAction,
    ) -> Result<Done, ActionError> {
        let d = self.desired(flows, action)?;
        let record = flows
            .records
            .get(&d.key)
            .cloned()
            .ok_or_else(|| ActionError::Internal(format!("`{}` is not in state", d.key)))?;
        let flow_ref = record
            .flow
            .clone()
            .ok_or_else(|| ActionError::Internal(format!("`{}` has no flow recorded", d.key)))?;
        let chain = Chain {
            key: d.key.clone(),
            scope: crate::api::Scope::new(&record.org, d.key.sandbox()),
            record: Mutex::new(record.clone()),
            excluded: Arc::clone(&flows.excluded),
            lookup: true,
            inventory: Arc::default(),
            fresh: Default::default(),
        };
        let updates = &action.updates;
        let at = InPlace {
            flows,
            d,
            chain: &chain,
            record: &record,
            action,
        };
        let (mut etag, version) = if updates.flow || updates.mapping {
            self.patch_in_place(&at, &flow_ref.id).await?
        } else {
            (flow_ref.etag.clone(), record.mapping_version.clone())
        };
        let mut state = record.flow_state.clone();
        if let Some(enable) = updates.enable {
            etag = self.switch(flows, &chain, &flow_ref.id, enable).await?;
            state = Some(if enable { "enabled" } else { "disabled" }.to_owned());
        }
        let flow_id = flow_ref.id.clone();
        chain
            .commit(self, |r| {
                r.flow = Some(object(&flow_id, &etag));
                r.flow_state = state;
                r.mapping_version = version;
                r.applied = Some(d.doc.clone());
                r.fingerprint = d.fingerprint.clone();
                r.protect = d.doc.protect;
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

    /// Reads the flow and sends one `PATCH` for what differs, read again
    /// once when its etag moved; the flow's etag and the mapping-set
    /// version after.
    pub(super) async fn patch_in_place(
        &self,
        at: &InPlace<'_>,
        flow_id: &str,
    ) -> Result<(String, Option<String>), ActionError> {
        let (flows, scope) = (at.flows, &at.chain.scope);
        let mut version = at.record.mapping_version.clone();
        for attempt in 0..2 {
            let flow = match self
                .call(&flows.permits, self.api.get_flow(scope, flow_id))
                .await
            {
                Ok(flow) => flow,
                Err(ApiError::NotFound { .. }) => {
                    return Err(ActionError::DeletedOutside(format!("flow {flow_id}")));
                }
                Err(err) => return Err(err.into()),
            };
            let ops = self
                .update_ops(at, &flow, attempt == 0, &mut version)
                .await?;
            if ops.is_empty() {
                return Ok((flow.etag, version));
            }
            match self
                .call(
                    &flows.permits,
                    self.api.patch_flow(scope, &flow.id, &flow.etag, &ops),
                )
                .await
            {
                Ok(done) => return Ok((done.etag, version)),
                Err(ApiError::EtagMismatch { .. }) if attempt == 0 => {}
                Err(ApiError::EtagMismatch { .. }) => break,
                Err(err) => return Err(err.into()),
            }
        }
        Err(ActionError::KeptChanging(at.d.key.to_string()))
    }

    /// The `PATCH` operations for the flow as read: its fields (first run
    /// at the document's start, else the recorded one) and its mapping.
    async fn update_ops(
        &self,
        at: &InPlace<'_>,
        flow: &FlowItem,
        first: bool,
        version: &mut Option<String>,
    ) -> Result<Vec<PatchOp>, ActionError> {
        let (doc, record) = (&at.d.doc, at.record);
        let renames = at.action.renames();
        let mut ops: Vec<PatchOp> = Vec::new();
        if at.action.updates.flow || renames {
            let start = doc
                .schedule
                .start_seconds()
                .and_then(Result::ok)
                .or(record.start_time)
                .unwrap_or(flow.schedule_params.start_time);
            let delta_changed = record.applied.as_ref().is_none_or(|a| a.delta != doc.delta);
            ops.extend(flow_field_ops(flow, at.d, start, delta_changed)?);
        }
        if at.action.updates.mapping || renames {
            ops.extend(self.mapping_ops(at, flow, first, version).await?);
        }
        Ok(ops)
    }

    /// Points the flow at the mapping set's version: a new one, made (and
    /// recorded) on the first attempt when the mapping changed, else the
    /// recorded one. A rename reads the set and makes a version under the
    /// new name unless the set already has it (a run stopped before its
    /// state write made it).
    async fn mapping_ops(
        &self,
        at: &InPlace<'_>,
        flow: &FlowItem,
        first: bool,
        version: &mut Option<String>,
    ) -> Result<Vec<PatchOp>, ActionError> {
        let (d, record) = (at.d, at.record);
        let mapping = record
            .mapping_set
            .clone()
            .ok_or_else(|| ActionError::Internal("no mapping set recorded".into()))?;
        let changed = record
            .applied
            .as_ref()
            .is_none_or(|a| a.mapping != d.doc.mapping);
        let schema_id = record.schema_id.clone().unwrap_or_default();
        let body = || bodies::mapping_set(d.key.name(), &schema_id, &d.doc.mapping);
        let number: i64 = if at.action.renames() && first {
            let made = self
                .mapping_version(at.flows, at.chain, &mapping, &body())
                .await?;
            *version = Some(made.to_string());
            made
        } else if changed && first {
            let made = self
                .call(
                    &at.flows.permits,
                    self.api
                        .update_mapping_set(&at.chain.scope, &mapping.id, &body()),
                )
                .await?;
            *version = Some(made.version.to_string());
            at.chain
                .commit(self, |r| r.mapping_version = Some(made.version.to_string()))
                .await
                .map_err(ActionError::State)?;
            made.version
        } else {
            version.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0)
        };
        patches::mapping_ops(
            flow,
            &MappingSetRef {
                id: mapping.id,
                version: number,
            },
        )
        .map_err(|e| blocked(e.to_string()))
    }

    /// `ENABLE` or `DISABLE`s the flow; its etag after.
    pub(super) async fn switch(
        &self,
        flows: &Flows,
        chain: &Chain,
        flow_id: &str,
        enable: bool,
    ) -> Result<String, ActionError> {
        let op = if enable {
            FlowAction::Enable
        } else {
            FlowAction::Disable
        };
        let done = self
            .call(
                &flows.permits,
                self.api.flow_action(&chain.scope, flow_id, op),
            )
            .await?;
        Ok(done.etag)
    }
}
