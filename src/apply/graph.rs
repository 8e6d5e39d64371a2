//! The order of a run as a graph, not a sequence of levels: every action is
//! a node that starts as soon as the nodes it waits for have ended, within
//! `parallelism` requests at once. The graph knows nothing of kinds: each
//! kind says what its actions wait for and how they run ([`Node`],
//! [`Runs`]); a failure skips only its dependants.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinError, JoinSet};

use super::dataflow::Flows;
use super::{ActionError, ApplyReport, Done, Engine, Event, Outcome, Reporter};
use crate::api::FlowService;
use crate::config::{ConnectionKey, ResourceKey};
use crate::plan::dataflow::{DataflowAction, DataflowStep};
use crate::plan::{Action, ActionKind, Desired, Plan};

/// How a node ended, for its dependants: the platform id it leaves (a
/// connection's), or that it failed.
type Ended = Option<Result<Option<String>, ()>>;
type Signal = watch::Receiver<Ended>;

/// Where edges are found: the run's changing actions, and the dataflows
/// leaving (deleted or replaced) by the base connection id they read
/// through.
#[derive(Default)]
pub(crate) struct Index {
    changing: HashMap<ResourceKey, ActionKind>,
    flows_over: HashMap<String, Vec<ResourceKey>>,
}

/// An action of any kind, as the graph orders and reports it.
pub(crate) trait Node: Sync {
    fn key(&self) -> ResourceKey;
    fn kind(&self) -> ActionKind;
    /// The platform id the action starts from, if known.
    fn planned_id(&self, flows: &Flows) -> Option<String>;
    /// The event that tells it started.
    fn started(&self) -> Event<'_>;
    /// Adds what other nodes may wait for on this one to `index`.
    fn index(&self, index: &mut Index, flows: &Flows);
    /// The nodes that must end first (edges into this one).
    fn waits_for(&self, index: &Index) -> Vec<ResourceKey>;
    /// Why it did not start when `which`, a node it waits for, failed.
    fn blocked(&self, which: &ResourceKey) -> String;
}

/// How a node of one kind is carried out.
pub(crate) trait Runs: Node + Clone + Send + 'static {
    /// Carries the action out; `upstream` is the id the first node it
    /// waited for left (a base connection just made).
    fn run<F: FlowService + 'static>(
        self,
        ctx: &Context<F>,
        upstream: Option<String>,
    ) -> impl Future<Output = Result<Done, ActionError>> + Send;
}

impl Node for Action {
    fn key(&self) -> ResourceKey {
        ResourceKey::Connection(self.key.clone())
    }
    fn kind(&self) -> ActionKind {
        Action::kind(self)
    }
    fn planned_id(&self, _: &Flows) -> Option<String> {
        self.id().map(str::to_owned)
    }
    fn started(&self) -> Event<'_> {
        Event::Started(self)
    }
    fn index(&self, index: &mut Index, _: &Flows) {
        index.changing.insert(Node::key(self), Node::kind(self));
    }
    /// A connection's delete waits for the flows over it to go first.
    fn waits_for(&self, index: &Index) -> Vec<ResourceKey> {
        match self.id() {
            Some(id) if Action::kind(self) == ActionKind::Delete => {
                index.flows_over.get(id).cloned().unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }
    fn blocked(&self, which: &ResourceKey) -> String {
        format!("not started: dataflow `{which}` reads through it and was not deleted")
    }
}

impl Runs for Action {
    async fn run<F: FlowService + 'static>(
        self,
        ctx: &Context<F>,
        _: Option<String>,
    ) -> Result<Done, ActionError> {
        let _permit = ctx.flows.permits.acquire().await;
        if ctx.engine.interrupt.is_raised() {
            return Err(ActionError::Interrupted);
        }
        let _ = ctx.started.send(ctx.index);
        ctx.engine.run_one(&self, ctx.desired.get(&self.key)).await
    }
}

