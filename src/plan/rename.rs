//! `renamedFrom`, terraform's `moved` block for connections: a document
//! whose key state does not record, but one of its earlier names it does
//! (or the platform lists), is renamed in place on the same id and its
//! state entry moved, instead of a create next to an orphan.

use std::collections::BTreeSet;

use super::lookup::ScopeIndex;
use super::{Action, Desired, FieldChange, PlanError, PlanOptions, Step, visible_changes};
use crate::api::wire::ConnectionItem;
use crate::config::ConnectionKey;
use crate::state::{Record, State};

/// The reason `recorded` gives for any change of the written fields, which
/// a rename always is; the rename line says it better.
const CONFIG_CHANGED: &str = "config changed since the last apply";

/// What an earlier name of a document whose key state does not record
/// stands for.
pub(super) enum Earlier<'a> {
    /// No earlier name is recorded or listed: plan the document as usual.
    None,
    /// State records this earlier key: plan it as recorded (see
    /// [`move_recorded`]).
    Recorded(&'a ConnectionKey, &'a Record),
    /// Listed on the platform only: adopt and rename (or blocked).
    Listed(Action),
}

/// The earlier name `d` is renamed from, when state records one or the
/// platform lists one.
pub(super) fn find<'a>(
    d: &Desired,
    state: &'a State,
    listed: Option<&ScopeIndex<'_>>,
) -> Result<Earlier<'a>, PlanError> {
    let earlier = d.connection.earlier_keys();
    let recorded: Vec<(&ConnectionKey, &Record)> = earlier
        .iter()
        .filter_map(|key| state.connections.get_key_value(key))
        .collect();
    match recorded.as_slice() {
        [] => Ok(adopt(d, state, &earlier, listed)?.map_or(Earlier::None, Earlier::Listed)),
        [(old, record)] => Ok(Earlier::Recorded(old, record)),
        many => Err(PlanError::Rename(format!(
            "{}: `{}` lists earlier names that state records as {} different connections ({}): expected at most one; keep the one it was renamed from in `renamedFrom`",
            at(d),
            d.key,
            many.len(),
            quoted(many.iter().map(|(key, _)| key))
        ))),
    }
}

/// State records `d`'s key: a `renamedFrom` is then a no-op (the rename was
/// applied), unless state records an earlier name too.
pub(super) fn already_moved(d: &Desired, state: &State) -> Result<(), PlanError> {
    match d
        .connection
        .earlier_keys()
        .into_iter()
        .find(|key| state.connections.contains_key(key))
    {
        Some(old) => Err(PlanError::Rename(format!(
            "{}: `{}` declares `renamedFrom: {}`, but state records both `{old}` and `{}`: expected only one of them; `provision state rm` the one that is not this connection, or remove `{}` from `renamedFrom`",
            at(d),
            d.key,
            old.name,
            d.key,
            old.name
        ))),
        None => Ok(()),
    }
}

/// The earlier keys the plan's renames move away from, and those of the
/// documents a `--target` leaves out of this run: neither orphans nor
/// pending creates to prune.
pub(super) fn moved_keys<'a>(
    desired: &[Desired],
    actions: impl Iterator<Item = &'a Action>,
    selected: &dyn Fn(&ConnectionKey) -> bool,
) -> BTreeSet<ConnectionKey> {
    let mut moved: BTreeSet<ConnectionKey> = actions
        .filter_map(|a| {
            a.renamed_from()
                .map(|from| ConnectionKey::new(a.key.cloud, &a.key.sandbox, from))
        })
        .collect();
    moved.extend(
        desired
            .iter()
            .filter(|d| !selected(&d.key))
            .flat_map(|d| d.connection.earlier_keys()),
    );
    moved
}

