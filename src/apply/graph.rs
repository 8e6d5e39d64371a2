//! The order of a run as a graph, not a sequence of levels: every action is
//! a task that starts as soon as what it depends on has finished (a
//! dataflow after its base connection's create, a connection's delete after
//! the deletes of the flows that read through it), within `parallelism`
//! requests at once. A failure skips only its dependants.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};

use super::dataflow::Flows;
use super::{ActionError, ApplyReport, Done, Engine, Event, Outcome, Reporter};
use crate::api::FlowService;
use crate::config::{ConnectionKey, ResourceKey};
use crate::plan::dataflow::{DataflowAction, DataflowStep};
use crate::plan::{Action, ActionKind, Desired, Plan};

/// How a task ended, for its dependants: the platform id it leaves (a
/// connection's), or that it failed.
type Ended = Option<Result<Option<String>, ()>>;
type Signal = watch::Receiver<Ended>;

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

/// Every changing action in start order, and the signals between them.
struct Wiring<'a> {
    order: Vec<Task<'a>>,
    /// Each connection action's end, by key, for the dataflows over it.
    connection_done: HashMap<ConnectionKey, Signal>,
    /// The ends of dataflow deletes and replaces, by the base connection
    /// id they read through.
    flows_over: HashMap<String, Vec<(String, Signal)>>,
    /// Where each task tells its end, in `order`.
    ends: Vec<watch::Sender<Ended>>,
}

/// Orders `plan`'s changing actions, connections first, and wires each
/// to what waits for it.
fn wire<'a>(plan: &'a Plan, flows: &Flows) -> Wiring<'a> {
    let mut wiring = Wiring {
        order: Vec::new(),
        connection_done: HashMap::new(),
        flows_over: HashMap::new(),
        ends: Vec::new(),
    };
    for action in plan
        .actions
        .iter()
        .filter(|a| a.kind() != ActionKind::Unchanged)
    {
        let (tx, rx) = watch::channel(None);
        wiring.connection_done.insert(action.key.clone(), rx);
        wiring.ends.push(tx);
        wiring.order.push(Task::Connection(action));
    }
    for action in plan
        .dataflows
        .iter()
        .filter(|a| a.action != DataflowStep::Unchanged)
    {
        let (tx, rx) = watch::channel(None);
        // A connection's delete waits for the flows over it to go first.
        if matches!(action.action, DataflowStep::Delete | DataflowStep::Replace)
            && let Some(record) = flows.records.get(&action.key)
        {
            wiring
                .flows_over
                .entry(record.base_connection_id.clone())
                .or_default()
                .push((action.key.to_string(), rx));
        }
        wiring.ends.push(tx);
        wiring.order.push(Task::Dataflow(action));
    }
    wiring
}

/// What every task of a run holds: the engine, the dataflows' shared
/// lookups, and where it tells that it started.
struct Context<F: FlowService + 'static> {
    engine: Arc<Engine<F>>,
    flows: Arc<Flows>,
    started: UnboundedSender<usize>,
    index: usize,
}

/// A connection's action, once the dataflows it waits for (`after`, for
/// a delete) are gone; its end told on `done`.
async fn connection_task<F: FlowService + 'static>(
    ctx: Context<F>,
    action: Action,
    desired: Option<Desired>,
    after: Vec<(String, Signal)>,
    done: watch::Sender<Ended>,
) -> Outcome {
    let result = match wait_all(after).await {
        Err(which) => Err(ActionError::Blocked(format!(
            "not started: dataflow `{which}` reads through it and was not deleted"
        ))),
        Ok(_) => {
            let _permit = ctx.flows.permits.acquire().await;
            if ctx.engine.interrupt.is_raised() {
                Err(ActionError::Interrupted)
            } else {
                let _ = ctx.started.send(ctx.index);
                ctx.engine.run_one(&action, desired.as_ref()).await
            }
        }
    };
    let _ = done.send(Some(result.as_ref().map(made_id).map_err(|_| ())));
    Outcome {
        kind: action.kind(),
        planned_id: action.id().map(str::to_owned),
        key: ResourceKey::Connection(action.key),
        result,
    }
}

