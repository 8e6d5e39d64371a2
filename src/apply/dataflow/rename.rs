//! A dataflow renamed (`renamedFrom`, terraform's `moved`): the chain state
//! records under the earlier name keeps its ids; its source and target
//! connections and its flow are patched to the new name (each under
//! `If-Match`), its mapping set gets a version under it, and one state
//! write then moves the record to the new key.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;

use super::update::InPlace;
use super::{Flows, object};
use crate::api::wire::PatchOp;
use crate::api::{ApiError, FlowService, Scope};
use crate::apply::chain::Chain;
use crate::apply::{ActionError, Done, Engine};
use crate::config::DataflowKey;
use crate::desired::dataflow::DesiredDataflow;
use crate::plan::dataflow::DataflowAction;
use crate::state::{Change, DataflowRecord, ObjectRef, Part, timestamp};

/// A chain worked on under its earlier key (each write lands there until
/// the move), from the record state keeps under it.
fn under_earlier(flows: &Flows, old: &DataflowKey, record: DataflowRecord) -> Chain {
    Chain {
        key: old.clone(),
        scope: Scope::new(&record.org, old.sandbox()),
        record: Mutex::new(record),
        excluded: Arc::clone(&flows.excluded),
        lookup: true,
        inventory: Arc::default(),
        fresh: Default::default(),
    }
}

