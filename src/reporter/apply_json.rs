//! `apply --format json`: one JSON object per line as the run goes, in the
//! spirit of terraform's machine-readable UI. The line types below are the
//! schema (`schema/apply-events.schema.json` is generated from them).

use schemars::JsonSchema;
use serde::Serialize;

use crate::apply::{ActionError, Done, Event, Outcome, Reporter};
use crate::check::Outcome as Probe;
use crate::escape::json_safe;
use crate::output;
use crate::plan::dataflow::{DataflowAction, DataflowStep};
use crate::plan::{Action, ActionKind, FieldChange, Scene};
use crate::state::timestamp;

/// The version of this stream's format; it changes when a line changes incompatibly.
const FORMAT_VERSION: u32 = 1;

/// The file the schema of these lines is committed as.
pub(crate) const APPLY_EVENTS_SCHEMA_FILE: &str = "apply-events.schema.json";

/// One line of `provision apply --format json`.
#[derive(Serialize, JsonSchema)]
struct Line {
    #[serde(flatten)]
    message: Message,
    /// When the line was written (RFC 3339, UTC).
    timestamp: String,
}

/// What a line says; `type` names it.
#[derive(Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Message {
    /// The first line: the stream's format and where the run acts.
    Version {
        /// The version of this stream's format.
        format_version: u32,
        /// The version of `provision` that wrote it.
        provision_version: String,
        /// The environment selected with `-e`/`PROVISION_ENV`, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        /// Per cloud: its org, Flow Service host and sandboxes.
        targets: Vec<TargetLine>,
        /// The state the run records into (a database URL's password redacted).
        state: String,
    },
    /// Something the user should know that does not stop the run; a
    /// warning about the config names its code and place.
    Warning {
        message: String,
        /// The diagnostic's stable code, e.g. `V203`.
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// Where in the config, for a diagnostic.
        #[serde(skip_serializing_if = "Option::is_none")]
        at: Option<Place>,
        /// How to fix it.
        #[serde(skip_serializing_if = "Option::is_none")]
        help: Option<String>,
    },
    /// `--preflight` probed every described server.
    Preflight {
        ok: usize,
        failed: usize,
        results: Vec<Probe>,
    },
    /// One action of the plan, before any is carried out.
    PlannedChange { change: Change },
    /// One action started.
    ApplyStart { key: String, action: Kind },
    /// One action succeeded.
    ApplyComplete {
        key: String,
        action: Kind,
        /// What was done.
        outcome: Effect,
        /// The connection's Flow Service id (none for `dropped_pending`).
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// One action failed.
    ApplyErrored {
        key: String,
        action: Kind,
        /// The connection's id, when it had one before the action.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Why, in words.
        error: String,
    },
    /// SIGINT or SIGTERM: the first stops new actions, a second (`again`) exits at once.
    Interrupted { again: bool, message: String },
    /// The last line of a run that ended: how many actions ended which way.
    Summary {
        /// `complete`, `interrupted`, or `no_changes` when the plan was empty.
        outcome: Ending,
        created: usize,
        adopted: usize,
        updated: usize,
        deleted: usize,
        failed: usize,
        not_started: usize,
    },
    /// An error ended the run after its version line (a stale saved plan,
    /// a failed preflight, the platform unreachable, …).
    Error { message: String },
}

/// A place in a file (1-based line and column).
#[derive(Serialize, JsonSchema)]
struct Place {
    file: String,
    line: u32,
    column: u32,
}

/// One cloud a run acts in.
#[derive(Serialize, JsonSchema)]
struct TargetLine {
    cloud: String,
    /// The IMS org id.
    org: String,
    /// The Flow Service host (`emulator` for an in-process emulator).
    endpoint: String,
    sandboxes: Vec<String>,
}

/// A planned action: its connection or dataflow, what will be done and
/// which fields change.
#[derive(Serialize, JsonSchema)]
struct Change {
    /// `cloud/sandbox/name`, or `dataflow/cloud/sandbox/name`.
    key: String,
    action: Kind,
    org: String,
    /// The recorded (or, for an adopt, found) connection id; a dataflow's
    /// recorded flow id.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// Why, in words.
    reasons: Vec<String>,
    /// The fields that differ; secret values are never shown.
    changes: Vec<Field>,
    /// Why the action will not be carried out, when it will not.
    #[serde(skip_serializing_if = "Option::is_none")]
    blocked: Option<String>,
    /// A rename's earlier name (`renamedFrom`): the connection is patched
    /// to `key`'s name and its state entry moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    renamed_from: Option<String>,
}

