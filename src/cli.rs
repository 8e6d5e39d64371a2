//! Command-line definitions (clap). No logic here: `commands/` does the work.

use crate::config::ConnectionKey;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::apply::ApplyOptions;
use crate::desired::Project;
use crate::import::ImportOptions;
use crate::plan::{PlanOptions, PruneScope};
use crate::workspace::{ConfigOptions, TargetOptions};

mod check;
mod emulator;
mod gitops;
mod smoke;
mod state;
pub(crate) use check::{CheckArgs, CheckFormat};
pub(crate) use emulator::EmulatorArgs;
pub(crate) use gitops::{CompletionsArgs, ImportArgs, InitArgs, ManArgs};
pub(crate) use smoke::SmokeArgs;
pub(crate) use state::{StateArgs, StateCommand, StateImportArgs, StateKeyArgs, StateMigrateArgs};

/// Manage PostgreSQL source connections on Adobe Experience Platform,
/// declaratively, from YAML files in git.
#[derive(Debug, Parser)]
#[command(name = "provision", version = env!("PROVISION_VERSION_LONG"), about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More logs on stderr (-v info, -vv debug, -vvv trace). Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Print only results and errors: no summary lines or progress.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl Cli {
    /// Parses `std::env::args`, returning clap's error for the caller to print.
    pub(crate) fn try_parse_args() -> Result<Self, clap::Error> {
        Cli::try_parse()
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check connection files against the schema and the semantic rules
    /// (no network, no secrets needed).
    Validate(ValidateArgs),
    /// Write the generated JSON Schemas, or check the committed ones.
    Schema(SchemaArgs),
    /// Run the local Flow Service + IMS emulator (tests, demos, rehearsals).
    Emulator(EmulatorArgs),
    /// Show what apply would do: create, adopt, update, delete (no writes).
    Plan(PlanArgs),
    /// Carry out the plan against the Flow Service, recording each result in state.
    Apply(ApplyArgs),
    /// Inspect and repair state.
    #[command(subcommand)]
    State(StateCommand),
    /// Connect to each described PostgreSQL server with its credentials and
    /// TLS mode (preflight; never calls the Flow Service).
    Check(CheckArgs),
    /// Write YAML files (and state records) for connections that already exist.
    Import(ImportArgs),
    /// With real credentials: create, read, list, update and delete one
    /// throwaway connection, and check the client's assumptions about the platform.
    Smoke(SmokeArgs),
    /// Scaffold a new project: settings, an example, schemas, CI templates.
    Init(InitArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Write the man page(s), generated from these definitions.
    Man(ManArgs),
    /// Explain a diagnostic code (`provision explain V203`), or list every code.
    Explain(ExplainArgs),
}

/// `provision explain [CODE]`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// A diagnostic code such as `V203` (any case); without it, every code is listed.
    #[arg(value_name = "CODE", value_parser = crate::diagnostic::parse_code)]
    pub code: Option<crate::diagnostic::Code>,
}

/// Where to run and where state lives: shared by plan, apply and state.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// State file (default: settings `state.path`, else `.provision/state.json`;
    /// with `--emulator`, `.provision/emulator-state.json`).
    #[arg(long, value_name = "FILE", conflicts_with = "state_url")]
    pub state: Option<PathBuf>,
    /// PostgreSQL state database (`postgres://user:pw@host/db?sslmode=require`);
    /// chooses the postgres backend. Prefer `PROVISION_STATE_URL` or settings
    /// `state.url`: a password on the command line is visible to other users.
    #[arg(long, value_name = "URL")]
    pub state_url: Option<String>,
    /// Namespace in a shared PostgreSQL state database (default: settings
    /// `state.namespace`, else `default`).
    #[arg(long, value_name = "NAME")]
    pub state_namespace: Option<String>,
    /// Flow Service host (overrides settings `endpoint`).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// IMS host for tokens (overrides settings `ims`).
    #[arg(long, value_name = "URL")]
    pub ims: Option<String>,
    /// Rehearse against an in-process emulator instead of the platform; its
    /// data persists in `.provision/emulator.json`. No credentials needed.
    #[arg(long)]
    pub emulator: bool,
}

