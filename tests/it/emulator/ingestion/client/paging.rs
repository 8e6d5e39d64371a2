//! Each service's own paging followed by the client (Flow Service's next
//! links, Data Prep's and Catalog's `start`/`limit`), and creates whose
//! answer is lost: an unknown outcome, one POST, found once by name.

use provision::api::ingestion_bodies as bodies;
use provision::api::{ApiError, FlowService, ListQuery};
use provision::emulator::{DatasetSeed, EmulatorConfig};

use super::super::{SCHEMA, config};
use super::{create_chain, entries};
use crate::support::api::{self as support, basic, client, scope};

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
    // Listed without a name: every set of the sandbox, over both pages.
    let listed = client.list_mapping_sets(&prod).await.unwrap();
    assert_eq!(listed.iter().filter(|set| set.name == "bulk").count(), 101);
    assert!(
        listed.iter().any(|set| set.name != "bulk"),
        "every name is listed"
    );
    assert_eq!(pages("/mappingSets"), 4, "the full listing pages too");
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
