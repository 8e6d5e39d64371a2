//! The reasons `import` gives for flows a dataflow document cannot hold,
//! including those the emulator refuses to build (several ends, other
//! transformations, a base connection of another source).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::dataflows::{KnownFlows, select};
use super::flow_doc::{Read, shape, to_dataflow};
use super::flow_read::Listed;
use super::{Selection, Target};
use crate::api::wire::{ConnectionItem, POSTGRES_SPEC_ID};
use crate::config::Cloud;
use crate::desired::Project;
use crate::state::State;

fn flow(changes: Value) -> Value {
    let mut flow = json!({
        "id": "flow-1", "name": "orders-to-lake", "state": "enabled", "etag": "\"f\"",
        "flowSpec": {"id": "14518937-270c-4525-bdec-c2ba7cce3860", "version": "1.0"},
        "sourceConnectionIds": ["src-1"], "targetConnectionIds": ["tgt-1"],
        "transformations": [
            {"name": "Copy", "params": {"deltaColumn": {"name": "updated_at"}}},
            {"name": "Mapping", "params": {"mappingId": "map-1", "mappingVersion": "2"}}
        ],
        "scheduleParams": {"startTime": 1_800_000_000, "frequency": "hour", "interval": "1", "backfill": true}
    });
    for (key, value) in changes.as_object().into_iter().flatten() {
        flow[key] = value.clone();
    }
    flow
}

fn read(flow_changes: Value, parts: Value) -> Read {
    let flow: crate::api::dataflow::FlowItem =
        serde_json::from_value(flow(flow_changes)).expect("a flow");
    let name = |part: &str| parts.get(part).cloned().unwrap_or(json!("orders-to-lake"));
    Read {
        shape: shape(&flow).expect("a shape"),
        source: serde_json::from_value(json!({
            "id": "src-1", "name": name("source"), "baseConnectionId": "base-1",
            "data": {"format": "tabular"},
            "params": {"tableName": "public.orders", "columns": []},
            "connectionSpec": {"id": POSTGRES_SPEC_ID, "version": "1.0"}
        }))
        .expect("a source connection"),
        target: serde_json::from_value(json!({
            "id": "tgt-1", "name": name("target"),
            "data": {"schema": {"id": "https://s", "version": "x"}},
            "params": {"dataSetId": "ds-1"},
            "connectionSpec": {"id": "c604ff05-7f1a-43c0-8e18-33bf874cb11c", "version": "1.0"}
        }))
        .expect("a target connection"),
        mapping: serde_json::from_value(json!({
            "id": "map-1", "name": name("mapping"), "version": 2,
            "outputSchema": {"schemaRef": {"id": "https://s"}},
            "mappings": parts.get("mappings").cloned().unwrap_or(json!(
                [{"sourceType": "ATTRIBUTE", "source": "order_id", "destination": "_id"}]))
        }))
        .expect("a mapping set"),
        dataset: crate::api::DatasetSummary {
            id: "ds-1".into(),
            name: "Orders".into(),
            schema_id: Some(
                parts
                    .get("follows")
                    .and_then(Value::as_str)
                    .unwrap_or("https://s")
                    .into(),
            ),
        },
        dataset_name_unique: true,
        flow,
    }
}

/// Why `shape` refuses a flow changed by `changes`.
fn shape_refusal(changes: Value) -> String {
    let flow = serde_json::from_value(flow(changes)).expect("a flow");
    shape(&flow).expect_err("refused")
}

fn refusal(flow_changes: Value, parts: Value) -> String {
    to_dataflow(
        &read(flow_changes, parts),
        "orders-db",
        Cloud::Azure,
        "prod",
    )
    .expect_err("refused")
}

#[test]
fn each_flow_a_document_cannot_hold_is_refused_with_its_reason() {
    let reasons = [
        shape_refusal(json!({"sourceConnectionIds": ["a", "b"]})),
        shape_refusal(json!({"targetConnectionIds": []})),
        shape_refusal(json!({"transformations": [{"name": "Filter", "params": {}}]})),
        shape_refusal(json!({"transformations": [
            {"name": "Mapping", "params": {"mappingId": "m", "mappingVersion": 0}},
            {"name": "Mapping", "params": {"mappingId": "m", "mappingVersion": 1}}]})),
        shape_refusal(json!({"transformations": []})),
        shape_refusal(json!({"transformations": [
            {"name": "Copy", "params": {"deltaColumn": {"name": "u", "format": "x"}}},
            {"name": "Mapping", "params": {"mappingId": "m", "mappingVersion": 0}}]})),
        refusal(json!({}), json!({"source": "orders-source"})),
        refusal(json!({}), json!({"mapping": "orders-mapping"})),
        refusal(
            json!({}),
            json!({"mappings": [{"sourceType": "ATTRIBUTE", "source": "e",
            "destination": "person.email", "identity": true}]}),
        ),
        refusal(json!({}), json!({"follows": "https://other"})),
        refusal(json!({"state": "draft"}), json!({})),
        refusal(
            json!({"scheduleParams": {"startTime": 1, "frequency": "month"}}),
            json!({}),
        ),
    ];
    insta::assert_snapshot!(reasons.join("\n"));
}

#[test]
fn a_faithful_flow_reads_back_as_its_document() {
    let doc = to_dataflow(
        &read(json!({"state": "disabled"}), json!({})),
        "orders-db",
        Cloud::Azure,
        "prod",
    )
    .expect("a document");
    assert_eq!(doc.source.connection, "orders-db");
    assert_eq!(doc.source.columns, None);
    assert_eq!(doc.target.schema, None);
    assert_eq!(doc.delta.map(|d| d.column).as_deref(), Some("updated_at"));
    assert_eq!(doc.schedule.start.as_deref(), Some("2027-01-15T08:00:00Z"));
    assert_eq!(doc.schedule.interval, Some(1));
    assert!(!doc.enabled);
}

fn connection(id: &str, name: &str, spec: &str) -> ConnectionItem {
    serde_json::from_value(json!({
        "id": id, "name": name, "state": "enabled",
        "connectionSpec": {"id": spec, "version": "1.0"}
    }))
    .expect("a connection")
}

/// Base connections of another source, or not managed, are named.
#[test]
fn a_base_connection_must_be_a_managed_postgres_one() {
    let target = Target {
        cloud: Cloud::Azure,
        sandbox: "prod".into(),
        out: PathBuf::from("connections/prod"),
        schema_ref: String::new(),
        dataflow_schema_ref: String::new(),
        project: Project::of_settings(Path::new("provision.yaml")),
        described: BTreeMap::new(),
        described_dataflows: BTreeMap::new(),
        environment: None,
        mode: None,
    };
    let reason = |base: ConnectionItem| {
        let listed = [base];
        let state = State::default();
        let known = KnownFlows {
            state: &state,
            exists: &|_| false,
            described: &BTreeMap::new(),
            connections: &[],
            listed: &listed,
            org: "O@AdobeOrg",
            now: "t",
        };
        let mut selection = Selection::default();
        select(
            vec![Listed::Read(Box::new(read(json!({}), json!({}))))],
            &target,
            &known,
            &mut selection,
        );
        assert!(selection.dataflows.is_empty());
        selection.skipped.remove(0).reason
    };
    insta::assert_snapshot!(
        [
            reason(connection("base-1", "crm", "26d738e0-0000")),
            reason(connection("base-1", "orders-db", POSTGRES_SPEC_ID)),
            reason(connection("other", "orders-db", POSTGRES_SPEC_ID)),
        ]
        .join("\n")
    );
}
