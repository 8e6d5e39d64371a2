//! `state import dataflow/cloud/sandbox/name FLOW_ID` against the emulator:
//! the chain made behind provision's back (with the client), found from
//! its flow and recorded complete, reading only; refused when the key is
//! recorded or one of its objects is another dataflow's.

use provision::api::ingestion_bodies::{self as bodies, FlowInputs, ScheduleInputs};
use provision::api::{FlowService, FlowServiceClient, Scope, select_columns};
use provision::config::{Delta, Frequency, MappingEntry};
use provision::emulator::{
    DatasetSeed, EmulatorConfig, ExploreSource, FixtureColumn, FixtureTable,
};

use crate::support::world::{ORG_AZURE, World};

const SCHEMA: &str = "https://ns.adobe.com/acme/schemas/orders";
const KEY: &str = "dataflow/azure/prod/orders-to-lake";
const START: i64 = 4_102_444_800;

/// The emulator with the `Orders` dataset and a `public.orders` table.
fn config() -> EmulatorConfig {
    let column = |name: &str, pg_type: &str| FixtureColumn {
        name: name.into(),
        pg_type: pg_type.into(),
    };
    EmulatorConfig {
        datasets: vec![DatasetSeed {
            name: "Orders".into(),
            schema_id: SCHEMA.into(),
        }],
        explore: ExploreSource::Tables(vec![FixtureTable {
            path: "public.orders".into(),
            name: None,
            columns: vec![
                column("order_id", "integer"),
                column("updated_at", "timestamp with time zone"),
            ],
        }]),
        record_exchanges: true,
        ..EmulatorConfig::default()
    }
}

/// The ids of a chain made with the client.
struct Chain {
    source: String,
    target: String,
    mapping: String,
    dataset: String,
    flow: String,
}

/// Source connection (two columns), target, mapping set and flow over base
/// connection `base`, as a person (or another tool) would make them.
async fn make_chain(client: &FlowServiceClient, scope: &Scope, base: &str) -> Chain {
    let explored = client
        .explore_table(scope, base, "public.orders")
        .await
        .unwrap();
    let listed = ["updated_at".to_owned(), "order_id".to_owned()];
    let columns = select_columns("public.orders", &explored, Some(&listed)).unwrap();
    let body = bodies::source_connection("orders-to-lake", None, base, "public.orders", columns);
    let source = client.create_source_connection(scope, &body).await.unwrap();
    let dataset = client.find_datasets_by_name(scope, "Orders").await.unwrap()[0]
        .id
        .clone();
    let body = bodies::target_connection("orders-to-lake", None, &dataset, SCHEMA);
    let target = client.create_target_connection(scope, &body).await.unwrap();
    let entries = [MappingEntry {
        source: Some("order_id".into()),
        expression: None,
        destination: "_id".into(),
    }];
    let body = bodies::mapping_set("orders-to-lake", SCHEMA, &entries);
    let mapping = client.create_mapping_set(scope, &body).await.unwrap();
    let spec = client
        .find_flow_spec(scope, "CRMToAEP")
        .await
        .unwrap()
        .unwrap();
    let delta = Delta {
        column: "updated_at".into(),
        date_format: None,
        timezone: None,
    };
    let body = bodies::flow(&FlowInputs {
        name: "orders-to-lake",
        description: None,
        flow_spec: &spec.spec_ref(),
        source_connection_id: &source.id,
        target_connection_id: &target.id,
        delta: Some(&delta),
        mapping: &mapping,
        schedule: ScheduleInputs {
            start: START,
            frequency: Frequency::Hour,
            interval: Some(1),
            backfill: true,
        },
    });
    let flow = client.create_flow(scope, &body).await.unwrap();
    Chain {
        source: source.id,
        target: target.id,
        mapping: mapping.id,
        dataset,
        flow: flow.id,
    }
}

#[test]
fn a_flow_made_elsewhere_is_recorded_with_everything_it_joins() {
    let world = World::new(config());
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    let base = world.state()["connections"]["azure/prod/db-0000"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let scope = Scope::new(ORG_AZURE, "prod");
    let chain = world
        .runtime
        .block_on(make_chain(&world.client(), &scope, &base));
    let emulator = world.emulator.as_ref().unwrap();
    let before = emulator.exchanges().len();

    let import = world
        .run(&["state", "import", KEY, &chain.flow])
        .expect_code(0);
    let shown = import
        .stdout()
        .replace(&chain.source, "SOURCE")
        .replace(&chain.target, "TARGET")
        .replace(&chain.mapping, "MAPPING")
        .replace(&chain.flow, "FLOW")
        .replace(&base, "BASE");
    insta::assert_snapshot!("imported", shown);
    let sent: Vec<String> = emulator.exchanges()[before..]
        .iter()
        .map(|e| e.method.clone())
        .collect();
    assert!(sent.iter().all(|m| m == "GET"), "only reads: {sent:?}");

    let record = &world.state()["dataflows"][KEY];
    assert_eq!(record["baseConnectionId"], base.as_str());
    assert_eq!(record["sourceConnection"]["id"], chain.source.as_str());
    assert_eq!(record["targetConnection"]["id"], chain.target.as_str());
    assert_eq!(record["mappingSet"]["id"], chain.mapping.as_str());
    assert_eq!(record["mappingVersion"], "0");
    assert_eq!(record["flow"]["id"], chain.flow.as_str());
    assert!(
        record["flow"]["etag"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert_eq!(record["dataSetId"], chain.dataset.as_str());
    assert_eq!(record["schemaId"], SCHEMA);
    assert_eq!(record["startTime"], START);
    assert_eq!(record["flowState"], "enabled");
    assert_eq!(
        record["columns"],
        serde_json::json!(["updated_at", "order_id"])
    );
    assert_eq!(record["org"], ORG_AZURE);
    assert!(record.get("applied").is_none(), "{record:#}");
    let show = world.run(&["state", "show", KEY]).expect_code(0).json();
    assert_eq!(show["complete"], true);

    // The key is taken; the flow (and its objects) belong to that key.
    let again = world
        .run(&["state", "import", KEY, &chain.flow])
        .expect_code(1);
    assert!(
        again.stderr().contains(&format!(
            "`{KEY}` is already in state (flow `{}`)",
            chain.flow
        )),
        "{}",
        again.stderr()
    );
    let other = world
        .run(&["state", "import", "dataflow/azure/prod/copy", &chain.flow])
        .expect_code(1);
    assert!(
        other.stderr().contains(&format!(
            "flow `{}` is already recorded as `{KEY}`",
            chain.flow
        )),
        "{}",
        other.stderr()
    );
    assert!(
        world.state()["dataflows"]
            .get("dataflow/azure/prod/copy")
            .is_none()
    );

    // A flow that does not exist: the platform's answer, nothing recorded.
    world.run(&["state", "rm", KEY]).expect_code(0);
    let missing = world
        .run(&["state", "import", KEY, "no-such-flow"])
        .expect_code(1);
    assert!(
        missing
            .stderr()
            .contains("cannot import flow `no-such-flow`"),
        "{}",
        missing.stderr()
    );
    assert!(world.state().get("dataflows").is_none());
}
