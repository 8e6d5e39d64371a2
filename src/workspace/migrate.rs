//! `state migrate --to-env NAME`: moves the records of the state a project
//! kept before it had environments that belong to NAME (its org, its
//! sandboxes) into NAME's own state; the rest stay for the next `--to-env`,
//! so no environment takes over (and prunes) another's connections.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use super::DEFAULT_STATE;
use super::backend::{chosen, legacy, namespace as namespace_of, per_environment};
use super::owners::Owners;
use super::{TargetOptions, select, settings_only};
use crate::config::StateBackendKind;
use crate::desired::Environment;
use crate::error::Error;
use crate::state::{Change, State};

/// What was moved, from where to where.
#[derive(Debug)]
pub(crate) struct Moved {
    pub count: usize,
    pub from: String,
    pub to: String,
    /// What stays in the old state, per owning environment (a sentence).
    pub left: Option<String>,
}

/// Moves the records of the pre-environments state that belong to `name`
/// (see [`Owners`]) into `name`'s state. Refused when that state already
/// holds records, or no record of the old one belongs to `name`.
pub(crate) fn to_env(
    settings_file: &Path,
    target: &TargetOptions,
    name: &str,
    env: &Environment,
) -> Result<Moved, Error> {
    let settings = settings_only(settings_file)?;
    let selected = select(&settings, Some(name), env)?.ok_or_else(|| {
        Error::Usage(format!(
            "--to-env {name}: the settings define no `environments`: add them to provision.yaml first"
        ))
    })?;
    let before = TargetOptions {
        environment: None,
        ..target.clone()
    };
    let source = legacy(&before, &settings, env)?;
    let after = TargetOptions {
        environment: Some(selected.name.clone()),
        ..target.clone()
    };
    let destination = chosen(&after, &selected.settings, env)?;
    if source.describe() == destination.describe() {
        return Err(Error::Failed(format!(
            "the state from before environments and environment `{name}`'s are the same state {}: nothing to move",
            source.describe()
        )));
    }
    let command = "provision state migrate --to-env";
    let _source_lock = source.lock(command, Duration::ZERO)?;
    let _destination_lock = destination.lock(command, Duration::ZERO)?;
    let mut old = source.load()?;
    if let Some(other) = &old.environment {
        return Err(Error::Failed(format!(
            "state {} already belongs to environment `{other}`: it is not a state from before environments",
            source.describe()
        )));
    }
    let total = old.connections.len() + old.pending.len();
    if total == 0 {
        return Err(Error::Failed(format!(
            "state {} records no connection: nothing to move",
            source.describe()
        )));
    }
    let mut moved = destination.load()?;
    if !moved.is_empty() {
        return Err(Error::Failed(format!(
            "state {} of environment `{name}` already records {} connection(s): refusing to mix them (empty it first)",
            destination.describe(),
            moved.connections.len() + moved.pending.len()
        )));
    }
    if moved.environment.as_deref().is_some_and(|e| e != name) {
        return Err(Error::Failed(format!(
            "state {} belongs to another environment",
            destination.describe()
        )));
    }
    let owners = Owners::of(&settings, settings_file, env);
    let changes = owned_changes(&old, &owners, name, &source.describe())?;
    let count = changes.len();
    moved.environment = Some(selected.name.clone());
    destination.record(&mut moved, &changes)?;
    source.record(&mut old, &removals(&changes))?;
    let left = (count < total).then(|| owners.summary(&old));
    Ok(Moved {
        count,
        from: source.describe(),
        to: destination.describe(),
        left,
    })
}

/// What takes the records `changes` moved out of the old state.
fn removals(changes: &[Change]) -> Vec<Change> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Upsert(key, _) | Change::Pending(key, _) => Some(Change::Remove(key.clone())),
            Change::Dataflow(key, _) => Some(Change::RemoveDataflow(key.clone())),
            Change::Remove(_) | Change::RemoveDataflow(_) => None,
        })
        .collect()
}

