//! One `apply` from its inputs to its report: take the state lock, make the
//! plan (or check that a saved plan still fits state and config), probe the
//! servers with `--preflight`, then carry the plan out, telling a reporter
//! each step; the command only picks the reporter and the exit code.

use crate::config::ConnectionKey;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::dataflow::Flows;
use super::{ApplyReport, Engine, Event, Interrupt, RateLimiter, Recorder, Reporter, execute};
use crate::api::FlowServiceClient;
use crate::check::{self, CheckOptions};
use crate::desired::config_hash;
use crate::desired::resolve::Resolved;
use crate::error::{Error, Result};
use crate::plan::dataflow::DataflowStep;
use crate::plan::{self, ActionKind, Plan, PlanOptions, Scene};
use crate::state::State;
use crate::workspace::{Connected, Workspace};

/// Everything `provision apply` can be asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct ApplyOptions {
    pub plan: PlanOptions,
    /// Read every recorded connection from the platform, not only new ones.
    pub refresh: bool,
    /// Requests at once (`--parallelism`; else settings, else 8).
    pub parallelism: Option<usize>,
    /// Carry out this saved plan instead of making one.
    pub saved_plan: Option<PathBuf>,
    /// How long to wait for another run's state lock.
    pub lock_timeout: Duration,
    /// At most this many requests per second.
    pub rate_limit: Option<u32>,
    /// Probe every described server first; send nothing if one fails.
    pub preflight: bool,
    /// Show the plan and ask for `yes` before carrying it out, the answer
    /// read by this (a line from the terminal, `None` at its end).
    pub confirm: Option<fn() -> Option<String>>,
}

/// A finished run: its plan and what happened to each action.
#[derive(Debug)]
pub(crate) struct ApplyRun {
    pub plan: Plan,
    pub report: ApplyReport,
}

/// Runs one apply under the state lock, telling `reporter` as it goes
/// (from the moment the state is loaded; errors before that are only
/// returned).
pub(crate) fn run(
    ws: &Workspace,
    options: &ApplyOptions,
    reporter: &dyn Reporter,
) -> Result<ApplyRun> {
    let _lock = ws.backend.lock("provision apply", options.lock_timeout)?;
    let state = ws.backend.load()?;
    let scene = ws.scene(&state);
    reporter.event(Event::Began(&scene));
    for diagnostic in &ws.diagnostics {
        reporter.event(Event::Diagnostic(diagnostic));
    }
    for warning in &ws.warnings {
        reporter.event(Event::Warning(warning));
    }
    let result = locked(ws, options, reporter, state, &scene);
    if let Err(err) = &result {
        reporter.event(Event::Stopped(err));
    }
    result
}

/// The run once the state is locked and loaded.
fn locked(
    ws: &Workspace,
    options: &ApplyOptions,
    reporter: &dyn Reporter,
    mut state: State,
    scene: &Scene,
) -> Result<ApplyRun> {
    let hash = config_hash(&ws.desired);
    let saved = match &options.saved_plan {
        Some(path) => {
            let plan = saved_plan(path, &state, &hash, scene)?;
            plan::check_saved_renames(&plan.actions, &ws.desired, &state)
                .map_err(Error::StalePlan)?;
            Some(plan)
        }
        None => None,
    };
    ws.record_sources(&mut state)?;
    let runtime = crate::workspace::runtime()?;
    // From here on an interrupt is handled: the watcher runs beside the work.
    let interrupt = Interrupt::default();
    runtime.block_on(async {
        let work = async {
            if options.preflight {
                let probing = preflight(ws, options.parallelism, reporter);
                unless_interrupted(&interrupt, "during the preflight", probing).await??;
            }
            carry_out(ws, options, reporter, state, saved, &interrupt).await
        };
        tokio::select! {
            result = work => result,
            never = interrupt.watch(reporter) => match never {},
        }
    })
}

