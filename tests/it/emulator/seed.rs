//! The seed guide's three curl requests, sent byte for byte as raw HTTP,
//! and the lost-answer fault seen from a raw socket.

use provision::config::Cloud;
use provision::emulator::EmulatorConfig;
use reqwest::Method;
use serde_json::Value;

use crate::support::api::{self as support, ORG, headers, raw};

pub const SEED_CONNECTION_STRING: &str = r#"{
      "name": "PostgreSQL base connection",
      "description": "PostgreSQL base connection via connection string",
      "auth": {
          "specName": "Connection String Based Authentication",
          "params": {
              "connectionString": "Server={SERVER};Database={DATABASE};Port={PORT};UID={USERNAME};Password={PASSWORD}"
          }
      },
      "connectionSpec": {
          "id": "74a1c565-4e59-48d7-9d67-7c03b8a13137",
          "version": "1.0"
      }
  }"#;

pub const SEED_AZURE_BASIC: &str = r#"{
      "name": "PostgreSQL base connection",
      "description": "PostgreSQL base connection via basic authentication",
      "auth": {
          "specName": "Basic Authentication",
          "params": {
              "server": "localhost",
              "port": "3306",
              "database": "postgresql-acme",
              "username": "acme",
              "password": "xxxx",
              "sslMode": "Allow"
          }
      },
      "connectionSpec": {
          "id": "74a1c565-4e59-48d7-9d67-7c03b8a13137",
          "version": "1.0"
      }
  }"#;

pub const SEED_AWS_BASIC: &str = r#"{
      "name": "PostgreSQL base connection",
      "description": "PostgreSQL base connection via basic authentication",
      "auth": {
          "specName": "Basic Authentication",
          "params": {
              "server": "localhost",
              "port": "3306",
              "database": "postgresql-acme",
              "username": "acme",
              "password": "xxxx",
              "sslMode": "false"
          }
      },
      "connectionSpec": {
          "id": "74a1c565-4e59-48d7-9d67-7c03b8a13137",
          "version": "1.0"
      }
  }"#;

/// The seed's requests, each for an org on the cloud it documents.
#[tokio::test]
async fn seed_requests_are_created() {
    let config = EmulatorConfig {
        orgs: vec![
            ("AZ@AdobeOrg".into(), Cloud::Azure),
            ("AWS@AdobeOrg".into(), Cloud::Aws),
        ],
        ..support::config()
    };
    let emulator = support::start(config).await;
    let url = emulator.url();
    let token = support::token(&url).await;
    for (org, body) in [
        ("AZ@AdobeOrg", SEED_CONNECTION_STRING),
        ("AZ@AdobeOrg", SEED_AZURE_BASIC),
        ("AWS@AdobeOrg", SEED_AWS_BASIC),
    ] {
        let mut hs = headers(&token, "prod");
        hs[2].1 = org.into();
        hs.push(("content-type", "application/json".into()));
        let answer = raw(Method::POST, &url, "", &hs)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201, "{org}");
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let created: Value = answer.json().await.unwrap();
        let id = created["id"].as_str().unwrap();
        let etag = created["etag"].as_str().unwrap();
        assert_eq!(created.as_object().unwrap().len(), 2, "{created}");
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
            "{etag}"
        );
        assert_eq!(
            location,
            format!("/data/foundation/flowservice/connections/{id}")
        );
        // Read back, with a trailing slash: secrets masked, port a string.
        let hs = {
            let mut h = headers(&token, "prod");
            h[2].1 = org.into();
            h
        };
        let read: Value = raw(Method::GET, &url, &format!("/{id}/"), &hs)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let params = &read["items"][0]["auth"]["params"];
        assert!(
            params.get("password").is_none_or(|p| p == "********"),
            "{params}"
        );
        assert!(
            params
                .get("connectionString")
                .is_none_or(|p| p == "********"),
            "{params}"
        );
        assert_eq!(read["items"][0]["etag"], etag);
    }
    // The AWS org refuses Azure's named sslMode and the connection string form.
    let mut hs = headers(&token, "prod");
    hs[2].1 = "AWS@AdobeOrg".into();
    hs.push(("content-type", "application/json".into()));
    let answer = raw(Method::POST, &url, "", &hs)
        .body(SEED_AZURE_BASIC)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("`auth.params.sslMode`"),
        "{body}"
    );
    let answer = raw(Method::POST, &url, "", &hs)
        .body(SEED_CONNECTION_STRING)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(
        answer.json::<Value>().await.unwrap()["type"],
        "https://ns.adobe.com/aep/errors/FLOW-1415-400"
    );
}

/// A dropped answer sends not a single byte: the client cannot tell whether the create landed.
#[tokio::test]
async fn dropped_answer_sends_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let emulator = support::start(EmulatorConfig {
        drop_after_commit_rate: 1.0,
        ..support::config()
    })
    .await;
    let url = emulator.url();
    let token = support::token(&url).await;
    let request = format!(
        "POST /data/foundation/flowservice/connections HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\nx-api-key: provision-local\r\nx-gw-ims-org-id: {ORG}\r\nx-sandbox-name: dev\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{SEED_AZURE_BASIC}",
        SEED_AZURE_BASIC.len()
    );
    let mut stream = tokio::net::TcpStream::connect(url.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received).await;
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    // ...and yet the connection was committed.
    let hs = headers(&token, "dev");
    let all: Value = raw(Method::GET, &url, "", &hs)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
}
