//! Carrying out one dataflow's step: resolve what the document names (base
//! connection, dataset, flow spec, columns), then create, update in place,
//! replace or delete the chain, each object recorded the moment it exists.

mod create;
mod flow;
mod listing;
mod lookups;
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
    pub records: HashMap<DataflowKey, DataflowRecord>,
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
        Flows {
            permits,
            desired,
            records,
            excluded,
            lookup,
            listings: Mutex::default(),
            specs: Mutex::default(),
            datasets: Mutex::default(),
        }
    }
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
}
