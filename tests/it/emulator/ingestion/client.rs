//! provision's own client over the whole ingestion path: the chain a
//! dataflow stands for, built with the body builders, read back, found by
//! name, patched, disabled and enabled, versioned and deleted; lost create
//! answers; and Adobe's OpenAPI files judging every exchange of it.

use std::process::Command;

use provision::api::dataflow::FlowAction;
use provision::api::ingestion_bodies::{self as bodies, FlowInputs, ScheduleInputs};
use provision::api::ingestion_patches as patches;
use provision::api::{
    ApiError, FlowService, FlowServiceClient, ListQuery, MappingSetRef, Resource, Scope,
    select_columns,
};
use provision::config::{Delta, Frequency, MappingEntry};
use provision::emulator::{DatasetSeed, Exchange};

use super::*;
use crate::support::api::{basic, client, scope};
use crate::support::util::{root, say_on_terminal};

fn entries() -> Vec<MappingEntry> {
    vec![
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
    ]
}

fn delta(column: &str) -> Delta {
    Delta {
        column: column.into(),
        date_format: None,
        timezone: Some("UTC".into()),
    }
}

fn in_an_hour() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(now).unwrap() + 3600
}

/// The ids the chain was created with.
struct Chain {
    base: String,
    source: String,
    target: String,
    mapping: MappingSetRef,
    flow: String,
}

/// Base connection, source (two columns, listed order), target, mapping
/// set and flow, each read back as created.
async fn create_chain(client: &FlowServiceClient, prod: &Scope) -> Chain {
    let base = client.create(prod, &basic("orders-db")).await.unwrap().id;
    let tables = client.list_tables(prod, &base).await.unwrap();
    assert_eq!(tables[0].path, "public.orders");
    let explored = client
        .explore_table(prod, &base, "public.orders")
        .await
        .unwrap();
    let listed = ["updated_at".to_owned(), "order_id".to_owned()];
    let columns = select_columns("public.orders", &explored, Some(&listed)).unwrap();
    let body = bodies::source_connection("orders-to-lake", None, &base, "public.orders", columns);
    let source = client.create_source_connection(prod, &body).await.unwrap();
    let read = client
        .get_source_connection(prod, &source.id)
        .await
        .unwrap();
    assert_eq!((&read.params, &read.etag), (&body.params, &source.etag));

    let datasets = client.find_datasets_by_name(prod, "Orders").await.unwrap();
    assert_eq!(datasets.len(), 1, "{datasets:?}");
    let dataset = &datasets[0];
    assert_eq!(dataset.schema_id.as_deref(), Some(SCHEMA));
    assert_eq!(
        &client.get_dataset(prod, &dataset.id).await.unwrap(),
        dataset
    );
    let body = bodies::target_connection("orders-to-lake", Some("lake"), &dataset.id, SCHEMA);
    let target = client.create_target_connection(prod, &body).await.unwrap();
    let read = client
        .get_target_connection(prod, &target.id)
        .await
        .unwrap();
    assert_eq!((&read.params, &read.data), (&body.params, &body.data));

    let body = bodies::mapping_set("orders-to-lake", SCHEMA, &entries());
    let mapping = client.create_mapping_set(prod, &body).await.unwrap();
    assert_eq!(mapping.version, 0);
    let read = client
        .get_mapping_set(prod, &mapping.id, None)
        .await
        .unwrap();
    assert_eq!(
        (&read.mappings, read.schema_id.as_str()),
        (&body.mappings, SCHEMA)
    );

    let spec = client
        .find_flow_spec(prod, "CRMToAEP")
        .await
        .unwrap()
        .unwrap();
    assert!(spec.lists_postgres() && spec.id == CRM_TO_AEP, "{spec:?}");
    let delta = delta("updated_at");
    let body = bodies::flow(&FlowInputs {
        name: "orders-to-lake",
        description: None,
        flow_spec: &spec.spec_ref(),
        source_connection_id: &source.id,
        target_connection_id: &target.id,
        delta: Some(&delta),
        mapping: &mapping,
        schedule: ScheduleInputs {
            start: in_an_hour(),
            frequency: Frequency::Hour,
            interval: Some(1),
            backfill: true,
        },
    });
    let flow = client.create_flow(prod, &body).await.unwrap();
    let read = client.get_flow(prod, &flow.id).await.unwrap();
    assert_eq!(read.state, "enabled");
    assert_eq!(read.transformations, body.transformations);
    assert_eq!(read.schedule_params, body.schedule_params);
    Chain {
        base,
        source: source.id,
        target: target.id,
        mapping,
        flow: flow.id,
    }
}

