//! Field by field, a dataflow document against what was applied (and the
//! flow as read back): which fields changed, whether the change can be
//! made in place (and by which call) or needs a new chain.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::FieldChange;
use crate::api::dataflow::FlowItem;
use crate::config::{Dataflow, DatasetRef, MappingEntry};
use crate::desired::dataflow::DesiredDataflow;
use crate::state::DataflowRecord;

/// What an in-place update sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Updates {
    /// `PATCH /flows/{id}`: name, description, schedule or delta.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flow: bool,
    /// A new mapping-set version (`PUT`), then the flow patched to it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mapping: bool,
    /// `op=ENABLE` (`true`) or `op=DISABLE` (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Only state changes (`protect`, a base connection's new name, or
    /// recording an imported chain).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record: bool,
    /// Delete what an interrupted replace left of the old chain (its
    /// flow, source and target connections, recorded as retired).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

impl Updates {
    pub(crate) fn is_empty(&self) -> bool {
        *self == Updates::default()
    }
}

/// The comparison of one dataflow.
#[derive(Debug, Default)]
pub(crate) struct Compared {
    pub changes: Vec<FieldChange>,
    pub reasons: Vec<String>,
    pub updates: Updates,
    /// A source or target field changed: only a new chain can carry it.
    pub replace: bool,
    /// The replace reads the same table into the same dataset.
    pub same_table_and_dataset: bool,
    /// The document moves `schedule.start` (epoch seconds).
    pub new_start: Option<i64>,
}

impl Compared {
    /// The recorded start, when the document moves it and it has passed.
    pub(crate) fn past_start(&self, record: &DataflowRecord, now: i64) -> Option<String> {
        let recorded = record.start_time?;
        self.new_start?;
        (recorded <= now)
            .then(|| crate::state::timestamp::format_unix(u64::try_from(recorded).unwrap_or(0)))
    }

    fn change(&mut self, field: &str, from: Option<String>, to: Option<String>) {
        if from != to {
            self.changes.push(FieldChange {
                field: field.to_owned(),
                from,
                to,
                sensitive: false,
            });
        }
    }
}

fn text(value: Option<&str>) -> Option<String> {
    value.map(str::to_owned)
}

fn list(values: Option<&Vec<String>>) -> Option<String> {
    values.map(|v| format!("[{}]", v.join(", ")))
}

fn dataset(reference: &DatasetRef) -> String {
    match reference {
        DatasetRef::Name(name) => format!("name {name}"),
        DatasetRef::Id(id) => format!("id {id}"),
    }
}

