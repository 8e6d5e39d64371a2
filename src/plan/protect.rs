//! `protect: true`, like terraform's `prevent_destroy`: a plan that would
//! delete a protected connection (or dataflow) fails before any write,
//! naming each key and the way out. The flag lives in state only, so a
//! change of just the flag is an update that sends nothing.

use std::collections::BTreeMap;

use super::{Action, Desired, FieldChange, PlanError, Step};
use crate::config::ConnectionKey;
use crate::state::{Record, State};

/// The field name a change of the flag is shown under.
pub(crate) const FIELD: &str = "protect";

/// The flag's change from what state records, added to `changes`; the
/// reason to give, when it changed.
pub(super) fn push(d: &Desired, record: &Record, changes: &mut Vec<FieldChange>) -> Option<String> {
    if record.protect == d.connection.protect {
        return None;
    }
    changes.push(FieldChange {
        field: FIELD.into(),
        from: Some(record.protect.to_string()),
        to: Some(d.connection.protect.to_string()),
        sensitive: false,
    });
    Some("`protect` changed: recorded in state, nothing is sent to the platform".into())
}

/// Whether an update changes only the flag: apply records it in state
/// without a request.
pub(crate) fn state_only(changes: &[FieldChange]) -> bool {
    !changes.is_empty() && changes.iter().all(|c| c.field == FIELD)
}

/// Refuses a plan with a delete of a connection state records as
/// protected: recorded with `protect: true`, or a pending create whose
/// document said so (adopted, then pruned).
pub(super) fn refuse_deletes(
    actions: &BTreeMap<ConnectionKey, Action>,
    state: &State,
) -> Result<(), PlanError> {
    let protected: Vec<String> = actions
        .values()
        .filter(|a| matches!(a.step, Step::Delete { .. }))
        .filter(|a| {
            state.connections.get(&a.key).is_some_and(|r| r.protect)
                || state.pending.get(&a.key).is_some_and(|p| p.protect)
        })
        .map(|a| a.key.to_string())
        .collect();
    refuse(protected)
}

/// `Err` naming `keys` (any kind, as shown) when there is any.
pub(crate) fn refuse(keys: Vec<String>) -> Result<(), PlanError> {
    if keys.is_empty() {
        Ok(())
    } else {
        Err(PlanError::Protected(keys))
    }
}

/// The message of [`PlanError::Protected`].
pub(super) fn message(keys: &[String]) -> String {
    let way_out = "to delete it, set `protect: false` and apply, or run `provision state unprotect";
    match keys {
        [one] => format!(
            "`{one}` is protected (`protect: true`) and the plan would delete it: nothing was changed; {way_out} {one}`, then plan again"
        ),
        many => format!(
            "{} protected keys would be deleted by the plan: {}; nothing was changed; for each, {way_out} KEY`, then plan again",
            many.len(),
            many.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_change_of_the_flag_is_state_only() {
        let change = |field: &str| FieldChange {
            field: field.into(),
            from: None,
            to: None,
            sensitive: false,
        };
        assert!(state_only(&[change(FIELD)]));
        assert!(!state_only(&[change(FIELD), change("description")]));
        assert!(!state_only(&[]));
    }

    #[test]
    fn the_refusal_names_each_key_and_the_way_out() {
        assert_eq!(refuse(Vec::new()), Ok(()));
        let one = message(&["azure/prod/a".into()]);
        assert!(
            one.contains("`provision state unprotect azure/prod/a`"),
            "{one}"
        );
        let two = message(&["azure/prod/a".into(), "dataflow/azure/prod/b".into()]);
        assert!(two.starts_with("2 protected keys"), "{two}");
        assert!(two.contains("`dataflow/azure/prod/b`"), "{two}");
    }
}
