//! `renamedFrom` on a dataflow, terraform's `moved` as for connections: a
//! document whose key state does not record, but one of its earlier names
//! it does, renames that chain's four objects in place and moves its state
//! entry, instead of a new chain beside an orphan that `--prune` deletes.

use std::collections::BTreeSet;

use super::dataflow_action::{DataflowAction, DataflowStep};
use crate::config::DataflowKey;
use crate::desired::dataflow::DesiredDataflow;
use crate::state::{DataflowRecord, State};

/// The reason a `--refresh` gives for a flow whose name is not the
/// document's, which a rename's flow always is: the rename line says it.
const NAME_DRIFT: &str = "name changed outside provision";

/// Why a dataflow's `renamedFrom` cannot be planned; each names the
/// document's file and the line of its `renamedFrom`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RenameError {
    #[error(
        "{at}: `{key}` declares `renamedFrom: {old}`, but state records both `{old_key}` and `{key}`: expected only one of them; `provision state rm` the one that is not this dataflow, or remove `{old}` from `renamedFrom`"
    )]
    BothRecorded {
        at: String,
        key: DataflowKey,
        old: String,
        old_key: DataflowKey,
    },
    #[error(
        "{at}: `{key}` lists earlier names that state records as {count} different dataflows ({keys}): expected at most one; keep the one it was renamed from in `renamedFrom`"
    )]
    ManyRecorded {
        at: String,
        key: DataflowKey,
        count: usize,
        keys: String,
    },
}

