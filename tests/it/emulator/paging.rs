//! What reading a large sandbox page by page costs the emulator: a page
//! costs what it returns, not the whole sandbox, so the first page of a
//! sandbox of 10,000 takes about what the first page of a sandbox of 100
//! takes. Compared within one run, so the machine's load cancels out.

use std::time::{Duration, Instant};

use provision::api::ListQuery;
use provision::emulator::{Emulator, EmulatorConfig};
use provision::secret::Secret;
use serde_json::json;

use crate::support::api::{self as support, CANARY, ORG};

/// `count` connections as the data file holds them.
fn items(count: usize) -> Vec<serde_json::Value> {
    (0..count)
        .map(|i| {
            json!({
                "id": format!("{i:08x}-0000-4000-8000-000000000000"),
                "name": format!("db-{i:05}"),
                "auth": {"specName": "Basic Authentication", "params": {
                    "server": format!("db{i}.example.com"), "port": "5432",
                    "database": "app", "username": "aep", "sslMode": "Verify Full"}},
                "connectionSpec": {"id": "74a1c565-4e59-48d7-9d67-7c03b8a13137", "version": "1.0"},
                "state": "enabled",
                "createdAt": i,
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_costs_what_it_returns_not_the_whole_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("emulator.json");
    let snapshot = json!({"scopes": [
        {"org": ORG, "sandbox": "large", "items": items(10_000)},
        {"org": ORG, "sandbox": "small", "items": items(100)},
    ]});
    std::fs::write(&data, serde_json::to_vec(&snapshot).unwrap()).unwrap();
    let emulator = Emulator::start(EmulatorConfig {
        client_secret: Secret::new(CANARY),
        data: Some(data),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = support::client(&emulator);
    // Small pages, so that what a page returns weighs little beside what
    // it may cost besides.
    let query = ListQuery {
        page_size: Some(10),
        ..ListQuery::new()
    };
    let (mut large, mut small) = (Duration::MAX, Duration::MAX);
    // Interleaved, the quickest of each: what the page costs, not the load.
    for _ in 0..15 {
        for (sandbox, best) in [("large", &mut large), ("small", &mut small)] {
            let start = Instant::now();
            let page = client
                .first_page(&support::scope(sandbox), &query)
                .await
                .unwrap();
            *best = (*best).min(start.elapsed());
            assert_eq!(page.items.len(), 10);
        }
    }
    // A page that cost the whole sandbox made the large one ten times slower.
    assert!(
        large < small * 4,
        "first page of 10 of 10,000: {large:?}; of 100: {small:?}"
    );
}
