//! The diff itself, one function per case: a connection that state records,
//! one it does not (adopt, create, or blocked by namesakes), and state
//! entries the config no longer has.

use std::collections::{BTreeMap, BTreeSet};

use super::lookup::{self, ScopeIndex};
use super::rename;
use super::{
    Action, ActionKind, Desired, FieldChange, PLAN_FORMAT_VERSION, Plan, PlanError, PlanOptions,
    PlanSummary, RemoteView, Step, identity, pending, visible_changes,
};
use crate::api::Scope;
use crate::api::wire::ConnectionItem;
use crate::config::ConnectionKey;
use crate::state::{Record, State};

/// The diff. `remote` holds the listed scopes (see [`super::scopes_to_read`]).
pub(crate) fn diff(
    desired: &[Desired],
    state: &State,
    remote: Option<&RemoteView>,
    config_hash: String,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let wanted = known_targets(desired, state, options)?;
    let all = wanted.is_empty() && options.dataflow_targets.is_empty();
    let selected = |key: &ConnectionKey| all || wanted.contains(key);
    let mut actions = BTreeMap::new();
    let mut warnings = Vec::new();
    let indexes = remote.map(lookup::index);
    for d in desired.iter().filter(|d| selected(&d.key)) {
        let scope = Scope::new(&d.org, &d.connection.sandbox);
        let listed = indexes.as_ref().and_then(|ix| ix.get(&scope));
        let action = match state.connections.get(&d.key) {
            Some(record) => {
                rename::already_moved(d, state)?;
                recorded(d, record, listed, options, &mut warnings)
            }
            None => renamed_or_unrecorded(d, state, listed, options, &mut warnings)?,
        };
        actions.insert(d.key.clone(), action);
    }
    let documented: BTreeSet<&ConnectionKey> = desired.iter().map(|d| &d.key).collect();
    // A pending create of an earlier name is the connection a rename moves
    // (or will, in a run that selects its document): never pruned here.
    let moved = rename::moved_keys(desired, actions.values(), &selected);
    for (key, record) in &state.pending {
        let covered = options.scope.as_ref().is_none_or(|s| s.covers(None));
        let recorded = state.connections.contains_key(key);
        if documented.contains(key) || moved.contains(key) || recorded || !selected(key) || !covered
        {
            continue;
        }
        let items = remote.and_then(|r| r.get(&Scope::new(&record.org, &key.sandbox)));
        if let Some(action) =
            pending::without_document(key, record, state, items, options, &mut warnings)
        {
            actions.insert(key.clone(), action);
        }
    }
    identity::refuse_shared_ids(&mut actions, state, remote, &mut warnings);
    let outside = orphans(
        desired,
        state,
        options,
        &selected,
        &mut actions,
        &mut warnings,
    );
    super::protect::refuse_deletes(&actions, state)?;
    let actions: Vec<Action> = actions.into_values().collect();
    let mut summary = summarise(&actions);
    summary.outside = outside;
    if summary.delete > options.max_deletes {
        return Err(PlanError::TooManyDeletes {
            count: summary.delete,
            max: options.max_deletes,
        });
    }
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        scene: None,
        lineage: state.lineage.clone(),
        serial: state.serial,
        config_hash,
        refreshed: remote.is_some(),
        actions,
        dataflows: Vec::new(),
        summary,
        warnings,
    })
}

/// The `--target` connection keys, each known to config or state.
fn known_targets<'a>(
    desired: &[Desired],
    state: &State,
    options: &'a PlanOptions,
) -> Result<BTreeSet<&'a ConnectionKey>, PlanError> {
    let wanted: BTreeSet<&ConnectionKey> = options.targets.iter().collect();
    for target in &wanted {
        let known =
            desired.iter().any(|d| &d.key == *target) || state.connections.contains_key(*target);
        if !known {
            return Err(PlanError::UnknownTarget((*target).to_string()));
        }
    }
    Ok(wanted)
}

