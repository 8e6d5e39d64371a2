//! The reqwest client against the emulator: pagination, filters, etags,
//! token renewal, and the create bodies built from config connections.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use provision::api::wire::{CreateConnectionRequest, PatchOp};
use provision::api::{ApiError, FlowService, FlowServiceClient, ListQuery, Resource};
use provision::config::Connection;
use provision::emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::support::api::{self as support, basic, scope};

#[tokio::test]
async fn list_follows_pages_over_2500_connections() {
    let emulator = support::start(support::config()).await;
    let client = Arc::new(support::client(&emulator));
    let dev = scope("dev");
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let (client, dev) = (client.clone(), dev.clone());
        tasks.spawn(async move {
            for i in (worker..2500).step_by(8) {
                client
                    .create(&dev, &basic(&format!("conn-{i:04}")))
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let all = client.list(&dev, &ListQuery::new()).await.unwrap();
    assert_eq!(all.len(), 2500);
    assert_eq!(
        all.iter().map(|c| &c.id).collect::<HashSet<_>>().len(),
        2500
    );
    let pages = emulator
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(pages, 25, "default page size is 100");
    // Filters travel with the next link.
    let odd = ListQuery::new()
        .ne("name", "conn-0000")
        .postgres()
        .page_size(1000);
    assert_eq!(client.list(&dev, &odd).await.unwrap().len(), 2499);
    let sorted = client
        .list(&dev, &ListQuery::new().order_by("-name").page_size(7))
        .await
        .unwrap();
    assert_eq!(sorted.first().map(|c| c.name.as_str()), Some("conn-2499"));
    assert_eq!(sorted.len(), 2500);
}

#[tokio::test]
async fn filters_and_find_by_name() {
    let emulator = support::start(support::config()).await;
    let client = support::client(&emulator);
    let (dev, prod) = (scope("dev"), scope("prod"));
    for name in ["orders", "orders", "billing", "a,b"] {
        client.create(&dev, &basic(name)).await.unwrap();
    }
    client.create(&prod, &basic("orders")).await.unwrap();
    assert_eq!(
        client.find_by_name(&dev, "orders").await.unwrap().len(),
        2,
        "duplicates are allowed: apply must refuse"
    );
    assert_eq!(client.find_by_name(&prod, "orders").await.unwrap().len(), 1);
    assert_eq!(client.find_by_name(&dev, "nothing").await.unwrap().len(), 0);
    assert_eq!(
        client.find_by_name(&dev, "a,b").await.unwrap().len(),
        1,
        "a comma in a name cannot be filtered for: listed and matched exactly"
    );
    let either = client
        .list(&dev, &ListQuery::new().eq("name", "orders,billing"))
        .await
        .unwrap();
    assert_eq!(either.len(), 3);
    let both = ListQuery::new()
        .eq("name", "orders,billing")
        .ne("name", "billing")
        .eq("state", "enabled");
    assert_eq!(client.list(&dev, &both).await.unwrap().len(), 2);
    let by_id = client
        .list(&dev, &ListQuery::new().eq("id", &either[2].id))
        .await
        .unwrap();
    assert_eq!(by_id.len(), 1);
    let bad = client
        .list(&dev, &ListQuery::new().eq("password", "x"))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("FLOW-1400-400"), "{bad}");
}

#[tokio::test]
async fn patch_with_stale_etag_is_a_typed_error() {
    let emulator = support::start(support::config()).await;
    let client = support::client(&emulator);
    let dev = scope("dev");
    let created = client.create(&dev, &basic("orders")).await.unwrap();
    let rename = [PatchOp::replace("/name", json!("orders-v2"))];
    let patched = client
        .patch(&dev, &created.id, &created.etag, &rename)
        .await
        .unwrap();
    assert_ne!(patched.etag, created.etag);
    let item = client.get(&dev, &created.id).await.unwrap();
    assert_eq!(
        (item.name.as_str(), item.etag.as_str()),
        ("orders-v2", patched.etag.as_str())
    );
    let stale = client
        .patch(&dev, &created.id, &created.etag, &rename)
        .await
        .unwrap_err();
    assert!(
        matches!(&stale, ApiError::EtagMismatch { id, what: Resource::Connection } if id == &created.id),
        "{stale:?}"
    );
    assert_eq!(stale.status(), Some(412));
    let password = [PatchOp::replace(
        "/auth/params/password",
        json!(support::CANARY),
    )];
    client
        .patch(&dev, &created.id, &patched.etag, &password)
        .await
        .unwrap();
    client.delete(&dev, &created.id).await.unwrap();
    let gone = client.get(&dev, &created.id).await.unwrap_err();
    assert!(matches!(gone, ApiError::NotFound { .. }), "{gone:?}");
    assert_eq!(
        gone.to_string(),
        format!("connection `{}` not found (http 404)", created.id)
    );
}

#[tokio::test]
async fn token_expiry_and_revocation_are_transparent() {
    let config = EmulatorConfig {
        token_ttl: Duration::from_secs(1),
        ..support::config()
    };
    let emulator = support::start(config).await;
    let client = support::client(&emulator);
    let dev = scope("dev");
    for round in 0..12 {
        if round == 6 {
            emulator.revoke_tokens();
        }
        client
            .create(&dev, &basic(&format!("c{round}")))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let log = emulator.requests();
    let issued = log.iter().filter(|r| r.path == "/ims/token/v3").count();
    assert!(
        issued >= 3,
        "one token at start, renewals on expiry and after revocation: {issued}"
    );
    assert!(
        log.iter().any(|r| r.status == 401),
        "the revoked token was rejected once"
    );
    assert_eq!(
        client.list(&dev, &ListQuery::new()).await.unwrap().len(),
        12,
        "no create was lost or doubled"
    );
}

#[tokio::test]
async fn gateway_errors_read_as_the_service_wrote_them() {
    let emulator = support::start(support::config()).await;
    let mut config = support::client_config(&emulator.url());
    config.credentials = provision::api::Credentials::AccessToken {
        client_id: "provision-local".into(),
        token: provision::secret::Secret::new("not-a-token"),
    };
    let client = FlowServiceClient::new(config).unwrap();
    let err = client
        .list(&scope("dev"), &ListQuery::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "401013 Oauth token is not valid (http 401)"
    );
    let wrong_secret = {
        let mut c = support::client_config(&emulator.url());
        c.credentials = provision::api::Credentials::ClientCredentials {
            client_id: "provision-local".into(),
            client_secret: provision::secret::Secret::new("wrong"),
        };
        FlowServiceClient::new(c).unwrap()
    };
    let err = wrong_secret.get(&scope("dev"), "x").await.unwrap_err();
    assert!(err.to_string().contains("invalid_client"), "{err}");
}

fn connection(yaml_json: Value) -> Connection {
    serde_json::from_value(yaml_json).unwrap()
}

/// `from_connection` renders the seed's three bodies, field for field and in order.
#[test]
fn create_bodies_match_the_seed() {
    let azure_cs = connection(
        json!({"name": "PostgreSQL base connection", "description": "PostgreSQL base connection via connection string", "sandbox": "prod", "cloud": "azure",
        "auth": {"type": "connectionString", "connectionString": "Server={SERVER};Database={DATABASE};Port={PORT};UID={USERNAME};Password={PASSWORD}"}}),
    );
    let azure_basic = connection(
        json!({"name": "PostgreSQL base connection", "description": "PostgreSQL base connection via basic authentication", "sandbox": "prod", "cloud": "azure",
        "auth": {"type": "basic", "server": "localhost", "port": 3306, "database": "postgresql-acme", "username": "acme", "password": "xxxx", "sslMode": "Allow"}}),
    );
    let aws_basic = connection(
        json!({"name": "PostgreSQL base connection", "description": "PostgreSQL base connection via basic authentication", "sandbox": "prod", "cloud": "aws",
        "auth": {"type": "basic", "server": "localhost", "port": 3306, "database": "postgresql-acme", "username": "acme", "password": "xxxx"}}),
    );
    let seeds = [
        (
            azure_cs,
            r#"{"name":"PostgreSQL base connection","description":"PostgreSQL base connection via connection string","auth":{"specName":"Connection String Based Authentication","params":{"connectionString":"Server={SERVER};Database={DATABASE};Port={PORT};UID={USERNAME};Password={PASSWORD}"}},"connectionSpec":{"id":"74a1c565-4e59-48d7-9d67-7c03b8a13137","version":"1.0"}}"#,
        ),
        (
            azure_basic,
            r#"{"name":"PostgreSQL base connection","description":"PostgreSQL base connection via basic authentication","auth":{"specName":"Basic Authentication","params":{"server":"localhost","port":"3306","database":"postgresql-acme","username":"acme","password":"xxxx","sslMode":"Allow"}},"connectionSpec":{"id":"74a1c565-4e59-48d7-9d67-7c03b8a13137","version":"1.0"}}"#,
        ),
        (
            aws_basic,
            r#"{"name":"PostgreSQL base connection","description":"PostgreSQL base connection via basic authentication","auth":{"specName":"Basic Authentication","params":{"server":"localhost","port":"3306","database":"postgresql-acme","username":"acme","password":"xxxx","sslMode":"false"}},"connectionSpec":{"id":"74a1c565-4e59-48d7-9d67-7c03b8a13137","version":"1.0"}}"#,
        ),
    ];
    for (connection, seed) in seeds {
        let body = CreateConnectionRequest::from_connection(&connection);
        assert_eq!(serde_json::to_string(&body).unwrap(), seed);
        assert!(
            !format!("{body:?}").contains("xxxx") && !format!("{body:?}").contains("{PASSWORD}")
        );
    }
    let aws_true = connection(json!({"name": "n", "sandbox": "prod", "cloud": "aws",
        "auth": {"type": "basic", "server": "h", "port": 5432, "database": "d", "username": "u", "password": "p", "sslMode": true}}));
    let body = serde_json::to_value(CreateConnectionRequest::from_connection(&aws_true)).unwrap();
    assert_eq!(body["auth"]["params"]["sslMode"], "true");
    assert!(body.get("description").is_none());
    let verify = connection(json!({"name": "n", "sandbox": "prod", "cloud": "azure",
        "auth": {"type": "basic", "server": "h", "port": 5432, "database": "d", "username": "u", "password": "p", "sslMode": "Verify Full"}}));
    let body = serde_json::to_value(CreateConnectionRequest::from_connection(&verify)).unwrap();
    assert_eq!(body["auth"]["params"]["sslMode"], "Verify Full");
}

/// The client built the way `apply` will: from `provision.yaml` settings.
#[tokio::test]
async fn client_from_settings() {
    let emulator = support::start(support::config()).await;
    let url = emulator.url();
    let settings: provision::config::Settings = serde_json::from_value(json!({
        "endpoint": url, "ims": url,
        "credentials": {"clientId": "provision-local", "clientSecret": support::CANARY}
    }))
    .unwrap();
    let credentials =
        provision::api::Credentials::from_settings(settings.credentials.as_ref().unwrap()).unwrap();
    assert!(!format!("{credentials:?}").contains(support::CANARY));
    let config = provision::api::ClientConfig::from_settings(&settings, credentials);
    let client = FlowServiceClient::new(config).unwrap();
    assert!(
        client
            .list(&scope("dev"), &ListQuery::new())
            .await
            .unwrap()
            .is_empty()
    );
    let missing = provision::config::Credentials {
        client_id: Some("x".into()),
        ..Default::default()
    };
    let err = provision::api::Credentials::from_settings(&missing).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid client configuration: `credentials` needs `clientSecret` or `accessToken`"
    );
}