fn mapping(entries: &[MappingEntry]) -> String {
    entries
        .iter()
        .map(|e| {
            let (kind, source) = e.source_parts();
            let shown = if kind == "EXPRESSION" {
                format!("={source}")
            } else {
                source.to_owned()
            };
            format!("{shown} -> {}", e.destination)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `d` against the document `record` applied, then against the flow as
/// read (`live`, under `--refresh`): what changed outside provision.
/// `same_base`: the base connection `d` names is the one the chain reads
/// through (renamed since, or in this plan), whatever it was called.
pub(crate) fn compare(
    d: &DesiredDataflow,
    record: &DataflowRecord,
    live: Option<&FlowItem>,
    same_base: bool,
) -> Compared {
    let mut c = Compared::default();
    let want = &d.doc;
    match &record.applied {
        Some(had) => against_applied(&mut c, had, want, record, same_base),
        None => {
            c.updates.record = true;
            c.reasons
                .push("imported: the document is recorded as applied".to_owned());
        }
    }
    if let Some(flow) = live {
        against_platform(&mut c, flow, want, record, d.key.name());
    }
    if record.protect != want.protect {
        c.change(
            "protect",
            Some(record.protect.to_string()),
            Some(want.protect.to_string()),
        );
        c.updates.record = true;
    }
    if c.replace {
        c.reasons.insert(0, "the source or target changed: the platform needs a new source and target connection and a new flow".to_owned());
    } else if !c.changes.is_empty() && c.reasons.is_empty() {
        c.reasons.push("the document changed".to_owned());
    }
    c
}

/// `want` against the document `had` that was applied, group by group:
/// what needs a new chain, what one `PATCH` carries, the mapping, the state.
fn against_applied(
    c: &mut Compared,
    had: &Dataflow,
    want: &Dataflow,
    record: &DataflowRecord,
    same_base: bool,
) {
    if same_base && had.source.connection != want.source.connection {
        // The base connection was renamed: the same connection under its
        // new name, which only state records.
        c.change(
            "source.connection",
            Some(had.source.connection.clone()),
            Some(want.source.connection.clone()),
        );
        c.updates.record = true;
    }
    chain_fields(c, had, want, same_base);
    let before = c.changes.len();
    flow_fields(c, had, want);
    start_field(c, want, record);
    if c.changes.len() > before {
        c.updates.flow = true;
    }
    if had.mapping != want.mapping {
        c.change(
            "mapping",
            Some(mapping(&had.mapping)),
            Some(mapping(&want.mapping)),
        );
        c.updates.mapping = true;
    }
    if had.enabled != want.enabled {
        c.change(
            "enabled",
            Some(had.enabled.to_string()),
            Some(want.enabled.to_string()),
        );
        c.updates.enable = Some(want.enabled);
    }
}

/// The source and target fields: a change to any needs a new chain (a
/// base connection's new name does not, with `same_base`).
fn chain_fields(c: &mut Compared, had: &Dataflow, want: &Dataflow, same_base: bool) {
    let before = c.changes.len();
    if !same_base {
        c.change(
            "source.connection",
            Some(had.source.connection.clone()),
            Some(want.source.connection.clone()),
        );
    }
    c.change(
        "source.table",
        Some(had.source.table.clone()),
        Some(want.source.table.clone()),
    );
    c.change(
        "source.columns",
        list(had.source.columns.as_ref()),
        list(want.source.columns.as_ref()),
    );
    c.change(
        "target.dataset",
        Some(dataset(&had.target.dataset)),
        Some(dataset(&want.target.dataset)),
    );
    c.change(
        "target.schema",
        text(had.target.schema.as_deref()),
        text(want.target.schema.as_deref()),
    );
    if c.changes.len() > before {
        c.replace = true;
        c.same_table_and_dataset =
            had.source.table == want.source.table && had.target.dataset == want.target.dataset;
    }
}

/// The flow's own fields but its start: description, schedule and delta.
fn flow_fields(c: &mut Compared, had: &Dataflow, want: &Dataflow) {
    c.change(
        "description",
        text(had.description.as_deref()),
        text(want.description.as_deref()),
    );
    c.change(
        "schedule.frequency",
        Some(had.schedule.frequency.as_str().to_owned()),
        Some(want.schedule.frequency.as_str().to_owned()),
    );
    c.change(
        "schedule.interval",
        had.schedule.interval.map(|i| i.to_string()),
        want.schedule.interval.map(|i| i.to_string()),
    );
    c.change(
        "schedule.backfill",
        Some(had.backfill().to_string()),
        Some(want.backfill().to_string()),
    );
    c.change(
        "delta.column",
        had.delta.as_ref().map(|d| d.column.clone()),
        want.delta.as_ref().map(|d| d.column.clone()),
    );
    c.change(
        "delta.dateFormat",
        had.delta.as_ref().and_then(|d| d.date_format.clone()),
        want.delta.as_ref().and_then(|d| d.date_format.clone()),
    );
    c.change(
        "delta.timezone",
        had.delta.as_ref().and_then(|d| d.timezone.clone()),
        want.delta.as_ref().and_then(|d| d.timezone.clone()),
    );
}

/// `schedule.start` against the start recorded (the one the flow was sent
/// with, which may be "now" for a document that had none).
fn start_field(c: &mut Compared, want: &Dataflow, record: &DataflowRecord) {
    if let Some(Ok(start)) = want.schedule.start_seconds()
        && record.start_time != Some(start)
    {
        c.new_start = Some(start);
        c.change(
            "schedule.start",
            record
                .start_time
                .and_then(|s| u64::try_from(s).ok())
                .map(crate::state::timestamp::format_unix),
            want.schedule.start.clone(),
        );
    }
}

/// Drift: what the flow as read says against what the document wants.
fn against_platform(
    c: &mut Compared,
    flow: &FlowItem,
    want: &Dataflow,
    record: &DataflowRecord,
    name: &str,
) {
    let outside = |field: &str| format!("{field} changed outside provision");
    let enabled = flow.state.eq_ignore_ascii_case("enabled");
    if c.updates.enable.is_none() && enabled != want.enabled {
        c.change(
            "state",
            Some(flow.state.clone()),
            Some(if want.enabled { "enabled" } else { "disabled" }.to_owned()),
        );
        c.updates.enable = Some(want.enabled);
        c.reasons.push(outside("state"));
    }
    let patch = |c: &mut Compared, field: &str, from: Option<String>, to: Option<String>| {
        if from != to && !c.changes.iter().any(|f| f.field == field) {
            c.change(field, from, to);
            c.updates.flow = true;
            c.reasons.push(outside(field));
        }
    };
    patch(c, "name", Some(flow.name.clone()), Some(name.to_owned()));
    patch(
        c,
        "description",
        flow.description.clone().filter(|d| !d.is_empty()),
        want.description.clone(),
    );
    patch(
        c,
        "schedule.frequency",
        Some(flow.schedule_params.frequency.clone()),
        Some(want.schedule.frequency.as_str().to_owned()),
    );
    patch(
        c,
        "schedule.interval",
        flow.schedule_params.interval.clone(),
        want.schedule.interval.map(|i| i.to_string()),
    );
    let version = flow
        .transformations
        .iter()
        .find(|t| t.name == "Mapping")
        .and_then(|t| t.params.get("mappingVersion"))
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    if version.is_some() && version != record.mapping_version && !c.updates.mapping {
        c.change("mappingVersion", version, record.mapping_version.clone());
        c.updates.mapping = true;
        c.reasons.push(outside("the mapping version"));
    }
}
