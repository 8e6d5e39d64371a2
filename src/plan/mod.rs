//! The plan: a pure diff of the desired connections against state (and,
//! when read, the platform's view), as a value that can be printed, saved
//! and carried out. Nothing here does I/O.

mod remote;
pub mod render;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::api::Scope;
use crate::api::wire::ConnectionItem;
pub use crate::desired::Desired;
use crate::state::State;
pub use remote::visible_changes;

/// The plan file format version.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// What the platform holds, listed per (org, sandbox).
pub type RemoteView = HashMap<Scope, Vec<ConnectionItem>>;

/// What will happen to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    Create,
    Adopt,
    Update,
    Delete,
    Unchanged,
}

impl ActionKind {
    pub fn symbol(self) -> char {
        match self {
            ActionKind::Create => '+',
            ActionKind::Adopt => '>',
            ActionKind::Update => '~',
            ActionKind::Delete => '-',
            ActionKind::Unchanged => '=',
        }
    }
}

/// One field that differs (secret values are never shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default)]
    pub sensitive: bool,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub key: String,
    pub kind: ActionKind,
    pub org: String,
    pub cloud: String,
    pub sandbox: String,
    pub name: String,
    /// The remote id (recorded, or found for an adopt).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why, in words: "not in state", "deleted outside provision", ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Why apply must not carry this action out (it fails it instead), e.g.
    /// several remote connections share the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
}

/// Counts per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub create: usize,
    pub adopt: usize,
    pub update: usize,
    pub delete: usize,
    pub unchanged: usize,
}

/// A whole plan. Serialised as the plan file and `--format json`: no secret
/// in it, bound to the state (lineage, serial) and config it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub lineage: String,
    pub serial: u64,
    pub config_hash: String,
    /// Whether the platform's view was read (`--refresh`, or for new keys).
    pub refreshed: bool,
    pub actions: Vec<Action>,
    pub summary: PlanSummary,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Plan {
    /// True when carrying it out would change nothing.
    pub fn is_empty(&self) -> bool {
        self.actions.iter().all(|a| a.kind == ActionKind::Unchanged)
    }
}

/// Knobs of a plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Delete what is in state but not in config.
    pub prune: bool,
    /// Refuse a plan with more deletes than this.
    pub max_deletes: usize,
    /// Only these keys (empty: all).
    pub targets: Vec<String>,
    /// Update every connection's secret even when no change is detected.
    pub rotate_secrets: bool,
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error(
        "the plan deletes {count} connections, more than `--max-deletes {max}`: raise the limit if that is intended"
    )]
    TooManyDeletes { count: usize, max: usize },
    #[error(
        "`--target {0}` matches no connection in config or state (a key is `cloud/sandbox/name`)"
    )]
    UnknownTarget(String),
}

fn split_key(key: &str) -> (String, String, String) {
    let mut parts = key.splitn(3, '/');
    let mut next = || parts.next().unwrap_or_default().to_owned();
    (next(), next(), next())
}

/// The scopes a plan needs the platform's view of: every new or changed
/// connection's, and with `refresh` every recorded one's too.
pub fn scopes_to_read(
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
            scopes.insert((record.org.clone(), split_key(key).1));
        }
    }
    scopes
}

