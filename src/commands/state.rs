//! `provision state list|show|rm|import|unlock|migrate`: inspect, repair
//! and move state.

use std::time::Duration;

use crate::api::{FlowService, Scope};
use crate::cli::{StateArgs, StateCommand, StateImportArgs, StateKeyArgs, StateMigrateArgs};
use crate::state::{
    Change, FileBackend, PostgresBackend, Record, StateBackend, StateError, timestamp,
};
use crate::workspace::{self, Workspace};
use crate::{exit, output};

use super::{fail, runtime};

pub fn run(command: StateCommand) -> u8 {
    match command {
        StateCommand::List(args) => list(&args),
        StateCommand::Show(args) => show(&args),
        StateCommand::Rm(args) => rm(&args),
        StateCommand::Import(args) => import(args),
        StateCommand::Unlock(args) => unlock(&args),
        StateCommand::Migrate(args) => migrate(&args),
    }
}

fn backend(args: &StateArgs) -> Result<std::sync::Arc<dyn crate::state::StateBackend>, u8> {
    let settings = workspace::settings_only(&args.config).map_err(fail)?;
    workspace::backend(&args.target, &settings).map_err(fail)
}

fn locked(err: StateError) -> u8 {
    match err {
        StateError::Locked(holder) => {
            output::error(&format!("state is locked by {holder}"));
            exit::LOCKED
        }
        other => {
            output::error(&other.to_string());
            exit::FAILURE
        }
    }
}

fn list(args: &StateArgs) -> u8 {
    let backend = match backend(args) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let state = match backend.load() {
        Ok(state) => state,
        Err(err) => return locked(err),
    };
    for (key, record) in &state.connections {
        output::result_line(&format!(
            "{key}\t{}\t{}\t{}",
            record.id, record.org, record.updated_at
        ));
    }
    for (key, pending) in &state.pending {
        output::result_line(&format!(
            "{key}\t(create pending since {})\t{}",
            pending.started_at, pending.org
        ));
    }
    exit::OK
}

fn show(args: &StateKeyArgs) -> u8 {
    let backend = match backend(&args.state) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let state = match backend.load() {
        Ok(state) => state,
        Err(err) => return locked(err),
    };
    match state.connections.get(&args.key) {
        Some(record) => {
            output::result(&(serde_json::to_string_pretty(record).unwrap_or_default() + "\n"));
            exit::OK
        }
        None => {
            output::error(&format!(
                "`{}` is not in state {}",
                args.key,
                backend.describe()
            ));
            exit::FAILURE
        }
    }
}

fn rm(args: &StateKeyArgs) -> u8 {
    let backend = match backend(&args.state) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let _lock = match backend.lock("provision state rm", Duration::ZERO) {
        Ok(lock) => lock,
        Err(err) => return locked(err),
    };
    let mut state = match backend.load() {
        Ok(state) => state,
        Err(err) => return locked(err),
    };
    let Some(record) = state.connections.get(&args.key).cloned() else {
        output::error(&format!(
            "`{}` is not in state {}",
            args.key,
            backend.describe()
        ));
        return exit::FAILURE;
    };
    if let Err(err) = backend.record(&mut state, &[Change::Remove(args.key.clone())]) {
        return locked(err);
    }
    output::result_line(&format!(
        "removed `{}` from state; connection `{}` stays on the platform",
        args.key, record.id
    ));
    exit::OK
}

fn import(args: StateImportArgs) -> u8 {
    let ws = match Workspace::open(&args.config, args.target) {
        Ok(ws) => ws,
        Err(err) => return fail(err),
    };
    let Some(desired) = ws.desired.iter().find(|d| d.key == args.key).cloned() else {
        output::error(&format!(
            "`{}` is not in the config: add its YAML first (keys are `cloud/sandbox/name`)",
            args.key
        ));
        return exit::FAILURE;
    };
    let _lock = match ws.backend.lock("provision state import", Duration::ZERO) {
        Ok(lock) => lock,
        Err(err) => return locked(err),
    };
    let mut state = match ws.backend.load() {
        Ok(state) => state,
        Err(err) => return locked(err),
    };
    let Some(runtime) = runtime() else {
        return exit::FAILURE;
    };
    let item = runtime.block_on(async {
        let connected = ws.connect().await.map_err(|e| match e {
            workspace::WorkspaceError::Message(m) => m,
            workspace::WorkspaceError::Invalid(d, _) => {
                format!("{} problem(s) in the config", d.len())
            }
        })?;
        let scope = Scope::new(&desired.org, &desired.connection.sandbox);
        let item = connected
            .api
            .get(&scope, &args.id)
            .await
            .map_err(|e| e.to_string());
        connected.close().await;
        item
    });
    let item = match item {
        Ok(item) => item,
        Err(err) => {
            output::error(&format!("cannot import `{}`: {err}", args.id));
            return exit::FAILURE;
        }
    };
    if item.name != desired.connection.name {
        output::warning(&format!(
            "connection `{}` is named `{}` on the platform, `{}` in the config: `provision apply --refresh` renames it",
            item.id, item.name, desired.connection.name
        ));
    }
    let now = timestamp::now();
    let record = Record {
        id: item.id.clone(),
        etag: item.etag.clone(),
        org: desired.org.clone(),
        // Fields on the platform may differ: the next plan compares with --refresh.
        fingerprint: desired.fingerprint.clone(),
        secret_hmac: desired.secret_hmac.clone(),
        created_at: now.clone(),
        updated_at: now,
    };
    if let Err(err) = ws
        .backend
        .record(&mut state, &[Change::Upsert(args.key.clone(), record)])
    {
        return locked(err);
    }
    output::result_line(&format!("imported `{}` as `{}`", item.id, args.key));
    exit::OK
}

