//! The create bodies of the four platform objects a dataflow stands for,
//! built from inputs already resolved (ids looked up, columns explored,
//! start time fixed): pure functions, so plan and apply build the same
//! bodies and tests can check them without a server.

use serde_json::{Map, Value, json};

use super::data_prep::MappingSetRef;
use super::dataflow::{
    CreateFlow, CreateSourceConnection, CreateTargetConnection, DataFormat, ScheduleParams,
    SourceParams, TargetData, TargetParams, TargetSchema, Transformation,
};
use super::ingestion::{
    Column, CreateMappingSet, DATA_LAKE_SPEC_ID, Mapping, OutputSchema, SchemaRef, TABULAR,
    XED_FULL_V1,
};
use super::wire::SpecRef;
use crate::config::{Delta, Frequency, MappingEntry};

/// The flow spec's transformation that reads incrementally (`deltaColumn`).
pub const COPY: &str = "Copy";
/// The flow spec's transformation that applies a mapping set.
pub const MAPPING: &str = "Mapping";

/// A description as sent: absent when empty.
fn described(description: Option<&str>) -> Option<String> {
    description.filter(|d| !d.is_empty()).map(str::to_owned)
}

/// `POST /sourceConnections`: `table` of the PostgreSQL base connection,
/// read as tabular data with `columns` (from [`select_columns`]).
pub fn source_connection(
    name: &str,
    description: Option<&str>,
    base_connection_id: &str,
    table: &str,
    columns: Vec<Column>,
) -> CreateSourceConnection {
    CreateSourceConnection {
        name: name.to_owned(),
        description: described(description),
        base_connection_id: base_connection_id.to_owned(),
        data: DataFormat {
            format: TABULAR.to_owned(),
        },
        params: SourceParams {
            table_name: table.to_owned(),
            columns,
        },
        connection_spec: SpecRef::postgres(),
    }
}

/// `POST /targetConnections`: the data lake, into dataset `dataset_id`
/// whose XDM schema is `schema_id`.
pub fn target_connection(
    name: &str,
    description: Option<&str>,
    dataset_id: &str,
    schema_id: &str,
) -> CreateTargetConnection {
    CreateTargetConnection {
        name: name.to_owned(),
        description: described(description),
        data: TargetData {
            schema: TargetSchema {
                id: schema_id.to_owned(),
                version: XED_FULL_V1.to_owned(),
            },
        },
        params: TargetParams {
            data_set_id: dataset_id.to_owned(),
        },
        connection_spec: SpecRef {
            id: DATA_LAKE_SPEC_ID.to_owned(),
            version: "1.0".to_owned(),
        },
    }
}

/// `POST /mappingSets` (and the body of a PUT): Data Prep's current
/// dialect, `ATTRIBUTE` for a `source:` column, `EXPRESSION` for an `expression:`.
pub fn mapping_set(name: &str, schema_id: &str, entries: &[MappingEntry]) -> CreateMappingSet {
    CreateMappingSet {
        name: name.to_owned(),
        output_schema: OutputSchema {
            schema_ref: SchemaRef {
                id: schema_id.to_owned(),
                content_type: XED_FULL_V1.to_owned(),
            },
        },
        mappings: entries
            .iter()
            .map(|entry| {
                let (source_type, source) = entry.source_parts();
                Mapping {
                    source_type: source_type.to_owned(),
                    source: source.to_owned(),
                    destination: entry.destination.clone(),
                }
            })
            .collect(),
    }
}

/// When a flow runs, as resolved: `start` in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleInputs {
    pub start: i64,
    pub frequency: Frequency,
    /// Units between runs; the frequency's smallest when absent. Not sent with `once`.
    pub interval: Option<u32>,
    /// Not sent with `once`.
    pub backfill: bool,
}

/// `scheduleParams` in the types of Adobe's OpenAPI file: integer
/// `startTime`, string `interval`, boolean `backfill`; `once` takes neither
/// `interval` nor `backfill` (the flow spec's rule).
pub fn schedule_params(schedule: &ScheduleInputs) -> ScheduleParams {
    let once = schedule.frequency == Frequency::Once;
    let interval = schedule
        .interval
        .unwrap_or(schedule.frequency.min_interval());
    ScheduleParams {
        start_time: schedule.start,
        frequency: schedule.frequency.as_str().to_owned(),
        interval: (!once).then(|| interval.to_string()),
        backfill: (!once).then_some(schedule.backfill),
    }
}

/// `params` of the `Copy` transformation: the delta column.
pub fn copy_params(delta: &Delta) -> Value {
    let mut column = Map::new();
    column.insert("name".into(), json!(delta.column));
    if let Some(format) = &delta.date_format {
        column.insert("dateFormat".into(), json!(format));
    }
    if let Some(zone) = &delta.timezone {
        column.insert("timezone".into(), json!(zone));
    }
    json!({ "deltaColumn": column })
}

/// `params` of the `Mapping` transformation: the set and its version, a
/// string as the flow spec types it.
pub fn mapping_params(mapping: &MappingSetRef) -> Value {
    json!({"mappingId": mapping.id, "mappingVersion": mapping.version.to_string()})
}

/// What a flow joins, resolved to ids.
#[derive(Debug, Clone, Copy)]
pub struct FlowInputs<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    /// The `CRMToAEP` flow spec as found.
    pub flow_spec: &'a SpecRef,
    pub source_connection_id: &'a str,
    pub target_connection_id: &'a str,
    pub delta: Option<&'a Delta>,
    pub mapping: &'a MappingSetRef,
    pub schedule: ScheduleInputs,
}

