//! The emulator's HTTP contract, checked with raw requests: every row of the
//! gateway error table, Flow Service's own errors, list/patch/delete.

use provision::config::Cloud;
use provision::emulator::EmulatorConfig;
use reqwest::Method;
use serde_json::{Value, json};

use super::seed::SEED_AZURE_BASIC;
use crate::support::api::{self as support, ORG, headers, raw};

async fn expect(answer: reqwest::Response, status: u16, body: Value) {
    assert_eq!(answer.status(), status);
    assert_eq!(answer.json::<Value>().await.unwrap(), body);
}

fn gateway(code: &str, message: &str) -> Value {
    json!({"error_code": code, "message": message})
}

/// Every row of the gateway's error table (docs/contract), exact status and body.
#[tokio::test]
async fn gateway_error_table() {
    let config = EmulatorConfig {
        orgs: vec![(ORG.into(), Cloud::Azure)],
        ..support::config()
    };
    let emulator = support::start(config).await;
    let url = emulator.url();
    let token = support::token(&url).await;
    let full = headers(&token, "dev");
    let without = |name: &str| {
        full.iter()
            .filter(|(n, _)| *n != name)
            .cloned()
            .collect::<Vec<_>>()
    };
    let replaced = |name: &str, value: &str| {
        full.iter()
            .map(|(n, v)| {
                (
                    *n,
                    if *n == name {
                        value.to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect::<Vec<_>>()
    };
    let get = |hs: Vec<(&'static str, String)>| raw(Method::GET, &url, "", &hs).send();

    expect(get(full.clone()).await.unwrap(), 200, json!({"items": []})).await;
    expect(
        get(without("authorization")).await.unwrap(),
        403,
        gateway("403010", "Oauth token is missing."),
    )
    .await;
    expect(
        get(replaced("authorization", "Bearer forged"))
            .await
            .unwrap(),
        401,
        gateway("401013", "Oauth token is not valid"),
    )
    .await;
    expect(
        get(without("x-api-key")).await.unwrap(),
        403,
        gateway("403000", "Api Key is required"),
    )
    .await;
    expect(
        get(replaced("x-api-key", "someone-else")).await.unwrap(),
        403,
        gateway("403003", "Api Key is invalid"),
    )
    .await;
    expect(
        get(without("x-gw-ims-org-id")).await.unwrap(),
        400,
        gateway("400003", "Missing header"),
    )
    .await;
    expect(
        get(replaced("x-gw-ims-org-id", "OTHER@AdobeOrg"))
            .await
            .unwrap(),
        403,
        gateway("403025", "Profile is not valid"),
    )
    .await;

    // An expired token reads as invalid too.
    emulator.revoke_tokens();
    expect(
        get(full.clone()).await.unwrap(),
        401,
        gateway("401013", "Oauth token is not valid"),
    )
    .await;
}

#[tokio::test]
async fn rate_limit_row() {
    let emulator = support::start(EmulatorConfig {
        rate_limit: Some(1),
        ..support::config()
    })
    .await;
    let url = emulator.url();
    let token = support::token(&url).await;
    let hs = headers(&token, "dev");
    assert_eq!(
        raw(Method::GET, &url, "", &hs)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let answer = raw(Method::GET, &url, "", &hs).send().await.unwrap();
    assert_eq!(answer.headers()["retry-after"], "1");
    expect(answer, 429, gateway("429050", "Too many requests")).await;
}

/// Flow Service's own errors and the list/patch/delete contract.
#[tokio::test]
async fn service_errors_and_resource_contract() {
    let emulator = support::start(support::config()).await;
    let url = emulator.url();
    let token = support::token(&url).await;
    let hs = headers(&token, "dev");
    let with_json = {
        let mut h = hs.clone();
        h.push(("content-type", "application/json".into()));
        h
    };

    let no_sandbox: Vec<_> = hs
        .iter()
        .filter(|(n, _)| *n != "x-sandbox-name")
        .cloned()
        .collect();
    let answer = raw(Method::GET, &url, "", &no_sandbox)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(
        answer.json::<Value>().await.unwrap()["type"],
        "https://ns.adobe.com/aep/errors/FLOW-2105-400"
    );

    let answer = raw(Method::POST, &url, "", &hs)
        .body(SEED_AZURE_BASIC)
        .send()
        .await
        .unwrap();
    let placeholder = json!({"type": "/placeholder/type/uri", "status": 400, "title": "BadRequestError", "detail": "A valid content-type must be specified"});
    expect(answer, 400, placeholder).await;

    // Port as a number is accepted and stored as a string; names may repeat.
    let body = SEED_AZURE_BASIC.replace("\"3306\"", "3306");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let answer = raw(Method::POST, &url, "", &with_json)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201);
        ids.push(
            answer.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let list = |query: &str| raw(Method::GET, &url, query, &hs).send();
    let all: Value = list("?property=name==PostgreSQL%20base%20connection")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert_eq!(all["items"][0]["auth"]["params"]["port"], "3306");
    assert_eq!(list("?limit=1001").await.unwrap().status(), 400);
    let count: Value = list("?count=true").await.unwrap().json().await.unwrap();
    assert_eq!(count, json!({"count": 2}));
    let page: Value = list("?limit=1").await.unwrap().json().await.unwrap();
    assert!(
        page["_links"]["next"]["href"]
            .as_str()
            .unwrap()
            .starts_with("/connections?continuationToken=")
    );

    // Another sandbox sees nothing.
    let prod = headers(&token, "prod");
    let other: Value = raw(Method::GET, &url, "", &prod)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other, json!({"items": []}));

    // PATCH: If-Match required, with or without quotes; stale is 412; other paths 400.
    let id = &ids[0];
    let read: Value = raw(Method::GET, &url, &format!("/{id}"), &hs)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let etag = read["items"][0]["etag"].as_str().unwrap().to_owned();
    let patch = |if_match: Option<&str>, ops: Value| {
        let mut h = with_json.clone();
        if let Some(tag) = if_match {
            h.push(("if-match", tag.to_owned()));
        }
        raw(Method::PATCH, &url, &format!("/{id}"), &h)
            .body(ops.to_string())
            .send()
    };
    let rename = json!([{"op": "replace", "path": "/name", "value": "renamed"}]);
    let answer = patch(None, rename.clone()).await.unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(
        answer.json::<Value>().await.unwrap()["type"],
        "https://ns.adobe.com/aep/errors/FLOW-1403-400"
    );
    let answer = patch(Some(etag.trim_matches('"')), rename.clone())
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let new_etag = answer.json::<Value>().await.unwrap()["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_etag, etag);
    let answer = patch(Some(&etag), rename.clone()).await.unwrap();
    assert_eq!(answer.status(), 412);
    assert_eq!(
        answer.json::<Value>().await.unwrap()["type"],
        "https://ns.adobe.com/aep/errors/FLOW-1404-412"
    );
    let spec = json!([{"op": "replace", "path": "/connectionSpec/id", "value": "x"}]);
    let answer = patch(Some(&new_etag), spec).await.unwrap();
    assert_eq!(
        answer.json::<Value>().await.unwrap()["type"],
        "https://ns.adobe.com/aep/errors/FLOW-1414-400"
    );
    let other = json!([{"op": "replace", "path": "/state", "value": "disabled"}]);
    assert_eq!(patch(Some(&new_etag), other).await.unwrap().status(), 400);

    // DELETE: 204, then 404.
    let answer = raw(Method::DELETE, &url, &format!("/{id}"), &hs)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    let answer = raw(Method::GET, &url, &format!("/{id}"), &hs)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    assert_eq!(
        answer.json::<Value>().await.unwrap()["type"],
        "https://ns.adobe.com/aep/errors/FLOW-1439-404"
    );
}

/// The IMS endpoint issues tokens only to its configured client.
#[tokio::test]
async fn ims_refuses_other_clients() {
    let emulator = support::start(support::config()).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "provision-local"),
        ("client_secret", "wrong"),
    ];
    let answer = reqwest::Client::new()
        .post(format!("{}/ims/token/v3", emulator.url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert_eq!(
        answer.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
}
