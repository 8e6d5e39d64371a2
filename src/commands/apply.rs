//! `provision apply`: glue from the flags to [`apply::run`], then one line
//! per action as it completes, a live bar on a terminal, and the summary.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::args::{PlanningArgs, parse_duration};
use crate::apply::{self, ActionError, ApplyOptions, Outcome, Progress};
use crate::desired::Environment;
use crate::error::{Error, Result, Status};
use crate::output;
use crate::plan::{Plan, render};
use crate::workspace::Workspace;

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// Carry out exactly this saved plan; refused when state or config moved on.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Wait this long for another run's state lock (e.g. `30s`, `5m`; default: fail at once).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "0s")]
    pub lock_timeout: Duration,
    /// At most N requests per second for the whole run.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// First connect to every described PostgreSQL server (as `provision
    /// check` does, 10 s timeout each); send nothing if any fails.
    #[arg(long)]
    pub preflight: bool,
}

impl ApplyArgs {
    fn options(&self) -> ApplyOptions {
        let planning = &self.planning;
        ApplyOptions {
            plan: planning.plan_options(),
            refresh: planning.refresh,
            parallelism: planning.parallelism.map(usize::from),
            saved_plan: self.plan.clone(),
            lock_timeout: self.lock_timeout,
            rate_limit: self.rate_limit,
            preflight: self.preflight,
        }
    }
}

pub(super) fn run(args: ApplyArgs, quiet: bool) -> Result<Status> {
    let planning = &args.planning;
    let options = args.options();
    let ws = Workspace::open(
        &planning.config.options(),
        planning.target.options(),
        Environment::process(),
    )?;
    for warning in &ws.warnings {
        output::warning(warning);
    }
    let bar = Bar::new(quiet);
    let done = apply::run(&ws, &options, &bar)?;
    bar.bar.finish_and_clear();
    if done.plan.is_empty() {
        output::result_line(&render::no_changes_line(&done.plan.summary));
        return Ok(Status::Success);
    }
    output::result_line(&done.report.summary());
    let failures: Vec<String> = done
        .report
        .outcomes
        .iter()
        .filter(|o| {
            o.result
                .as_ref()
                .is_err_and(|e| !matches!(e, ActionError::Interrupted))
        })
        .map(Outcome::line)
        .collect();
    if done.report.interrupted {
        Error::Actions(failures).report();
        Ok(Status::Interrupted)
    } else if !failures.is_empty() {
        Err(Error::Actions(failures))
    } else if planning.detailed_exitcode {
        Ok(Status::Changes)
    } else {
        Ok(Status::Success)
    }
}

/// A live bar on a terminal; hidden otherwise (one line per action is printed either way).
struct Bar {
    bar: ProgressBar,
    quiet: bool,
}

impl Bar {
    fn new(quiet: bool) -> Self {
        let bar = if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} applying [{bar:30}] {pos}/{len} ({elapsed})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        };
        Bar { bar, quiet }
    }
}

impl Progress for Bar {
    fn started(&self, plan: &Plan, total: usize) {
        if !self.quiet {
            output::progress(&format!("{}\n", render::summary_line(&plan.summary)));
        }
        self.bar.set_length(total as u64);
    }

    fn finished(&self, outcome: &Outcome) {
        self.bar.suspend(|| output::result_line(&outcome.line()));
        self.bar.inc(1);
    }
}