/// `work`, or an error once an interrupt comes first (nothing was changed
/// yet: planning and probing only read).
async fn unless_interrupted<T>(
    interrupt: &Interrupt,
    when: &'static str,
    work: impl std::future::Future<Output = T>,
) -> Result<T> {
    tokio::select! {
        done = work => Ok(done),
        () = interrupt.raised() => Err(Error::Interrupted(when)),
    }
}

/// Plans (unless a saved plan is given) and executes, recording as it goes.
async fn carry_out(
    ws: &Workspace,
    options: &ApplyOptions,
    reporter: &dyn Reporter,
    state: State,
    saved: Option<Plan>,
    interrupt: &Interrupt,
) -> Result<ApplyRun> {
    let connected = ws.connect().await?;
    let from_file = saved.is_some();
    let plan = match saved {
        Some(plan) => plan,
        None => {
            let planning = ws.plan(&state, options.refresh, &options.plan, Some(&connected));
            unless_interrupted(interrupt, "while planning", planning).await??
        }
    };
    for warning in &plan.warnings {
        reporter.event(Event::Warning(warning));
    }
    if plan.is_empty() {
        connected.close().await;
        let report = ApplyReport::default();
        reporter.event(Event::Ended {
            plan: &plan,
            report: &report,
        });
        return Ok(ApplyRun { plan, report });
    }
    let desired: HashMap<ConnectionKey, plan::Desired> = ws
        .desired
        .iter()
        .map(|d| (d.key.clone(), d.clone()))
        .collect();
    let engine = engine(ws, options, &connected, &state, interrupt, from_file);
    let total = changing(&plan);
    reporter.event(Event::Planned { plan: &plan, total });
    if let Some(read_answer) = options.confirm
        && let Err(err) = approved(&plan, read_answer, reporter, interrupt).await
    {
        connected.close().await;
        return Err(err);
    }
    let parallelism = ws.parallelism(options.parallelism);
    let flows = flows_of(ws, &state, parallelism, from_file);
    let mut report = execute(
        Arc::clone(&engine),
        flows,
        parallelism,
        &plan,
        &desired,
        reporter,
    )
    .await;
    let state_failure = engine.recorder.failure();
    report.interrupted = interrupt.is_raised();
    drop(engine);
    connected.close().await;
    if let Some(reason) = state_failure {
        // Never "Apply complete": the run stopped at its first failed write.
        let c = report.counts();
        return Err(Error::Failed(format!(
            "apply stopped: {reason}; no action started after it ({} created, {} adopted, {} updated, {} deleted, {} failed, {} not started)",
            c.created, c.adopted, c.updated, c.deleted, c.failed, c.not_started
        )));
    }
    reporter.event(Event::Ended {
        plan: &plan,
        report: &report,
    });
    Ok(ApplyRun { plan, report })
}

/// How many actions of `plan` change something, dataflows too (the
/// progress bar's length).
fn changing(plan: &Plan) -> usize {
    let connections = plan
        .actions
        .iter()
        .filter(|a| a.kind() != ActionKind::Unchanged)
        .count();
    let dataflows = plan
        .dataflows
        .iter()
        .filter(|a| a.action != DataflowStep::Unchanged)
        .count();
    connections + dataflows
}

/// The engine of a run: the client, the state writer and what bounds it.
fn engine(
    ws: &Workspace,
    options: &ApplyOptions,
    connected: &Connected,
    state: &State,
    interrupt: &Interrupt,
    from_file: bool,
) -> Arc<Engine<FlowServiceClient>> {
    Arc::new(Engine {
        api: Arc::clone(&connected.api),
        recorder: Recorder::start(Arc::clone(&ws.backend), state.clone(), interrupt.clone()),
        records: state.connections.clone().into_iter().collect(),
        limiter: options.rate_limit.map(RateLimiter::per_second),
        lookup_before_create: from_file,
        interrupt: interrupt.clone(),
        deadline: connected.timing.action,
        settle: connected.timing.settle,
    })
}

