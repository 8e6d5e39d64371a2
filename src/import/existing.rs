//! `provision state import KEY ID`: record one connection that already
//! exists on the platform under a key of the config, without changing it.

use std::time::Duration;

use crate::api::wire::ConnectionItem;
use crate::api::{FlowService, Scope};
use crate::config::ConnectionKey;
use crate::error::{Error, Result};
use crate::state::{Change, Record, State, timestamp};
use crate::workspace::{Workspace, runtime};

/// Reads connection `id` from the platform and records it under `key`
/// (which the config must describe); returns what the platform holds.
pub(crate) fn record_existing(
    ws: &Workspace,
    key: &ConnectionKey,
    id: &str,
) -> Result<ConnectionItem> {
    let desired = ws.desired.iter().find(|d| &d.key == key).ok_or_else(|| {
        Error::Failed(format!(
            "`{key}` is not in the config: add its YAML first (keys are `cloud/sandbox/name`)"
        ))
    })?;
    let _lock = ws.backend.lock("provision state import", Duration::ZERO)?;
    let mut state = ws.backend.load()?;
    refuse_taken(&state, id, key)?;
    let item = runtime()?.block_on(async {
        let connected = ws.connect().await?;
        let scope = Scope::new(&desired.org, &desired.connection.sandbox);
        let item = connected
            .api
            .get(&scope, id)
            .await
            .map_err(crate::workspace::api_error(format!("cannot import `{id}`")));
        connected.close().await;
        item
    })?;
    // The platform may answer with another spelling of the id.
    refuse_taken(&state, &item.id, key)?;
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
        source: Some(desired.source.clone()),
        // As for the secret's HMAC: the platform's secret is taken as the
        // declared one.
        secret_version: desired.connection.secret_version,
        connection_string_parts: crate::desired::connection_string_parts(&desired.connection),
        protect: desired.connection.protect,
    };
    ws.backend
        .record(&mut state, &[Change::Upsert(key.clone(), record)])?;
    Ok(item)
}

/// One platform connection belongs to one key: an id recorded under another
/// key is refused (two keys would rename it back and forth on every apply,
/// and `--prune` of one would delete the other's live connection).
fn refuse_taken(state: &State, id: &str, key: &ConnectionKey) -> Result<()> {
    match state.key_of(id, key) {
        Some(other) => Err(Error::Failed(format!(
            "connection `{}` is already recorded as `{other}`: one connection belongs to one key; to move it, `provision state rm {other}` first",
            crate::escape::escape_value(id)
        ))),
        None => Ok(()),
    }
}
