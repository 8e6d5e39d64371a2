//! The client under injected faults: 5xx, rate limits with `Retry-After`,
//! lost answers to committed creates, and a bounded retry budget.

use std::sync::Arc;
use std::time::Duration;

use provision::api::{ApiError, FlowService, FlowServiceClient, ListQuery, RetryPolicy, Scope};
use provision::emulator::EmulatorConfig;

use crate::support::api::{self as support, basic, scope};

/// What the apply engine does with a create: on an unknown outcome, look the
/// name up and create again only if it did not land.
async fn create_once(
    client: &FlowServiceClient,
    dev: &Scope,
    name: &str,
) -> Result<String, ApiError> {
    loop {
        match client.create(dev, &basic(name)).await {
            Ok(created) => return Ok(created.id),
            Err(ApiError::CreateOutcomeUnknown { .. }) => {
                let found = client.find_by_name(dev, name).await?;
                if let [one] = found.as_slice() {
                    return Ok(one.id.clone());
                }
                assert!(found.is_empty(), "duplicate of `{name}`");
            }
            Err(other) => return Err(other),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_calls_under_failures_and_rate_limits() {
    let config = EmulatorConfig {
        fail_rate: 0.3,
        rate_limit: Some(20),
        drop_after_commit_rate: 0.1,
        seed: 7,
        ..support::config()
    };
    let emulator = support::start(config).await;
    let mut client_config = support::client_config(&emulator.url());
    client_config.retry = RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_secs(1),
        max_total_delay: Duration::from_secs(30),
    };
    let client = Arc::new(FlowServiceClient::new(client_config).unwrap());
    let dev = scope("dev");
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..4usize {
        let (client, dev) = (client.clone(), dev.clone());
        tasks.spawn(async move {
            let mut outcomes = Vec::new();
            for i in (worker..300).step_by(4) {
                let name = format!("conn-{}", i / 3);
                let outcome = match i % 3 {
                    0 => create_once(&client, &dev, &name).await.map(drop),
                    1 => client.find_by_name(&dev, &name).await.map(drop),
                    _ => client
                        .list(&dev, &ListQuery::new().postgres())
                        .await
                        .map(drop),
                };
                outcomes.push(outcome);
            }
            outcomes
        });
    }
    let mut ok = 0;
    let mut failed = Vec::new();
    while let Some(done) = tasks.join_next().await {
        for outcome in done.unwrap() {
            match outcome {
                Ok(()) => ok += 1,
                Err(err) => failed.push(err),
            }
        }
    }
    assert_eq!(ok + failed.len(), 300);
    for err in &failed {
        // A clear error: out of budget, naming the last answer.
        assert!(matches!(err, ApiError::RetriesExhausted { .. }), "{err:?}");
        assert!(err.to_string().starts_with("gave up after"), "{err}");
    }
    assert!(ok >= 270, "{ok} succeeded, failures: {failed:?}");
    // Never a duplicate, whatever was lost on the way.
    let all = client.list(&dev, &ListQuery::new()).await.unwrap();
    let mut names: Vec<_> = all.iter().map(|c| c.name.clone()).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicates were created");
    let log = emulator.requests();
    assert!(log.iter().any(|r| r.status == 429) && log.iter().any(|r| r.status >= 500));
}

#[tokio::test]
async fn retry_after_is_honoured_by_server_clock() {
    let emulator = support::start(EmulatorConfig {
        rate_limit: Some(1),
        ..support::config()
    })
    .await;
    let client = support::client(&emulator);
    let dev = scope("dev");
    client.list(&dev, &ListQuery::new()).await.unwrap();
    client.list(&dev, &ListQuery::new()).await.unwrap();
    let flow: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/data/"))
        .collect();
    let statuses: Vec<u16> = flow.iter().map(|r| r.status).collect();
    let limited = statuses
        .iter()
        .position(|s| *s == 429)
        .expect("second call was rate limited");
    let retry = &flow[limited + 1];
    let waited = retry.received.duration_since(flow[limited].received);
    assert!(
        waited >= Duration::from_secs(1),
        "retried after {waited:?}, Retry-After said 1 s: {statuses:?}"
    );
    assert_eq!(retry.status, 200);
}

#[tokio::test]
async fn budget_is_bounded_and_creates_are_never_blindly_retried() {
    let emulator = support::start(EmulatorConfig {
        fail_rate: 1.0,
        ..support::config()
    })
    .await;
    let client = support::client(&emulator);
    let dev = scope("dev");
    let err = client.get(&dev, "some-id").await.unwrap_err();
    assert!(
        matches!(&err, ApiError::RetriesExhausted { attempts: 6, .. }),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with("gave up after 6 attempts") && shown.contains("(injected fault)"),
        "{shown}"
    );
    let before = emulator.requests().len();
    let err = client.create(&dev, &basic("orders")).await.unwrap_err();
    assert!(
        matches!(&err, ApiError::CreateOutcomeUnknown { name, .. } if name == "orders"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("look it up by name before retrying"),
        "{err}"
    );
    let posts = emulator.requests()[before..]
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/data/"))
        .count();
    assert_eq!(posts, 1, "a create is sent once");
}

#[tokio::test]
async fn lost_answer_is_an_unknown_outcome_and_the_lookup_finds_it() {
    let emulator = support::start(EmulatorConfig {
        drop_after_commit_rate: 1.0,
        ..support::config()
    })
    .await;
    let client = support::client(&emulator);
    let dev = scope("dev");
    let err = client.create(&dev, &basic("orders")).await.unwrap_err();
    assert!(
        matches!(err, ApiError::CreateOutcomeUnknown { .. }),
        "{err:?}"
    );
    assert_eq!(client.find_by_name(&dev, "orders").await.unwrap().len(), 1);
}

#[tokio::test]
async fn data_file_survives_a_restart() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("emulator.json");
    let config = EmulatorConfig {
        data: Some(data.clone()),
        ..support::config()
    };
    let emulator = support::start(config.clone()).await;
    let id = support::client(&emulator)
        .create(&scope("dev"), &basic("kept"))
        .await
        .unwrap()
        .id;
    emulator.shutdown().await;
    let text = std::fs::read_to_string(&data).unwrap();
    assert!(
        !text.contains(support::CANARY),
        "the data file holds masked secrets only"
    );
    let emulator = support::start(config).await;
    assert_eq!(
        support::client(&emulator)
            .get(&scope("dev"), &id)
            .await
            .unwrap()
            .name,
        "kept"
    );
}