fn unlock(args: &StateArgs) -> u8 {
    let backend = match backend(args) {
        Ok(b) => b,
        Err(code) => return code,
    };
    match backend.unlock() {
        Ok(Some(stale)) => {
            let gone = if stale.is_dead_here() {
                " (its process no longer exists)"
            } else {
                ""
            };
            output::result_line(&format!("cleared the lock details left by {stale}{gone}"));
            exit::OK
        }
        Ok(None) => {
            output::result_line("state is not locked");
            exit::OK
        }
        Err(err) => locked(err),
    }
}

/// Copies the whole state (lineage and serial kept) to `--to`, holding both
/// locks; a target that already records connections is left alone.
fn migrate(args: &StateMigrateArgs) -> u8 {
    let source = match backend(&args.state) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let command = "provision state migrate";
    let _source_lock = match source.lock(command, Duration::ZERO) {
        Ok(lock) => lock,
        Err(err) => return locked(err),
    };
    let state = match source.load() {
        Ok(state) => state,
        Err(err) => return locked(err),
    };
    if state.lineage.is_empty() {
        output::error(&format!(
            "state {} is empty: nothing to migrate",
            source.describe()
        ));
        return exit::FAILURE;
    }
    let is_url = args.to.starts_with("postgres://") || args.to.starts_with("postgresql://");
    let written = if is_url {
        let namespace = match &args.to_namespace {
            Some(ns) => ns.clone(),
            None => {
                let settings = match workspace::settings_only(&args.state.config) {
                    Ok(s) => s,
                    Err(err) => return fail(err),
                };
                match workspace::namespace(&args.state.target, &settings) {
                    Ok(ns) => ns,
                    Err(err) => return fail(err),
                }
            }
        };
        let target = match PostgresBackend::new(&args.to, &namespace) {
            Ok(target) => target,
            Err(err) => {
                output::error(&err.to_string());
                return exit::FAILURE;
            }
        };
        copy_into(&target, command, |t| t.replace(&state), &*source)
    } else {
        let target = FileBackend::new(&args.to);
        copy_into(&target, command, |t| t.save(&state), &*source)
    };
    match written {
        Ok(describe) => {
            output::result_line(&format!(
                "copied {} connection(s) (lineage `{}`, serial {}) from {} to {describe}",
                state.connections.len(),
                state.lineage,
                state.serial,
                source.describe()
            ));
            exit::OK
        }
        Err(code) => code,
    }
}

/// Locks `target`, refuses it when it records anything, then writes.
fn copy_into<B: StateBackend>(
    target: &B,
    command: &str,
    write: impl FnOnce(&B) -> Result<(), StateError>,
    source: &dyn StateBackend,
) -> Result<String, u8> {
    if target.describe() == source.describe() {
        output::error(&format!(
            "source and target are the same state {}",
            target.describe()
        ));
        return Err(exit::FAILURE);
    }
    let _lock = target.lock(command, Duration::ZERO).map_err(locked)?;
    let existing = target.load().map_err(locked)?;
    if !existing.connections.is_empty() || !existing.pending.is_empty() {
        output::error(&format!(
            "state {} already records {} connection(s): refusing to overwrite it (empty it first, or pick another target)",
            target.describe(),
            existing.connections.len() + existing.pending.len()
        ));
        return Err(exit::FAILURE);
    }
    write(target).map_err(locked)?;
    Ok(target.describe())
}