/// State records the earlier key `old`, and `planned` is what the plan of
/// that record under `d` would be: the same id patched under the new name,
/// or `None` when it was deleted outside provision (the new name is then
/// planned as usual and the earlier key is an orphan like any other).
pub(super) fn move_recorded(
    d: &Desired,
    old: &ConnectionKey,
    planned: Action,
    listed: Option<&ScopeIndex<'_>>,
) -> Result<Option<Action>, PlanError> {
    let (id, changes) = match planned.step {
        Step::Update { id, changes } => (id, changes),
        Step::Unchanged { id } => (id, Vec::new()),
        _ => return Ok(None),
    };
    name_is_free(d, old, listed, &id)?;
    let mut reasons = vec![format!(
        "state records it as `{}` (`renamedFrom`)",
        old.name
    )];
    reasons.extend(planned.reasons.into_iter().filter(|r| r != CONFIG_CHANGED));
    Ok(Some(rename(d, reasons, id, &old.name, changes)))
}

/// The earlier key a rename moves must not be described by a file outside
/// the run (validation sees only the run's files): the run would rename a
/// connection that file still describes.
pub(super) fn not_described_elsewhere(
    d: &Desired,
    action: &Action,
    options: &PlanOptions,
) -> Result<(), PlanError> {
    let Some(from) = action.renamed_from() else {
        return Ok(());
    };
    let old = ConnectionKey::new(d.key.cloud, &d.key.sandbox, from);
    match options.described_elsewhere.get(&old) {
        Some(file) if *file != d.source => Err(PlanError::Rename(format!(
            "{}: `{}` is renamed from `{from}`, but `{file}`, outside this run's paths, still describes `{old}`: expected one file to describe a connection; remove `{from}` from that file (or from `renamedFrom`), or include both files in the run",
            at(d),
            d.key
        ))),
        _ => Ok(()),
    }
}

/// A saved plan's renames, checked against the config and state it is
/// applied with: each moves an earlier key its document's `renamedFrom`
/// lists, and state records that key as the renamed id or not at all.
pub(crate) fn check_saved(
    actions: &[Action],
    desired: &[Desired],
    state: &State,
) -> Result<(), String> {
    for action in actions {
        let Step::Rename { id, from, .. } = &action.step else {
            continue;
        };
        let Some(d) = desired.iter().find(|d| d.key == action.key) else {
            continue;
        };
        let old = ConnectionKey::new(d.key.cloud, &d.key.sandbox, from);
        if !d.connection.earlier_keys().contains(&old) {
            return Err(format!(
                "the saved plan renames `{}` from `{from}`, which its `renamedFrom` ({}) does not list: expected a plan file as `provision plan --out` wrote it; plan again",
                d.key,
                at(d)
            ));
        }
        if let Some(record) = state.connections.get(&old).filter(|r| &r.id != id) {
            return Err(format!(
                "the saved plan renames connection `{id}` from `{old}`, but state records `{old}` as `{}`: expected a plan file as `provision plan --out` wrote it; plan again",
                record.id
            ));
        }
    }
    Ok(())
}

/// Neither key is in state: adopt the one connection the platform lists
/// under an earlier name, and rename it.
fn adopt(
    d: &Desired,
    state: &State,
    earlier: &[ConnectionKey],
    listed: Option<&ScopeIndex<'_>>,
) -> Result<Option<Action>, PlanError> {
    let Some(index) = listed else {
        return Ok(None);
    };
    let found: Vec<(&ConnectionKey, &ConnectionItem)> = earlier
        .iter()
        .flat_map(|key| {
            index
                .namesakes(&key.name)
                .iter()
                .map(move |item| (key, *item))
        })
        .collect();
    let [(old, item)] = found.as_slice() else {
        if found.is_empty() {
            return Ok(None);
        }
        let reason = format!(
            "the platform lists {} connections under the earlier names of `{}` ({}): adopt the right one with `provision state import {} ID`",
            found.len(),
            d.key.name,
            quoted(found.iter().map(|(_, item)| &item.id)),
            d.key
        );
        return Ok(Some(blocked(d, reason)));
    };
    name_is_free(d, old, listed, &item.id)?;
    if let Some((other, _)) = state.connections.iter().find(|(_, r)| r.id == item.id) {
        let reason = format!(
            "the platform's connection `{}` is already recorded as `{other}`: one id is never managed under two keys",
            item.id
        );
        return Ok(Some(blocked(d, reason)));
    }
    let reasons = vec![format!(
        "not in state; the platform lists it as `{}` (`renamedFrom`): adopted and renamed",
        old.name
    )];
    let changes = visible_changes(&d.connection, item);
    Ok(Some(rename(
        d,
        reasons,
        item.id.clone(),
        &old.name,
        changes,
    )))
}

