//! `provision apply`: glue from the flags to [`apply::run`], told to a text
//! or a JSON-lines reporter, and the exit code from what happened.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::args::{PlanningArgs, parse_duration};
use crate::apply::{self, ApplyOptions, Reporter};
use crate::desired::Environment;
use crate::desired::unset_secrets::SecretsNeeded;
use crate::error::{Result, Status};
use crate::output;
use crate::reporter::{ApplyJson, ApplyText};
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
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ApplyFormat,
    /// Do not ask for `yes` on a terminal before carrying out the plan
    /// (without a terminal, and with `--emulator`, apply never asks).
    #[arg(long)]
    pub auto_approve: bool,
}

/// Apply output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ApplyFormat {
    /// one line per action as it completes, then a summary
    Text,
    /// a stream of JSON lines (schema/apply-events.schema.json)
    Json,
}

impl ApplyArgs {
    fn options(&self, ws: &Workspace) -> Result<ApplyOptions> {
        let planning = &self.planning;
        Ok(ApplyOptions {
            plan: planning.plan_options(ws)?,
            refresh: planning.refresh,
            parallelism: planning.parallelism.map(usize::from),
            saved_plan: self.plan.clone(),
            lock_timeout: self.lock_timeout,
            rate_limit: self.rate_limit,
            preflight: self.preflight,
            confirm: (!self.auto_approve && !planning.target.emulator && output::interactive())
                .then_some(output::read_answer as fn() -> Option<String>),
        })
    }
}

pub(super) fn run(args: ApplyArgs, quiet: bool) -> Result<Status> {
    let planning = &args.planning;
    // `--target` sends only the targeted connections' secrets.
    let needed = if planning.targets.is_empty() {
        SecretsNeeded::All
    } else {
        SecretsNeeded::Only(planning.targets.clone())
    };
    let ws = Workspace::open_with(
        &planning.config.options(),
        planning.target.options(),
        Environment::process(),
        &needed,
    )?;
    ws.check_branch()?;
    let options = args.options(&ws)?;
    let reporter: Box<dyn Reporter> = match args.format {
        ApplyFormat::Text => Box::new(ApplyText::new(quiet)),
        ApplyFormat::Json => Box::new(ApplyJson),
    };
    // Every result, failures included, was reported as it came.
    let done = apply::run(&ws, &options, &*reporter)?;
    Ok(if done.report.interrupted {
        Status::Interrupted
    } else if done.report.failed() > 0 {
        Status::Failed
    } else if planning.detailed_exitcode && !done.plan.is_empty() {
        Status::Changes
    } else {
        Status::Success
    })
}
