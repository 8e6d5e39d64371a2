//! Flag groups several commands share (which files, which target, how to
//! plan) and the parsers of flag values, so each command's `Args` file only
//! adds what is its own. Library code sees the options structs built here.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::desired::Project;
use crate::error::{Error, Result};
use crate::plan::{PlanOptions, PruneScope};
use crate::workspace::{ConfigOptions, Root, SETTINGS_FILE, TargetOptions, Workspace};

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
    #[command(flatten)]
    pub env: EnvArg,
}

/// `-e NAME`: which environment of the settings a command acts in.
#[derive(Debug, Args)]
pub(crate) struct EnvArg {
    /// The environment to act in, from settings `environments` (default:
    /// `PROVISION_ENV`); required when the settings define environments.
    #[arg(short = 'e', long = "env", value_name = "NAME")]
    pub env: Option<String>,
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
    /// Only this connection (`cloud/sandbox/name`) or dataflow
    /// (`dataflow/cloud/sandbox/name`, with its base connection);
    /// repeatable.
    #[arg(long = "target", value_name = "KEY")]
    pub targets: Vec<String>,
    /// Replace this dataflow (`dataflow/cloud/sandbox/name`) even where the
    /// plan refuses to: a past `schedule.start` changed, or a replace that
    /// reads the same table into the same dataset again; repeatable.
    #[arg(long = "replace", value_name = "KEY")]
    pub replace: Vec<String>,
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

impl PlanningArgs {
    /// The plan's options; `--target`s are checked against `ws`'s config
    /// and state, for suggestions when one is not a key.
    pub(crate) fn plan_options(&self, ws: &Workspace) -> Result<PlanOptions> {
        Ok(PlanOptions {
            prune: self.prune,
            max_deletes: self.max_deletes,
            targets: ws.target_keys(&self.targets)?,
            dataflow_targets: ws.dataflow_target_keys(&self.targets)?,
            replace: ws.dataflow_keys("--replace", &self.replace)?,
            rotate_secrets: self.rotate_secrets,
            scope: Some(self.config.prune_scope()),
            described_elsewhere: Default::default(),
            pending_window: None,
        })
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
            env_flag: self.env.env.clone(),
            environment: None,
        }
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

/// Moves the run to the project root ([`Root::find`]): `config` (when left
/// at its default, the settings file found upward) and every path of
/// `given` are rebased so they still name what the user meant from the
/// current folder; the run's own defaults (`connections/`, state) then
/// resolve against the root.
pub(crate) fn enter_project<'a>(
    config: &mut PathBuf,
    given: impl IntoIterator<Item = &'a mut PathBuf>,
) -> Result<()> {
    let cwd = std::env::current_dir().map_err(Error::io("read the current folder", "."))?;
    let explicit = (config.as_os_str() != SETTINGS_FILE).then_some(config.as_path());
    let root = Root::find(&cwd, explicit);
    if root.moved() {
        if explicit.is_some() {
            *config = root.rebase(config);
        }
        for path in given {
            *path = root.rebase(path);
        }
        std::env::set_current_dir(&root.dir).map_err(Error::io("enter", &root.dir))?;
    }
    if root.dir.join(&*config).is_file() {
        tracing::info!(
            "settings: `{}` (project root `{}`)",
            root.dir.join(&*config).display(),
            root.dir.display()
        );
    } else {
        tracing::info!(
            "settings: none (no `{}` here or above); project root `{}`",
            config.display(),
            root.dir.display()
        );
    }
    Ok(())
}

/// Output formats of the commands whose results are records: people
/// read the text, programs the JSON (its schema is in `schema/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ResultFormat {
    /// lines for people
    Text,
    /// one versioned JSON document, fields in snake_case
    Json,
}

/// The connection files' default folder when no PATH is given.
const DEFAULT_PATH: &str = "connections";

/// The PATHs given, or the default folder.
pub(crate) fn with_default(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(DEFAULT_PATH)]
    } else {
        paths.to_vec()
    }
}

/// The longest duration a flag accepts: far beyond any wait a run needs,
/// and well inside what timers and clocks can add to "now".
const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// `30s`, `5m`, `1h`, `250ms` or plain seconds, from 0 to 366 days.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
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
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| *d <= MAX_DURATION)
        .ok_or_else(|| format!("`{text}` is too long: expected at most 366 days (`8784h`)"))
}
