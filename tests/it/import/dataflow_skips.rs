//! Flows a dataflow document cannot hold are skipped, each with its reason
//! in the text and JSON output, and nothing is written or recorded for
//! them: chains built on the emulator with the client (and raw Data Prep
//! requests for what the client never sends).

use provision::api::ingestion_bodies::{self as bodies, FlowInputs, ScheduleInputs};
use provision::api::wire::SpecRef;
use provision::api::{FlowService, FlowServiceClient, MappingSetRef, Scope, select_columns};
use provision::config::{Cloud, Frequency, MappingEntry};
use provision::emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use serde_json::{Value, json};

use super::dataflows::{SCHEMA, config};
use super::remote::{basic, create, import};
use crate::support::world::{ORG_AZURE, World};

fn prod() -> Scope {
    Scope::new(ORG_AZURE, "prod")
}

/// The names of a chain's parts and how its mapping set is made.
struct Chain<'a> {
    flow: &'a str,
    base: &'a str,
    source: &'a str,
    target: &'a str,
    /// `None`: the client's mapping set named after the flow; else a raw
    /// Data Prep body's `mappings`.
    raw_mappings: Option<Value>,
}

impl Chain<'_> {
    fn named(flow: &str, base: &str) -> Chain<'static> {
        let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
        Chain {
            flow: leak(flow),
            base: leak(base),
            source: leak(flow),
            target: leak(flow),
            raw_mappings: None,
        }
    }
}

/// Builds `chain` over the base connection with id `base_id`.
async fn build(world: &World, client: &FlowServiceClient, chain: &Chain<'_>, base_id: &str) {
    let scope = prod();
    let explored = client
        .explore_table(&scope, base_id, "public.orders")
        .await
        .unwrap();
    let columns = select_columns("public.orders", &explored, None).unwrap();
    let body = bodies::source_connection(chain.source, None, base_id, "public.orders", columns);
    let source = client
        .create_source_connection(&scope, &body)
        .await
        .unwrap();
    let dataset = client
        .find_datasets_by_name(&scope, "Orders")
        .await
        .unwrap();
    let body = bodies::target_connection(chain.target, None, &dataset[0].id, SCHEMA);
    let target = client
        .create_target_connection(&scope, &body)
        .await
        .unwrap();
    let mapping = match &chain.raw_mappings {
        None => {
            let entries = [MappingEntry {
                source: Some("order_id".into()),
                expression: None,
                destination: "_id".into(),
            }];
            let body = bodies::mapping_set(chain.flow, SCHEMA, &entries);
            client.create_mapping_set(&scope, &body).await.unwrap()
        }
        Some(mappings) => raw_mapping_set(world, chain.flow, mappings).await,
    };
    let spec = client
        .find_flow_spec(&scope, "CRMToAEP")
        .await
        .unwrap()
        .unwrap();
    let spec = SpecRef {
        id: spec.id,
        version: spec.version,
    };
    let body = bodies::flow(&FlowInputs {
        name: chain.flow,
        description: None,
        flow_spec: &spec,
        source_connection_id: &source.id,
        target_connection_id: &target.id,
        delta: None,
        mapping: &mapping,
        schedule: ScheduleInputs {
            start: 1_800_000_000,
            frequency: Frequency::Hour,
            interval: Some(1),
            backfill: true,
        },
    });
    client.create_flow(&scope, &body).await.unwrap();
}