/// Every kind of call on the chain: lookups, patches, actions, a new
/// mapping set version, deletes.
async fn walk(client: &FlowServiceClient, prod: &Scope) -> Chain {
    let chain = create_chain(client, prod).await;
    let named = |n: usize| move |found: usize| assert_eq!(found, n);
    named(1)(
        client
            .find_source_connections_by_name(prod, "orders-to-lake")
            .await
            .unwrap()
            .len(),
    );
    named(1)(
        client
            .find_target_connections_by_name(prod, "orders-to-lake")
            .await
            .unwrap()
            .len(),
    );
    named(1)(
        client
            .find_flows_by_name(prod, "orders-to-lake")
            .await
            .unwrap()
            .len(),
    );
    named(1)(
        client
            .find_mapping_sets_by_name(prod, "orders-to-lake")
            .await
            .unwrap()
            .len(),
    );
    named(0)(
        client
            .find_flows_by_name(prod, "orders")
            .await
            .unwrap()
            .len(),
    );
    named(0)(
        client
            .find_datasets_by_name(prod, "Order")
            .await
            .unwrap()
            .len(),
    );
    let dev = scope("dev");
    named(0)(
        client
            .find_flows_by_name(&dev, "orders-to-lake")
            .await
            .unwrap()
            .len(),
    );

    // Description, schedule and delta in one patch, at the indexes as read.
    let flow = client.get_flow(prod, &chain.flow).await.unwrap();
    let mut schedule = flow.schedule_params.clone();
    schedule.frequency = "minute".into();
    schedule.interval = Some("15".into());
    let mut ops = patches::description_ops(None, Some("every 15 minutes"));
    ops.extend(patches::schedule_ops(&flow.schedule_params, &schedule));
    ops.extend(patches::delta_ops(&flow, Some(&delta("modified_at"))).unwrap());
    assert_eq!(ops.len(), 4, "{ops:?}");
    let patched = client
        .patch_flow(prod, &chain.flow, &flow.etag, &ops)
        .await
        .unwrap();
    assert_ne!(patched.etag, flow.etag);
    let stale = client
        .patch_flow(prod, &chain.flow, &flow.etag, &ops)
        .await
        .unwrap_err();
    assert!(
        matches!(&stale, ApiError::EtagMismatch { what: Resource::Flow, id } if *id == chain.flow),
        "{stale:?}"
    );
    let read = client.get_flow(prod, &chain.flow).await.unwrap();
    assert_eq!(read.description.as_deref(), Some("every 15 minutes"));
    assert_eq!(read.schedule_params, schedule);
    let copy = read.transformation_index("Copy").unwrap();
    assert_eq!(
        read.transformations[copy].params["deltaColumn"]["name"],
        "modified_at"
    );

    // A new mapping set version, then the flow moved onto it.
    let mut body = bodies::mapping_set("orders-to-lake", SCHEMA, &entries());
    body.mappings.truncate(1);
    let next = client
        .update_mapping_set(prod, &chain.mapping.id, &body)
        .await
        .unwrap();
    assert_eq!(
        (next.id.as_str(), next.version),
        (chain.mapping.id.as_str(), 1)
    );
    let first = client
        .get_mapping_set(prod, &next.id, Some(0))
        .await
        .unwrap();
    assert_eq!(first.mappings.len(), 2);
    let ops = patches::mapping_ops(&read, &next).unwrap();
    let patched = client
        .patch_flow(prod, &chain.flow, &read.etag, &ops)
        .await
        .unwrap();
    let read = client.get_flow(prod, &chain.flow).await.unwrap();
    let at = read.transformation_index("Mapping").unwrap();
    assert_eq!(read.transformations[at].params["mappingVersion"], "1");

    // DISABLE and ENABLE answer a new etag each, and the state follows.
    let disabled = client
        .flow_action(prod, &chain.flow, FlowAction::Disable)
        .await
        .unwrap();
    assert_ne!(disabled.etag, patched.etag);
    assert_eq!(
        client.get_flow(prod, &chain.flow).await.unwrap().state,
        "disabled"
    );
    let enabled = client
        .flow_action(prod, &chain.flow, FlowAction::Enable)
        .await
        .unwrap();
    assert_ne!(enabled.etag, disabled.etag);
    assert_eq!(
        client.get_flow(prod, &chain.flow).await.unwrap().state,
        "enabled"
    );

    // The two ends take a description too.
    let source = client
        .get_source_connection(prod, &chain.source)
        .await
        .unwrap();
    let ops = patches::description_ops(None, Some("orders table"));
    client
        .patch_source_connection(prod, &chain.source, &source.etag, &ops)
        .await
        .unwrap();
    let target = client
        .get_target_connection(prod, &chain.target)
        .await
        .unwrap();
    let ops = patches::description_ops(target.description.as_deref(), None);
    client
        .patch_target_connection(prod, &chain.target, &target.etag, &ops)
        .await
        .unwrap();
    assert_eq!(
        client
            .get_target_connection(prod, &chain.target)
            .await
            .unwrap()
            .description,
        None
    );
    chain
}

