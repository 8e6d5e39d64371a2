//! State: what `provision` created on the platform, keyed by
//! `cloud/sandbox/name`. Read through the `StateBackend` trait so the JSON
//! file and PostgreSQL backends are interchangeable; every change is
//! persisted the moment it happens.

mod dataflow;
mod disk;
mod file;
mod journal;
mod lock;
pub mod postgres;
mod scoped;
pub mod timestamp;
mod undo;

use crate::config::{ConnectionKey, DataflowKey};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use dataflow::{DataflowRecord, ObjectRef, Part, Retired};
pub use file::FileBackend;
pub use lock::{LockInfo, StateLock};
pub use postgres::PostgresBackend;
pub use scoped::{EnvironmentBound, Owners};
pub use undo::Undo;

/// The state format version this build writes. Version 2 added the file
/// backend's journal (`state.json.journal`): a provision that reads only
/// version 1 would miss the journal's writes, so it must refuse the file.
/// Version 3 added each record's `secretVersion` and `connectionStringParts`.
/// Version 4 added `environment`: the settings environment that wrote the
/// state, so another environment's run refuses it.
/// Version 5 added `dataflows` (keys `dataflow/cloud/sandbox/name`) and
/// each record's `protect`.
pub const FORMAT_VERSION: u32 = 5;

/// The oldest format this build still reads (and upgrades on its next write:
/// older records have no `secretVersion`).
pub const OLDEST_READABLE: u32 = 1;

/// The highest serial: what both backends can store (PostgreSQL's `bigint`).
pub const MAX_SERIAL: u64 = i64::MAX as u64;

/// All of a state: identity, a write counter and one record per connection.
///
/// Unknown fields are an error, not silently dropped on the next write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct State {
    pub version: u32,
    /// Set once when the state is created; a plan file is bound to it.
    pub lineage: String,
    /// +1 on every write.
    pub serial: u64,
    /// The settings environment (`-e NAME`) whose runs write this state;
    /// `None` for a project without environments (and states before format 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default)]
    pub connections: BTreeMap<ConnectionKey, Record>,
    /// Creates that were sent (or about to be) but not yet recorded: if a run
    /// dies between the POST and the record, the next run finds the
    /// connection by name and adopts it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<ConnectionKey, Pending>,
    /// One record per dataflow, complete or with its creates in flight.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dataflows: BTreeMap<DataflowKey, DataflowRecord>,
}

/// What is known about one connection `provision` manages. No secret, and
/// nothing a secret can be brute-forced from (the HMAC needs a key that is
/// not in state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Record {
    /// Flow Service connection id.
    pub id: String,
    pub etag: String,
    /// IMS organization the connection lives in.
    pub org: String,
    /// SHA-256 of the non-secret desired fields when last applied.
    pub fingerprint: String,
    /// HMAC-SHA256 of the secret, keyed by `PROVISION_STATE_KEY`, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hmac: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The file that described it when last recorded (`connections/prod/orders.yaml`):
    /// `--prune` with PATHs deletes only what files under them described.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The document's `secretVersion` when the secret was last sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_version: Option<u32>,
    /// A connection string's parts when last applied, `Password` left out:
    /// the platform never returns the string, so a plan names the parts that
    /// changed from these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_string_parts: Option<BTreeMap<String, String>>,
    /// Never deleted by a plan (`protect: true`), even when its document is
    /// removed: the plan fails instead and names the way out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protect: bool,
}

/// A create in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pending {
    pub org: String,
    pub started_at: String,
    /// The document said `protect: true`: should the create have landed
    /// and its document be gone, `--prune` must not delete it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protect: bool,
}

/// One change to state, recorded as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// About to create `key`.
    Pending(ConnectionKey, Pending),
    /// `key` exists remotely as this record (clears its pending entry).
    Upsert(ConnectionKey, Record),
    /// `key` is no longer managed (deleted, or `state rm`).
    Remove(ConnectionKey),
    /// Dataflow `key` is now recorded as this (objects and pending marks).
    Dataflow(DataflowKey, Box<DataflowRecord>),
    /// Dataflow `key` is no longer managed.
    RemoveDataflow(DataflowKey),
}

impl Change {
    /// The connection the change is about; `None` for a dataflow's.
    pub fn key(&self) -> Option<&ConnectionKey> {
        match self {
            Change::Pending(key, _) | Change::Upsert(key, _) | Change::Remove(key) => Some(key),
            Change::Dataflow(..) | Change::RemoveDataflow(_) => None,
        }
    }

    /// The dataflow the change is about; `None` for a connection's.
    pub fn dataflow_key(&self) -> Option<&DataflowKey> {
        match self {
            Change::Dataflow(key, _) | Change::RemoveDataflow(key) => Some(key),
            _ => None,
        }
    }
}

impl State {
    /// A new, empty state. Its lineage is assigned by the first write, so
    /// a plan made before any state exists stays bound to "no state yet".
    pub fn new() -> Self {
        State {
            version: FORMAT_VERSION,
            lineage: String::new(),
            serial: 0,
            environment: None,
            connections: BTreeMap::new(),
            pending: BTreeMap::new(),
            dataflows: BTreeMap::new(),
        }
    }

    /// Applies changes in memory and counts one write. Nothing changes when
    /// the serial cannot count one more.
    pub fn apply(&mut self, changes: &[Change]) -> Result<(), StateError> {
        self.apply_undoable(changes).map(drop)
    }

