//! The plan: a pure diff of the desired connections against state (and,
//! when read, the platform's view), as a value that can be printed, saved
//! and carried out. Nothing here does I/O.

mod action;
mod connection_string;
pub(crate) mod dataflow;
mod dataflow_action;
mod dataflow_fields;
mod dataflow_rename;
mod diff;
pub(crate) mod environments;
mod identity;
mod lookup;
mod pending;
pub(crate) mod protect;
mod remote;
mod rename;
pub(crate) mod render;
mod scene;
mod secret_version;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::Scope;
use crate::api::wire::ConnectionItem;
use crate::config::ConnectionKey;
pub(crate) use crate::desired::Desired;
use crate::state::State;
pub(crate) use action::{Action, Step};
pub(crate) use diff::diff;
pub(crate) use pending::{PendingWindow, parse_timestamp};
pub(crate) use remote::visible_changes;
pub(crate) use rename::check_saved as check_saved_renames;
pub(crate) use scene::{Scene, Target};

/// The plan file format version.
pub(crate) const PLAN_FORMAT_VERSION: u32 = 1;

/// What the platform holds, listed per (org, sandbox).
pub(crate) type RemoteView = HashMap<Scope, Vec<ConnectionItem>>;

/// What will happen to one connection.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ActionKind {
    Create,
    Adopt,
    Update,
    /// Patched in place under a new name, its state entry moved
    /// (`renamedFrom`); counted as an update too.
    Rename,
    /// A dataflow whose source or target changed: a new chain, then the
    /// old one deleted.
    Replace,
    Delete,
    Unchanged,
}

impl ActionKind {
    pub(crate) fn symbol(self) -> char {
        match self {
            ActionKind::Create => '+',
            ActionKind::Adopt => '>',
            ActionKind::Update | ActionKind::Rename | ActionKind::Replace => '~',
            ActionKind::Delete => '-',
            ActionKind::Unchanged => '=',
        }
    }
}

/// One field that differs (secret values are never shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct FieldChange {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default)]
    pub sensitive: bool,
}

/// Counts per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct PlanSummary {
    pub create: usize,
    pub adopt: usize,
    pub update: usize,
    pub delete: usize,
    pub unchanged: usize,
    /// Dataflows with nothing to do (not counted in `unchanged`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unchanged_dataflows: usize,
    /// Dataflows replaced (a new chain; counted here only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replace: usize,
    /// How many of the updates are renames (`renamedFrom`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rename: usize,
    /// State entries recorded from files outside the paths the run was
    /// given: not considered for `--prune` (nor reported as removed).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub outside: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A whole plan. Serialised as the plan file and `--format json`: no secret
/// in it, bound to the state (lineage, serial) and config it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Plan {
    pub format_version: u32,
    /// Where the plan acts: environment, org and host per cloud, sandboxes,
    /// state. A saved plan is refused under another environment or org.
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<Scene>,
    pub lineage: String,
    pub serial: u64,
    pub config_hash: String,
    /// Whether the platform's view was read (`--refresh`, or for new keys).
    pub refreshed: bool,
    pub actions: Vec<Action>,
    /// The dataflows' steps (`kind: dataflow` documents), sorted by key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dataflows: Vec<dataflow::DataflowAction>,
    pub summary: PlanSummary,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Plan {
    /// True when carrying it out would change nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.actions
            .iter()
            .all(|a| a.kind() == ActionKind::Unchanged)
            && self
                .dataflows
                .iter()
                .all(|a| a.action == dataflow::DataflowStep::Unchanged)
    }
}

/// Knobs of a plan.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlanOptions {
    /// Delete what is in state but not in config.
    pub prune: bool,
    /// Refuse a plan with more deletes than this.
    pub max_deletes: usize,
    /// Only these keys (empty: all, unless `dataflow_targets` names some).
    pub targets: Vec<ConnectionKey>,
    /// Only these dataflows (`--target dataflow/...`); with connection
    /// targets only, no dataflow.
    pub dataflow_targets: Vec<crate::config::DataflowKey>,
    /// `--replace KEY`: dataflows replaced even when the plan would refuse
    /// (a past start, rows read again).
    pub replace: Vec<crate::config::DataflowKey>,
    /// Update every connection's secret even when no change is detected.
    pub rotate_secrets: bool,
    /// Which state entries the run may treat as removed from the config;
    /// `None`: all of them.
    pub scope: Option<PruneScope>,
    /// Keys a file outside the run's paths still describes, with that file:
    /// never pruned, whatever their recorded file says.
    pub described_elsewhere: BTreeMap<ConnectionKey, String>,
    /// The clock and settle window pending creates are judged by; `None`:
    /// no window is ever taken as passed.
    pub pending_window: Option<PendingWindow>,
}

/// The state entries a run with PATHs may prune: those recorded from files
/// under the paths (a deleted file still has its path in state).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PruneScope {
    /// The paths as state records files (see `desired::Project::source`).
    pub paths: Vec<String>,
    /// Whether entries recorded before state kept files are in scope: yes
    /// when the run names no PATH (the whole default config).
    pub unrecorded: bool,
}

impl PruneScope {
    /// Whether the entry recorded from `source` is in scope.
    pub(crate) fn covers(&self, source: Option<&str>) -> bool {
        match source {
            Some(source) => self
                .paths
                .iter()
                .any(|path| crate::desired::lies_under(source, path)),
            None => self.unrecorded,
        }
    }
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum PlanError {
    #[error(
        "the plan deletes {count} connections, more than `--max-deletes {max}`: raise the limit if that is intended"
    )]
    TooManyDeletes { count: usize, max: usize },
    #[error(
        "`--target {0}` matches no connection in config or state (a key is `cloud/sandbox/name`)"
    )]
    UnknownTarget(String),
    /// A `renamedFrom` that cannot be carried out (see [`rename`]).
    #[error("{0}")]
    Rename(String),
    /// The plan would delete these protected keys (see [`protect`]).
    #[error("{}", protect::message(.0))]
    Protected(Vec<String>),
}

/// The scopes a plan needs the platform's view of: every new or changed
/// connection's, and with `refresh` every recorded one's too.
pub(crate) fn scopes_to_read(
    desired: &[Desired],
    state: &State,
    refresh: bool,
) -> BTreeSet<(String, String)> {
    let mut scopes = BTreeSet::new();
    for d in desired {
        // New connections (adopt or create?) and changed ones (to show which
        // fields change) are read; the rest only with `refresh`.
        let changed = state
            .connections
            .get(&d.key)
            .is_none_or(|r| r.fingerprint != d.fingerprint);
        if refresh || changed {
            scopes.insert((d.org.clone(), d.connection.sandbox.clone()));
        }
    }
    if refresh {
        for (key, record) in &state.connections {
            scopes.insert((record.org.clone(), key.sandbox.clone()));
        }
    }
    // A pending create is looked up again by every plan: it may have landed.
    for (key, pending) in &state.pending {
        scopes.insert((pending.org.clone(), key.sandbox.clone()));
    }
    scopes
}
