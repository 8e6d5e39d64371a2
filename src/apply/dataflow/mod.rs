//! Carrying out one dataflow's step: resolve what the document names (base
//! connection, dataset, flow spec, columns), then create, update in place,
//! rename, replace or delete the chain, each object recorded the moment it
//! exists.

mod create;
mod earlier;
mod flow;
mod listing;
mod lookups;
mod rename;
mod retire;
mod update;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::{Mutex, OnceCell};

use super::chain::Permits;
use super::{ActionError, Done, Engine};
use crate::api::wire::SpecRef;
use crate::api::{DatasetSummary, FlowService, Scope};
use crate::config::{DataflowKey, DatasetRef};
use crate::desired::dataflow::DesiredDataflow;
use crate::plan::dataflow::{DataflowAction, DataflowStep};
use crate::state::{DataflowRecord, ObjectRef};

type Cells<K, V> = Mutex<HashMap<K, Arc<OnceCell<V>>>>;

/// What every dataflow step of a run shares: the documents, the records
/// as loaded, the request slots, and what is looked up once per scope.
pub(crate) struct Flows {
    pub permits: Permits,
    pub desired: HashMap<DataflowKey, DesiredDataflow>,
    /// The records as loaded; a renamed document's (its key not recorded,
    /// one of its earlier keys recorded) also under its new key.
    pub records: HashMap<DataflowKey, DataflowRecord>,
    /// The earlier key each of those renamed documents moves, by new key.
    pub renamed: HashMap<DataflowKey, DataflowKey>,
    /// Every object id state records under a dataflow.
    pub excluded: Arc<HashSet<String>>,
    /// Look every name up live before its create (a saved plan).
    pub lookup: bool,
    listings: Cells<Scope, Arc<listing::Listing>>,
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
        let excluded = Arc::new(super::chain::recorded_ids(&records));
        let (records, renamed) = with_renames(&desired, records);
        Flows {
            permits,
            desired,
            records,
            renamed,
            excluded,
            lookup,
            listings: Mutex::default(),
            specs: Mutex::default(),
            datasets: Mutex::default(),
        }
    }
}

/// `records` with each renamed document's earlier record also under its
/// new key (as the plan saw it: the new key not recorded, exactly one
/// earlier key recorded), and the earlier key each moves.
fn with_renames(
    desired: &HashMap<DataflowKey, DesiredDataflow>,
    mut records: HashMap<DataflowKey, DataflowRecord>,
) -> (
    HashMap<DataflowKey, DataflowRecord>,
    HashMap<DataflowKey, DataflowKey>,
) {
    let mut renamed = HashMap::new();
    for (key, d) in desired {
        if records.contains_key(key) {
            continue;
        }
        let earlier: Vec<DataflowKey> = d
            .doc
            .earlier_keys()
            .into_iter()
            .filter(|old| records.contains_key(old))
            .collect();
        if let [old] = earlier.as_slice() {
            renamed.insert(key.clone(), old.clone());
        }
    }
    for (key, old) in &renamed {
        if let Some(record) = records.get(old).cloned() {
            records.insert(key.clone(), record);
        }
    }
    (records, renamed)
}

/// The once-per-run slot of `key`, made empty on first use.
async fn cell<K: std::hash::Hash + Eq + Clone, V>(
    cells: &Cells<K, V>,
    key: &K,
) -> Arc<OnceCell<V>> {
    Arc::clone(cells.lock().await.entry(key.clone()).or_default())
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
                DataflowStep::Create if action.renames() => {
                    self.move_and_create(flows, action, base).await
                }
                DataflowStep::Create => self.create_chain(flows, action, base).await,
                DataflowStep::Update if action.renames() => self.rename_chain(flows, action).await,
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
}