impl<F: FlowService + 'static> Engine<F> {
    /// The earlier key `action` renames from (`None`: not a rename),
    /// checked before any request: one the document's `renamedFrom` lists,
    /// that state records (and not the new key too), as the flow the plan
    /// showed. A saved plan edited, or made against another state, changes
    /// nothing.
    pub(super) fn moved_from(
        &self,
        flows: &Flows,
        action: &DataflowAction,
        d: &DesiredDataflow,
    ) -> Result<Option<DataflowKey>, ActionError> {
        let Some(from) = action.renamed_from.as_deref() else {
            return Ok(None);
        };
        let old = DataflowKey::new(d.key.cloud(), d.key.sandbox(), from);
        let refuse = |why: String| {
            Err(ActionError::Internal(format!(
                "the plan renames `{}` from `{from}`, {why}: nothing was changed; plan again",
                d.key
            )))
        };
        if !d.doc.earlier_keys().contains(&old) {
            return refuse("which its `renamedFrom` does not list".to_owned());
        }
        if flows.renamed.get(&d.key) != Some(&old) {
            return refuse(format!(
                "but state does not record `{old}` alone (not it, or `{}` too)",
                d.key
            ));
        }
        let recorded = flows
            .records
            .get(&d.key)
            .and_then(|r| r.flow.as_ref())
            .map(|f| f.id.as_str());
        if action.flow_id.is_some() && action.flow_id.as_deref() != recorded {
            return refuse(format!(
                "but state records `{old}` with flow `{}`",
                recorded.unwrap_or("(none)")
            ));
        }
        Ok(Some(old))
    }

    /// Renames a complete chain in place with whatever else the document
    /// changed: source and target connections patched under their
    /// recorded etags, then the flow (and mapping set) as an in-place
    /// update does it, then one write that moves the record.
    pub(super) async fn rename_chain(
        &self,
        flows: &Flows,
        action: &DataflowAction,
    ) -> Result<Done, ActionError> {
        let d = self.desired(flows, action)?;
        let (old, record) = self.earlier(flows, action, d)?;
        let flow_id = record
            .flow
            .as_ref()
            .map(|f| f.id.clone())
            .ok_or_else(|| ActionError::Internal(format!("`{old}` has no flow recorded")))?;
        let chain = under_earlier(flows, &old, record.clone());
        let name = d.key.name();
        let (source, target) = self
            .rename_connections(flows, &chain.scope, &record, name)
            .await?;
        let at = InPlace {
            flows,
            d,
            chain: &chain,
            record: &record,
            action,
        };
        let (mut etag, version) = self.patch_in_place(&at, &flow_id).await?;
        let mut state = record.flow_state.clone();
        if let Some(enable) = action.updates.enable {
            etag = self.switch(flows, &chain, &flow_id, enable).await?;
            state = Some(if enable { "enabled" } else { "disabled" }.to_owned());
        }
        let mut next = chain.snapshot().await;
        next.source_connection = source;
        next.target_connection = target;
        next.flow = Some(object(&flow_id, &etag));
        next.flow_state = state;
        next.mapping_version = version;
        next.applied = Some(d.doc.clone());
        next.fingerprint = d.fingerprint.clone();
        next.protect = d.doc.protect;
        next.source = Some(d.source.clone());
        let moved = self.move_record(&old, d, next).await?;
        // What an interrupted replace left of the chain, under the new key.
        self.delete_retired(flows, &moved).await?;
        Ok(Done::Renamed {
            id: flow_id,
            from: old.name().to_owned(),
        })
    }

    /// A chain a killed run left half made under the earlier name: its
    /// pending creates looked up by that name (the create may have
    /// landed), what exists renamed, the record moved, then the rest made
    /// under the new name as any resumed create.
    pub(super) async fn move_and_create(
        &self,
        flows: &Flows,
        action: &DataflowAction,
        made: Option<String>,
    ) -> Result<Done, ActionError> {
        let d = self.desired(flows, action)?;
        let (old, record) = self.earlier(flows, action, d)?;
        let chain = under_earlier(flows, &old, record);
        self.record_pending(&flows.permits, &chain, true).await?;
        let mut next = chain.snapshot().await;
        // Still pending: not listed within its settle window, never made.
        next.pending.clear();
        let name = d.key.name();
        let (source, target) = self
            .rename_connections(flows, &chain.scope, &next, name)
            .await?;
        next.source_connection = source;
        next.target_connection = target;
        let moved = self.move_record(&old, d, next).await?;
        let resumed = Flows {
            permits: Arc::clone(&flows.permits),
            desired: HashMap::from([(d.key.clone(), d.clone())]),
            records: HashMap::from([(d.key.clone(), moved.snapshot().await)]),
            renamed: HashMap::new(),
            excluded: Arc::clone(&flows.excluded),
            lookup: true,
            listings: Mutex::default(),
            specs: Mutex::default(),
            datasets: Mutex::default(),
        };
        let mut create = action.clone();
        create.renamed_from = None;
        self.create_chain(&resumed, &create, made).await
    }

    /// The earlier key a rename moves `d` from, and the record state
    /// keeps under it.
    fn earlier(
        &self,
        flows: &Flows,
        action: &DataflowAction,
        d: &DesiredDataflow,
    ) -> Result<(DataflowKey, DataflowRecord), ActionError> {
        let old = self
            .moved_from(flows, action, d)?
            .ok_or_else(|| ActionError::Internal("not a rename".into()))?;
        let record =
            flows.records.get(&d.key).cloned().ok_or_else(|| {
                ActionError::Internal(format!("`{old}` is not in state any more"))
            })?;
        Ok((old, record))
    }

    /// The source and target connections `record` holds, renamed to
    /// `name` side by side (each `None` when not recorded).
    async fn rename_connections(
        &self,
        flows: &Flows,
        scope: &Scope,
        record: &DataflowRecord,
        name: &str,
    ) -> Result<(Option<ObjectRef>, Option<ObjectRef>), ActionError> {
        let source = record.source_connection.as_ref();
        let target = record.target_connection.as_ref();
        tokio::try_join!(
            self.rename_part(flows, scope, Part::SourceConnection, source, name),
            self.rename_part(flows, scope, Part::TargetConnection, target, name),
        )
    }

    /// One state write: the earlier key forgotten and `record` recorded
    /// under `d`'s key. The chain under the new key after.
    async fn move_record(
        &self,
        old: &DataflowKey,
        d: &DesiredDataflow,
        mut record: DataflowRecord,
    ) -> Result<Chain, ActionError> {
        record.updated_at = timestamp::now();
        self.recorder
            .commit(vec![
                Change::RemoveDataflow(old.clone()),
                Change::Dataflow(d.key.clone(), Box::new(record.clone())),
            ])
            .await
            .map_err(|reason| {
                ActionError::State(format!(
                    "`{old}` was renamed on the platform but state could not move it to `{}`: {reason}; it stays recorded under `{old}`, and the next apply finds it renamed and moves it",
                    d.key
                ))
            })?;
        Ok(Chain {
            key: d.key.clone(),
            scope: Scope::new(&record.org, d.key.sandbox()),
            record: Mutex::new(record),
            excluded: Arc::default(),
            lookup: true,
            inventory: Arc::default(),
            fresh: Default::default(),
        })
    }

    /// Renames a source or target connection (`object`, as recorded) to
    /// `name`: one `PATCH` of `/name` under its etag; the object with its
    /// etag after. A stale etag (changed since, or renamed by a run
    /// stopped before its state write) is read again: already named so,
    /// nothing is sent; else the `PATCH` is sent once more under the etag
    /// read.
    pub(super) async fn rename_part(
        &self,
        flows: &Flows,
        scope: &Scope,
        part: Part,
        object: Option<&ObjectRef>,
        name: &str,
    ) -> Result<Option<ObjectRef>, ActionError> {
        let Some(object) = object else {
            return Ok(None);
        };
        let ops = [PatchOp::replace("/name", serde_json::json!(name))];
        let mut etag = object.etag.clone();
        for attempt in 0..2 {
            let sent = match part {
                Part::SourceConnection => {
                    self.call(
                        &flows.permits,
                        self.api
                            .patch_source_connection(scope, &object.id, &etag, &ops),
                    )
                    .await
                }
                _ => {
                    self.call(
                        &flows.permits,
                        self.api
                            .patch_target_connection(scope, &object.id, &etag, &ops),
                    )
                    .await
                }
            };
            match sent {
                Ok(done) => return Ok(Some(super::object(&object.id, &done.etag))),
                Err(ApiError::NotFound { .. }) => {
                    return Err(ActionError::DeletedOutside(format!(
                        "{} {}",
                        part.describe(),
                        object.id
                    )));
                }
                Err(ApiError::EtagMismatch { .. } | ApiError::PatchOutcomeUnknown { .. })
                    if attempt == 0 =>
                {
                    let (now, read) = self.read_name(flows, scope, part, &object.id).await?;
                    if now == name {
                        return Ok(Some(super::object(&object.id, &read)));
                    }
                    etag = read;
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(ActionError::KeptChanging(format!(
            "{} {}",
            part.describe(),
            object.id
        )))
    }

    /// A source or target connection's name and etag, as read by id.
    async fn read_name(
        &self,
        flows: &Flows,
        scope: &Scope,
        part: Part,
        id: &str,
    ) -> Result<(String, String), ActionError> {
        let permits = &flows.permits;
        let read = match part {
            Part::SourceConnection => self
                .call(permits, self.api.get_source_connection(scope, id))
                .await
                .map(|i| (i.name, i.etag)),
            _ => self
                .call(permits, self.api.get_target_connection(scope, id))
                .await
                .map(|i| (i.name, i.etag)),
        };
        read.map_err(|err| match err {
            ApiError::NotFound { .. } => {
                ActionError::DeletedOutside(format!("{} {id}", part.describe()))
            }
            err => err.into(),
        })
    }
}