/// The new name must not be another connection's on the platform.
fn name_is_free(
    d: &Desired,
    old: &ConnectionKey,
    listed: Option<&ScopeIndex<'_>>,
    id: &str,
) -> Result<(), PlanError> {
    let taken = listed.and_then(|index| {
        index
            .namesakes(&d.connection.name)
            .iter()
            .find(|item| item.id != id)
    });
    match taken {
        Some(other) => Err(PlanError::Rename(format!(
            "{}: cannot rename `{old}` to `{}`: sandbox `{}` already has a connection named `{}` (id `{}`); rename or delete that one on the platform first, or remove `{}` from `renamedFrom` to adopt it instead",
            at(d),
            d.connection.name,
            d.key.sandbox,
            d.connection.name,
            other.id,
            old.name
        ))),
        None => Ok(()),
    }
}

fn rename(
    d: &Desired,
    reasons: Vec<String>,
    id: String,
    from: &str,
    changes: Vec<FieldChange>,
) -> Action {
    // The rename line shows the name; the other fields are listed under it.
    let changes = changes.into_iter().filter(|c| c.field != "name").collect();
    Action {
        key: d.key.clone(),
        org: d.org.clone(),
        reasons,
        step: Step::Rename {
            id,
            from: from.to_owned(),
            changes,
        },
        pending_since: None,
    }
}

fn blocked(d: &Desired, reason: String) -> Action {
    Action {
        key: d.key.clone(),
        org: d.org.clone(),
        reasons: Vec::new(),
        step: Step::Blocked(reason),
        pending_since: None,
    }
}

/// Where `d`'s `renamedFrom` is written: `file:line`.
fn at(d: &Desired) -> String {
    match d.renamed_from_line {
        Some(line) => format!("{}:{line}", d.source),
        None => d.source.clone(),
    }
}