/// The changes that move `name`'s records of `old`; refused when there is none.
fn owned_changes(
    old: &State,
    owners: &Owners,
    name: &str,
    source: &str,
) -> Result<Vec<Change>, Error> {
    let total = old.connections.len() + old.pending.len() + old.dataflows.len();
    let changes: Vec<Change> = changes_of(old)
        .into_iter()
        .filter(|c| {
            let (key, org) = match c {
                Change::Upsert(key, r) => (key, r.org.as_str()),
                Change::Pending(key, p) => (key, p.org.as_str()),
                // A dataflow lives in its cloud and sandbox, as a connection.
                Change::Dataflow(key, r) => (&key.0, r.org.as_str()),
                Change::Remove(_) | Change::RemoveDataflow(_) => return false,
            };
            owners.owner(key, org) == Some(name)
        })
        .collect();
    if changes.is_empty() {
        return Err(Error::Failed(format!(
            "none of the {total} connection(s) state {source} records belongs to environment `{name}` (its org and sandboxes): {}; nothing was moved",
            owners.summary(old)
        )));
    }
    Ok(changes)
}

/// The records, then the pending creates (a record clears its key's pending entry).
fn changes_of(state: &State) -> Vec<Change> {
    let mut changes: Vec<Change> = state
        .connections
        .iter()
        .map(|(k, r)| Change::Upsert(k.clone(), r.clone()))
        .collect();
    changes.extend(
        state
            .pending
            .iter()
            .filter(|(k, _)| !state.connections.contains_key(*k))
            .map(|(k, p)| Change::Pending(k.clone(), p.clone())),
    );
    changes.extend(
        state
            .dataflows
            .iter()
            .map(|(k, r)| Change::Dataflow(k.clone(), Box::new(r.clone()))),
    );
    changes
}

/// Where `state migrate --to` copies to: a file, or a namespace of a database.
pub(crate) enum Destination<'a> {
    File(&'a Path),
    Namespace(&'a str),
}

/// Refuses a `state migrate --to` destination that is another
/// environment's default state (its file, or its namespace), naming it: a
/// copy there would take that environment's state over.
pub(crate) fn check_destination(
    settings_file: &Path,
    target: &TargetOptions,
    env: &Environment,
    to: &Destination<'_>,
) -> Result<(), Error> {
    let settings = settings_only(settings_file)?;
    let Some(selected) = select(&settings, target.env_flag.as_deref(), env)? else {
        return Ok(());
    };
    for name in settings.environment_names() {
        let Some(resolved) = settings
            .for_environment(name)
            .filter(|_| name != selected.name)
        else {
            continue;
        };
        let other = TargetOptions {
            environment: Some(name.to_owned()),
            state: None,
            state_url: None,
            state_namespace: None,
            emulator: false,
            ..target.clone()
        };
        let state = resolved.state.clone().unwrap_or_default();
        let postgres = state.backend == Some(StateBackendKind::Postgres);
        let theirs = match to {
            Destination::File(path) if !postgres => {
                let default = state
                    .path
                    .map_or_else(|| per_environment(DEFAULT_STATE, &other), PathBuf::from);
                same_path(path, &default).then(|| format!("file `{}`", default.display()))
            }
            Destination::Namespace(namespace) if postgres => {
                let default = namespace_of(&other, &resolved, env)?;
                (*namespace == default).then(|| format!("namespace `{default}`"))
            }
            _ => None,
        };
        if let Some(theirs) = theirs {
            return Err(Error::Usage(format!(
                "the destination is environment `{name}`'s default state, {theirs}: refusing to overwrite it with environment `{}`'s (run `state migrate -e {name}` to move {name}'s own state, or pick another destination)",
                selected.name
            )));
        }
    }
    Ok(())
}

/// Two paths naming the same file, `./` and `a/../` aside (the file need not exist).
fn same_path(a: &Path, b: &Path) -> bool {
    let cwd = std::env::current_dir().unwrap_or_default();
    lexical(&cwd.join(a)) == lexical(&cwd.join(b))
}

/// `path`'s components with `.` dropped and `name/..` folded.
fn lexical(path: &Path) -> Vec<Component<'_>> {
    let mut parts: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts
}
