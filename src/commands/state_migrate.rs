//! `provision state migrate`: copy the whole state to another backend
//! (`--to`), or move the state from before environments into one
//! environment's (`--to-env`).

use std::path::Path;
use std::time::Duration;

use clap::Args;

use super::state_target::{StateArgs, backend};
use crate::desired::Environment;
use crate::error::{Error, Result};
use crate::output;
use crate::state::{FileBackend, PostgresBackend, StateBackend, StateError};
use crate::workspace;

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

/// Copies the whole state (lineage and serial kept) to `--to`, holding both
/// locks; a target that already records connections is left alone.
pub(super) fn migrate(args: &StateMigrateArgs) -> Result<()> {
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