/// State entries the config no longer has: deleted with `--prune` when the
/// run's scope covers the file they were recorded from, else kept (and said
/// so). Returns how many lie outside the scope.
fn orphans(
    desired: &[Desired],
    state: &State,
    options: &PlanOptions,
    selected: &dyn Fn(&ConnectionKey) -> bool,
    actions: &mut BTreeMap<ConnectionKey, Action>,
    warnings: &mut Vec<String>,
) -> usize {
    let desired_keys: BTreeSet<&ConnectionKey> = desired.iter().map(|d| &d.key).collect();
    // A renamed connection's earlier key moves with it: never an orphan,
    // nor when `--target` leaves the renaming document out of this run.
    let moved = rename::moved_keys(desired, actions.values(), selected);
    let orphans = state
        .connections
        .iter()
        .filter(|(key, _)| !desired_keys.contains(key) && !moved.contains(*key) && selected(key));
    let (mut kept, mut outside, mut unrecorded) = (Vec::new(), 0, 0);
    for (key, record) in orphans {
        let source = record.source.as_deref();
        if options.scope.as_ref().is_some_and(|s| !s.covers(source)) {
            outside += 1;
            unrecorded += usize::from(source.is_none());
        } else if let Some(file) = options.described_elsewhere.get(key) {
            outside += 1;
            if options.prune {
                warnings.push(format!(
                    "`{key}` is recorded from `{}`, but `{file}` describes it now: not pruned (an apply that includes `{file}` records its new file)",
                    source.unwrap_or("an unrecorded file")
                ));
            }
        } else if options.prune {
            actions.insert(key.clone(), delete(key, record));
        } else {
            kept.push(format!("`{key}`"));
        }
    }
    if !kept.is_empty() {
        warnings.push(format!(
            "{} connection(s) in state are no longer in config and are kept: {}; use `--prune` to delete them",
            kept.len(),
            kept.join(", ")
        ));
    }
    if unrecorded > 0 && options.prune {
        warnings.push(format!(
            "{unrecorded} connection(s) in state were recorded before state kept their files, so the given paths cannot say whether they were removed: they are not pruned; run without PATH to prune them"
        ));
    }
    outside
}

/// A connection state records: gone remotely (create again), drifted or
/// changed (update), or unchanged.
fn recorded(
    d: &Desired,
    record: &Record,
    listed: Option<&ScopeIndex<'_>>,
    options: &PlanOptions,
    warnings: &mut Vec<String>,
) -> Action {
    let mut reasons = Vec::new();
    let mut changes = Vec::new();
    // A connection being deleted (any `state` but enabled/disabled) is gone.
    let remote_item = listed.map(|index| index.live(&record.id));
    match remote_item {
        Some(None) => {
            reasons.push(format!(
                "recorded as `{}` but deleted outside provision",
                record.id
            ));
            return action(d, reasons, Step::Create);
        }
        Some(Some(item)) => {
            changes = visible_changes(&d.connection, item);
            if !changes.is_empty() && record.fingerprint == d.fingerprint {
                reasons.push("changed outside provision".into());
            }
        }
        None => {}
    }
    if record.org != d.org {
        warnings.push(format!(
            "`{}` is recorded in org `{}` but config now says `{}`: delete it from state (`provision state rm`) to recreate it there",
            d.key, record.org, d.org
        ));
    }
    let mut update = !changes.is_empty();
    if record.fingerprint != d.fingerprint {
        update = true;
        reasons.push("config changed since the last apply".into());
        changes.extend(super::connection_string::changes(d, record));
    }
    let secret_changed =
        matches!((&record.secret_hmac, &d.secret_hmac), (Some(a), Some(b)) if a != b);
    if secret_changed || options.rotate_secrets {
        update = true;
        reasons.push(if secret_changed {
            "secret changed".into()
        } else {
            "secret rotation requested (--rotate-secrets)".into()
        });
        changes.push(FieldChange {
            field: "secret".into(),
            from: None,
            to: None,
            sensitive: true,
        });
    }
    if let Some(reason) = super::secret_version::push(d, record, &mut changes) {
        update = true;
        reasons.push(reason);
    }
    if let Some(reason) = super::protect::push(d, record, &mut changes) {
        update = true;
        reasons.push(reason);
    }
    let id = record.id.clone();
    let step = if update {
        Step::Update { id, changes }
    } else {
        Step::Unchanged { id }
    };
    action(d, reasons, step)
}