/// A dataflow's step, once its base connection's action (`before`, for
/// a create or replace) is done; its end told on `done`.
async fn dataflow_task<F: FlowService + 'static>(
    ctx: Context<F>,
    action: DataflowAction,
    before: Vec<(String, Signal)>,
    done: watch::Sender<Ended>,
) -> Outcome {
    let planned_id = ctx
        .flows
        .records
        .get(&action.key)
        .and_then(|r| r.flow.as_ref())
        .map(|f| f.id.clone());
    let result = match wait_all(before).await {
        Err(which) => Err(ActionError::Blocked(format!(
            "not started: its base connection `{which}` failed"
        ))),
        Ok(_) if ctx.engine.interrupt.is_raised() => Err(ActionError::Interrupted),
        Ok(base) => {
            let _ = ctx.started.send(ctx.index);
            ctx.engine.run_dataflow(&ctx.flows, &action, base).await
        }
    };
    let _ = done.send(Some(result.as_ref().map(|_| None).map_err(|_| ())));
    Outcome {
        kind: dataflow_kind(action.action),
        planned_id,
        key: ResourceKey::Dataflow(action.key),
        result,
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
    let Wiring {
        order,
        connection_done,
        flows_over,
        ends,
    } = wire(plan, &flows);
    let warming = {
        let (engine, flows) = (Arc::clone(&engine), Arc::clone(&flows));
        let actions = plan.dataflows.clone();
        tokio::spawn(async move { engine.warm(&flows, &actions).await })
    };
    let mut tasks = JoinSet::new();
    let mut spawned = HashMap::new();
    let (started_tx, started) = tokio::sync::mpsc::unbounded_channel::<usize>();
    for ((index, task), done) in order.iter().enumerate().zip(ends) {
        let ctx = Context {
            engine: Arc::clone(&engine),
            flows: Arc::clone(&flows),
            started: started_tx.clone(),
            index,
        };
        let handle = match task {
            Task::Connection(action) => {
                let after = match action.id() {
                    Some(id) if action.kind() == ActionKind::Delete => {
                        flows_over.get(id).cloned().unwrap_or_default()
                    }
                    _ => Vec::new(),
                };
                let desired = desired.get(&action.key).cloned();
                tasks.spawn(connection_task(
                    ctx,
                    (*action).clone(),
                    desired,
                    after,
                    done,
                ))
            }
            Task::Dataflow(action) => {
                let before = match action.action {
                    DataflowStep::Create | DataflowStep::Replace => connection_done
                        .get(&action.connection)
                        .map(|s| vec![(action.connection.to_string(), s.clone())])
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                tasks.spawn(dataflow_task(ctx, (*action).clone(), before, done))
            }
        };
        spawned.insert(handle.id(), index);
    }
    drop(started_tx);
    let report = collect(&order, tasks, spawned, started, reporter).await;
    warming.abort();
    report
}

/// Tells `reporter` of each start and end as they come, and gathers the
/// outcomes, sorted by key.
async fn collect(
    order: &[Task<'_>],
    mut tasks: JoinSet<Outcome>,
    mut spawned: HashMap<tokio::task::Id, usize>,
    mut started: UnboundedReceiver<usize>,
    reporter: &dyn Reporter,
) -> ApplyReport {
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
                Some(index) => panicked(&order[index], &err),
                None => continue,
            },
        };
        reporter.event(Event::Finished(&outcome));
        report.outcomes.push(outcome);
    }
    report.outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    report
}

/// The outcome of a task that panicked (or was cancelled).
fn panicked(task: &Task<'_>, err: &JoinError) -> Outcome {
    match task {
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
    }
}