/// One field that differs.
#[derive(Serialize, JsonSchema)]
struct Field {
    field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    /// A secret: its values are never shown.
    sensitive: bool,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Create,
    Adopt,
    Update,
    Rename,
    Replace,
    Delete,
    Unchanged,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Effect {
    Created,
    Adopted,
    AdoptedAndUpdated,
    Updated,
    /// Renamed on the platform (same id), its state entry moved.
    Renamed,
    /// A dataflow's new chain was created and the old one deleted.
    Replaced,
    Deleted,
    /// A stale pending create (no document, never listed) left state.
    DroppedPending,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Ending {
    Complete,
    Interrupted,
    NoChanges,
}

impl From<ActionKind> for Kind {
    fn from(kind: ActionKind) -> Self {
        match kind {
            ActionKind::Create => Kind::Create,
            ActionKind::Adopt => Kind::Adopt,
            ActionKind::Update => Kind::Update,
            ActionKind::Rename => Kind::Rename,
            ActionKind::Replace => Kind::Replace,
            ActionKind::Delete => Kind::Delete,
            ActionKind::Unchanged => Kind::Unchanged,
        }
    }
}

/// Renders an apply as JSON lines on stdout.
#[derive(Debug, Default)]
pub(crate) struct ApplyJson;

impl Reporter for ApplyJson {
    /// The plan was shown as `planned_change` lines; the question goes to stderr.
    fn ask_approval(&self, _plan: &crate::plan::Plan) {
        output::progress(super::apply_text::APPROVAL_PROMPT);
    }

    fn event(&self, event: Event<'_>) {
        for message in messages(event) {
            let line = Line {
                timestamp: timestamp::now(),
                message,
            };
            if let Ok(text) = serde_json::to_string(&line) {
                output::result(&(json_safe(&text).into_owned() + "\n"));
            }
        }
    }
}

fn messages(event: Event<'_>) -> Vec<Message> {
    match event {
        Event::Began(scene) => vec![version(scene)],
        Event::Warning(message) => vec![Message::Warning {
            message: message.to_owned(),
            code: None,
            at: None,
            help: None,
        }],
        Event::Diagnostic(d) => vec![Message::Warning {
            message: d.message.clone(),
            code: Some(d.code.as_str().to_owned()),
            at: Some(Place {
                file: d.file.display().to_string(),
                line: d.line,
                column: d.column,
            }),
            help: d.help.clone(),
        }],
        Event::Preflight(report) => vec![Message::Preflight {
            ok: report.passed(),
            failed: report.failed(),
            results: report.outcomes.clone(),
        }],
        Event::Planned { plan, .. } => plan
            .actions
            .iter()
            .filter(|a| a.kind() != ActionKind::Unchanged)
            .map(change)
            .chain(
                plan.dataflows
                    .iter()
                    .filter(|a| a.action != DataflowStep::Unchanged)
                    .map(dataflow_change),
            )
            .map(|change| Message::PlannedChange { change })
            .collect(),
        Event::Started(action) => vec![Message::ApplyStart {
            key: action.key.to_string(),
            action: action.kind().into(),
        }],
        Event::DataflowStarted(action) => vec![Message::ApplyStart {
            key: action.key.to_string(),
            action: dataflow_kind(action),
        }],
        Event::Finished(outcome) => finished(outcome).into_iter().collect(),
        Event::Interrupted { again } => vec![Message::Interrupted {
            again,
            message: if again {
                "interrupted again: exiting now".to_owned()
            } else {
                "interrupted: no new action starts; the requests in flight finish or time out and are recorded".to_owned()
            },
        }],
        Event::Ended { plan, report } => {
            let c = report.counts();
            let outcome = if plan.is_empty() {
                Ending::NoChanges
            } else if report.interrupted {
                Ending::Interrupted
            } else {
                Ending::Complete
            };
            vec![Message::Summary {
                outcome,
                created: c.created,
                adopted: c.adopted,
                updated: c.updated,
                deleted: c.deleted,
                failed: c.failed,
                not_started: c.not_started,
            }]
        }
        Event::Stopped(err) => vec![Message::Error {
            message: err.to_string(),
        }],
    }
}

fn version(scene: &Scene) -> Message {
    Message::Version {
        format_version: FORMAT_VERSION,
        provision_version: env!("CARGO_PKG_VERSION").to_owned(),
        environment: scene.environment.clone(),
        targets: scene
            .targets
            .iter()
            .map(|t| TargetLine {
                cloud: t.cloud.to_string(),
                org: t.org.clone(),
                endpoint: t.endpoint.clone(),
                sandboxes: t.sandboxes.clone(),
            })
            .collect(),
        state: scene.state.clone(),
    }
}

fn change(action: &Action) -> Change {
    Change {
        key: action.key.to_string(),
        action: action.kind().into(),
        org: action.org.clone(),
        id: action.id().map(str::to_owned),
        reasons: action.reasons.clone(),
        changes: fields(action.changes()),
        blocked: action.blocked().map(str::to_owned),
        renamed_from: action.renamed_from().map(str::to_owned),
    }
}

/// A dataflow's planned step, as a connection's is shown (its `id` is the
/// recorded flow's).
fn dataflow_change(action: &DataflowAction) -> Change {
    Change {
        key: action.key.to_string(),
        action: dataflow_kind(action),
        org: action.org.clone(),
        id: action.flow_id.clone(),
        reasons: action.reasons.clone(),
        changes: fields(&action.changes),
        blocked: None,
        renamed_from: action.renamed_from.clone(),
    }
}

fn dataflow_kind(action: &DataflowAction) -> Kind {
    match action.action {
        DataflowStep::Create => Kind::Create,
        DataflowStep::Update if action.renames() => Kind::Rename,
        DataflowStep::Update => Kind::Update,
        DataflowStep::Replace => Kind::Replace,
        DataflowStep::Delete => Kind::Delete,
        DataflowStep::Unchanged => Kind::Unchanged,
    }
}

fn fields(changes: &[FieldChange]) -> Vec<Field> {
    changes
        .iter()
        .map(|c| Field {
            field: c.field.clone(),
            from: c.from.clone(),
            to: c.to.clone(),
            sensitive: c.sensitive,
        })
        .collect()
}

/// An action's end; nothing for one an interrupt kept from starting (the
/// summary counts those).
fn finished(outcome: &Outcome) -> Option<Message> {
    let key = outcome.key.to_string();
    let action = outcome.kind.into();
    let (done, id) = match &outcome.result {
        Err(ActionError::Interrupted) => return None,
        Err(err) => {
            return Some(Message::ApplyErrored {
                key,
                action,
                id: outcome.planned_id.clone(),
                error: err.to_string(),
            });
        }
        Ok(Done::Created(id)) => (Effect::Created, Some(id)),
        Ok(Done::Adopted { id, updated: false }) => (Effect::Adopted, Some(id)),
        Ok(Done::Adopted { id, updated: true }) => (Effect::AdoptedAndUpdated, Some(id)),
        Ok(Done::Updated(id)) => (Effect::Updated, Some(id)),
        Ok(Done::Renamed { id, .. }) => (Effect::Renamed, Some(id)),
        Ok(Done::Deleted(id)) => (Effect::Deleted, Some(id)),
        Ok(Done::Replaced(id)) => (Effect::Replaced, Some(id)),
        Ok(Done::DroppedPending) => (Effect::DroppedPending, None),
    };
    Some(Message::ApplyComplete {
        key,
        action,
        outcome: done,
        id: id.cloned(),
    })
}

/// The JSON Schema of the lines, generated from the types above.
pub(crate) fn apply_events_schema() -> serde_json::Value {
    super::schema::generate::<Line>(
        "urn:provision:schema:apply-events",
        "One line of `provision apply --format json`: a JSON object per line, each with `type` and `timestamp`. \
         The first line is `version`; the last of a run that ended is `summary` (or `error`).",
    )
}