impl Node for DataflowAction {
    fn key(&self) -> ResourceKey {
        ResourceKey::Dataflow(self.key.clone())
    }
    fn kind(&self) -> ActionKind {
        match self.action {
            DataflowStep::Create => ActionKind::Create,
            DataflowStep::Update => ActionKind::Update,
            DataflowStep::Replace => ActionKind::Replace,
            DataflowStep::Delete => ActionKind::Delete,
            DataflowStep::Unchanged => ActionKind::Unchanged,
        }
    }
    fn planned_id(&self, flows: &Flows) -> Option<String> {
        let record = flows.records.get(&self.key)?;
        record.flow.as_ref().map(|f| f.id.clone())
    }
    fn started(&self) -> Event<'_> {
        Event::DataflowStarted(self)
    }
    fn index(&self, index: &mut Index, flows: &Flows) {
        index.changing.insert(Node::key(self), Node::kind(self));
        if matches!(self.action, DataflowStep::Delete | DataflowStep::Replace)
            && let Some(record) = flows.records.get(&self.key)
        {
            index
                .flows_over
                .entry(record.base_connection_id.clone())
                .or_default()
                .push(Node::key(self));
        }
    }
    /// A create or replace waits for its base connection's action.
    fn waits_for(&self, index: &Index) -> Vec<ResourceKey> {
        let base = ResourceKey::Connection(self.connection.clone());
        match self.action {
            DataflowStep::Create | DataflowStep::Replace if index.changing.contains_key(&base) => {
                vec![base]
            }
            _ => Vec::new(),
        }
    }
    fn blocked(&self, which: &ResourceKey) -> String {
        format!("not started: its base connection `{which}` failed")
    }
}

impl Runs for DataflowAction {
    async fn run<F: FlowService + 'static>(
        self,
        ctx: &Context<F>,
        upstream: Option<String>,
    ) -> Result<Done, ActionError> {
        // At most a few chains at once (see `chain_slots`): each finishes
        // within its deadline, and those not started stay unstarted when
        // the run is interrupted.
        let _slot = ctx.chains.acquire().await;
        if ctx.engine.interrupt.is_raised() {
            return Err(ActionError::Interrupted);
        }
        let _ = ctx.started.send(ctx.index);
        ctx.engine.run_dataflow(&ctx.flows, &self, upstream).await
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

/// What a dependant waits for; `Err` names the node that failed.
async fn wait_all(signals: Vec<(ResourceKey, Signal)>) -> Result<Option<String>, ResourceKey> {
    let mut made = None;
    for (key, mut signal) in signals {
        let ended = signal.wait_for(Option::is_some).await.map(|s| s.clone());
        match ended {
            Ok(Some(Ok(id))) => made = made.or(id),
            _ => return Err(key),
        }
    }
    Ok(made)
}

/// What every node of a run holds: the engine, the shared lookups, the
/// connections' desired values, and where it tells that it started.
pub(crate) struct Context<F: FlowService + 'static> {
    engine: Arc<Engine<F>>,
    flows: Arc<Flows>,
    desired: Arc<HashMap<ConnectionKey, Desired>>,
    chains: Arc<Semaphore>,
    started: UnboundedSender<usize>,
    index: usize,
}

/// How many dataflow chains may be under way at once: twice the request
/// slots, so the slots stay busy while chains wait on their state writes,
/// and no chain waits behind every other one (its deadline counts from
/// its start).
fn chain_slots(parallelism: usize) -> usize {
    parallelism.max(1).saturating_mul(2)
}

/// One node, once the nodes it waits for (`after`) have ended; its end
/// told on `done`.
async fn node_task<F: FlowService + 'static, N: Runs>(
    ctx: Context<F>,
    node: N,
    after: Vec<(ResourceKey, Signal)>,
    done: watch::Sender<Ended>,
) -> Outcome {
    let (key, kind) = (node.key(), node.kind());
    let planned_id = node.planned_id(&ctx.flows);
    let result = match wait_all(after).await {
        Err(which) => Err(ActionError::Blocked(node.blocked(&which))),
        Ok(upstream) => node.run(&ctx, upstream).await,
    };
    let _ = done.send(Some(result.as_ref().map(made_id).map_err(|_| ())));
    Outcome {
        kind,
        planned_id,
        key,
        result,
    }
}

/// The nodes of a run being started, with their signals.
struct Graph<'a, F: FlowService + 'static> {
    order: Vec<&'a dyn Node>,
    index: Index,
    signals: HashMap<ResourceKey, Signal>,
    /// Each added node's place in `order` and where it tells its end.
    ends: HashMap<ResourceKey, (usize, watch::Sender<Ended>)>,
    tasks: JoinSet<Outcome>,
    spawned: HashMap<tokio::task::Id, usize>,
    engine: Arc<Engine<F>>,
    flows: Arc<Flows>,
    desired: Arc<HashMap<ConnectionKey, Desired>>,
    chains: Arc<Semaphore>,
    started: UnboundedSender<usize>,
}

