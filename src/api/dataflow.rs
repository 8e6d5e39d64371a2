//! Wire shapes of the objects a dataflow joins on Flow Service: source and
//! target connections, flows with their schedule and transformations, and
//! runs. Sent in the types Adobe's OpenAPI file gives, read in those or the
//! tutorials' string forms (help/sources/tutorials/api/collect/database-nosql.md).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::ingestion::Column;
use super::wire::{POSTGRES_SPEC_ID, PageLinks, SpecRef, is_live_state};

/// `POST /sourceConnections`: which table of which base connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSourceConnection {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub base_connection_id: String,
    pub data: DataFormat,
    pub params: SourceParams,
    pub connection_spec: SpecRef,
}

/// `data` of a source connection: `{"format": "tabular"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFormat {
    pub format: String,
}

/// `params` of a source connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceParams {
    pub table_name: String,
    #[serde(default)]
    pub columns: Vec<Column>,
}

/// One source connection as `GET` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceConnectionItem {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub base_connection_id: String,
    pub data: DataFormat,
    pub params: SourceParams,
    pub connection_spec: SpecRef,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub etag: String,
}

/// `POST /targetConnections`: which dataset, with which schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTargetConnection {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub data: TargetData,
    pub params: TargetParams,
    pub connection_spec: SpecRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetData {
    pub schema: TargetSchema,
}

/// `data.schema`: the schema's `$id` and [`XED_FULL_V1`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSchema {
    pub id: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetParams {
    pub data_set_id: String,
}

/// One target connection as `GET` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetConnectionItem {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub data: TargetData,
    pub params: TargetParams,
    pub connection_spec: SpecRef,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub etag: String,
}

/// `POST /flows`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateFlow {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub flow_spec: SpecRef,
    pub source_connection_ids: Vec<String>,
    pub target_connection_ids: Vec<String>,
    pub transformations: Vec<Transformation>,
    pub schedule_params: ScheduleParams,
}

/// A flow's transformation: `Copy` (`deltaColumn`) or `Mapping`
/// (`mappingId`, `mappingVersion`), params as the flow spec defines them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transformation {
    pub name: String,
    pub params: Value,
}

/// `scheduleParams`, sent in the file's types (integer `startTime`, string
/// `interval`, boolean `backfill`) and read in either those or the
/// tutorial's all-string forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleParams {
    #[serde(deserialize_with = "integer_or_text")]
    pub start_time: i64,
    pub frequency: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_integer"
    )]
    pub interval: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "flag_or_text"
    )]
    pub backfill: Option<bool>,
}

fn integer_or_text<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| serde::de::Error::custom("expected an integer")),
        Value::String(s) => s.trim().parse().map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!(
            "expected an integer, found {other}"
        ))),
    }
}

fn text_or_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::String(s) => Ok(Some(s)),
        other => Err(serde::de::Error::custom(format!(
            "expected an interval, found {other}"
        ))),
    }
}

fn flag_or_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::String(s) if s == "true" => Ok(Some(true)),
        Value::String(s) if s == "false" => Ok(Some(false)),
        other => Err(serde::de::Error::custom(format!(
            "expected `true` or `false`, found {other}"
        ))),
    }
}

/// One flow as `GET` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowItem {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub flow_spec: SpecRef,
    /// `enabled`, `disabled` (or `draft`).
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub etag: String,
    pub source_connection_ids: Vec<String>,
    pub target_connection_ids: Vec<String>,
    #[serde(default)]
    pub transformations: Vec<Transformation>,
    pub schedule_params: ScheduleParams,
}

impl SourceConnectionItem {
    /// Whether it counts (not on its way out): see [`is_live_state`].
    pub fn is_live(&self) -> bool {
        is_live_state(&self.state)
    }
}

impl TargetConnectionItem {
    /// Whether it counts (not on its way out): see [`is_live_state`].
    pub fn is_live(&self) -> bool {
        is_live_state(&self.state)
    }
}

impl FlowItem {
    /// Whether it counts (not on its way out): see [`is_live_state`].
    pub fn is_live(&self) -> bool {
        is_live_state(&self.state)
    }

    /// The index of the first transformation named `name` (`Copy`, `Mapping`),
    /// as read: patches of a transformation's params address it by index.
    pub fn transformation_index(&self, name: &str) -> Option<usize> {
        self.transformations.iter().position(|t| t.name == name)
    }
}

/// A state change of a flow: `POST /flows/{id}/action?op=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowAction {
    Enable,
    Disable,
}

impl FlowAction {
    /// The `op` query value.
    pub fn op(self) -> &'static str {
        match self {
            FlowAction::Enable => "ENABLE",
            FlowAction::Disable => "DISABLE",
        }
    }
}

/// One run as `GET /runs` returns it, with the parts monitoring reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunItem {
    pub id: String,
    pub flow_id: String,
    pub metrics: RunMetrics,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunMetrics {
    pub record_summary: RecordSummary,
    pub status_summary: StatusSummary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordSummary {
    #[serde(default)]
    pub input_record_count: u64,
    #[serde(default)]
    pub output_record_count: u64,
    #[serde(default)]
    pub failed_record_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusSummary {
    pub status: String,
    #[serde(default)]
    pub errors: Vec<RunError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// A flow spec as a dataflow needs it: which one, and which connection
/// specs it joins.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowSpecSummary {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub source_connection_spec_ids: Vec<String>,
    #[serde(default)]
    pub target_connection_spec_ids: Vec<String>,
}

impl FlowSpecSummary {
    /// Whether PostgreSQL source connections may feed flows of this spec.
    pub fn lists_postgres(&self) -> bool {
        self.source_connection_spec_ids
            .iter()
            .any(|id| id == POSTGRES_SPEC_ID)
    }

    /// `flowSpec` of a create body.
    pub fn spec_ref(&self) -> SpecRef {
        SpecRef {
            id: self.id.clone(),
            version: if self.version.is_empty() {
                "1.0".into()
            } else {
                self.version.clone()
            },
        }
    }
}

/// A Flow Service list or read: `items` (one for a read) and `_links`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Items<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
    pub links: Option<PageLinks>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_read_the_tutorials_strings_and_write_the_files_types() {
        let tutorial =
            r#"{"startTime":"1612310466","frequency":"minute","interval":"15","backfill":"true"}"#;
        let file = r#"{"startTime":1612310466,"frequency":"minute","interval":15,"backfill":true}"#;
        let read: Vec<ScheduleParams> = [tutorial, file]
            .iter()
            .filter_map(|t| serde_json::from_str(t).ok())
            .collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0], read[1]);
        let written = serde_json::to_string(&read[0]).unwrap_or_default();
        assert_eq!(
            written,
            r#"{"startTime":1612310466,"frequency":"minute","interval":"15","backfill":true}"#
        );
        let once: Result<ScheduleParams, _> =
            serde_json::from_str(r#"{"startTime":1,"frequency":"once"}"#);
        assert!(once.is_ok_and(|s| s.interval.is_none() && s.backfill.is_none()));
        let bad: Result<ScheduleParams, _> =
            serde_json::from_str(r#"{"startTime":"soon","frequency":"once"}"#);
        assert!(bad.is_err());
    }
}