/// A mapping set made by a raw Data Prep request (identity settings and
/// `STATIC` sources, which provision's client never sends).
async fn raw_mapping_set(world: &World, name: &str, mappings: &Value) -> MappingSetRef {
    let url = world.url();
    let http = reqwest::Client::new();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", DEFAULT_CLIENT_SECRET),
        ("scope", provision::api::wire::IMS_SCOPE),
    ];
    let token: Value = http
        .post(format!("{url}/ims/token/v3"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body = json!({
        "name": name,
        "outputSchema": {"schemaRef": {"id": SCHEMA, "contentType": "application/vnd.adobe.xed-full+json;version=1"}},
        "mappings": mappings,
    });
    let answer = http
        .post(format!("{url}/data/foundation/conversion/mappingSets"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .header("x-api-key", DEFAULT_CLIENT_ID)
        .header("x-gw-ims-org-id", ORG_AZURE)
        .header("x-sandbox-name", "prod")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let created: Value = answer.json().await.unwrap();
    MappingSetRef {
        id: created["id"].as_str().unwrap().to_owned(),
        version: created["version"].as_i64().unwrap(),
    }
}

#[test]
fn flows_a_document_cannot_hold_are_skipped_with_the_reason() {
    let world = World::new(config(false));
    let orders = create(
        &world,
        ORG_AZURE,
        &basic("orders-db", "prod", Cloud::Azure, 1),
    );
    let twin = create(&world, ORG_AZURE, &basic("twin", "prod", Cloud::Azure, 2));
    create(&world, ORG_AZURE, &basic("twin", "prod", Cloud::Azure, 3));
    let mut chains = vec![
        (Chain::named("plain-flow", "orders-db"), orders.clone()),
        // Named as its base connection: its file gets a `-dataflow` suffix.
        (Chain::named("orders-db", "orders-db"), orders.clone()),
        (Chain::named("over-twin", "twin"), twin.clone()),
    ];
    let mut renamed = Chain::named("renamed-parts", "orders-db");
    renamed.target = "lake-target";
    chains.push((renamed, orders.clone()));
    let mut identity = Chain::named("with-identity", "orders-db");
    identity.raw_mappings = Some(json!([
        {"sourceType": "ATTRIBUTE", "source": "order_id", "destination": "_id"},
        {"sourceType": "ATTRIBUTE", "source": "customer_name", "destination": "person.email",
         "identityGroup": "g1", "namespaceCode": "Email"}
    ]));
    chains.push((identity, orders.clone()));
    let mut constant = Chain::named("with-static", "orders-db");
    constant.raw_mappings = Some(json!([
        {"sourceType": "STATIC", "source": "web", "destination": "channel"}
    ]));
    chains.push((constant, orders));
    let client = world.client();
    world.runtime.block_on(async {
        for (chain, base) in &chains {
            assert!(!chain.base.is_empty());
            build(&world, &client, chain, base).await;
        }
    });

    // A file in the way is never overwritten.
    world.write("connections/prod/plain-flow.yaml", "# mine\n");
    let json = import(
        &world,
        &[
            "--sandbox",
            "prod",
            "--cloud",
            "azure",
            "--dry-run",
            "--format",
            "json",
        ],
    )
    .expect_code(0);
    let document: Value = serde_json::from_str(&json.stdout()).unwrap();
    let written: Vec<&str> = document["dataflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["key"].as_str().unwrap())
        .collect();
    assert_eq!(written, ["dataflow/azure/prod/orders-db"]);
    assert_eq!(
        document["dataflows"][0]["file"],
        "connections/prod/orders-db-dataflow.yaml"
    );
    let reasons: Vec<String> = document["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "dataflow")
        .map(|s| {
            format!(
                "{}: {}",
                s["name"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!(
        "dataflow_skip_reasons",
        reasons.join("\n").replace(&twin, "TWIN_ID")
    );

    assert_eq!(
        std::fs::read_to_string(world.path().join("connections/prod/plain-flow.yaml")).unwrap(),
        "# mine\n"
    );
    world.remove("connections/prod/plain-flow.yaml");
    let run = import(&world, &["--sandbox", "prod", "--cloud", "azure"]).expect_code(0);
    assert!(
        run.stderr().contains("skipped dataflow `with-static` (`"),
        "{}",
        run.stderr()
    );
    let state = world.state();
    let flows: Vec<&String> = state["dataflows"].as_object().unwrap().keys().collect();
    assert_eq!(
        flows,
        [
            "dataflow/azure/prod/orders-db",
            "dataflow/azure/prod/plain-flow"
        ]
    );
    let files: Vec<String> = std::fs::read_dir(world.path().join("connections/prod"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!files.iter().any(|f| f.contains("with-")), "{files:?}");

    // Imported once: the next import finds it in state and writes nothing.
    let again = import(&world, &["--sandbox", "prod", "--cloud", "azure"]).expect_code(0);
    assert!(
        again
            .stderr()
            .contains("already in state as `dataflow/azure/prod/plain-flow`"),
        "{}",
        again.stderr()
    );
}