/// The earlier key (and its record) `d`, whose own key state does not
/// record, is renamed from: `None` when state records none of its earlier
/// names.
pub(super) fn earlier<'a>(
    d: &DesiredDataflow,
    state: &'a State,
) -> Result<Option<(&'a DataflowKey, &'a DataflowRecord)>, RenameError> {
    let recorded: Vec<(&DataflowKey, &DataflowRecord)> = d
        .doc
        .earlier_keys()
        .iter()
        .filter_map(|key| state.dataflows.get_key_value(key))
        .collect();
    match recorded.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        many => Err(RenameError::ManyRecorded {
            at: at(d),
            key: d.key.clone(),
            count: many.len(),
            keys: many
                .iter()
                .map(|(key, _)| format!("`{key}`"))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// State records `d`'s own key: its `renamedFrom` is then a no-op (the
/// rename was applied), unless state records an earlier name too.
pub(super) fn already_moved(d: &DesiredDataflow, state: &State) -> Result<(), RenameError> {
    match d
        .doc
        .earlier_keys()
        .into_iter()
        .find(|key| state.dataflows.contains_key(key))
    {
        Some(old_key) => Err(RenameError::BothRecorded {
            at: at(d),
            key: d.key.clone(),
            old: old_key.name().to_owned(),
            old_key,
        }),
        None => Ok(()),
    }
}

/// Every earlier key a document lists: the chain a rename moves (or will,
/// in a run whose `--target` leaves the document out) is never an orphan.
/// A key both recorded and listed is a plan error, never a delete.
pub(super) fn moved_keys(desired: &[DesiredDataflow]) -> BTreeSet<DataflowKey> {
    desired.iter().flat_map(|d| d.doc.earlier_keys()).collect()
}

/// `action`, planned for a document against the record of its earlier
/// key `old`, as the rename it is: never unchanged, and the flow's name
/// not a change (nor drift) beside the rename, which says it.
pub(super) fn renamed(
    mut action: DataflowAction,
    old: &DataflowKey,
    record: &DataflowRecord,
) -> DataflowAction {
    action.changes.retain(|c| c.field != "name");
    action.reasons.retain(|r| r != NAME_DRIFT);
    if action.changes.is_empty() {
        action.reasons.retain(|r| r != "the document changed");
    }
    action.reasons.insert(
        0,
        format!("state records it as `{}` (`renamedFrom`)", old.name()),
    );
    if action.action == DataflowStep::Unchanged {
        action.action = DataflowStep::Update;
    }
    action.renamed_from = Some(old.name().to_owned());
    action.flow_id = record.flow.as_ref().map(|f| f.id.clone());
    action
}

/// For a document state records under none of its names: apply looks the
/// chain up under its earlier names before making one.
pub(super) fn adoption_note(d: &DesiredDataflow) -> Option<String> {
    let earlier = d.doc.earlier_keys();
    if earlier.is_empty() {
        return None;
    }
    let names: Vec<String> = earlier.iter().map(|k| format!("`{}`", k.name())).collect();
    Some(format!(
        "apply first looks for the chain under its earlier name(s) {}: the one flow of such a name whose source connection reads through the same base connection and whose target connection writes the same dataset is adopted with its chain and renamed, instead of created",
        names.join(", ")
    ))
}

/// Where `d`'s `renamedFrom` is written: `file:line`.
fn at(d: &DesiredDataflow) -> String {
    match d.renamed_from_line {
        Some(line) => format!("{}:{line}", d.source),
        None => d.source.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::dataflow::{DataflowOptions, DataflowPlanError, DataflowStep, diff};
    use crate::config::{Dataflow, DataflowKey, RenamedFrom};
    use crate::desired::dataflow::DesiredDataflow;
    use crate::state::{DataflowRecord, ObjectRef, Part, State};

    fn doc(name: &str) -> Dataflow {
        serde_json::from_value(serde_json::json!({
            "kind": "dataflow", "name": name, "sandbox": "prod", "cloud": "azure",
            "source": { "connection": "db", "table": "public.t" },
            "target": { "dataset": { "name": "D" } },
            "mapping": [{ "source": "a", "destination": "_id" }],
            "schedule": { "frequency": "hour", "interval": 1 }
        }))
        .unwrap()
    }

    /// `new`, renamed from `earlier`, written at line 3 of its file.
    fn renamed(earlier: &[&str]) -> DesiredDataflow {
        let mut doc = doc("new");
        doc.renamed_from = Some(RenamedFrom::Many(
            earlier.iter().map(|n| (*n).to_owned()).collect(),
        ));
        DesiredDataflow {
            key: doc.key(),
            org: "O@AdobeOrg".into(),
            connection: doc.key().connection("db"),
            fingerprint: crate::desired::dataflow::fingerprint(&doc),
            source: "connections/new.yaml".into(),
            renamed_from_line: Some(3),
            lines: Default::default(),
            doc,
        }
    }

    /// A complete chain applied as `doc(name)`, its objects `<name>-<n>`.
    fn applied(name: &str) -> DataflowRecord {
        let mut record = DataflowRecord::new("O@AdobeOrg", "base", "t");
        for (n, part) in Part::ALL.into_iter().enumerate() {
            let object = ObjectRef {
                id: format!("{name}-{n}"),
                etag: "e".into(),
            };
            record.set_object(part, Some(object));
        }
        record.flow_state = Some("enabled".into());
        record.applied = Some(doc(name));
        record.fingerprint = crate::desired::dataflow::fingerprint(&doc(name));
        record
    }

    fn state(records: Vec<(&str, DataflowRecord)>) -> State {
        let mut state = State::new();
        for (name, record) in records {
            let key = DataflowKey::new(crate::config::Cloud::Azure, "prod", name);
            state.dataflows.insert(key, record);
        }
        state
    }

    fn options(prune: bool) -> DataflowOptions {
        DataflowOptions {
            prune,
            ..DataflowOptions::default()
        }
    }

    #[test]
    fn a_recorded_earlier_name_is_an_update_of_the_same_chain_and_never_an_orphan() {
        let state = state(vec![("old", applied("old"))]);
        let (actions, warnings) = diff(&[renamed(&["old"])], &state, None, &options(true)).unwrap();
        assert_eq!(
            actions.len(),
            1,
            "no delete of the earlier key: {actions:#?}"
        );
        let action = &actions[0];
        assert_eq!(action.action, DataflowStep::Update);
        assert_eq!(action.renamed_from.as_deref(), Some("old"));
        assert_eq!(action.flow_id.as_deref(), Some("old-3"));
        assert_eq!(
            action.reasons,
            ["state records it as `old` (`renamedFrom`)"]
        );
        assert!(action.changes.is_empty(), "{action:#?}");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn other_changes_are_listed_under_the_rename() {
        let state = state(vec![("old", applied("old"))]);
        let mut d = renamed(&["old"]);
        d.doc.description = Some("now described".into());
        let (actions, _) = diff(&[d], &state, None, &options(false)).unwrap();
        let fields: Vec<&str> = actions[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(fields, ["description"]);
        assert!(actions[0].updates.flow, "{:#?}", actions[0]);
    }

    #[test]
    fn a_chain_a_killed_run_left_half_made_is_moved_and_finished() {
        let mut half = applied("old");
        half.set_object(Part::Flow, None);
        half.applied = None;
        let state = state(vec![("old", half)]);
        let (actions, _) = diff(&[renamed(&["old"])], &state, None, &options(true)).unwrap();
        assert_eq!(actions.len(), 1, "{actions:#?}");
        assert_eq!(actions[0].action, DataflowStep::Create);
        assert_eq!(actions[0].renamed_from.as_deref(), Some("old"));
        assert!(actions[0].reasons[1].contains("3 of 4"), "{actions:#?}");
    }

    #[test]
    fn a_source_change_with_a_rename_replaces_under_the_new_name() {
        let state = state(vec![("old", applied("old"))]);
        let mut d = renamed(&["old"]);
        d.doc.source.table = "public.other".into();
        let (actions, _) = diff(&[d], &state, None, &options(false)).unwrap();
        assert_eq!(actions[0].action, DataflowStep::Replace);
        assert_eq!(actions[0].renamed_from.as_deref(), Some("old"));
    }

    #[test]
    fn both_keys_in_state_is_a_plan_error_naming_the_line() {
        let state = state(vec![("old", applied("old")), ("new", applied("new"))]);
        let err = diff(&[renamed(&["old"])], &state, None, &options(false)).unwrap_err();
        insta::assert_snapshot!("dataflow_rename_both_recorded", err.to_string());
    }

    #[test]
    fn two_earlier_names_recorded_as_two_dataflows_is_a_plan_error() {
        let state = state(vec![("a", applied("a")), ("b", applied("b"))]);
        let err = diff(&[renamed(&["a", "b"])], &state, None, &options(true)).unwrap_err();
        insta::assert_snapshot!("dataflow_rename_many_recorded", err.to_string());
    }

    #[test]
    fn a_target_on_either_key_never_prunes_the_earlier_one() {
        let state = state(vec![("old", applied("old"))]);
        let old: DataflowKey = "dataflow/azure/prod/old".parse().unwrap();
        let only_old = DataflowOptions {
            prune: true,
            targets: Some([old].into()),
            ..DataflowOptions::default()
        };
        let (actions, _) = diff(&[renamed(&["old"])], &state, None, &only_old).unwrap();
        assert!(actions.is_empty(), "{actions:#?}");
    }

    #[test]
    fn a_base_connection_renamed_on_the_same_id_is_recorded_not_replaced() {
        let state = state(vec![("old", applied("old"))]);
        let mut d = renamed(&["old"]);
        d.doc.source.connection = "db-renamed".into();
        d.connection = d.key.connection("db-renamed");
        // Another connection: a replace, which would read the rows again.
        let other = diff(&[d.clone()], &state, None, &options(false));
        assert!(
            matches!(other, Err(DataflowPlanError::DuplicateRows { .. })),
            "{other:?}"
        );
        let same = DataflowOptions {
            connection_ids: [(d.connection.clone(), "base".to_owned())].into(),
            ..options(false)
        };
        let (actions, _) = diff(&[d], &state, None, &same).unwrap();
        assert_eq!(actions[0].action, DataflowStep::Update, "{actions:#?}");
        assert!(actions[0].updates.record && !actions[0].updates.flow);
        let fields: Vec<&str> = actions[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(fields, ["source.connection"]);
    }

    #[test]
    fn no_record_under_any_name_is_a_create_that_says_it_looks_for_the_earlier_chain() {
        let (actions, _) = diff(&[renamed(&["old"])], &State::new(), None, &options(true)).unwrap();
        assert_eq!(actions[0].action, DataflowStep::Create);
        assert_eq!(actions[0].renamed_from, None);
        assert!(
            actions[0].notes[0].contains("earlier name(s) `old`"),
            "{actions:#?}"
        );
    }
}