fn quoted<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    items
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::tests::{desired, item, options, state_with};
    use super::super::{ActionKind, PlanOptions, RemoteView, diff};
    use crate::api::Scope;
    use crate::config::RenamedFrom;

    const ORG: &str = "ORG@AdobeOrg";

    /// `orders`, renamed from `names`.
    fn renamed(names: &[&str]) -> super::Desired {
        let mut d = desired("orders", "text");
        d.connection.renamed_from = Some(RenamedFrom::Many(
            names.iter().map(|n| (*n).to_owned()).collect(),
        ));
        d
    }

    fn listing(items: Vec<crate::api::wire::ConnectionItem>) -> RemoteView {
        RemoteView::from([(Scope::new(ORG, "prod"), items)])
    }

    #[test]
    fn two_earlier_names_recorded_as_two_connections_is_a_plan_error() {
        let d = renamed(&["old-a", "old-b"]);
        let state = state_with(&[
            (&desired("old-a", "x"), "id-a"),
            (&desired("old-b", "x"), "id-b"),
        ]);
        let err = diff(&[d], &state, None, "h".into(), &options()).unwrap_err();
        assert!(err.to_string().contains("2 different connections"), "{err}");
    }

    #[test]
    fn a_recorded_connection_deleted_outside_is_created_and_its_earlier_key_is_an_orphan() {
        let d = renamed(&["old"]);
        let state = state_with(&[(&desired("old", "text"), "id-old")]);
        let remote = listing(Vec::new());
        let prune = PlanOptions {
            prune: true,
            ..options()
        };
        let plan = diff(&[d], &state, Some(&remote), "h".into(), &prune).unwrap();
        let kinds: Vec<(String, ActionKind)> = plan
            .actions
            .iter()
            .map(|a| (a.key.name.clone(), a.kind()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("old".to_owned(), ActionKind::Delete),
                ("orders".to_owned(), ActionKind::Create)
            ]
        );
    }

    #[test]
    fn a_target_on_the_earlier_key_never_prunes_it() {
        let d = renamed(&["old"]);
        let state = state_with(&[(&desired("old", "text"), "id-old")]);
        let remote = listing(vec![item("id-old", "old", "text")]);
        let targeted = PlanOptions {
            prune: true,
            targets: vec![d.key.clone(), "azure/prod/old".parse().unwrap()],
            ..options()
        };
        let plan = diff(
            std::slice::from_ref(&d),
            &state,
            Some(&remote),
            "h".into(),
            &targeted,
        )
        .unwrap();
        assert_eq!(plan.summary.delete, 0, "{plan:?}");
        assert_eq!(plan.summary.rename, 1, "{plan:?}");
        let old_only = PlanOptions {
            targets: vec!["azure/prod/old".parse().unwrap()],
            ..targeted
        };
        let plan = diff(&[d], &state, Some(&remote), "h".into(), &old_only).unwrap();
        assert!(plan.is_empty(), "{plan:?}");
    }

    #[test]
    fn two_platform_connections_under_earlier_names_block_the_rename() {
        let d = renamed(&["old-a", "old-b"]);
        let remote = listing(vec![
            item("id-a", "old-a", "text"),
            item("id-b", "old-b", "text"),
        ]);
        let plan = diff(
            &[d],
            &state_with(&[]),
            Some(&remote),
            "h".into(),
            &options(),
        )
        .unwrap();
        let blocked = plan.actions[0].blocked().unwrap_or_default();
        insta::assert_snapshot!("blocked_two_listed", blocked);
    }

    #[test]
    fn an_earlier_name_listed_under_an_id_state_records_elsewhere_is_not_adopted() {
        let d = renamed(&["old"]);
        let state = state_with(&[(&desired("elsewhere", "text"), "id-old")]);
        let remote = listing(vec![item("id-old", "old", "text")]);
        let plan = diff(
            &[d, desired("elsewhere", "text")],
            &state,
            Some(&remote),
            "h".into(),
            &options(),
        )
        .unwrap();
        let orders = plan
            .actions
            .iter()
            .find(|a| a.key.name == "orders")
            .unwrap();
        insta::assert_snapshot!(
            "blocked_recorded_elsewhere",
            orders.blocked().unwrap_or_default()
        );
    }

    #[test]
    fn an_earlier_name_listed_under_an_id_the_platform_lists_twice_is_not_adopted() {
        let d = renamed(&["old"]);
        let remote = listing(vec![
            item("id-old", "old", "text"),
            item("id-old", "other", "text"),
        ]);
        let plan = diff(
            &[d],
            &state_with(&[]),
            Some(&remote),
            "h".into(),
            &options(),
        )
        .unwrap();
        let blocked = plan.actions[0].blocked().unwrap_or_default();
        assert!(blocked.contains("under 2 names"), "{plan:?}");
    }

    #[test]
    fn a_rename_round_trips_through_the_plan_file() {
        let d = renamed(&["old"]);
        let state = state_with(&[(&desired("old", "text"), "id-old")]);
        let remote = listing(vec![item("id-old", "old", "text")]);
        let plan = diff(&[d], &state, Some(&remote), "h".into(), &options()).unwrap();
        assert_eq!(plan.actions[0].renamed_from(), Some("old"));
        let text = serde_json::to_string(&plan).unwrap();
        let back: super::super::Plan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, plan);
        let without_from = text.replace(r#","renamed_from":"old""#, "");
        let err = serde_json::from_str::<super::super::Plan>(&without_from).unwrap_err();
        assert!(err.to_string().contains("has no `renamed_from`"), "{err}");
    }
}
