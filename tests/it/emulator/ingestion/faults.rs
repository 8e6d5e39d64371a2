//! The faults the emulator injects for connections apply to the ingestion
//! path too: lost answers after commit, slow commits, lagging listings,
//! 5xx and 429 on every new create and listing.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

/// Posts and expects no answer at all (the socket closed after the commit).
async fn lost(api: &Api, path: &str, body: Value) {
    let sent = api
        .request(reqwest::Method::POST, path)
        .json(&body)
        .send()
        .await;
    assert!(
        sent.is_err(),
        "{path}: the answer was not dropped: {sent:?}"
    );
}

async fn listed(api: &Api, path: &str) -> Vec<Value> {
    let (status, page) = api.get(path).await;
    assert_eq!(status, 200, "{path}: {page}");
    page["items"]
        .as_array()
        .or(page["data"].as_array())
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn lost_answers_still_commit_every_new_create() {
    let (_emulator, api) = Api::start(EmulatorConfig {
        drop_after_commit_rate: 1.0,
        ..config()
    })
    .await;
    lost(&api, &format!("{FLOW}/connections"), base_body("db")).await;
    let base = listed(&api, &format!("{FLOW}/connections"))
        .await
        .first()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .unwrap();
    lost(
        &api,
        &format!("{FLOW}/sourceConnections"),
        source_body(&base),
    )
    .await;
    let dataset = dataset_id(&api).await;
    lost(
        &api,
        &format!("{FLOW}/targetConnections"),
        target_body(&dataset),
    )
    .await;
    lost(&api, &format!("{PREP}/mappingSets"), mapping_body("m")).await;
    let source = listed(&api, &format!("{FLOW}/sourceConnections")).await;
    let target = listed(&api, &format!("{FLOW}/targetConnections")).await;
    let mapping = listed(&api, &format!("{PREP}/mappingSets?limit=10&start=0")).await;
    assert_eq!((source.len(), target.len(), mapping.len()), (1, 1, 1));
    let id = |items: &[Value]| items[0]["id"].as_str().unwrap().to_owned();
    let body = flow_body(&id(&source), &id(&target), &id(&mapping), hourly());
    lost(&api, &format!("{FLOW}/flows"), body).await;
    assert_eq!(listed(&api, &format!("{FLOW}/flows")).await.len(), 1);
}

#[tokio::test]
async fn new_objects_lag_in_listings_but_read_at_once_and_commits_take_their_time() {
    let lag = Duration::from_millis(2000);
    let delay = Duration::from_millis(100);
    let (_emulator, api) = Api::start(EmulatorConfig {
        list_lag: lag,
        commit_delay: delay,
        ..config()
    })
    .await;
    let started = Instant::now();
    let chain = chain(&api, hourly()).await;
    assert!(started.elapsed() >= delay * 5, "five commits, each delayed");
    let (status, _) = api.get(&format!("{FLOW}/flows/{}", chain.flow)).await;
    assert_eq!(status, 200, "a read by id sees the new flow at once");
    assert!(listed(&api, &format!("{FLOW}/flows")).await.is_empty());
    assert!(
        listed(&api, &format!("{PREP}/mappingSets?limit=10&start=0"))
            .await
            .is_empty()
    );
    tokio::time::sleep(lag).await;
    assert_eq!(listed(&api, &format!("{FLOW}/flows")).await.len(), 1);
    assert_eq!(
        listed(&api, &format!("{FLOW}/sourceConnections"))
            .await
            .len(),
        1
    );
    assert_eq!(
        listed(&api, &format!("{PREP}/mappingSets?limit=10&start=0"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn server_errors_and_rate_limits_cover_the_new_routes() {
    let (_emulator, api) = Api::start(EmulatorConfig {
        fail_rate: 1.0,
        ..config()
    })
    .await;
    for path in [
        format!("{FLOW}/flows"),
        format!("{FLOW}/flowSpecs"),
        format!("{FLOW}/runs"),
        format!("{PREP}/mappingSets?limit=1&start=0"),
        format!("{CATALOG}/dataSets"),
    ] {
        let (status, body) = api.get(&path).await;
        assert!(status >= 500, "{path}: {status} {body}");
    }
    let (status, _) = api.post(&format!("{FLOW}/flows"), json!({})).await;
    assert!(status >= 500);
    let (_emulator, api) = Api::start(EmulatorConfig {
        rate_limit: Some(1),
        ..config()
    })
    .await;
    let mut limited = false;
    for _ in 0..5 {
        let answer = api
            .request(reqwest::Method::GET, &format!("{CATALOG}/dataSets"))
            .send()
            .await
            .unwrap();
        if answer.status() == 429 {
            limited = answer.headers().contains_key("retry-after");
            break;
        }
    }
    assert!(limited, "no 429 with Retry-After on Catalog");
}

#[tokio::test]
async fn a_create_the_client_stopped_waiting_for_still_commits_and_latency_applies() {
    let (_emulator, api) = Api::start(EmulatorConfig {
        commit_delay: Duration::from_millis(600),
        latency: Duration::from_millis(100),
        ..config()
    })
    .await;
    let started = Instant::now();
    let (status, _) = api.get(&format!("{CATALOG}/dataSets")).await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "latency on Catalog"
    );
    let impatient = |path: String, body: Value| {
        api.request(reqwest::Method::POST, &path)
            .timeout(Duration::from_millis(300))
            .json(&body)
            .send()
    };
    let gave_up = impatient(format!("{PREP}/mappingSets"), mapping_body("slow")).await;
    assert!(
        gave_up.is_err_and(|e| e.is_timeout()),
        "the client should have timed out"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let sets = listed(&api, &format!("{PREP}/mappingSets?name=slow&limit=10")).await;
    assert_eq!(
        sets.len(),
        1,
        "the create committed after the client gave up"
    );
}
