//! The dataflow half of a plan: each `kind: dataflow` document against its
//! state record (and, when read, the flow on the platform): create (or
//! resume a chain a killed run left half made), update in place, replace
//! when the source or target changes, delete with `--prune`, with every
//! changed field named and protection enforced before anything is sent.

use std::collections::{BTreeMap, BTreeSet};

use super::dataflow_fields::{self, Compared, Updates};
use super::dataflow_rename::{self, RenameError};
use crate::api::dataflow::FlowItem;
use crate::config::{ConnectionKey, DataflowKey};
use crate::desired::dataflow::DesiredDataflow;
use crate::state::{DataflowRecord, State};

pub(crate) use super::dataflow_action::{DataflowAction, DataflowStep};

/// Why no dataflow plan could be made: each names the key and the way out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DataflowPlanError {
    #[error(
        "`{key}` is protected (`protect: true`) and this plan would {what} it: {}, or run `provision state unprotect {key}`, then plan again",
        // The document is gone for a delete, still there for a replace.
        if *what == "delete" { "put its document back with `protect: false` and apply (then remove it)" } else { "set `protect: false` in its document and apply" }
    )]
    Protected { key: String, what: &'static str },
    #[error(
        "`{key}`: the flow's first run was {start}, which has passed: the platform cannot change a past start; replace the dataflow explicitly with `--replace {key}`"
    )]
    PastStart { key: DataflowKey, start: String },
    #[error(
        "`{key}`: the replace reads table `{table}` into the same dataset again with `backfill: true`, which duplicates the rows already ingested: set `schedule.backfill: false`, or confirm with `--replace {key}`"
    )]
    DuplicateRows { key: DataflowKey, table: String },
    #[error(
        "`{key}` reads through base connection `{connection}`, which is not in these files, not in state and not on the platform in sandbox `{sandbox}`{hint}"
    )]
    NoConnection {
        key: DataflowKey,
        connection: String,
        sandbox: String,
        hint: String,
    },
    #[error(
        "the plan deletes connection `{connection}`, but {users} still read(s) through it: delete or move the dataflow(s) first (the platform refuses to delete a connection a flow uses)"
    )]
    ConnectionInUse {
        connection: ConnectionKey,
        users: String,
    },
    #[error(transparent)]
    Rename(#[from] RenameError),
}

/// Knobs of the dataflow half of a plan.
#[derive(Debug, Clone, Default)]
pub(crate) struct DataflowOptions {
    pub prune: bool,
    /// `--replace KEY`: replace these even when the plan would refuse.
    pub replace: BTreeSet<DataflowKey>,
    /// Only these (with `--target`); `None`: all.
    pub targets: Option<BTreeSet<DataflowKey>>,
    /// Now, epoch seconds: a recorded start before it has passed.
    pub now: i64,
    /// The platform id of each connection key once the connections' plan
    /// is carried out (see [`connection_ids`]): a `source.connection` that
    /// names its base connection's new name reads through the same one.
    pub connection_ids: BTreeMap<ConnectionKey, String>,
}

/// The id each connection key has once `actions` (the connections' plan)
/// are carried out: recorded, adopted, updated or renamed in it, else as
/// state records it; none for a create or a delete.
pub(crate) fn connection_ids(
    actions: &[super::Action],
    state: &State,
) -> BTreeMap<ConnectionKey, String> {
    let mut ids: BTreeMap<ConnectionKey, String> = state
        .connections
        .iter()
        .map(|(key, record)| (key.clone(), record.id.clone()))
        .collect();
    for action in actions {
        match action.id() {
            Some(id) if action.kind() != super::ActionKind::Delete => {
                ids.insert(action.key.clone(), id.to_owned())
            }
            _ => ids.remove(&action.key),
        };
    }
    ids
}

/// The flows read back (`--refresh`), by recorded flow id; a recorded id
/// missing from a read scope was deleted outside provision.
#[derive(Debug, Clone, Default)]
pub(crate) struct FlowsRead {
    pub flows: BTreeMap<String, FlowItem>,
    /// The (org, sandbox) scopes read.
    pub scopes: BTreeSet<(String, String)>,
}