/// `POST /flows`: `Copy` (only with a delta column, which the flow spec
/// requires of it) then `Mapping`, and the schedule.
pub fn flow(inputs: &FlowInputs<'_>) -> CreateFlow {
    let mut transformations = Vec::new();
    if let Some(delta) = inputs.delta {
        transformations.push(Transformation {
            name: COPY.to_owned(),
            params: copy_params(delta),
        });
    }
    transformations.push(Transformation {
        name: MAPPING.to_owned(),
        params: mapping_params(inputs.mapping),
    });
    CreateFlow {
        name: inputs.name.to_owned(),
        description: described(inputs.description),
        flow_spec: inputs.flow_spec.clone(),
        source_connection_ids: vec![inputs.source_connection_id.to_owned()],
        target_connection_ids: vec![inputs.target_connection_id.to_owned()],
        transformations,
        schedule_params: schedule_params(&inputs.schedule),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ingestion::XdmShape;

    fn column(name: &str, kind: &str) -> Column {
        Column {
            name: name.into(),
            kind: kind.into(),
            xdm_type: None,
            xdm: XdmShape {
                kind: kind.into(),
                format: None,
            },
        }
    }

    #[test]
    fn connection_bodies_have_the_tutorials_shape() {
        let source = source_connection(
            "orders-to-lake",
            Some(""),
            "base-1",
            "public.orders",
            vec![column("order_id", "integer")],
        );
        assert_eq!(
            serde_json::to_value(&source).unwrap_or_default(),
            json!({"name": "orders-to-lake", "baseConnectionId": "base-1",
                "data": {"format": "tabular"},
                "params": {"tableName": "public.orders", "columns": [
                    {"name": "order_id", "type": "integer", "xdm": {"type": "integer"}}]},
                "connectionSpec": {"id": "74a1c565-4e59-48d7-9d67-7c03b8a13137", "version": "1.0"}})
        );
        let target = target_connection("orders-to-lake", Some("nightly"), "ds-1", "https://s");
        assert_eq!(
            serde_json::to_value(&target).unwrap_or_default(),
            json!({"name": "orders-to-lake", "description": "nightly",
                "data": {"schema": {"id": "https://s",
                    "version": "application/vnd.adobe.xed-full+json;version=1"}},
                "params": {"dataSetId": "ds-1"},
                "connectionSpec": {"id": "c604ff05-7f1a-43c0-8e18-33bf874cb11c", "version": "1.0"}})
        );
    }

    #[test]
    fn mapping_entries_become_attributes_and_expressions() {
        let entries = [
            MappingEntry {
                source: Some("order_id".into()),
                expression: None,
                destination: "_id".into(),
            },
            MappingEntry {
                source: None,
                expression: Some("upper(customer_name)".into()),
                destination: "person.name.fullName".into(),
            },
        ];
        assert_eq!(
            serde_json::to_value(mapping_set("orders-to-lake", "https://s", &entries))
                .unwrap_or_default(),
            json!({"name": "orders-to-lake", "outputSchema": {"schemaRef": {"id": "https://s",
                    "contentType": "application/vnd.adobe.xed-full+json;version=1"}},
                "mappings": [
                    {"sourceType": "ATTRIBUTE", "source": "order_id", "destination": "_id"},
                    {"sourceType": "EXPRESSION", "source": "upper(customer_name)",
                     "destination": "person.name.fullName"}]})
        );
    }

    fn schedule(frequency: Frequency, interval: Option<u32>) -> ScheduleInputs {
        ScheduleInputs {
            start: 1_764_547_200,
            frequency,
            interval,
            backfill: true,
        }
    }

    #[test]
    fn schedules_are_sent_in_the_files_types_and_once_takes_no_interval() {
        let value =
            |s: ScheduleInputs| serde_json::to_value(schedule_params(&s)).unwrap_or_default();
        assert_eq!(
            value(schedule(Frequency::Minute, None)),
            json!({"startTime": 1_764_547_200, "frequency": "minute", "interval": "15", "backfill": true})
        );
        assert_eq!(
            value(schedule(Frequency::Day, Some(2)))["interval"],
            json!("2")
        );
        assert_eq!(
            value(schedule(Frequency::Once, Some(2))),
            json!({"startTime": 1_764_547_200, "frequency": "once"})
        );
    }

    #[test]
    fn flows_copy_only_with_a_delta_then_map() {
        let spec = SpecRef {
            id: "14518937-270c-4525-bdec-c2ba7cce3860".into(),
            version: "1.0".into(),
        };
        let mapping = MappingSetRef {
            id: "m1".into(),
            version: 3,
        };
        let delta = Delta {
            column: "updated_at".into(),
            date_format: None,
            timezone: Some("UTC".into()),
        };
        let inputs = FlowInputs {
            name: "orders-to-lake",
            description: None,
            flow_spec: &spec,
            source_connection_id: "src",
            target_connection_id: "tgt",
            delta: Some(&delta),
            mapping: &mapping,
            schedule: schedule(Frequency::Hour, Some(1)),
        };
        assert_eq!(
            serde_json::to_value(flow(&inputs)).unwrap_or_default(),
            json!({"name": "orders-to-lake",
                "flowSpec": {"id": "14518937-270c-4525-bdec-c2ba7cce3860", "version": "1.0"},
                "sourceConnectionIds": ["src"], "targetConnectionIds": ["tgt"],
                "transformations": [
                    {"name": "Copy", "params": {"deltaColumn": {"name": "updated_at", "timezone": "UTC"}}},
                    {"name": "Mapping", "params": {"mappingId": "m1", "mappingVersion": "3"}}],
                "scheduleParams": {"startTime": 1_764_547_200, "frequency": "hour",
                    "interval": "1", "backfill": true}})
        );
        let without = flow(&FlowInputs {
            delta: None,
            ..inputs
        });
        let names: Vec<&str> = without
            .transformations
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, [MAPPING]);
    }
}
