//! One dataflow document (`kind: dataflow`): a table of a PostgreSQL base
//! connection ingested into a dataset on a schedule. One document stands
//! for four platform objects (source connection, target connection, mapping
//! set and flow) named after it; doc comments here are editor hover text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::connection::{Cloud, NAME_PATTERN, RenamedFrom};
use super::key::DataflowKey;
pub use super::rfc3339::{StartError, parse_rfc3339};

/// The value of `kind` that makes a document a dataflow.
pub const DATAFLOW_KIND: &str = "dataflow";

/// A dataflow: which table of which base connection goes, through which
/// mapping, into which dataset, and when.
///
/// Identified by (cloud, sandbox, name) among dataflows; its key is
/// `dataflow/cloud/sandbox/name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "provision dataflow", example = example_dataflow())]
pub struct Dataflow {
    /// Always `dataflow`: documents without `kind` are connections.
    pub kind: DataflowKind,
    /// Dataflow name on the platform, unique per (cloud, sandbox) among
    /// dataflows. Its source connection, target connection and mapping set
    /// carry the same name.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub name: String,
    /// Free text shown on the platform next to the flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sandbox the dataflow lives in (the same as its base connection's).
    /// May be left out when the settings give one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(min = 1, max = 256), regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub sandbox: String,
    /// The environments of the settings this document is applied in
    /// (default: all of them), e.g. `[prod]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1),
        inner(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"))
    )]
    pub environments: Option<Vec<String>>,
    /// Cloud the Experience Platform organization runs on.
    pub cloud: Cloud,
    /// Where the rows come from.
    pub source: DataflowSource,
    /// Where the rows go.
    pub target: DataflowTarget,
    /// Which source column (or expression) goes to which XDM field: the
    /// Data Prep mapping set. A change makes a new mapping-set version that
    /// applies to future runs only.
    #[schemars(length(min = 1))]
    pub mapping: Vec<MappingEntry>,
    /// Incremental reads: only rows whose `column` moved on since the last
    /// run. Without it, each run reads the whole table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<Delta>,
    /// When the flow runs.
    pub schedule: Schedule,
    /// `false`: the flow is created, then disabled (the platform has no
    /// disabled create, so a run may start before the disable lands).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// `true`: never deleted or replaced by a plan, even when the document
    /// is removed; the plan fails instead and names the way out.
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
    /// Earlier names of this dataflow (one, or a list): the next apply
    /// renames its four platform objects instead of creating new ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::connection::renamed_from_schema")]
    pub renamed_from: Option<RenamedFrom>,
}

/// The one value of `kind` a dataflow has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DataflowKind {
    /// A dataflow document.
    Dataflow,
}

/// The table a dataflow reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataflowSource {
    /// A PostgreSQL base connection by name, in the dataflow's cloud and
    /// sandbox: described in these files, or existing on the platform.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub connection: String,
    /// The table, `schema.table` as the connection's explore lists it
    /// (`public.orders`).
    #[schemars(length(min = 1))]
    pub table: String,
    /// The columns to read, by name, each once (default: every column the
    /// table has when the dataflow is created).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub columns: Option<Vec<String>>,
}

/// The dataset a dataflow writes into: looked up in Catalog, never managed
/// here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataflowTarget {
    /// The dataset, by exact name (`{ name: Orders }`) or by Catalog id
    /// (`{ id: ... }`): exactly one of the two.
    #[schemars(schema_with = "dataset_ref_schema")]
    pub dataset: DatasetRef,
    /// The XDM schema's `$id`, to pin it: it must be the dataset's own
    /// (default: the dataset's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

/// A dataset by name (`{ name: Orders }`) or by id (`{ id: ... }`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub enum DatasetRef {
    /// The dataset's exact name; exactly one dataset must have it.
    Name(String),
    /// The dataset's Catalog id.
    Id(String),
}

/// `{ name }` or `{ id }` as one mapping schema with both keys optional and
/// exactly one present, rather than the `oneOf` serde's enum would derive:
/// a mistake is then reported as what it is (a misspelt key, both keys,
/// neither), not as "valid under none of the alternatives".
fn dataset_ref_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "properties": {
            "name": {
                "type": "string",
                "minLength": 1,
                "description": "The dataset's exact name; exactly one dataset must have it."
            },
            "id": {
                "type": "string",
                "minLength": 1,
                "description": "The dataset's Catalog id."
            }
        },
        "additionalProperties": false,
        "minProperties": 1,
        "maxProperties": 1
    })
}