    /// The key that already records connection `id`, other than `except`.
    pub fn key_of(&self, id: &str, except: &ConnectionKey) -> Option<&ConnectionKey> {
        self.connections
            .iter()
            .find(|(key, record)| record.id == id && *key != except)
            .map(|(key, _)| key)
    }

    /// One platform connection belongs to one key: two keys with one id
    /// would rename it back and forth, and `--prune` of one would delete the
    /// other's live connection.
    pub fn check(&self, describe: &str) -> Result<(), StateError> {
        let mut seen: HashMap<&str, &ConnectionKey> = HashMap::new();
        for (key, record) in &self.connections {
            if let Some(first) = seen.insert(&record.id, key) {
                return Err(StateError::SharedId {
                    state: describe.to_owned(),
                    id: record.id.clone(),
                    first: first.clone(),
                    second: key.clone(),
                });
            }
        }
        let mut objects: HashMap<(Part, &str), &DataflowKey> = HashMap::new();
        for (key, record) in &self.dataflows {
            for (part, id) in record.ids() {
                if let Some(first) = objects.insert((part, id), key) {
                    return Err(StateError::SharedObject {
                        state: describe.to_owned(),
                        part: part.describe(),
                        id: id.to_owned(),
                        first: first.to_string(),
                        second: key.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether state records nothing at all.
    pub fn is_empty(&self) -> bool {
        self.connections.is_empty() && self.pending.is_empty() && self.dataflows.is_empty()
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// Why state could not be read, locked or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state is locked by {0}")]
    Locked(LockInfo),
    #[error("cannot read state `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("state `{path}` is not valid: {message}")]
    Corrupt { path: String, message: String },
    #[error(
        "state `{path}` has format version {found}; this provision reads versions {OLDEST_READABLE} to {FORMAT_VERSION}: upgrade provision"
    )]
    Version { path: String, found: u64 },
    #[error(
        "state serial {0} cannot count another write (at most {MAX_SERIAL}): the state was edited by hand; set `serial` back to a smaller number"
    )]
    SerialExhausted(u64),
    #[error(
        "state {state} records connection id `{id}` under both `{first}` and `{second}`: one platform connection belongs to one key; remove the wrong entry with `provision state rm KEY`"
    )]
    SharedId {
        state: String,
        id: String,
        first: ConnectionKey,
        second: ConnectionKey,
    },
    #[error(
        "state {state} records {part} id `{id}` under both `{first}` and `{second}`: one platform object belongs to one dataflow; remove the wrong entry with `provision state rm KEY`"
    )]
    SharedObject {
        state: String,
        part: &'static str,
        id: String,
        first: String,
        second: String,
    },
    #[error("cannot write state `{path}`: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the state lock of {state} was lost during this run ({why}): nothing more is written; run again once no other run holds it"
    )]
    LockLost { state: String, why: String },
    #[error(
        "state {state} changed underneath this run (expected serial {expected}, found {found}): another run wrote without the lock; nothing was written"
    )]
    Moved {
        state: String,
        expected: u64,
        found: u64,
    },
    #[error("state backend: {0}")]
    Backend(String),
    #[error(
        "state {state} was written by environment `{recorded}`, and this run acts in {}: refusing it (each environment has its own state; point this run at its own, or select `-e {recorded}`)",
        running.as_ref().map_or_else(|| "no environment (the settings define none)".to_owned(), |r| format!("environment `{r}`"))
    )]
    OtherEnvironment {
        state: String,
        recorded: String,
        running: Option<String>,
    },
    #[error(
        "state {state} of environment `{environment}` is empty, and the state from before environments, {legacy}, records {count} connection(s): {owners} (or they would be created again)"
    )]
    Unmigrated {
        state: String,
        legacy: String,
        count: usize,
        environment: String,
        /// Which environment each group of records belongs to, and the
        /// `state migrate --to-env` runs that move them.
        owners: String,
    },
}

/// Where state lives. Implementations persist every `record` call before
/// returning, so a killed run loses nothing it was told about.
pub trait StateBackend: Send + Sync {
    /// For messages: `file .provision/state.json`.
    fn describe(&self) -> String;
    /// The current state (a new, empty one when none exists yet), checked:
    /// one connection id under two keys is an error naming both.
    fn load(&self) -> Result<State, StateError> {
        let state = self.load_unchecked()?;
        state.check(&self.describe())?;
        Ok(state)
    }
    /// The current state as stored, for the commands that inspect and repair
    /// it (`state list`, `show`, `rm`).
    fn load_unchecked(&self) -> Result<State, StateError>;
    /// Takes the exclusive lock for a run of `command`, waiting up to
    /// `timeout` for another holder to finish.
    fn lock(&self, command: &str, timeout: Duration) -> Result<StateLock, StateError>;
    /// Applies `changes` to `state` and persists them atomically; on error
    /// `state` is as it was. Refused when this run's lock is gone or
    /// another writer moved the state on (its serial is not `state.serial`).
    fn record(&self, state: &mut State, changes: &[Change]) -> Result<(), StateError>;
    /// Removes lock information left by a dead run (`state unlock`).
    fn unlock(&self) -> Result<Option<LockInfo>, StateError>;
}