/// The diff. `remote` holds the listed scopes (see [`scopes_to_read`]).
pub fn diff(
    desired: &[Desired],
    state: &State,
    remote: Option<&RemoteView>,
    config_hash: String,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let wanted: BTreeSet<&str> = options.targets.iter().map(String::as_str).collect();
    for target in &wanted {
        let known =
            desired.iter().any(|d| d.key == *target) || state.connections.contains_key(*target);
        if !known {
            return Err(PlanError::UnknownTarget((*target).to_owned()));
        }
    }
    let selected = |key: &str| wanted.is_empty() || wanted.contains(key);
    let mut actions = BTreeMap::new();
    let mut warnings = Vec::new();

    for d in desired.iter().filter(|d| selected(&d.key)) {
        let c = &d.connection;
        let mut action = Action {
            key: d.key.clone(),
            kind: ActionKind::Unchanged,
            org: d.org.clone(),
            cloud: c.cloud.to_string(),
            sandbox: c.sandbox.clone(),
            name: c.name.clone(),
            id: None,
            reasons: Vec::new(),
            changes: Vec::new(),
            blocked: None,
        };
        let scope_items = remote.and_then(|r| r.get(&Scope::new(&d.org, &c.sandbox)));
        match state.connections.get(&d.key) {
            Some(record) => {
                action.id = Some(record.id.clone());
                let remote_item = scope_items.map(|items| items.iter().find(|i| i.id == record.id));
                match remote_item {
                    Some(None) => {
                        action.kind = ActionKind::Create;
                        action.id = None;
                        action.reasons.push(format!(
                            "recorded as `{}` but deleted outside provision",
                            record.id
                        ));
                    }
                    Some(Some(item)) => {
                        let changes = visible_changes(c, item);
                        if !changes.is_empty() {
                            action.kind = ActionKind::Update;
                            if record.fingerprint == d.fingerprint {
                                action.reasons.push("changed outside provision".into());
                            }
                            action.changes = changes;
                        }
                    }
                    None => {}
                }
                if action.kind == ActionKind::Unchanged || action.kind == ActionKind::Update {
                    if record.org != d.org {
                        warnings.push(format!(
                            "`{}` is recorded in org `{}` but config now says `{}`: delete it from state (`provision state rm`) to recreate it there",
                            d.key, record.org, d.org
                        ));
                    }
                    if record.fingerprint != d.fingerprint {
                        action.kind = ActionKind::Update;
                        action
                            .reasons
                            .push("config changed since the last apply".into());
                    }
                    let secret_changed = matches!((&record.secret_hmac, &d.secret_hmac), (Some(a), Some(b)) if a != b);
                    if secret_changed || options.rotate_secrets {
                        action.kind = ActionKind::Update;
                        action.reasons.push(if secret_changed {
                            "secret changed".into()
                        } else {
                            "secret rotation requested (--rotate-secrets)".into()
                        });
                        action.changes.push(FieldChange {
                            field: "secret".into(),
                            from: None,
                            to: None,
                            sensitive: true,
                        });
                    }
                }
            }
            None => {
                let pending = state.pending.contains_key(&d.key);
                let matches: Vec<&ConnectionItem> = scope_items
                    .map(|items| items.iter().filter(|i| i.name == c.name).collect())
                    .unwrap_or_default();
                match matches.as_slice() {
                    [item] => {
                        action.kind = ActionKind::Adopt;
                        action.id = Some(item.id.clone());
                        action
                            .reasons
                            .push("exists on the platform but not in state".into());
                        action.changes = visible_changes(c, item);
                    }
                    [] => {
                        action.kind = ActionKind::Create;
                        action.reasons.push(if pending {
                            "an earlier create did not finish; apply looks it up first".into()
                        } else {
                            "not in state".into()
                        });
                    }
                    many => {
                        action.kind = ActionKind::Create;
                        let message = format!(
                            "{} connections named `{}` exist in sandbox `{}`: delete the extra ones on the platform, then `provision state import {} ID`",
                            many.len(),
                            c.name,
                            c.sandbox,
                            d.key
                        );
                        warnings.push(format!("`{}`: {message}; apply will fail it", d.key));
                        action.blocked = Some(message);
                    }
                }
            }
        }
        actions.insert(d.key.clone(), action);
    }

    let desired_keys: BTreeSet<&str> = desired.iter().map(|d| d.key.as_str()).collect();
    let mut orphans = Vec::new();
    for (key, record) in &state.connections {
        if desired_keys.contains(key.as_str()) || !selected(key) {
            continue;
        }
        if !options.prune {
            orphans.push(key.clone());
            continue;
        }
        let (cloud, sandbox, name) = split_key(key);
        actions.insert(
            key.clone(),
            Action {
                key: key.clone(),
                kind: ActionKind::Delete,
                org: record.org.clone(),
                cloud,
                sandbox,
                name,
                id: Some(record.id.clone()),
                reasons: vec!["in state but no longer in config (--prune)".into()],
                changes: Vec::new(),
                blocked: None,
            },
        );
    }
    if !orphans.is_empty() {
        warnings.push(format!(
            "{} connection(s) in state are no longer in config and are kept: {}; use `--prune` to delete them",
            orphans.len(),
            orphans.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let actions: Vec<Action> = actions.into_values().collect();
    let mut summary = PlanSummary::default();
    for a in &actions {
        match a.kind {
            ActionKind::Create => summary.create += 1,
            ActionKind::Adopt => summary.adopt += 1,
            ActionKind::Update => summary.update += 1,
            ActionKind::Delete => summary.delete += 1,
            ActionKind::Unchanged => summary.unchanged += 1,
        }
    }
    if summary.delete > options.max_deletes {
        return Err(PlanError::TooManyDeletes {
            count: summary.delete,
            max: options.max_deletes,
        });
    }
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        lineage: state.lineage.clone(),
        serial: state.serial,
        config_hash,
        refreshed: remote.is_some(),
        actions,
        summary,
        warnings,
    })
}