/// Deletes the flow, then its ends; each is gone afterwards.
async fn delete_chain(client: &FlowServiceClient, prod: &Scope, chain: &Chain) {
    client.delete_flow(prod, &chain.flow).await.unwrap();
    client
        .delete_source_connection(prod, &chain.source)
        .await
        .unwrap();
    client
        .delete_target_connection(prod, &chain.target)
        .await
        .unwrap();
    client.delete(prod, &chain.base).await.unwrap();
    let gone = client.get_flow(prod, &chain.flow).await.unwrap_err();
    assert_eq!(
        gone.to_string(),
        format!("flow `{}` not found (http 404)", chain.flow)
    );
    let gone = client
        .delete_source_connection(prod, &chain.source)
        .await
        .unwrap_err();
    assert!(
        matches!(
            gone,
            ApiError::NotFound {
                what: Resource::SourceConnection,
                ..
            }
        ),
        "{gone:?}"
    );
    let gone = client
        .get_target_connection(prod, &chain.target)
        .await
        .unwrap_err();
    assert!(
        matches!(
            gone,
            ApiError::NotFound {
                what: Resource::TargetConnection,
                ..
            }
        ),
        "{gone:?}"
    );
    let gone = client
        .get_mapping_set(prod, "no-such-set", None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            gone,
            ApiError::NotFound {
                what: Resource::MappingSet,
                ..
            }
        ),
        "{gone:?}"
    );
    let gone = client
        .get_dataset(prod, "no-such-dataset")
        .await
        .unwrap_err();
    assert!(
        matches!(
            gone,
            ApiError::NotFound {
                what: Resource::Dataset,
                ..
            }
        ),
        "{gone:?}"
    );
}

#[tokio::test]
async fn the_client_creates_reads_finds_patches_acts_on_and_deletes_the_whole_chain() {
    let emulator = support::start(config()).await;
    let client = client(&emulator);
    let prod = scope("prod");
    let chain = walk(&client, &prod).await;
    delete_chain(&client, &prod, &chain).await;
    // The flow spec was looked up once for the scope, then remembered.
    assert!(
        client
            .find_flow_spec(&prod, "CRMToAEP")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        client
            .find_flow_spec(&prod, "NoSuchSpec")
            .await
            .unwrap()
            .is_none()
    );
    let lookups = emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/flowSpecs"))
        .count();
    assert_eq!(lookups, 2, "CRMToAEP once, the unknown name once");
}