/// Options of plan and apply.
#[derive(Debug, Args)]
pub(crate) struct PlanningArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Ask the platform whether recorded connections still exist and match.
    #[arg(long)]
    pub refresh: bool,
    /// Delete connections that are in state but no longer in config: only
    /// those recorded from files under the PATHs given.
    #[arg(long)]
    pub prune: bool,
    /// Refuse plans that delete more than N connections.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_deletes: usize,
    /// Only this connection (`cloud/sandbox/name`); repeatable.
    #[arg(long = "target", value_name = "KEY")]
    pub targets: Vec<ConnectionKey>,
    /// Exit 2 when there are (or were) changes, 0 when none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Update every secret even when no change is detected (needed to push
    /// rotated passwords when `PROVISION_STATE_KEY` is not set).
    #[arg(long)]
    pub rotate_secrets: bool,
    /// Requests sent at once (default: settings `parallelism`, else 8).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: Option<u16>,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: PlanFormat,
    /// Save the plan (no secrets in it) for `apply --plan`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// Carry out exactly this saved plan; refused when state or config moved on.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Wait this long for another run's state lock (e.g. `30s`, `5m`; default: fail at once).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "0s")]
    pub lock_timeout: std::time::Duration,
    /// At most N requests per second for the whole run.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// First connect to every described PostgreSQL server (as `provision
    /// check` does, 10 s timeout each); send nothing if any fails.
    #[arg(long)]
    pub preflight: bool,
}

/// Output formats for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// rustc-style, with the source line and a caret
    Text,
    /// one JSON document
    Json,
    /// GitHub Actions workflow annotations
    Github,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
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

impl PlanningArgs {
    pub(crate) fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            prune: self.prune,
            max_deletes: self.max_deletes,
            targets: self.targets.clone(),
            rotate_secrets: self.rotate_secrets,
            scope: Some(self.config.prune_scope()),
            described_elsewhere: Default::default(),
        }
    }
}

impl ApplyArgs {
    pub(crate) fn options(&self) -> ApplyOptions {
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

impl ImportArgs {
    pub(crate) fn options(&self) -> ImportOptions {
        ImportOptions {
            sandbox: self.sandbox.clone(),
            cloud: self.cloud,
            out: self.out.clone(),
            dry_run: self.dry_run,
            settings_file: self.config.clone(),
            paths: with_default(&self.paths),
            target: TargetOptions {
                settings_file: Some(self.config.clone()),
                ..self.target.options()
            },
        }
    }
}

impl TargetArgs {
    pub(crate) fn options(&self) -> TargetOptions {
        TargetOptions {
            state: self.state.clone(),
            state_url: self.state_url.clone(),
            state_namespace: self.state_namespace.clone(),
            endpoint: self.endpoint.clone(),
            ims: self.ims.clone(),
            emulator: self.emulator,
            settings_file: None,
        }
    }
}

/// The connection files' default folder when no PATH is given.
const DEFAULT_PATH: &str = "connections";

fn with_default(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(DEFAULT_PATH)]
    } else {
        paths.to_vec()
    }
}

impl ConfigArgs {
    pub(crate) fn options(&self) -> ConfigOptions {
        ConfigOptions {
            paths: with_default(&self.paths),
            settings: self.config.clone(),
            allow_plaintext_secrets: self.allow_plaintext_secrets,
        }
    }

    /// What `--prune` may reach: entries recorded from files under the
    /// paths; without PATH, also those recorded before state kept files.
    pub(crate) fn prune_scope(&self) -> PruneScope {
        let project = Project::of_settings(&self.config);
        PruneScope {
            paths: with_default(&self.paths)
                .iter()
                .map(|path| project.source(path))
                .collect(),
            unrecorded: self.paths.is_empty(),
        }
    }
}

/// The longest duration a flag accepts: far beyond any wait a run needs,
/// and well inside what timers and clocks can add to "now".
const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(366 * 24 * 3600);

/// `30s`, `5m`, `1h`, `250ms` or plain seconds, from 0 to 366 days.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |i| (&text[..i], &text[i..]));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: expected e.g. `30s`, `5m`"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("unknown unit `{unit}`: expected ms, s, m or h")),
    };
    std::time::Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| *d <= MAX_DURATION)
        .ok_or_else(|| format!("`{text}` is too long: expected at most 366 days (`8784h`)"))
}

/// Options shared by commands that read the config.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// Files or folders of connection files (folders are walked for *.yaml /
    /// *.yml) [default: connections].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Project settings file (validated too when it exists).
    #[arg(long, value_name = "FILE", default_value = "provision.yaml")]
    pub config: PathBuf,
    /// Accept plaintext passwords with a warning instead of an error.
    #[arg(long)]
    pub allow_plaintext_secrets: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 1 when there are warnings, too.
    #[arg(long)]
    pub warnings_as_errors: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// Folder to write the schemas into.
    #[arg(long, value_name = "DIR", default_value = "schema")]
    pub out: PathBuf,
    /// Write nothing; exit 1 when the files in DIR differ from the generated ones.
    #[arg(long)]
    pub check: bool,
}
