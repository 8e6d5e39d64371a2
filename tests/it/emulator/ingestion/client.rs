//! provision's own client over the whole ingestion path: the chain a
//! dataflow stands for, built with the body builders and read back (here),
//! found by name, patched, versioned, disabled, enabled and deleted
//! (`updates`), each service's paging and lost create answers (`paging`),
//! and Adobe's OpenAPI files judging every exchange of it (`contract`).

mod contract;
mod paging;
mod updates;

use provision::api::ingestion_bodies::{self as bodies, FlowInputs, ScheduleInputs};
use provision::api::{FlowService, FlowServiceClient, MappingSetRef, Scope, select_columns};
use provision::config::{Delta, Frequency, MappingEntry};

use super::*;
use crate::support::api::{basic, client, scope};
use updates::delete_chain;

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
    let (base, source, target, mapping) = create_inputs(client, prod).await;
    let flow = create_flow(client, prod, &source, &target, &mapping).await;
    Chain {
        base,
        source,
        target,
        mapping,
        flow,
    }
}

/// Everything a flow joins, read back as created.
async fn create_inputs(
    client: &FlowServiceClient,
    prod: &Scope,
) -> (String, String, String, MappingSetRef) {
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
    (base, source.id, target.id, mapping)
}

/// The flow over the chain's ends, hourly from an hour from now, read back.
async fn create_flow(
    client: &FlowServiceClient,
    prod: &Scope,
    source: &str,
    target: &str,
    mapping: &MappingSetRef,
) -> String {
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
        source_connection_id: source,
        target_connection_id: target,
        delta: Some(&delta),
        mapping,
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
    flow.id
}

/// Every kind of call on the chain but the deletes.
async fn walk(client: &FlowServiceClient, prod: &Scope) -> Chain {
    let chain = create_chain(client, prod).await;
    updates::lookups(client, prod).await;
    updates::patch_in_place(client, prod, &chain).await;
    updates::new_mapping_version(client, prod, &chain).await;
    updates::disable_and_enable(client, prod, &chain).await;
    updates::describe_ends(client, prod, &chain).await;
    chain
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