/// A connection state does not record: renamed from an earlier name state
/// records or the platform lists (`renamedFrom`), else [`unrecorded`].
fn renamed_or_unrecorded(
    d: &Desired,
    state: &State,
    listed: Option<&ScopeIndex<'_>>,
    options: &PlanOptions,
    warnings: &mut Vec<String>,
) -> Result<Action, PlanError> {
    let renamed = match rename::find(d, state, listed)? {
        rename::Earlier::Recorded(old, record) => {
            let planned = recorded(d, record, listed, options, warnings);
            rename::move_recorded(d, old, planned, listed)?
        }
        rename::Earlier::Listed(action) => Some(action),
        rename::Earlier::None => None,
    };
    if let Some(action) = &renamed {
        rename::not_described_elsewhere(d, action, options)?;
    }
    Ok(renamed.unwrap_or_else(|| unrecorded(d, state, listed, options, warnings)))
}

/// A connection state does not record: adopt the one remote namesake,
/// create when there is none, refuse when there are several.
fn unrecorded(
    d: &Desired,
    state: &State,
    listed: Option<&ScopeIndex<'_>>,
    options: &PlanOptions,
    warnings: &mut Vec<String>,
) -> Action {
    let c = &d.connection;
    let namesakes: Vec<&ConnectionItem> = listed
        .map(|index| index.namesakes(&c.name).to_vec())
        .unwrap_or_default();
    match namesakes.as_slice() {
        [item] => action(
            d,
            vec!["exists on the platform but not in state".into()],
            Step::Adopt {
                id: item.id.clone(),
                changes: visible_changes(c, item),
            },
        ),
        [] => match state.pending.get(&d.key) {
            Some(earlier) => Action {
                pending_since: Some(earlier.started_at.clone()),
                ..action(
                    d,
                    vec![pending::create_reason(
                        earlier,
                        options.pending_window.as_ref(),
                    )],
                    Step::Create,
                )
            },
            None => action(d, vec!["not in state".into()], Step::Create),
        },
        many => {
            let message = format!(
                "{} connections named `{}` exist in sandbox `{}`: delete the extra ones on the platform, then `provision state import {} ID`",
                many.len(),
                c.name,
                c.sandbox,
                d.key
            );
            warnings.push(format!("`{}`: {message}; apply will fail it", d.key));
            action(d, Vec::new(), Step::Blocked(message))
        }
    }
}

fn action(d: &Desired, reasons: Vec<String>, step: Step) -> Action {
    Action {
        key: d.key.clone(),
        org: d.org.clone(),
        reasons,
        step,
        pending_since: None,
    }
}

/// A state entry the config no longer has, with `--prune`.
fn delete(key: &ConnectionKey, record: &Record) -> Action {
    Action {
        key: key.clone(),
        org: record.org.clone(),
        reasons: vec!["in state but no longer in config (--prune)".into()],
        step: Step::Delete {
            id: record.id.clone(),
        },
        pending_since: None,
    }
}

fn summarise(actions: &[Action]) -> PlanSummary {
    let mut summary = PlanSummary::default();
    for a in actions {
        match a.kind() {
            ActionKind::Create => summary.create += 1,
            ActionKind::Adopt => summary.adopt += 1,
            ActionKind::Update => summary.update += 1,
            ActionKind::Rename => {
                summary.update += 1;
                summary.rename += 1;
            }
            ActionKind::Replace => summary.replace += 1,
            ActionKind::Delete => summary.delete += 1,
            ActionKind::Unchanged => summary.unchanged += 1,
        }
    }
    summary
}