/// The dataflow actions, sorted by key.
pub(crate) fn diff(
    desired: &[DesiredDataflow],
    state: &State,
    read: Option<&FlowsRead>,
    options: &DataflowOptions,
) -> Result<(Vec<DataflowAction>, Vec<String>), DataflowPlanError> {
    let selected = |key: &DataflowKey| options.targets.as_ref().is_none_or(|t| t.contains(key));
    let mut actions = Vec::new();
    let mut warnings = Vec::new();
    for d in desired.iter().filter(|d| selected(&d.key)) {
        let action = match state.dataflows.get(&d.key) {
            Some(record) => {
                dataflow_rename::already_moved(d, state)?;
                planned(d, record, read, options)?
            }
            None => match dataflow_rename::earlier(d, state)? {
                Some((old, record)) => {
                    dataflow_rename::renamed(planned(d, record, read, options)?, old, record)
                }
                None => {
                    let mut action = create(d, vec!["not in state".to_owned()]);
                    action.notes.extend(dataflow_rename::adoption_note(d));
                    action
                }
            },
        };
        actions.push(action);
    }
    let documented: BTreeSet<&DataflowKey> = desired.iter().map(|d| &d.key).collect();
    // A renamed chain's earlier key moves with it: never an orphan, nor
    // when `--target` leaves the renaming document out of this run.
    let moved = dataflow_rename::moved_keys(desired);
    let mut kept = Vec::new();
    for (key, record) in &state.dataflows {
        if documented.contains(key) || moved.contains(key) || !selected(key) {
            continue;
        }
        if !options.prune {
            kept.push(format!("`{key}`"));
            continue;
        }
        if record.protect {
            return Err(DataflowPlanError::Protected {
                key: key.to_string(),
                what: "delete",
            });
        }
        actions.push(DataflowAction {
            key: key.clone(),
            org: record.org.clone(),
            action: DataflowStep::Delete,
            reasons: vec!["no document describes it (--prune)".to_owned()],
            changes: Vec::new(),
            connection: key.connection(""),
            updates: Updates::default(),
            notes: vec![
                "the data already ingested stays in the dataset; the mapping set stays (the platform cannot delete one)".to_owned(),
            ],
            renamed_from: None,
            flow_id: None,
        });
    }
    if !kept.is_empty() {
        warnings.push(format!(
            "{} dataflow(s) in state are no longer in config and are kept: {}; use `--prune` to delete them",
            kept.len(),
            kept.join(", ")
        ));
    }
    actions.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((actions, warnings))
}

/// The step for `d` against `record`, its own or its earlier name's: a
/// create resumed or finished, or what [`recorded`] finds.
fn planned(
    d: &DesiredDataflow,
    record: &DataflowRecord,
    read: Option<&FlowsRead>,
    options: &DataflowOptions,
) -> Result<DataflowAction, DataflowPlanError> {
    Ok(if !record.is_complete() {
        create(d, vec![resume_reason(record)])
    } else if record.flow_state.is_none() && record.applied.is_none() {
        // Every object recorded but not the step's end (the flow's state,
        // the document as applied): the run was killed right after the
        // flow's create; the rest of the step is still due.
        create(
            d,
            vec!["a create was interrupted after its flow was made: the rest of the step (mapping version, enabled state) is finished".to_owned()],
        )
    } else {
        recorded(d, record, read, options)?
    })
}

fn resume_reason(record: &DataflowRecord) -> String {
    let made = record.ids().count();
    format!(
        "a create was interrupted: {made} of 4 objects recorded, the rest are created (or found by name)"
    )
}

fn create(d: &DesiredDataflow, reasons: Vec<String>) -> DataflowAction {
    let mut notes = Vec::new();
    if !d.doc.enabled {
        notes.push("created, then disabled: the platform has no disabled create, so a run may start before the disable lands".to_owned());
    }
    DataflowAction {
        notes,
        ..DataflowAction::new(d, DataflowStep::Create, reasons)
    }
}

/// A complete chain: what changed since it was applied (and, when read,
/// what changed on the platform).
fn recorded(
    d: &DesiredDataflow,
    record: &DataflowRecord,
    read: Option<&FlowsRead>,
    options: &DataflowOptions,
) -> Result<DataflowAction, DataflowPlanError> {
    let flow_id = record.flow.as_ref().map(|f| f.id.as_str()).unwrap_or("");
    let scope_read = read.filter(|r| {
        r.scopes
            .contains(&(record.org.clone(), d.key.sandbox().to_owned()))
    });
    if let Some(read) = scope_read
        && !read.flows.contains_key(flow_id)
    {
        return Ok(create(
            d,
            vec!["its flow was deleted outside provision".to_owned()],
        ));
    }
    let live = scope_read.and_then(|r| r.flows.get(flow_id));
    let same_base = options.connection_ids.get(&d.connection) == Some(&record.base_connection_id);
    let compared = dataflow_fields::compare(d, record, live, same_base);
    let forced = options.replace.contains(&d.key);
    if let Some(start) = compared.past_start(record, options.now)
        && !forced
    {
        return Err(DataflowPlanError::PastStart {
            key: d.key.clone(),
            start,
        });
    }
    if compared.replace || (forced && !compared.changes.is_empty()) {
        return replace(d, compared, forced);
    }
    Ok(update(d, record, compared))
}

