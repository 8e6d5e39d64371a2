//! `provision state list|show|rm|import|unlock|migrate`: inspect, repair
//! and move state. The state commands take only the flags that choose a
//! state (they never call the Flow Service), except `state import`, which
//! reads the connection from the platform.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::args::{ConfigArgs, EnvArg, ResultFormat, TargetArgs};
use crate::config::ConnectionKey;
use crate::desired::Environment;
use crate::error::{Error, Result, Status};
use crate::escape::escape_value;
use crate::import;
use crate::output;
use crate::reporter::{self, StateList, StateShow};
use crate::state::{Change, FileBackend, PostgresBackend, StateBackend, StateError};
use crate::workspace::{self, TargetOptions, Workspace};

#[derive(Debug, Subcommand)]
pub(crate) enum StateCommand {
    /// List the recorded connections.
    List(StateListArgs),
    /// Show one record (as JSON unless `--format text`).
    Show(StateShowArgs),
    /// Forget a connection (it stays on the platform).
    Rm(StateKeyArgs),
    /// Record an existing platform connection under KEY.
    Import(StateImportArgs),
    /// Clear the lock details left by a run that died.
    Unlock(StateArgs),
    /// Copy the current state to another backend: `--to postgres://...` or
    /// `--to FILE`; refuses a target that already holds connections. With
    /// `--to-env NAME`: move the state from before environments into NAME's.
    Migrate(StateMigrateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct StateListArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ResultFormat,
}

#[derive(Debug, Args)]
pub(crate) struct StateShowArgs {
    #[command(flatten)]
    pub record: StateKeyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: ResultFormat,
}

#[derive(Debug, Args)]
pub(crate) struct StateMigrateArgs {
    /// Where to copy state: a `postgres://` URL or a file path.
    #[arg(
        long,
        value_name = "URL|FILE",
        required_unless_present = "to_env",
        conflicts_with = "to_env"
    )]
    pub to: Option<String>,
    /// Move the records of the state from before environments
    /// (`.provision/state.json`, namespace `default`) that belong to
    /// environment NAME (its org, its sandboxes) into NAME's own state;
    /// the others stay for the next `--to-env`.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["to_namespace", "env"])]
    pub to_env: Option<String>,
    /// Namespace in the target database (default: the source's namespace
    /// setting, else `default`).
    #[arg(long, value_name = "NAME")]
    pub to_namespace: Option<String>,
    #[command(flatten)]
    pub state: StateArgs,
}

/// Which state a state command reads or changes.
#[derive(Debug, Args)]
pub(crate) struct StateArgs {
    #[command(flatten)]
    pub target: StateTargetArgs,
}

/// Where a state command finds state: only the flags that choose it (state
/// commands never call the Flow Service).
#[derive(Debug, Args)]
pub(crate) struct StateTargetArgs {
    /// State file (default: settings `state.path`, else `.provision/state.json`).
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
    /// The state `--emulator` rehearsals keep (`.provision/emulator-state.json`)
    /// instead of the project's.
    #[arg(long)]
    pub emulator: bool,
    /// Project settings file (its `state` settings choose the backend).
    #[arg(long, value_name = "FILE", default_value = "provision.yaml")]
    pub config: PathBuf,
    #[command(flatten)]
    pub env: EnvArg,
}

