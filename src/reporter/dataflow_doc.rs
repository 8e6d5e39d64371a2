//! How `state list` and `state show` present a dataflow record: its four
//! platform objects each recorded, pending (a create in flight) or not
//! created yet, so a chain a run left half way is visibly partial.

use schemars::JsonSchema;
use serde::Serialize;

use crate::config::DataflowKey;
use crate::state::{DataflowRecord, Part};

/// Where one object of the chain stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ObjectStatus {
    /// Created (or imported) and recorded.
    Recorded,
    /// Its create was sent (or about to be) and its outcome is not recorded:
    /// the next apply looks it up before any re-create.
    Pending,
    /// Not created yet: the next apply creates it.
    Missing,
}

/// One platform object of a dataflow.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ObjectShown {
    /// `source_connection`, `target_connection`, `mapping_set` or `flow`.
    part: &'static str,
    status: ObjectStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// Its etag when last recorded (a mapping set has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    /// When its pending create started (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_since: Option<String>,
}

/// The part's name in documents: `source_connection`, ...
fn part_name(part: Part) -> &'static str {
    match part {
        Part::SourceConnection => "source_connection",
        Part::TargetConnection => "target_connection",
        Part::MappingSet => "mapping_set",
        Part::Flow => "flow",
    }
}

/// The four objects of `record`, in creation order.
pub(crate) fn objects(record: &DataflowRecord) -> Vec<ObjectShown> {
    Part::ALL
        .into_iter()
        .map(|part| {
            let object = record.object(part);
            let pending_since = record.pending.get(&part).cloned();
            let status = match (object, &pending_since) {
                (Some(_), _) => ObjectStatus::Recorded,
                (None, Some(_)) => ObjectStatus::Pending,
                (None, None) => ObjectStatus::Missing,
            };
            ObjectShown {
                part: part_name(part),
                status,
                id: object.map(|o| o.id.clone()),
                etag: object.map(|o| o.etag.clone()).filter(|e| !e.is_empty()),
                pending_since: pending_since.filter(|_| object.is_none()),
            }
        })
        .collect()
}

/// One line for a partial chain: which objects are recorded, which pending.
pub(crate) fn partial_summary(objects: &[ObjectShown]) -> String {
    let recorded = objects
        .iter()
        .filter(|o| o.status == ObjectStatus::Recorded)
        .count();
    let each: Vec<String> = objects
        .iter()
        .map(|o| {
            let part = o.part.replace('_', " ");
            match (o.status, &o.pending_since) {
                (ObjectStatus::Recorded, _) => format!("{part} recorded"),
                (ObjectStatus::Pending, Some(since)) => {
                    format!("{part} create pending since {since}")
                }
                (ObjectStatus::Pending, None) => format!("{part} create pending"),
                (ObjectStatus::Missing, _) => format!("{part} not created"),
            }
        })
        .collect();
    format!(
        "partial: {recorded} of {} objects recorded; {}",
        objects.len(),
        each.join(", ")
    )
}

/// One recorded dataflow in `state list --format json`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ListedDataflow {
    /// `dataflow/cloud/sandbox/name`.
    key: String,
    /// The IMS org its objects live in.
    org: String,
    /// Whether all four objects are recorded.
    complete: bool,
    /// The flow's id, once recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_id: Option<String>,
    /// Never deleted or replaced by a plan.
    protect: bool,
    /// Its four objects in creation order: recorded, pending or missing.
    objects: Vec<ObjectShown>,
    /// When it was last recorded (RFC 3339, UTC).
    updated_at: String,
    /// The file that described it when last recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

impl ListedDataflow {
    pub(crate) fn of(key: &DataflowKey, record: &DataflowRecord) -> Self {
        ListedDataflow {
            key: key.to_string(),
            org: record.org.clone(),
            complete: record.is_complete(),
            flow_id: record.flow.as_ref().map(|f| f.id.clone()),
            protect: record.protect,
            objects: objects(record),
            updated_at: record.updated_at.clone(),
            source: record.source.clone(),
        }
    }

