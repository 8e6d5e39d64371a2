//! One platform id, one key: the planner never adopts an id that state
//! records under another key, nor one id for two keys, nor an id the
//! platform lists under two names. Each such adopt becomes a conflict that
//! apply refuses, instead of two keys fighting over one connection.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, RemoteView, Step};
use crate::config::ConnectionKey;
use crate::state::State;

/// Blocks every adopt or rename that would give an id a second key.
pub(crate) fn refuse_shared_ids(
    actions: &mut BTreeMap<ConnectionKey, Action>,
    state: &State,
    remote: Option<&RemoteView>,
    warnings: &mut Vec<String>,
) {
    let (adopters, moving) = claimed_ids(actions);
    if adopters.is_empty() {
        return;
    }
    // Built once: a plan adopting many connections (a lost state, an
    // import) stays linear in the state and the listing.
    let mut names_by_id: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for item in remote.into_iter().flat_map(|view| view.values().flatten()) {
        names_by_id
            .entry(item.id.as_str())
            .or_default()
            .insert(item.name.as_str());
    }
    let mut keys_by_id: BTreeMap<&str, Vec<&ConnectionKey>> = BTreeMap::new();
    for (key, record) in &state.connections {
        keys_by_id.entry(record.id.as_str()).or_default().push(key);
    }
    let no_names = BTreeSet::new();
    for (id, keys) in adopters {
        let recorded_as = keys_by_id
            .get(id.as_str())
            .and_then(|recorded| {
                recorded
                    .iter()
                    .find(|key| !keys.contains(key) && !moving.contains(*key))
            })
            .copied();
        let names = names_by_id.get(id.as_str()).unwrap_or(&no_names);
        let conflict = if let Some(other) = recorded_as {
            Some(format!(
                "the platform's connection `{id}` is already recorded as `{other}` (renamed on the platform?): one id is never managed under two keys; rename it back on the platform, or `provision state rm {other}` first"
            ))
        } else if keys.len() > 1 {
            Some(format!(
                "the platform lists connection `{id}` for {} keys ({}): one id is never managed under two keys; fix the names on the platform",
                keys.len(),
                quoted(keys.iter())
            ))
        } else if names.len() > 1 {
            Some(format!(
                "the platform lists connection `{id}` under {} names ({}): adopting it is refused until the listing is consistent",
                names.len(),
                quoted(names.iter())
            ))
        } else {
            None
        };
        let Some(reason) = conflict else { continue };
        for key in keys {
            warnings.push(format!("`{key}`: {reason}; apply will fail it"));
            if let Some(action) = actions.get_mut(&key) {
                action.step = Step::Blocked(reason.clone());
            }
        }
    }
}

/// The ids each adopt or rename gives a key, and the earlier keys the
/// renames move away from: such a key recording the id is the rename
/// itself, not a second key.
fn claimed_ids(
    actions: &BTreeMap<ConnectionKey, Action>,
) -> (
    BTreeMap<String, Vec<ConnectionKey>>,
    BTreeSet<ConnectionKey>,
) {
    let mut adopters: BTreeMap<String, Vec<ConnectionKey>> = BTreeMap::new();
    let mut moving: BTreeSet<ConnectionKey> = BTreeSet::new();
    for action in actions.values() {
        match &action.step {
            Step::Adopt { .. } => {}
            Step::Rename { from, .. } => {
                moving.insert(ConnectionKey::new(
                    action.key.cloud,
                    &action.key.sandbox,
                    from,
                ));
            }
            _ => continue,
        }
        if let Some(id) = action.id() {
            adopters
                .entry(id.to_owned())
                .or_default()
                .push(action.key.clone());
        }
    }
    (adopters, moving)
}

fn quoted<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    items
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
