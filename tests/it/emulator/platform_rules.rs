//! What Adobe's documents say the real service does, modelled
//! by the emulator where the client's correctness depends on it, checked
//! with raw requests: `1401-400` for `limit` with `count`, RFC 6902 patch
//! semantics, `1455`/`1445`/`1418`, deleting states, opaque continuation tokens.

use std::time::Duration;

use provision::emulator::EmulatorConfig;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::api::{self as support, headers, raw};

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["type"]
        .as_str()
        .and_then(|t| t.rsplit('/').next())
        .unwrap_or("")
}

async fn create(
    url: &str,
    hs: &[(&'static str, String)],
    name: &str,
    description: Option<&str>,
) -> (String, String) {
    let mut body = json!({"name": name, "auth": {"specName": "Basic Authentication", "params": {"server": "h", "port": "5432", "database": "d", "username": "u", "password": "p"}}, "connectionSpec": {"id": "74a1c565-4e59-48d7-9d67-7c03b8a13137", "version": "1.0"}});
    if let Some(d) = description {
        body["description"] = json!(d);
    }
    let (status, created) = send(raw(Method::POST, url, "", hs).json(&body)).await;
    assert_eq!(status, 201, "{created}");
    (
        created["id"].as_str().unwrap().to_owned(),
        created["etag"].as_str().unwrap().to_owned(),
    )
}

fn patch(
    url: &str,
    hs: &[(&'static str, String)],
    id: &str,
    etag: &str,
    ops: Value,
) -> reqwest::RequestBuilder {
    raw(Method::PATCH, url, &format!("/{id}"), hs)
        .header("if-match", etag)
        .json(&ops)
}

/// Found by schemathesis: a bad `count` was accepted, and a POST to one
/// connection was answered 400 (missing content type) instead of 405.
#[tokio::test]
async fn schemathesis_findings_stay_fixed() {
    let emulator = support::start(support::config()).await;
    let url = emulator.url();
    let hs = headers(&support::token(&url).await, "dev");
    let (status, body) = send(raw(Method::GET, &url, "?count=null", &hs)).await;
    assert_eq!((status, code(&body)), (400, "FLOW-1400-400"), "{body}");
    let answer = raw(Method::POST, &url, "/some-id", &hs)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 405);
}

#[tokio::test]
async fn limit_with_count_is_1401_and_count_alone_works() {
    let emulator = support::start(support::config()).await;
    let url = emulator.url();
    let hs = headers(&support::token(&url).await, "dev");
    let (status, body) = send(raw(Method::GET, &url, "?count=true&limit=5", &hs)).await;
    assert_eq!((status, code(&body)), (400, "FLOW-1401-400"), "{body}");
    let (status, body) = send(raw(Method::GET, &url, "?count=true", &hs)).await;
    assert_eq!((status, body), (200, json!({"count": 0})));
}

#[tokio::test]
async fn patches_follow_rfc_6902() {
    let emulator = support::start(support::config()).await;
    let url = emulator.url();
    let hs = headers(&support::token(&url).await, "dev");
    let (id, etag) = create(&url, &hs, "orders", None).await;
    // `replace` and `remove` of an absent member are refused; `add` sets it.
    for op in ["replace", "remove"] {
        let (status, body) = send(patch(
            &url,
            &hs,
            &id,
            &etag,
            json!([{"op": op, "path": "/description", "value": "x"}]),
        ))
        .await;
        assert_eq!(status, 400, "{op}: {body}");
        assert!(
            body["errorMessage"]
                .as_str()
                .unwrap_or("")
                .contains("does not exist"),
            "{body}"
        );
    }
    let (status, body) = send(patch(
        &url,
        &hs,
        &id,
        &etag,
        json!([{"op": "replace", "path": "/description"}]),
    ))
    .await;
    assert_eq!((status, code(&body)), (400, "FLOW-1455-400"), "{body}");
    let (status, body) = send(patch(
        &url,
        &hs,
        &id,
        &etag,
        json!([{"op": "add", "path": "/description", "value": "set"}]),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let etag = body["etag"].as_str().unwrap().to_owned();
    let (status, _) = send(patch(
        &url,
        &hs,
        &id,
        &etag,
        json!([{"op": "replace", "path": "/description", "value": "again"}]),
    ))
    .await;
    assert_eq!(status, 200);
    let (_, read) = send(raw(Method::GET, &url, &format!("/{id}"), &hs)).await;
    assert_eq!(read["items"][0]["description"], "again");
    assert!(
        read["items"][0]["version"].is_string(),
        "version is a string, as documented"
    );
}

#[tokio::test]
async fn flagged_connections_refuse_patch_and_delete() {
    let emulator = support::start(EmulatorConfig {
        not_patchable: vec!["fixed-".into()],
        in_use: vec!["used-".into()],
        ..support::config()
    })
    .await;
    let url = emulator.url();
    let hs = headers(&support::token(&url).await, "dev");
    let (id, etag) = create(&url, &hs, "fixed-1", None).await;
    let (status, body) = send(patch(
        &url,
        &hs,
        &id,
        &etag,
        json!([{"op": "add", "path": "/description", "value": "x"}]),
    ))
    .await;
    assert_eq!((status, code(&body)), (400, "FLOW-1445-400"), "{body}");
    let (id, _) = create(&url, &hs, "used-1", None).await;
    let (status, body) = send(raw(Method::DELETE, &url, &format!("/{id}"), &hs)).await;
    assert_eq!((status, code(&body)), (400, "FLOW-1418-400"), "{body}");
    let (status, _) = send(raw(Method::GET, &url, &format!("/{id}"), &hs)).await;
    assert_eq!(status, 200, "still there");
}

#[tokio::test]
async fn deleted_connections_linger_in_listings_as_deleting() {
    let emulator = support::start(EmulatorConfig {
        delete_linger: Duration::from_secs(3),
        ..support::config()
    })
    .await;
    let url = emulator.url();
    let hs = headers(&support::token(&url).await, "dev");
    let (id, _) = create(&url, &hs, "orders", Some("d")).await;
    let (status, _) = send(raw(Method::DELETE, &url, &format!("/{id}/"), &hs)).await;
    assert_eq!(status, 204);
    let (status, body) = send(raw(Method::GET, &url, &format!("/{id}"), &hs)).await;
    assert_eq!((status, code(&body)), (404, "FLOW-1439-404"));
    let (_, listed) = send(raw(Method::GET, &url, "", &hs)).await;
    assert_eq!(listed["items"][0]["state"], "deleting", "{listed}");
    let (status, _) = send(raw(Method::DELETE, &url, &format!("/{id}"), &hs)).await;
    assert_eq!(status, 404, "already being deleted");
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let (_, listed) = send(raw(Method::GET, &url, "", &hs)).await;
    assert_eq!(listed, json!({"items": []}));
}

#[tokio::test]
async fn continuation_tokens_are_opaque_and_checked() {
    let emulator = support::start(support::config()).await;
    let url = emulator.url();
    let hs = headers(&support::token(&url).await, "dev");
    for i in 0..3 {
        create(&url, &hs, &format!("c{i}"), None).await;
    }
    let (_, first) = send(raw(Method::GET, &url, "?limit=2", &hs)).await;
    let href = first["_links"]["next"]["href"].as_str().unwrap().to_owned();
    let token = href
        .split("continuationToken=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(
        token.len() >= 16 && token.trim_start_matches('c').parse::<u64>().is_err(),
        "{href}"
    );
    let (status, second) = send(raw(
        Method::GET,
        &url,
        href.trim_start_matches("/connections"),
        &hs,
    ))
    .await;
    assert_eq!(
        (status, second["items"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{second}"
    );
    let (status, body) = send(raw(Method::GET, &url, "?continuationToken=c2", &hs)).await;
    assert_eq!((status, code(&body)), (400, "FLOW-1400-400"), "{body}");
}

#[tokio::test]
async fn huge_token_lifetimes_are_refused_or_capped() {
    let emulator = support::start(EmulatorConfig {
        token_ttl: Duration::MAX,
        ..support::config()
    })
    .await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", support::CLIENT_ID),
        ("client_secret", support::CANARY),
    ];
    let answer = reqwest::Client::new()
        .post(format!("{}/ims/token/v3", emulator.url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["expires_in"], 315_360_000u64, "capped at ten years");
    let client = support::client(&emulator);
    provision::api::FlowService::list(
        &client,
        &support::scope("dev"),
        &provision::api::ListQuery::new(),
    )
    .await
    .unwrap();
}

#[test]
fn huge_token_lifetimes_are_refused_on_the_command_line_without_a_panic() {
    let run = crate::support::util::provision()
        .args(["emulator", "--token-ttl", "18446744073709551615"])
        .run()
        .expect_code(64);
    assert!(!run.stderr().contains("panicked"), "{}", run.stderr());
    assert!(run.stderr().contains("--token-ttl"), "{}", run.stderr());
}
