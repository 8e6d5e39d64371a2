//! `provision plan`: validate, resolve secrets, diff against state (and the
//! platform for new or, with `--refresh`, all connections). Writes nothing
//! but the optional `--out` plan file.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::PlanningArgs;
use crate::desired::Environment;
use crate::desired::unset_secrets::SecretsNeeded;
use crate::error::{Error, Result, Status};
use crate::output;
use crate::plan::environments::{self, AllEnvsPlan};
use crate::plan::{Plan, render};
use crate::reporter;
use crate::workspace::Workspace;

use super::runtime;

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: PlanFormat,
    /// Save the plan (no secrets in it) for `apply --plan`. Unlike a plain
    /// plan, it needs every secret the apply will send (and
    /// `PROVISION_STATE_KEY` once state uses one).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Plan every environment of the settings, in order, into one report
    /// (one section each); read-only.
    #[arg(long, conflicts_with_all = ["out", "env"])]
    pub all_envs: bool,
}

/// Plan output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PlanFormat {
    /// terraform-like lines and a summary
    Text,
    /// the versioned plan document
    Json,
    /// a pull-request comment
    Markdown,
}

pub(super) fn run(args: PlanArgs, verbose: bool) -> Result<Status> {
    if args.all_envs {
        return all_envs(&args, verbose);
    }
    let planning = args.planning;
    let detailed = planning.detailed_exitcode;
    let refresh = planning.refresh;
    let ws = Workspace::open_with(
        &planning.config.options(),
        planning.target.options(),
        Environment::process(),
        &secrets_needed(&args.out, &planning.targets),
    )?;
    for diagnostic in &ws.diagnostics {
        output::warning(&reporter::diagnostic_line(diagnostic));
    }
    for warning in &ws.warnings {
        output::warning(warning);
    }
    let options = planning.plan_options(&ws)?;
    let state = ws.backend.load()?;
    if args.out.is_some() {
        ws.complete_for_saving(&state)?;
    }
    let plan = runtime()?.block_on(ws.plan(&state, refresh, &options, None))?;
    if let Some(path) = &args.out {
        save(path, &render::json(&plan))?;
    }
    print(&plan, args.format, verbose);
    if let Some(path) = &args.out {
        output::progress(&format!(
            "Saved the plan to `{}`: apply it with `provision apply --plan {}`.\n",
            path.display(),
            path.display()
        ));
    }
    Ok(if detailed && !plan.is_empty() {
        Status::Changes
    } else {
        Status::Success
    })
}

/// Prints `plan` in `format`; text starts with where it acts, on stderr
/// (stdout stays the plan).
fn print(plan: &Plan, format: PlanFormat, verbose: bool) {
    match format {
        PlanFormat::Text => {
            if let Some(scene) = &plan.scene {
                output::progress(&scene.text());
            }
            output::result(&render::text(plan, verbose));
        }
        PlanFormat::Json => output::result(&render::json(plan)),
        PlanFormat::Markdown => output::result(&render::markdown(plan)),
    }
}

/// A plan sends no secret; a saved one must hold all it will send (the
/// targeted connections' with `--target`).
fn secrets_needed(out: &Option<PathBuf>, targets: &[String]) -> SecretsNeeded {
    match (out, targets.is_empty()) {
        (None, _) => SecretsNeeded::None,
        (Some(_), true) => SecretsNeeded::All,
        (Some(_), false) => SecretsNeeded::Only(targets.to_vec()),
    }
}

/// `--all-envs`: each environment planned in settings order, one section
/// each; an environment that fails is reported in its place and the others
/// still run. Exit 1 if any failed, else (`--detailed-exitcode`) 2 if any
/// has changes.
fn all_envs(args: &PlanArgs, verbose: bool) -> Result<Status> {
    let planning = &args.planning;
    let config = planning.config.options();
    let report = crate::workspace::validated(&config)?;
    let names: Vec<String> = report
        .config
        .settings
        .environment_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Err(Error::Usage(format!(
            "--all-envs: `{}` defines no `environments`: expected a settings file with `environments:` (or plan without --all-envs)",
            config.settings.display()
        )));
    }
    let mut outcomes = Vec::new();
    for name in names {
        let outcome = plan_one(args, &name).map_err(|err| {
            output::error(&format!("environment `{name}`: {err}"));
            err.to_string()
        });
        outcomes.push((name, outcome));
    }
    let failed = outcomes.iter().any(|(_, o)| o.is_err());
    let changes = outcomes
        .iter()
        .any(|(_, o)| o.as_ref().is_ok_and(|p| !p.is_empty()));
    print_all(&outcomes, args.format, verbose);
    Ok(if failed {
        Status::Failed
    } else if planning.detailed_exitcode && changes {
        Status::Changes
    } else {
        Status::Success
    })
}

/// Prints the `--all-envs` report; text starts with where each plan acts,
/// on stderr, as a single plan does.
fn print_all(outcomes: &environments::Outcomes, format: PlanFormat, verbose: bool) {
    match format {
        PlanFormat::Text => {
            for scene in outcomes
                .iter()
                .filter_map(|(_, o)| o.as_ref().ok()?.scene.as_ref())
            {
                output::progress(&scene.text());
            }
            output::result(&environments::text(outcomes, verbose));
        }
        PlanFormat::Markdown => output::result(&environments::markdown(outcomes)),
        PlanFormat::Json => output::result(&AllEnvsPlan::of(outcomes.clone()).json()),
    }
}

/// One environment's plan for `--all-envs`; its warnings go to stderr,
/// named after it.
fn plan_one(args: &PlanArgs, name: &str) -> Result<crate::plan::Plan> {
    let planning = &args.planning;
    let mut target = planning.target.options();
    target.env_flag = Some(name.to_owned());
    let ws = Workspace::open_with(
        &planning.config.options(),
        target,
        Environment::process(),
        &secrets_needed(&args.out, &planning.targets),
    )?;
    for diagnostic in &ws.diagnostics {
        output::warning(&format!(
            "environment `{name}`: {}",
            reporter::diagnostic_line(diagnostic)
        ));
    }
    for warning in &ws.warnings {
        output::warning(&format!("environment `{name}`: {warning}"));
    }
    let options = planning.plan_options(&ws)?;
    let state = ws.backend.load()?;
    runtime()?.block_on(ws.plan(&state, planning.refresh, &options, None))
}

/// Writes the plan file, atomically, over nothing but an earlier saved plan:
/// `--out` pointed at the state file or a connection file must not eat it.
fn save(path: &Path, text: &str) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        let plan_like = meta.is_file()
            && std::fs::read(path)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
                .is_some_and(|v| {
                    v.get("format_version").is_some() && v.get("config_hash").is_some()
                });
        if !plan_like {
            return Err(Error::Failed(format!(
                "`{}` exists and is not a saved plan: refusing to overwrite it (expected a new path, or a plan file from `provision plan --out`)",
                path.display()
            )));
        }
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(Error::io("write plan", path))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(Error::io("write plan", path))?;
    tmp.persist(path)
        .map_err(|e| Error::io("write plan", path)(e.error))?;
    Ok(())
}