#[derive(Debug, Args)]
pub(crate) struct StateKeyArgs {
    /// `cloud/sandbox/name`, e.g. `azure/prod/orders-db` (`provision state list` shows them)
    #[arg(value_name = "KEY")]
    pub key: String,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub(crate) struct StateImportArgs {
    /// `cloud/sandbox/name` of a connection in the config.
    pub key: ConnectionKey,
    /// Its Flow Service connection id.
    pub id: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

impl StateTargetArgs {
    fn options(&self) -> TargetOptions {
        TargetOptions {
            state: self.state.clone(),
            state_url: self.state_url.clone(),
            state_namespace: self.state_namespace.clone(),
            endpoint: None,
            ims: None,
            emulator: self.emulator,
            settings_file: Some(self.config.clone()),
            env_flag: self.env.env.clone(),
            environment: None,
        }
    }
}

pub(super) fn run(command: StateCommand) -> Result<Status> {
    match command {
        StateCommand::List(args) => list(&args),
        StateCommand::Show(args) => show(&args),
        StateCommand::Rm(args) => rm(&args),
        StateCommand::Import(args) => import(args),
        StateCommand::Unlock(args) => unlock(&args),
        StateCommand::Migrate(args) => migrate(&args),
    }?;
    Ok(Status::Success)
}

fn backend(args: &StateArgs) -> Result<Arc<dyn StateBackend>> {
    Ok(selected(args)?.0)
}

/// The backend, and the target options with the environment selected.
fn selected(args: &StateArgs) -> Result<(Arc<dyn StateBackend>, TargetOptions)> {
    let env = Environment::process();
    let mut target = args.target.options();
    let (settings, _) = workspace::settings_for(&args.target.config, &mut target, &env)?;
    Ok((workspace::backend(&target, &settings, &env)?, target))
}

fn list(args: &StateListArgs) -> Result<()> {
    let (backend, target) = selected(&args.state)?;
    let state = backend.load_unchecked()?;
    let list = StateList::of(&state, backend.describe());
    match args.format {
        ResultFormat::Text => list.text().iter().for_each(|l| output::result_line(l)),
        ResultFormat::Json => output::result(&reporter::json_document(&list)),
    }
    if let Some(hint) = workspace::empty_state_hint(&target, &state) {
        output::warning(&hint);
    }
    Ok(())
}

fn show(args: &StateShowArgs) -> Result<()> {
    let backend = backend(&args.record.state)?;
    let state = backend.load_unchecked()?;
    let pending = args
        .record
        .key
        .parse::<ConnectionKey>()
        .ok()
        .filter(|key| !state.connections.contains_key(key))
        .and_then(|key| state.pending.get(&key).map(|p| StateShow::pending(&key, p)));
    let shown = match pending {
        Some(shown) => shown,
        None => {
            let (key, record) = workspace::recorded_key(&args.record.key, &state, &*backend)?;
            StateShow::of(&key, record)
        }
    };
    match args.format {
        ResultFormat::Text => shown.text().iter().for_each(|l| output::result_line(l)),
        ResultFormat::Json => output::result(&reporter::json_document(&shown)),
    }
    Ok(())
}

fn rm(args: &StateKeyArgs) -> Result<()> {
    let backend = backend(&args.state)?;
    let _lock = backend.lock("provision state rm", Duration::ZERO)?;
    // `rm` repairs state: it must work on a state that `load` refuses.
    let mut state = backend.load_unchecked()?;
    let (key, record) = workspace::recorded_key(&args.key, &state, &*backend)?;
    backend.record(&mut state, &[Change::Remove(key.clone())])?;
    output::result_line(&format!(
        "removed `{key}` from state; connection `{}` stays on the platform",
        record.id
    ));
    Ok(())
}

fn import(args: StateImportArgs) -> Result<()> {
    let ws = Workspace::open(
        &args.config.options(),
        args.target.options(),
        Environment::process(),
    )?;
    let item = import::record_existing(&ws, &args.key, &args.id)?;
    // The id and name come from the server: shown escaped.
    let id = escape_value(&item.id);
    if item.name != args.key.name {
        output::warning(&format!(
            "connection `{id}` is named `{}` on the platform, `{}` in the config: `provision apply --refresh` renames it",
            escape_value(&item.name),
            args.key.name
        ));
    }
    output::result_line(&format!("imported `{id}` as `{}`", args.key));
    Ok(())
}

fn unlock(args: &StateArgs) -> Result<()> {
    let backend = backend(args)?;
    match backend.unlock() {
        Ok(Some(stale)) => {
            let gone = if stale.is_dead_here() {
                " (its process no longer exists)"
            } else {
                ""
            };
            output::result_line(&format!("cleared the lock details left by {stale}{gone}"));
        }
        Ok(None) => output::result_line("state is not locked"),
        Err(err) => return Err(err.into()),
    }
    Ok(())
}

/// Copies the whole state (lineage and serial kept) to `--to`, holding both
/// locks; a target that already records connections is left alone.
fn migrate(args: &StateMigrateArgs) -> Result<()> {
    let (Some(to), None) = (&args.to, &args.to_env) else {
        return migrate_to_env(args);
    };
    let source = backend(&args.state)?;
    let command = "provision state migrate";
    let _source_lock = source.lock(command, Duration::ZERO)?;
    let state = source.load()?;
    if state.lineage.is_empty() {
        return Err(Error::Failed(format!(
            "state {} is empty: nothing to migrate",
            source.describe()
        )));
    }
    let is_url = to.starts_with("postgres://") || to.starts_with("postgresql://");
    let namespace = destination(args, to, is_url)?;
    let describe = match &namespace {
        Some(namespace) => {
            let target =
                PostgresBackend::new(to, namespace).map_err(|err| Error::Setup(err.to_string()))?;
            copy_into(&target, command, |t| t.replace(&state), &*source)?
        }
        None => {
            let target = FileBackend::new(to);
            copy_into(&target, command, |t| t.save(&state), &*source)?
        }
    };
    output::result_line(&format!(
        "copied {} connection(s) (lineage `{}`, serial {}) from {} to {describe}",
        state.connections.len(),
        state.lineage,
        state.serial,
        source.describe()
    ));
    Ok(())
}

/// The namespace `--to URL` copies into (`None` for a file), once the
/// destination is known not to be another environment's default state.
fn destination(args: &StateMigrateArgs, to: &str, is_url: bool) -> Result<Option<String>> {
    let namespace = if is_url {
        Some(to_namespace(args)?)
    } else {
        None
    };
    let destination = match &namespace {
        Some(namespace) => workspace::migrate::Destination::Namespace(namespace),
        None => workspace::migrate::Destination::File(Path::new(to)),
    };
    workspace::migrate::check_destination(
        &args.state.target.config,
        &args.state.target.options(),
        &Environment::process(),
        &destination,
    )?;
    Ok(namespace)
}

/// `--to-namespace`, else the namespace the source's settings choose.
fn to_namespace(args: &StateMigrateArgs) -> Result<String> {
    if let Some(namespace) = &args.to_namespace {
        return Ok(namespace.clone());
    }
    let env = Environment::process();
    let mut target = args.state.target.options();
    let (settings, _) = workspace::settings_for(&args.state.target.config, &mut target, &env)?;
    workspace::namespace(&target, &settings, &env)
}

/// `--to-env NAME`: the pre-environments state's records into NAME's.
fn migrate_to_env(args: &StateMigrateArgs) -> Result<()> {
    let Some(name) = args.to_env.as_deref() else {
        return Err(Error::Usage(
            "expected `--to URL|FILE` or `--to-env NAME`".into(),
        ));
    };
    let moved = workspace::migrate::to_env(
        &args.state.target.config,
        &args.state.target.options(),
        name,
        &Environment::process(),
    )?;
    let rest = match &moved.left {
        Some(left) => format!("; the old state keeps the others: {left}"),
        None => "; the old state is left empty".to_owned(),
    };
    output::result_line(&format!(
        "moved {} connection(s) from {} to {} (environment `{name}`){rest}",
        moved.count, moved.from, moved.to
    ));
    Ok(())
}

/// Locks `target`, refuses it when it records anything, then writes.
fn copy_into<B: StateBackend>(
    target: &B,
    command: &str,
    write: impl FnOnce(&B) -> std::result::Result<(), StateError>,
    source: &dyn StateBackend,
) -> Result<String> {
    if target.describe() == source.describe() {
        return Err(Error::Failed(format!(
            "source and target are the same state {}",
            target.describe()
        )));
    }
    let _lock = target.lock(command, Duration::ZERO)?;
    let existing = target.load()?;
    if !existing.is_empty() {
        return Err(Error::Failed(format!(
            "state {} already records {} connection(s): refusing to overwrite it (empty it first, or pick another target)",
            target.describe(),
            existing.connections.len() + existing.pending.len()
        )));
    }
    write(target)?;
    Ok(target.describe())
}