impl<'a, F: FlowService + 'static> Graph<'a, F> {
    /// Adds the changing actions of one kind, each with its signal.
    fn add<N: Runs>(&mut self, actions: &'a [N]) {
        for node in actions.iter().filter(|n| n.kind() != ActionKind::Unchanged) {
            node.index(&mut self.index, &self.flows);
            let (tx, rx) = watch::channel(None);
            self.signals.insert(node.key(), rx);
            self.ends.insert(node.key(), (self.order.len(), tx));
            self.order.push(node);
        }
    }

    /// Starts the added nodes of one kind (in the order added), each
    /// wired to the nodes it waits for.
    fn spawn<N: Runs>(&mut self, actions: &'a [N]) {
        for node in actions.iter().filter(|n| n.kind() != ActionKind::Unchanged) {
            let Some((index, done)) = self.ends.remove(&node.key()) else {
                continue;
            };
            let after = node
                .waits_for(&self.index)
                .into_iter()
                .filter_map(|k| self.signals.get(&k).map(|s| (k, s.clone())))
                .collect();
            let ctx = Context {
                engine: Arc::clone(&self.engine),
                flows: Arc::clone(&self.flows),
                desired: Arc::clone(&self.desired),
                chains: Arc::clone(&self.chains),
                started: self.started.clone(),
                index,
            };
            let handle = self.tasks.spawn(node_task(ctx, node.clone(), after, done));
            self.spawned.insert(handle.id(), index);
        }
    }
}

/// Runs every changing action of `plan`, connections and dataflows, each
/// as soon as the actions it waits for are done, telling `reporter` as
/// each starts and finishes (in completion order).
pub(crate) async fn execute<F: FlowService + 'static>(
    engine: Arc<Engine<F>>,
    flows: Arc<Flows>,
    parallelism: usize,
    plan: &Plan,
    desired: &HashMap<ConnectionKey, Desired>,
    reporter: &dyn Reporter,
) -> ApplyReport {
    let warming = {
        let (engine, flows) = (Arc::clone(&engine), Arc::clone(&flows));
        let actions = plan.dataflows.clone();
        tokio::spawn(async move { engine.warm(&flows, &actions).await })
    };
    let (started, started_rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let mut graph = Graph {
        order: Vec::new(),
        index: Index::default(),
        signals: HashMap::new(),
        ends: HashMap::new(),
        tasks: JoinSet::new(),
        spawned: HashMap::new(),
        engine,
        flows,
        // Only what the changing connections need, not every document.
        desired: Arc::new(
            plan.actions
                .iter()
                .filter(|a| a.kind() != ActionKind::Unchanged)
                .filter_map(|a| desired.get(&a.key).map(|d| (a.key.clone(), d.clone())))
                .collect(),
        ),
        chains: Arc::new(Semaphore::new(chain_slots(parallelism))),
        started,
    };
    // Every kind is indexed before any is started: edges cross kinds.
    graph.add(&plan.actions);
    graph.add(&plan.dataflows);
    graph.spawn(&plan.actions);
    graph.spawn(&plan.dataflows);
    let Graph {
        order,
        tasks,
        spawned,
        flows,
        started,
        ..
    } = graph;
    drop(started);
    let report = collect(&order, &flows, tasks, spawned, started_rx, reporter).await;
    warming.abort();
    report
}

/// Tells `reporter` of each start and end as they come, and gathers the
/// outcomes, sorted by key.
async fn collect(
    order: &[&dyn Node],
    flows: &Flows,
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
                if let Some(node) = order.get(index) {
                    reporter.event(node.started());
                }
                continue;
            }
            joined = tasks.join_next() => joined,
        };
        let Some(joined) = joined else { break };
        let outcome = match joined {
            Ok(outcome) => outcome,
            Err(err) => match spawned.remove(&err.id()).and_then(|i| order.get(i)) {
                Some(node) => panicked(*node, flows, &err),
                None => continue,
            },
        };
        reporter.event(Event::Finished(&outcome));
        report.outcomes.push(outcome);
    }
    report.outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    report
}

/// The outcome of a node that panicked (or was cancelled).
fn panicked(node: &dyn Node, flows: &Flows, err: &JoinError) -> Outcome {
    Outcome {
        key: node.key(),
        kind: node.kind(),
        planned_id: node.planned_id(flows),
        result: Err(ActionError::Internal(err.to_string())),
    }
}
