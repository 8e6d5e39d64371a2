//! A chain retired: replaced (the old flow disabled, a new chain made,
//! then the old one deleted) or deleted in reverse order, flow first; each
//! object forgotten as it goes, so a killed run finishes the job next time.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;

use super::Flows;
use crate::api::dataflow::FlowAction;
use crate::api::{ApiError, FlowService, Scope};
use crate::apply::chain::Chain;
use crate::apply::{ActionError, Done, Engine};
use crate::plan::dataflow::{DataflowAction, DataflowStep};
use crate::state::{Change, DataflowRecord, Part, Retired, timestamp};

/// The record a replace starts from: `old`'s mapping set kept, its other
/// objects retired (to delete once the new chain exists).
fn retiring(old: &DataflowRecord) -> DataflowRecord {
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
    next
}

impl<F: FlowService + 'static> Engine<F> {
    /// Disables the old flow, records the old chain as retired beside a
    /// new one that keeps the mapping set (under the new key of a rename,
    /// in the write that forgets the earlier one), then creates the new
    /// chain and deletes the old.
    pub(super) async fn replace_chain(
        &self,
        flows: &Flows,
        action: &DataflowAction,
        made: Option<String>,
    ) -> Result<Done, ActionError> {
        let d = self.desired(flows, action)?;
        // A rename's earlier key goes in the write that records the new one.
        let moved = self.moved_from(flows, action, d)?;
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
        let next = retiring(&old);
        let record = Change::Dataflow(d.key.clone(), Box::new(next.clone()));
        let changes = moved.map(Change::RemoveDataflow).into_iter();
        self.recorder
            .commit(changes.chain([record]).collect())
            .await
            .map_err(|reason| ActionError::State(format!("nothing created: {reason}")))?;
        let mut flows_view = HashMap::new();
        flows_view.insert(d.key.clone(), next);
        let resumed = Flows {
            permits: Arc::clone(&flows.permits),
            desired: HashMap::from([(d.key.clone(), d.clone())]),
            records: flows_view,
            renamed: HashMap::new(),
            excluded: Arc::clone(&flows.excluded),
            lookup: true,
            listings: Mutex::default(),
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
    pub(super) async fn delete_chain(
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
                excluded: Arc::clone(&flows.excluded),
                lookup: true,
                inventory: Arc::default(),
                fresh: Default::default(),
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
            excluded: Arc::default(),
            lookup: false,
            inventory: Arc::default(),
            fresh: Default::default(),
        };
        self.delete_retired(flows, &chain).await?;
        self.recorder
            .commit(vec![Change::RemoveDataflow(action.key.clone())])
            .await
            .map_err(ActionError::State)?;
        Ok(Done::Deleted(flow_id))
    }

    /// Deletes a replaced chain's objects, flow first, each forgotten as
    /// it goes.
    pub(super) async fn delete_retired(
        &self,
        flows: &Flows,
        chain: &Chain,
    ) -> Result<(), ActionError> {
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
}