/// The replace a changed source or target (or `--replace`) needs, unless
/// the document protects the chain or the new flow would read rows twice.
fn replace(
    d: &DesiredDataflow,
    compared: Compared,
    forced: bool,
) -> Result<DataflowAction, DataflowPlanError> {
    // The document decides, as terraform's `prevent_destroy` does: a
    // document that says `protect: false` may replace what it protected.
    if d.doc.protect {
        return Err(DataflowPlanError::Protected {
            key: d.key.to_string(),
            what: "replace",
        });
    }
    if compared.same_table_and_dataset && d.doc.backfill() && !forced {
        return Err(DataflowPlanError::DuplicateRows {
            key: d.key.clone(),
            table: d.doc.source.table.clone(),
        });
    }
    let mut notes = vec![
        "the old flow is disabled, a new chain is created (the mapping set is reused), then the old flow and its source and target connections are deleted; the data already ingested stays".to_owned(),
    ];
    if d.doc.backfill() {
        notes.push("the new flow backfills: it reads every row from before its start".to_owned());
    }
    Ok(DataflowAction {
        changes: compared.changes,
        notes,
        ..DataflowAction::new(d, DataflowStep::Replace, compared.reasons)
    })
}

/// The in-place update (or nothing) for a chain whose source and target
/// stay, with what an interrupted replace left still to delete.
fn update(d: &DesiredDataflow, record: &DataflowRecord, mut compared: Compared) -> DataflowAction {
    if !record.retired.is_empty() {
        // A run killed between a replace's new chain and the old one's
        // deletes: the next run finishes them.
        compared.updates.retired = true;
        compared.reasons.push(format!(
            "a replace was interrupted: {} object(s) of the old chain are still to delete",
            record.retired.len()
        ));
    }
    let step = if compared.changes.is_empty() && !compared.updates.retired {
        DataflowStep::Unchanged
    } else {
        DataflowStep::Update
    };
    let mut notes = Vec::new();
    if compared.updates.mapping {
        notes.push("the new mapping applies to future runs only".to_owned());
    }
    DataflowAction {
        changes: compared.changes,
        updates: compared.updates,
        notes,
        ..DataflowAction::new(d, step, compared.reasons)
    }
}

/// Refuses a plan that deletes a base connection some dataflow still
/// reads through (one that stays, or one whose delete is not planned).
pub(crate) fn check_connection_deletes(
    deleted: &[(ConnectionKey, String)],
    dataflows: &[DataflowAction],
    desired: &[DesiredDataflow],
    state: &State,
) -> Result<(), DataflowPlanError> {
    let leaving: BTreeSet<&DataflowKey> = dataflows
        .iter()
        .filter(|a| a.action == DataflowStep::Delete)
        .map(|a| &a.key)
        .collect();
    for (connection, id) in deleted {
        let mut users: BTreeSet<String> = desired
            .iter()
            .filter(|d| &d.connection == connection)
            .map(|d| format!("`{}`", d.key))
            .collect();
        users.extend(
            state
                .dataflows
                .iter()
                .filter(|(key, r)| &r.base_connection_id == id && !leaving.contains(key))
                .map(|(key, _)| format!("`{key}`")),
        );
        if !users.is_empty() {
            return Err(DataflowPlanError::ConnectionInUse {
                connection: connection.clone(),
                users: users.into_iter().collect::<Vec<_>>().join(", "),
            });
        }
    }
    Ok(())
}

/// Joins the dataflow steps into `plan` (made for the connections):
/// counted in its summary, its warnings added, and refused when a
/// connection delete would leave a dataflow without its connection or the
/// deletes pass `max_deletes`.
pub(crate) fn join(
    plan: &mut super::Plan,
    dataflows: Vec<DataflowAction>,
    warnings: Vec<String>,
    desired: &[DesiredDataflow],
    state: &State,
    max_deletes: usize,
) -> Result<(), String> {
    let deleted: Vec<(ConnectionKey, String)> = plan
        .actions
        .iter()
        .filter(|a| a.kind() == super::ActionKind::Delete)
        .filter_map(|a| a.id().map(|id| (a.key.clone(), id.to_owned())))
        .collect();
    check_connection_deletes(&deleted, &dataflows, desired, state).map_err(|e| e.to_string())?;
    for action in &dataflows {
        let summary = &mut plan.summary;
        match action.action {
            DataflowStep::Create => summary.create += 1,
            DataflowStep::Update => {
                summary.update += 1;
                summary.rename += usize::from(action.renames());
            }
            DataflowStep::Replace => summary.replace += 1,
            DataflowStep::Delete => summary.delete += 1,
            DataflowStep::Unchanged => summary.unchanged_dataflows += 1,
        }
    }
    if plan.summary.delete > max_deletes {
        return Err(super::PlanError::TooManyDeletes {
            count: plan.summary.delete,
            max: max_deletes,
        }
        .to_string());
    }
    plan.warnings.extend(warnings);
    plan.dataflows = dataflows;
    Ok(())
}