#[tokio::test]
async fn listings_follow_every_page_of_each_services_own_paging() {
    let seeds = (0..101).map(|_| DatasetSeed {
        name: "Twins".into(),
        schema_id: SCHEMA.into(),
    });
    let emulator = support::start(EmulatorConfig {
        datasets: config().datasets.into_iter().chain(seeds).collect(),
        ..config()
    })
    .await;
    let client = client(&emulator);
    let prod = scope("prod");
    let body = bodies::mapping_set("bulk", SCHEMA, &entries());
    for _ in 0..101 {
        client.create_mapping_set(&prod, &body).await.unwrap();
    }
    assert_eq!(
        client
            .find_mapping_sets_by_name(&prod, "bulk")
            .await
            .unwrap()
            .len(),
        101
    );
    assert_eq!(
        client
            .find_datasets_by_name(&prod, "Twins")
            .await
            .unwrap()
            .len(),
        101
    );
    let chain = create_chain(&client, &prod).await;
    let body = bodies::source_connection("second", None, &chain.base, "public.orders", Vec::new());
    client.create_source_connection(&prod, &body).await.unwrap();
    let one_a_page = ListQuery::new().page_size(1);
    let all = client
        .list_source_connections(&prod, &one_a_page)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let pages = |path: &str| {
        emulator
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with(path))
            .count()
    };
    assert_eq!(pages("/mappingSets"), 2, "101 sets at 100 a page");
    assert_eq!(
        pages("/dataSets"),
        1 + 2,
        "Orders, then 101 twins at 100 a page"
    );
    assert_eq!(pages("/sourceConnections"), 2, "two sources at one a page");
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_unknown_and_never_sent_again() {
    let emulator = support::start(EmulatorConfig {
        drop_after_commit_rate: 1.0,
        ..config()
    })
    .await;
    let client = client(&emulator);
    let prod = scope("prod");
    let lost = client.create(&prod, &basic("orders-db")).await.unwrap_err();
    assert!(lost.outcome_unknown(), "{lost:?}");
    let base = client
        .find_by_name(&prod, "orders-db")
        .await
        .unwrap()
        .remove(0)
        .id;
    let body =
        bodies::source_connection("orders-to-lake", None, &base, "public.orders", Vec::new());
    let lost = client
        .create_source_connection(&prod, &body)
        .await
        .unwrap_err();
    assert!(
        matches!(&lost, ApiError::CreateOutcomeUnknown { name, .. } if name == "orders-to-lake"),
        "{lost:?}"
    );
    let body = bodies::mapping_set("orders-to-lake", SCHEMA, &entries());
    let lost = client.create_mapping_set(&prod, &body).await.unwrap_err();
    assert!(lost.outcome_unknown(), "{lost:?}");
    let posts = |path: &str| {
        emulator
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with(path))
            .count()
    };
    assert_eq!((posts("/sourceConnections"), posts("/mappingSets")), (1, 1));
    // Each landed once: the lookup by name finds exactly it.
    let found = client
        .find_source_connections_by_name(&prod, "orders-to-lake")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let found = client
        .find_mapping_sets_by_name(&prod, "orders-to-lake")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
}

/// Adobe's three OpenAPI files judge `exchanges` (openapi-core, by
/// `tests/contract/openapi_check.py`); `None` when python3 lacks it (a
/// failure under `CI=true`).
fn judge(exchanges: &[Exchange]) -> Option<(bool, String)> {
    let probe = Command::new("python3")
        .args(["-c", "import openapi_core, yaml, werkzeug"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        let why = "python3 with openapi-core is not installed (pip install openapi-core pyyaml)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{why}, and CI=true requires it"
        );
        say_on_terminal(&format!("SKIPPED the client's contract check: {why}"));
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("client.jsonl");
    let lines: Vec<String> = exchanges
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let out = Command::new("python3")
        .arg(root().join("tests/contract/openapi_check.py"))
        .arg(root().join("tests/contract"))
        .arg(&log)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exchange_of_the_clients_ingestion_calls_matches_adobes_openapi() {
    let emulator = support::start(config()).await;
    let client = client(&emulator);
    let prod = scope("prod");
    let chain = walk(&client, &prod).await;
    delete_chain(&client, &prod, &chain).await;
    let exchanges = emulator.exchanges();
    for path in [
        "/sourceConnections",
        "/targetConnections",
        "/flows",
        "/action",
        "/flowSpecs",
        "/explore",
        "/mappingSets",
        "/dataSets",
    ] {
        assert!(
            exchanges.iter().any(|e| e.path.contains(path)),
            "no exchange with {path}"
        );
    }
    let methods: std::collections::BTreeSet<&str> =
        exchanges.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(
        methods.into_iter().collect::<Vec<_>>(),
        ["DELETE", "GET", "PATCH", "POST", "PUT"]
    );
    let Some((ok, report)) = tokio::task::spawn_blocking(move || judge(&exchanges))
        .await
        .unwrap()
    else {
        return;
    };
    assert!(ok, "{report}");
    say_on_terminal(&format!("client: {}", report.trim()));
    for file in ["flow-service", "data-prep", "catalog"] {
        assert!(
            report.contains(&format!("{file}.openapi.yaml")),
            "{file} judged nothing: {report}"
        );
    }
}
