//! Simulated runs: an enabled flow gets runs shaped like Adobe's monitoring
//! tutorial, a disabled one none, and the outcomes repeat with the seed.

use reqwest::Method;

use super::*;

/// Enables and disables the flow `rounds` times, reading runs while
/// enabled; returns each run's (status, input, output, failed, error codes).
async fn outcomes(seed: u64, rounds: usize) -> Vec<(String, u64, u64, u64, Vec<String>)> {
    let (_emulator, api) = Api::start(EmulatorConfig { seed, ..config() }).await;
    let chain = chain(&api, hourly()).await;
    let action = |op: &str| format!("{FLOW}/flows/{}/action?op={op}", chain.flow);
    let runs = format!("{FLOW}/runs?property=flowId=={}", chain.flow);
    for _ in 0..rounds {
        api.get(&runs).await;
        assert_eq!(
            api.send(api.request(Method::POST, &action("DISABLE")))
                .await
                .0,
            200
        );
        api.get(&runs).await;
        assert_eq!(
            api.send(api.request(Method::POST, &action("ENABLE")))
                .await
                .0,
            200
        );
    }
    let (status, listed) = api.get(&format!("{runs}&limit=100")).await;
    assert_eq!(status, 200, "{listed}");
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), rounds + 1, "one run per enabled period");
    items
        .iter()
        .map(|run| {
            let m = &run["metrics"];
            let n = |key: &str| m["recordSummary"][key].as_u64().unwrap();
            let codes = m["statusSummary"]["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["code"].as_str().unwrap().to_owned())
                .collect();
            (
                m["statusSummary"]["status"].as_str().unwrap().to_owned(),
                n("inputRecordCount"),
                n("outputRecordCount"),
                n("failedRecordCount"),
                codes,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_disabled_flow_gets_no_runs_and_an_enabled_one_gets_one() {
    let (_emulator, api) = Api::start(config()).await;
    let chain = chain(&api, hourly()).await;
    let disable = format!("{FLOW}/flows/{}/action?op=DISABLE", chain.flow);
    assert_eq!(api.send(api.request(Method::POST, &disable)).await.0, 200);
    let runs = format!("{FLOW}/runs?property=flowId=={}", chain.flow);
    let (_, none) = api.get(&runs).await;
    assert_eq!(none["items"], serde_json::json!([]));
    let enable = format!("{FLOW}/flows/{}/action?op=ENABLE", chain.flow);
    assert_eq!(api.send(api.request(Method::POST, &enable)).await.0, 200);
    let (_, one) = api.get(&runs).await;
    let run = &one["items"][0];
    assert_eq!(run["flowId"], chain.flow.as_str());
    for path in [
        "/metrics/durationSummary/startedAtUTC",
        "/metrics/recordSummary/inputRecordCount",
        "/metrics/statusSummary/status",
        "/activities/1/statusSummary/status",
        "/sandboxId",
    ] {
        assert!(run.pointer(path).is_some(), "{path}: {run}");
    }
    let (status, again) = api
        .get(&format!("{FLOW}/runs/{}", run["id"].as_str().unwrap()))
        .await;
    assert_eq!((status, &again["items"][0]), (200, run));
    let (_, still_one) = api.get(&runs).await;
    assert_eq!(still_one["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn outcomes_cover_success_partial_success_and_failure_and_repeat_with_the_seed() {
    let first = outcomes(7, 24).await;
    let again = outcomes(7, 24).await;
    assert_eq!(first, again, "the same seed gives the same runs");
    let other = outcomes(8, 24).await;
    assert_ne!(first, other, "another seed gives other runs");
    let succeeded = first
        .iter()
        .any(|(s, i, o, f, e)| s == "success" && i == o && *f == 0 && e.is_empty());
    let partial = first.iter().any(|(s, i, o, f, e)| {
        s == "success" && *f > 0 && o + f == *i && e.contains(&"CONNECTOR-2001-500".to_owned())
    });
    let failed = first
        .iter()
        .any(|(s, _, o, _, e)| s == "failed" && *o == 0 && !e.is_empty());
    assert!(succeeded && partial && failed, "{first:?}");
}