/// One mapping entry: a source column or an expression, into an XDM field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MappingEntry {
    /// A source column (Data Prep `ATTRIBUTE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A Data Prep expression (`EXPRESSION`), e.g. `upper(name)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// The XDM field path, e.g. `person.name.fullName`.
    #[schemars(length(min = 1))]
    pub destination: String,
}

impl MappingEntry {
    /// The Data Prep source type and source text of the entry.
    pub fn source_parts(&self) -> (&'static str, &str) {
        match (&self.source, &self.expression) {
            (_, Some(expression)) => ("EXPRESSION", expression),
            (Some(source), None) => ("ATTRIBUTE", source),
            (None, None) => ("ATTRIBUTE", ""),
        }
    }
}

/// Incremental reads by a date/time column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Delta {
    /// A date/time column of the table (`updated_at`).
    #[schemars(length(min = 1))]
    pub column: String,
    /// The column's date format, when it is text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// The column's time zone (`UTC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// When a flow runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Schedule {
    /// How often: once, or every `interval` minutes, hours, days or weeks.
    pub frequency: Frequency,
    /// How many `frequency` units between runs: at least 15 for `minute`,
    /// at least 1 otherwise; not allowed with `once`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub interval: Option<u32>,
    /// The first run, RFC 3339 (`2026-12-01T00:00:00Z`); default: the time
    /// of the first apply. Recorded in state; the platform cannot change it
    /// once it has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Whether the first run reads every row from before `start` (default
    /// `true`); not allowed with `once`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<bool>,
}

/// A schedule's unit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// One run at `start`.
    Once,
    /// Every `interval` minutes (at least 15).
    Minute,
    /// Every `interval` hours.
    Hour,
    /// Every `interval` days.
    Day,
    /// Every `interval` weeks.
    Week,
}

impl Frequency {
    /// The word the flow spec uses (`once`, `minute`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Once => "once",
            Frequency::Minute => "minute",
            Frequency::Hour => "hour",
            Frequency::Day => "day",
            Frequency::Week => "week",
        }
    }

    /// The smallest `interval` the frequency allows.
    pub fn min_interval(self) -> u32 {
        match self {
            Frequency::Minute => 15,
            _ => 1,
        }
    }
}

impl Dataflow {
    /// `dataflow/cloud/sandbox/name`.
    pub fn key(&self) -> DataflowKey {
        DataflowKey::new(self.cloud, &self.sandbox, &self.name)
    }

    /// The keys of the names in `renamedFrom`, in the order written.
    pub fn earlier_keys(&self) -> Vec<DataflowKey> {
        self.renamed_from
            .iter()
            .flat_map(RenamedFrom::names)
            .map(|name| DataflowKey::new(self.cloud, &self.sandbox, name))
            .collect()
    }

    /// Whether the first run reads the rows from before `start`.
    pub fn backfill(&self) -> bool {
        self.schedule.backfill.unwrap_or(true)
    }
}

impl Schedule {
    /// `start` as seconds since the Unix epoch (what the flow spec's
    /// `startTime` takes); `None` without `start`. Validation reports a
    /// `start` that is not RFC 3339, so a valid dataflow's is `Some(Ok(_))`.
    pub fn start_seconds(&self) -> Option<Result<i64, StartError>> {
        self.start.as_deref().map(parse_rfc3339)
    }
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn example_dataflow() -> serde_json::Value {
    serde_json::json!({
        "kind": "dataflow",
        "name": "orders-to-lake",
        "sandbox": "prod",
        "cloud": "azure",
        "source": {
            "connection": "orders-db",
            "table": "public.orders",
            "columns": ["order_id", "customer_name", "updated_at"]
        },
        "target": { "dataset": { "name": "Orders" } },
        "mapping": [
            { "source": "order_id", "destination": "_id" },
            { "source": "customer_name", "destination": "person.name.fullName" }
        ],
        "delta": { "column": "updated_at" },
        "schedule": { "frequency": "hour", "interval": 1, "start": "2026-12-01T00:00:00Z" }
    })
}
