//! `provision apply`: lock state, plan (or load a saved plan and check it
//! still fits), carry it out, print one line per action and a summary.

use std::collections::HashMap;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use crate::apply::{self, Engine, RateLimiter, Recorder};
use crate::check::{self, CheckOptions};
use crate::cli::ApplyArgs;
use crate::plan::{self, Plan, desired::config_hash, render};
use crate::resolve::Resolved;
use crate::state::StateError;
use crate::workspace::Workspace;
use crate::{exit, output};

use super::{fail, runtime};

fn load_plan(path: &std::path::Path) -> Result<Plan, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read plan `{}`: {e}", path.display()))?;
    let plan: Plan = serde_json::from_str(&text)
        .map_err(|e| format!("`{}` is not a provision plan: {e}", path.display()))?;
    if plan.format_version != plan::PLAN_FORMAT_VERSION {
        return Err(format!(
            "plan `{}` has format version {}; expected {}",
            path.display(),
            plan.format_version,
            plan::PLAN_FORMAT_VERSION
        ));
    }
    Ok(plan)
}

pub fn run(args: ApplyArgs, quiet: bool) -> u8 {
    let planning = args.planning;
    let options = super::plan::options(&planning);
    let detailed = planning.detailed_exitcode;
    let refresh = planning.refresh;
    let parallelism_flag = planning.parallelism.map(usize::from);
    let ws = match Workspace::open(&planning.config, planning.target) {
        Ok(ws) => ws,
        Err(err) => return fail(err),
    };
    for warning in &ws.warnings {
        output::warning(warning);
    }
    let _lock = match ws.backend.lock("provision apply", args.lock_timeout) {
        Ok(lock) => lock,
        Err(StateError::Locked(holder)) => {
            output::error(&format!(
                "state {} is locked by {holder}: wait for it (`--lock-timeout 5m`), or if that run is gone, `provision state unlock`",
                ws.backend.describe()
            ));
            return exit::LOCKED;
        }
        Err(err) => return fail(err.to_string().into()),
    };
    let state = match ws.backend.load() {
        Ok(state) => state,
        Err(err) => return fail(err.to_string().into()),
    };
    let hash = config_hash(&ws.desired);
    let saved = match args.plan.as_deref().map(load_plan).transpose() {
        Ok(saved) => saved,
        Err(err) => return fail(err.into()),
    };
    if let Some(saved) = &saved {
        if saved.lineage != state.lineage || saved.serial != state.serial {
            return fail(format!(
                "the saved plan was made for state serial {} (lineage {}), but state is now at serial {} (lineage {}): make a new plan",
                saved.serial, saved.lineage, state.serial, state.lineage
            ).into());
        }
        if saved.config_hash != hash {
            return fail(
                "the config (or a secret) changed since the plan was saved: make a new plan"
                    .to_owned()
                    .into(),
            );
        }
    }
    let Some(runtime) = runtime() else {
        return exit::FAILURE;
    };
    if args.preflight && !preflight(&runtime, &ws, parallelism_flag) {
        return exit::FAILURE;
    }
    let parallelism = ws.parallelism(parallelism_flag);
    let desired: HashMap<String, plan::Desired> = ws
        .desired
        .iter()
        .map(|d| (d.key.clone(), d.clone()))
        .collect();
    let from_file = saved.is_some();
    let outcome = runtime.block_on(async {
        let connected = ws.connect().await?;
        let plan = match saved {
            Some(plan) => plan,
            None => {
                let remote = connected.read_remote(&ws.desired, &state, refresh).await?;
                plan::diff(&ws.desired, &state, Some(&remote), hash, &options)
                    .map_err(|e| e.to_string())?
            }
        };
        for warning in &plan.warnings {
            output::warning(warning);
        }
        if plan.is_empty() {
            connected.close().await;
            return Ok::<_, crate::workspace::WorkspaceError>((
                plan,
                apply::ApplyReport::default(),
            ));
        }
        if !quiet {
            output::progress(&format!("{}\n", render::summary_line(&plan.summary)));
        }
        let engine = Arc::new(Engine {
            api: Arc::clone(&connected.api),
            recorder: Recorder::start(Arc::clone(&ws.backend), state.clone()),
            records: state.connections.clone().into_iter().collect(),
            limiter: args.rate_limit.map(RateLimiter::per_second),
            lookup_before_create: from_file,
        });
        let total = plan
            .actions
            .iter()
            .filter(|a| a.kind != plan::ActionKind::Unchanged)
            .count();
        let bar = progress_bar(total as u64, quiet);
        let on_done = |outcome: &apply::Outcome| {
            bar.suspend(|| output::result_line(&outcome.line()));
            bar.inc(1);
        };
        let report =
            apply::execute(Arc::clone(&engine), &plan, &desired, parallelism, &on_done).await;
        bar.finish_and_clear();
        drop(engine);
        connected.close().await;
        Ok((plan, report))
    });
    let (plan, report) = match outcome {
        Ok(done) => done,
        Err(err) => return fail(err),
    };
    if plan.is_empty() {
        output::result_line(&format!(
            "No changes: {} connection(s) match the config.",
            plan.summary.unchanged
        ));
        return exit::OK;
    }
    output::result_line(&report.summary());
    let failures: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| o.result.is_err())
        .collect();
    for failure in &failures {
        output::error(&failure.line());
    }
    if !failures.is_empty() {
        exit::FAILURE
    } else if detailed {
        exit::CHANGES
    } else {
        exit::OK
    }
}

/// A live bar on a terminal; hidden otherwise (one line per action is printed either way).
fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} applying [{bar:30}] {pos}/{len} ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `--preflight`: probes every described server; false when any fails.
fn preflight(
    runtime: &tokio::runtime::Runtime,
    ws: &Workspace,
    parallelism: Option<usize>,
) -> bool {
    let resolved: Vec<Resolved> = ws
        .desired
        .iter()
        .map(|d| Resolved {
            key: d.key.clone(),
            connection: d.connection.clone(),
        })
        .collect();
    let options = CheckOptions {
        timeout: std::time::Duration::from_secs(10),
        parallelism: ws.parallelism(parallelism),
        ca_file: std::env::var_os("PROVISION_CA_FILE").map(Into::into),
    };
    match runtime.block_on(check::check_all(&resolved, &options)) {
        Ok(report) if report.failed() == 0 => {
            output::progress(&format!("preflight: {}\n", report.summary_line()));
            true
        }
        Ok(report) => {
            output::progress(&report.render_text());
            output::error(&format!(
                "preflight: {} connection(s) cannot be reached as described: nothing was sent to the Flow Service",
                report.failed()
            ));
            false
        }
        Err(err) => {
            output::error(&format!("preflight: {err}"));
            false
        }
    }
}
