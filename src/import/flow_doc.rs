//! Reading a dataflow document back from the four platform objects a flow
//! joins: the inverse of the create bodies apply sends. Whatever a document
//! cannot say (other names, identity mappings, other transformations) is
//! refused with the reason, never approximated.

use serde_json::Value;

use crate::api::DatasetSummary;
use crate::api::dataflow::{FlowItem, SourceConnectionItem, TargetConnectionItem};
use crate::api::ingestion::{ATTRIBUTE, EXPRESSION, MappingSetItem};
use crate::api::ingestion_bodies::{COPY, MAPPING};
use crate::config::{
    Cloud, Dataflow, DataflowKind, DataflowSource, DataflowTarget, DatasetRef, Delta, Frequency,
    MappingEntry, Schedule,
};

/// What a flow joins, by id, and how it reads: enough to know which
/// objects to read next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    pub source_id: String,
    pub target_id: String,
    pub mapping_id: String,
    pub mapping_version: i64,
    /// The version as the flow writes it (state compares this text).
    pub mapping_version_text: String,
    pub delta: Option<Delta>,
}

/// The flow's ends and transformations, or why a document cannot hold them.
pub(crate) fn shape(flow: &FlowItem) -> Result<Shape, String> {
    let (sources, targets) = (&flow.source_connection_ids, &flow.target_connection_ids);
    if sources.len() != 1 || targets.len() != 1 {
        return Err(format!(
            "it has {} source and {} target connection(s): a dataflow document reads one table into one dataset",
            sources.len(),
            targets.len()
        ));
    }
    let mut delta = None;
    let mut mapping = None;
    for t in &flow.transformations {
        match t.name.as_str() {
            COPY if delta.is_none() => delta = Some(copy_delta(&t.params)?),
            MAPPING if mapping.is_none() => mapping = Some(mapping_ref(&t.params)?),
            other => {
                return Err(format!(
                    "it has a `{other}` transformation{}: a dataflow document holds one `Copy` (its `delta`) and one `Mapping` only",
                    if matches!(other, COPY | MAPPING) {
                        " twice"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    let Some((mapping_id, mapping_version, mapping_version_text)) = mapping else {
        return Err(
            "it has no `Mapping` transformation: a dataflow document needs a mapping".into(),
        );
    };
    Ok(Shape {
        source_id: sources[0].clone(),
        target_id: targets[0].clone(),
        mapping_id,
        mapping_version,
        mapping_version_text,
        delta,
    })
}

/// `Copy`'s `deltaColumn` as a document's `delta`.
fn copy_delta(params: &Value) -> Result<Delta, String> {
    let column = params.get("deltaColumn").and_then(Value::as_object);
    let text = |key: &str| column.and_then(|c| c.get(key)).and_then(Value::as_str);
    let known = |key: &String| matches!(key.as_str(), "name" | "dateFormat" | "timezone");
    let plain = params.as_object().is_some_and(|p| p.len() == 1)
        && column.is_some_and(|c| c.keys().all(known));
    match text("name").filter(|n| !n.is_empty()) {
        Some(name) if plain => Ok(Delta {
            column: name.to_owned(),
            date_format: text("dateFormat").map(str::to_owned),
            timezone: text("timezone").map(str::to_owned),
        }),
        _ => Err(format!(
            "its `Copy` transformation's params are `{params}`: a document's `delta` holds `deltaColumn` with `name`, `dateFormat` and `timezone` only"
        )),
    }
}

/// `Mapping`'s set id and version (a string or a number on the wire).
fn mapping_ref(params: &Value) -> Result<(String, i64, String), String> {
    let id = params.get("mappingId").and_then(Value::as_str);
    let version = params.get("mappingVersion").and_then(|v| match v {
        Value::String(s) => s.trim().parse::<i64>().ok().map(|n| (n, s.clone())),
        Value::Number(n) => n.as_i64().map(|v| (v, n.to_string())),
        _ => None,
    });
    match (id, version) {
        (Some(id), Some((version, text))) if !id.is_empty() && version >= 0 => {
            Ok((id.to_owned(), version, text))
        }
        _ => Err(format!(
            "its `Mapping` transformation's params are `{params}`: expected a `mappingId` and a `mappingVersion`"
        )),
    }
}

/// Everything read for one flow.
#[derive(Debug, Clone)]
pub(crate) struct Read {
    pub flow: FlowItem,
    pub shape: Shape,
    pub source: SourceConnectionItem,
    pub target: TargetConnectionItem,
    pub mapping: MappingSetItem,
    pub dataset: DatasetSummary,
    /// Whether no other dataset of the sandbox has the dataset's name.
    pub dataset_name_unique: bool,
}

/// The document for `read` whose source reads through base connection
/// `base_name`, or why it cannot be written faithfully.
pub(crate) fn to_dataflow(
    read: &Read,
    base_name: &str,
    cloud: Cloud,
    sandbox: &str,
) -> Result<Dataflow, String> {
    let flow = &read.flow;
    same_names(read)?;
    let enabled = match flow.state.to_ascii_lowercase().as_str() {
        "enabled" => true,
        "disabled" => false,
        other => {
            return Err(format!(
                "its state is `{other}`: expected `enabled` or `disabled`"
            ));
        }
    };
    let columns: Vec<String> = read
        .source
        .params
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    Ok(Dataflow {
        kind: DataflowKind::Dataflow,
        name: flow.name.clone(),
        description: flow.description.clone().filter(|d| !d.is_empty()),
        sandbox: sandbox.to_owned(),
        environments: None,
        cloud,
        source: DataflowSource {
            connection: base_name.to_owned(),
            table: read.source.params.table_name.clone(),
            columns: (!columns.is_empty()).then_some(columns),
        },
        target: target(read)?,
        mapping: mapping(&read.mapping)?,
        delta: read.shape.delta.clone(),
        schedule: schedule(flow)?,
        enabled,
        protect: false,
        renamed_from: None,
    })
}

/// A document names its source connection, target connection and mapping
/// set after itself: other names cannot be written.
fn same_names(read: &Read) -> Result<(), String> {
    let name = &read.flow.name;
    let parts = [
        ("source connection", &read.source.name),
        ("target connection", &read.target.name),
        ("mapping set", &read.mapping.name),
    ];
    for (part, has) in parts {
        if has != name {
            return Err(format!(
                "its {part} is named `{has}`, not `{name}`: a dataflow document names its source connection, target connection and mapping set after the flow and cannot express other names (rename the {part} on the platform, then import again)"
            ));
        }
    }
    Ok(())
}

/// The dataset by name when no other dataset has it (else by id), and the
/// schema only when the dataset does not carry it.
fn target(read: &Read) -> Result<DataflowTarget, String> {
    let schema = &read.target.data.schema.id;
    let pinned = match &read.dataset.schema_id {
        Some(follows) if follows == schema => None,
        Some(follows) => {
            return Err(format!(
                "its target connection writes schema `{schema}`, but dataset `{}` follows `{follows}`: a document's target schema must be the dataset's",
                read.dataset.name
            ));
        }
        None => Some(schema.clone()),
    };
    let dataset = if read.dataset_name_unique && !read.dataset.name.is_empty() {
        DatasetRef::Name(read.dataset.name.clone())
    } else {
        DatasetRef::Id(read.dataset.id.clone())
    };
    Ok(DataflowTarget {
        dataset,
        schema: pinned,
    })
}

/// `ATTRIBUTE` -> `source:`, `EXPRESSION` -> `expression:`; identity
/// settings and other source types have no place in a document.
fn mapping(set: &MappingSetItem) -> Result<Vec<MappingEntry>, String> {
    if let Some(destination) = set.identity_destinations.first() {
        return Err(format!(
            "its mapping to `{destination}` uses identity or namespace settings, which a dataflow document cannot express"
        ));
    }
    if set.mappings.is_empty() {
        return Err("its mapping set has no mappings: a dataflow document needs one".into());
    }
    set.mappings
        .iter()
        .map(|m| match m.source_type.as_str() {
            ATTRIBUTE => Ok(MappingEntry {
                source: Some(m.source.clone()),
                expression: None,
                destination: m.destination.clone(),
            }),
            EXPRESSION => Ok(MappingEntry {
                source: None,
                expression: Some(m.source.clone()),
                destination: m.destination.clone(),
            }),
            other => Err(format!(
                "its mapping to `{}` has source type `{other}`: a dataflow document maps columns (`ATTRIBUTE`) and expressions (`EXPRESSION`) only",
                m.destination
            )),
        })
        .collect()
}

/// `scheduleParams` as a document's `schedule`: the start as RFC 3339 UTC,
/// the interval as a number.
fn schedule(flow: &FlowItem) -> Result<Schedule, String> {
    let params = &flow.schedule_params;
    let frequency = match params.frequency.to_ascii_lowercase().as_str() {
        "once" => Frequency::Once,
        "minute" => Frequency::Minute,
        "hour" => Frequency::Hour,
        "day" => Frequency::Day,
        "week" => Frequency::Week,
        other => {
            return Err(format!(
                "its schedule's frequency is `{other}`: expected `once`, `minute`, `hour`, `day` or `week`"
            ));
        }
    };
    let start = u64::try_from(params.start_time).map_err(|_| {
        format!(
            "its schedule's start time is `{}`: expected seconds since 1970",
            params.start_time
        )
    })?;
    let interval = match (&params.interval, frequency) {
        (_, Frequency::Once) | (None, _) => None,
        (Some(text), _) => Some(text.trim().parse::<u32>().map_err(|_| {
            format!("its schedule's interval is `{text}`: expected a whole number")
        })?),
    };
    Ok(Schedule {
        frequency,
        interval: interval.or((frequency != Frequency::Once).then(|| frequency.min_interval())),
        start: Some(crate::state::timestamp::format_unix(start)),
        backfill: if frequency == Frequency::Once {
            None
        } else {
            params.backfill
        },
    })
}