    /// `key  flow-id  org  updated_at`, the flow id replaced by what is
    /// recorded of a partial chain; `protected` last when it is.
    pub(crate) fn text(&self) -> String {
        let id = match &self.flow_id {
            Some(id) if self.complete => id.clone(),
            _ => format!("({})", partial_summary(&self.objects)),
        };
        let protected = if self.protect { "\tprotected" } else { "" };
        format!(
            "{}\t{id}\t{}\t{}{protected}",
            self.key, self.org, self.updated_at
        )
    }
}

/// `state show dataflow/... --format json`: one dataflow record.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct DataflowShown {
    /// The version of this document's format.
    format_version: u32,
    /// Always `dataflow`.
    kind: &'static str,
    /// `dataflow/cloud/sandbox/name`.
    key: String,
    org: String,
    /// Whether all four objects are recorded.
    complete: bool,
    /// Never deleted or replaced by a plan.
    protect: bool,
    /// The base connection the source connection reads through.
    base_connection_id: String,
    /// Its four objects in creation order: recorded, pending or missing.
    objects: Vec<ObjectShown>,
    /// The mapping set's version the flow uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    mapping_version: Option<String>,
    /// The Catalog dataset the rows go to.
    #[serde(skip_serializing_if = "Option::is_none")]
    data_set_id: Option<String>,
    /// The dataset's XDM schema `$id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_id: Option<String>,
    /// The flow's first run, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<i64>,
    /// The flow's state as last applied or read: `enabled` or `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_state: Option<String>,
    /// The columns the source connection reads.
    columns: Vec<String>,
    /// Whether state keeps the document as last applied (not after
    /// `state import`: the next plan compares the document with the platform).
    applied: bool,
    /// SHA-256 of the non-secret desired fields when last applied.
    fingerprint: String,
    created_at: String,
    updated_at: String,
    /// The file that described it when last recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

impl DataflowShown {
    pub(crate) fn of(format_version: u32, key: &DataflowKey, record: DataflowRecord) -> Self {
        DataflowShown {
            format_version,
            kind: "dataflow",
            key: key.to_string(),
            complete: record.is_complete(),
            objects: objects(&record),
            org: record.org,
            protect: record.protect,
            base_connection_id: record.base_connection_id,
            mapping_version: record.mapping_version,
            data_set_id: record.data_set_id,
            schema_id: record.schema_id,
            start_time: record.start_time,
            flow_state: record.flow_state,
            columns: record.columns,
            applied: record.applied.is_some(),
            fingerprint: record.fingerprint,
            created_at: record.created_at,
            updated_at: record.updated_at,
            source: record.source,
        }
    }

    /// `field: value` lines, absent fields left out.
    pub(crate) fn text(&self) -> Vec<String> {
        let mut lines = vec![
            format!("key: {}", self.key),
            if self.complete {
                "status: complete".to_owned()
            } else {
                format!("status: {}", partial_summary(&self.objects))
            },
            format!("org: {}", self.org),
            format!("protect: {}", self.protect),
            format!("base_connection_id: {}", self.base_connection_id),
        ];
        for object in &self.objects {
            let value = match (&object.id, &object.pending_since) {
                (Some(id), _) => match &object.etag {
                    Some(etag) => format!("{id} (etag {etag})"),
                    None => id.clone(),
                },
                (None, Some(since)) => format!("(create pending since {since})"),
                (None, None) => "(not created)".to_owned(),
            };
            lines.push(format!("{}: {value}", object.part));
        }
        let optional = [
            ("mapping_version", self.mapping_version.clone()),
            ("data_set_id", self.data_set_id.clone()),
            ("schema_id", self.schema_id.clone()),
            ("start_time", self.start_time.map(|t| t.to_string())),
            ("flow_state", self.flow_state.clone()),
            (
                "columns",
                Some(self.columns.join(", ")).filter(|c| !c.is_empty()),
            ),
        ];
        lines.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| format!("{name}: {v}"))),
        );
        lines.push(format!("applied: {}", self.applied));
        if !self.fingerprint.is_empty() {
            lines.push(format!("fingerprint: {}", self.fingerprint));
        }
        lines.push(format!("created_at: {}", self.created_at));
        lines.push(format!("updated_at: {}", self.updated_at));
        if let Some(source) = &self.source {
            lines.push(format!("source: {source}"));
        }
        lines
    }
}