/// What the dataflow steps share: `parallelism` request slots (the
/// connections' too), the documents and the records as loaded.
fn flows_of(ws: &Workspace, state: &State, parallelism: usize, from_file: bool) -> Arc<Flows> {
    Arc::new(Flows::new(
        Arc::new(tokio::sync::Semaphore::new(parallelism.max(1))),
        ws.dataflows
            .iter()
            .map(|d| (d.key.clone(), d.clone()))
            .collect(),
        state.dataflows.clone().into_iter().collect(),
        from_file,
    ))
}

/// Shows `plan`, asks, and waits for the answer: only `yes` approves; an
/// interrupt at the question ends the run as one.
async fn approved(
    plan: &Plan,
    read_answer: fn() -> Option<String>,
    reporter: &dyn Reporter,
    interrupt: &Interrupt,
) -> Result<()> {
    reporter.ask_approval(plan);
    let answer = tokio::task::spawn_blocking(read_answer);
    match unless_interrupted(interrupt, "at the confirmation", answer).await? {
        Ok(Some(line)) if line == "yes" => Ok(()),
        _ => Err(Error::Failed(
            "apply cancelled (only `yes` approves): nothing was sent".to_owned(),
        )),
    }
}

/// Reads a saved plan and refuses it when it was made for another
/// environment or org, or when state or config moved on.
fn saved_plan(path: &Path, state: &State, hash: &str, scene: &Scene) -> Result<Plan> {
    let text = std::fs::read_to_string(path).map_err(Error::io("read plan", path))?;
    let plan: Plan = serde_json::from_str(&text)
        .map_err(|e| Error::Failed(format!("`{}` is not a provision plan: {e}", path.display())))?;
    if plan.format_version != plan::PLAN_FORMAT_VERSION {
        return Err(Error::Failed(format!(
            "plan `{}` has format version {}; expected {}",
            path.display(),
            plan.format_version,
            plan::PLAN_FORMAT_VERSION
        )));
    }
    if let Some(why) = plan.scene.as_ref().and_then(|made| scene.mismatch(made)) {
        return Err(Error::Failed(format!(
            "refusing `{}`: {why}; make and review a plan here (`provision plan --out`)",
            path.display()
        )));
    }
    if plan.lineage != state.lineage || plan.serial != state.serial {
        return Err(Error::StalePlan(format!(
            "the saved plan was made for state serial {} (lineage {}), but state is now at serial {} (lineage {})",
            plan.serial, plan.lineage, state.serial, state.lineage
        )));
    }
    if plan.config_hash != hash {
        return Err(Error::StalePlan(
            "the config (or a secret) changed since the plan was saved".to_owned(),
        ));
    }
    Ok(plan)
}

/// `--preflight`: probes every described server; an error when any fails.
async fn preflight(
    ws: &Workspace,
    parallelism: Option<usize>,
    reporter: &dyn Reporter,
) -> Result<()> {
    // A connection whose secret this run does not send is not probed.
    let resolved: Vec<Resolved> = ws
        .desired
        .iter()
        .filter(|d| !ws.unknown_secrets.contains_key(&d.key))
        .map(|d| Resolved {
            key: d.key.clone(),
            connection: d.connection.clone(),
        })
        .collect();
    let options = CheckOptions {
        timeout: Duration::from_secs(10),
        parallelism: ws.parallelism(parallelism),
        ca_file: ws.ca_file(),
    };
    let report = check::check_all(&resolved, &options)
        .await
        .map_err(|err| Error::Failed(format!("preflight: {err}")))?;
    reporter.event(Event::Preflight(&report));
    if report.failed() == 0 {
        return Ok(());
    }
    Err(Error::Failed(format!(
        "preflight: {} connection(s) cannot be reached as described: nothing was sent to the Flow Service",
        report.failed()
    )))
}
