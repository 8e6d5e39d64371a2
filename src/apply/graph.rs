//! The order of a run as a graph, not a sequence of levels: every action is
//! a task that starts as soon as what it depends on has finished (a
//! dataflow after its base connection's create, a connection's delete after
//! the deletes of the flows that read through it), within `parallelism`
//! requests at once. A failure skips only its dependants.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::watch;

use super::dataflow::Flows;
use super::{ActionError, ApplyReport, Done, Engine, Event, Outcome, Reporter};
use crate::api::FlowService;
use crate::config::{ConnectionKey, ResourceKey};
use crate::plan::dataflow::{DataflowAction, DataflowStep};
use crate::plan::{Action, ActionKind, Desired, Plan};

/// How a task ended, for its dependants: the platform id it leaves (a
/// connection's), or that it failed.
type Signal = watch::Receiver<Option<Result<Option<String>, ()>>>;

/// What a dependant waits for; `Err` names the dependency that failed.
async fn wait_all(signals: Vec<(String, Signal)>) -> Result<Option<String>, String> {
    let mut made = None;
    for (name, mut signal) in signals {
        let ended = signal.wait_for(Option::is_some).await.map(|s| s.clone());
        match ended {
            Ok(Some(Ok(id))) => made = made.or(id),
            _ => return Err(name),
        }
    }
    Ok(made)
}

/// One action to start, either kind.
enum Task<'a> {
    Connection(&'a Action),
    Dataflow(&'a DataflowAction),
}

fn dataflow_kind(step: DataflowStep) -> ActionKind {
    match step {
        DataflowStep::Create => ActionKind::Create,
        DataflowStep::Update => ActionKind::Update,
        DataflowStep::Replace => ActionKind::Replace,
        DataflowStep::Delete => ActionKind::Delete,
        DataflowStep::Unchanged => ActionKind::Unchanged,
    }
}

/// The id an outcome leaves for dependants.
fn made_id(done: &Done) -> Option<String> {
    match done {
        Done::Created(id)
        | Done::Adopted { id, .. }
        | Done::Updated(id)
        | Done::Renamed { id, .. }
        | Done::Replaced(id) => Some(id.clone()),
        Done::Deleted(_) | Done::DroppedPending => None,
    }
}

/// Runs every changing action of `plan`, connections and dataflows, each
/// as soon as its dependencies are done, telling `reporter` as each starts
/// and finishes (in completion order).
pub(crate) async fn execute<F: FlowService + 'static>(
    engine: Arc<Engine<F>>,
    flows: Arc<Flows>,
    plan: &Plan,
    desired: &HashMap<ConnectionKey, Desired>,
    reporter: &dyn Reporter,
) -> ApplyReport {
    let mut tasks = tokio::task::JoinSet::new();
    let mut spawned = HashMap::new();
    let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let mut order: Vec<Task<'_>> = Vec::new();
    let mut connection_done: HashMap<ConnectionKey, Signal> = HashMap::new();
    let mut connection_tx = Vec::new();
    for action in plan
        .actions
        .iter()
        .filter(|a| a.kind() != ActionKind::Unchanged)
    {
        let (tx, rx) = watch::channel(None);
        connection_done.insert(action.key.clone(), rx);
        connection_tx.push(tx);
        order.push(Task::Connection(action));
    }
    // A connection's delete waits for the flows over it to go first.
    let mut flows_over: HashMap<String, Vec<(String, Signal)>> = HashMap::new();
    let mut dataflow_tx = Vec::new();
    for action in plan
        .dataflows
        .iter()
        .filter(|a| a.action != DataflowStep::Unchanged)
    {
        let (tx, rx) = watch::channel(None);
        if matches!(action.action, DataflowStep::Delete | DataflowStep::Replace)
            && let Some(record) = flows.records.get(&action.key)
        {
            flows_over
                .entry(record.base_connection_id.clone())
                .or_default()
                .push((action.key.to_string(), rx));
        }
        dataflow_tx.push(tx);
        order.push(Task::Dataflow(action));
    }
    let (mut connection_tx, mut dataflow_tx) = (connection_tx.into_iter(), dataflow_tx.into_iter());
    for (index, task) in order.iter().enumerate() {
        let engine = Arc::clone(&engine);
        let flows = Arc::clone(&flows);
        let started_tx = started_tx.clone();
        let handle = match task {
            Task::Connection(action) => {
                let action = (*action).clone();
                let desired = desired.get(&action.key).cloned();
                let done = connection_tx.next();
                let after = match action.id() {
                    Some(id) if action.kind() == ActionKind::Delete => {
                        flows_over.get(id).cloned().unwrap_or_default()
                    }
                    _ => Vec::new(),
                };
                tasks.spawn(async move {
                    let result = match wait_all(after).await {
                        Err(which) => Err(ActionError::Blocked(format!(
                            "not started: dataflow `{which}` reads through it and was not deleted"
                        ))),
                        Ok(_) => {
                            let _permit = flows.permits.acquire().await;
                            if engine.interrupt.is_raised() {
                                Err(ActionError::Interrupted)
                            } else {
                                let _ = started_tx.send(index);
                                engine.run_one(&action, desired.as_ref()).await
                            }
                        }
                    };
                    if let Some(done) = done {
                        let _ = done.send(Some(result.as_ref().map(made_id).map_err(|_| ())));
                    }
                    Outcome {
                        kind: action.kind(),
                        planned_id: action.id().map(str::to_owned),
                        key: ResourceKey::Connection(action.key),
                        result,
                    }
                })
            }
            Task::Dataflow(action) => {
                let action = (*action).clone();
                let done = dataflow_tx.next();
                let before = match action.action {
                    DataflowStep::Create | DataflowStep::Replace => connection_done
                        .get(&action.connection)
                        .map(|s| vec![(action.connection.to_string(), s.clone())])
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                let planned_id = flows
                    .records
                    .get(&action.key)
                    .and_then(|r| r.flow.as_ref())
                    .map(|f| f.id.clone());
                tasks.spawn(async move {
                    let result = match wait_all(before).await {
                        Err(which) => Err(ActionError::Blocked(format!(
                            "not started: its base connection `{which}` failed"
                        ))),
                        Ok(base) if engine.interrupt.is_raised() => {
                            drop(base);
                            Err(ActionError::Interrupted)
                        }
                        Ok(base) => {
                            let _ = started_tx.send(index);
                            engine.run_dataflow(&flows, &action, base).await
                        }
                    };
                    if let Some(done) = done {
                        let _ = done.send(Some(result.as_ref().map(|_| None).map_err(|_| ())));
                    }
                    Outcome {
                        kind: dataflow_kind(action.action),
                        planned_id,
                        key: ResourceKey::Dataflow(action.key),
                        result,
                    }
                })
            }
        };
        spawned.insert(handle.id(), index);
    }
    drop(started_tx);
    let mut report = ApplyReport::default();
    loop {
        // Starts first: an action's start is always told before its end.
        let joined = tokio::select! {
            biased;
            Some(index) = started.recv() => {
                match &order[index] {
                    Task::Connection(action) => reporter.event(Event::Started(action)),
                    Task::Dataflow(action) => reporter.event(Event::DataflowStarted(action)),
                }
                continue;
            }
            joined = tasks.join_next() => joined,
        };
        let Some(joined) = joined else { break };
        let outcome = match joined {
            Ok(outcome) => outcome,
            Err(err) => match spawned.remove(&err.id()) {
                Some(index) => match &order[index] {
                    Task::Connection(action) => Outcome {
                        key: ResourceKey::Connection(action.key.clone()),
                        kind: action.kind(),
                        planned_id: action.id().map(str::to_owned),
                        result: Err(ActionError::Internal(err.to_string())),
                    },
                    Task::Dataflow(action) => Outcome {
                        key: ResourceKey::Dataflow(action.key.clone()),
                        kind: dataflow_kind(action.action),
                        planned_id: None,
                        result: Err(ActionError::Internal(err.to_string())),
                    },
                },
                None => continue,
            },
        };
        reporter.event(Event::Finished(&outcome));
        report.outcomes.push(outcome);
    }
    report.outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    report
}
