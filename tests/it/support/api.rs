//! Shared setup for the API tests: an in-process emulator on 127.0.0.1:0,
//! a client pointed at it with a fast retry policy, and the canary secret.
//! Shared by two test binaries, each using part of it.
#![allow(dead_code)]

use std::time::Duration;

use provision::api::wire::{AuthParams, CreateAuth, CreateConnectionRequest, SpecRef};
use provision::api::{ClientConfig, Credentials, FlowServiceClient, RetryPolicy, Scope};
use provision::emulator::{Emulator, EmulatorConfig};
use provision::secret::Secret;

/// Put into every secret the tests send; it must never come back out.
pub const CANARY: &str = "canary-S3cr3t-9f2b";
pub const ORG: &str = "TESTORG@AdobeOrg";
pub const CLIENT_ID: &str = "provision-local";

pub async fn start(config: EmulatorConfig) -> Emulator {
    let config = crate::emulator::openapi::journaled(config);
    Emulator::start(config).await.expect("emulator starts")
}

/// The emulator with the canary as client secret.
pub fn config() -> EmulatorConfig {
    EmulatorConfig {
        client_secret: Secret::new(CANARY),
        ..EmulatorConfig::default()
    }
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(500),
        max_total_delay: Duration::from_secs(20),
    }
}

pub fn client_config(url: &str) -> ClientConfig {
    let credentials = Credentials::ClientCredentials {
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CANARY),
    };
    let mut config = ClientConfig::new(credentials).with_base_url(url);
    config.retry = fast_retries();
    config
}

pub fn client(emulator: &Emulator) -> FlowServiceClient {
    FlowServiceClient::new(client_config(&emulator.url())).expect("client builds")
}

pub fn scope(sandbox: &str) -> Scope {
    Scope::new(ORG, sandbox)
}

/// An Azure basic-auth create body whose password is the canary.
pub fn basic(name: &str) -> CreateConnectionRequest {
    CreateConnectionRequest {
        name: name.into(),
        description: Some("test connection".into()),
        auth: CreateAuth {
            spec_name: "Basic Authentication".into(),
            params: AuthParams::Basic {
                server: "pg.example.com".into(),
                port: "5432".into(),
                database: "orders".into(),
                username: "reader".into(),
                password: Secret::new(CANARY),
                ssl_mode: Some("Verify Full".into()),
            },
        },
        connection_spec: SpecRef::postgres(),
    }
}

/// A token from the emulator's IMS endpoint, fetched by hand.
pub async fn token(url: &str) -> String {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", CANARY),
        ("scope", provision::api::wire::IMS_SCOPE),
    ];
    let answer = reqwest::Client::new()
        .post(format!("{url}/ims/token/v3"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    body["access_token"].as_str().unwrap().to_owned()
}

/// A raw request to the connections endpoint with the given headers.
pub fn raw(
    method: reqwest::Method,
    url: &str,
    path: &str,
    headers: &[(&'static str, String)],
) -> reqwest::RequestBuilder {
    let mut request = reqwest::Client::new().request(
        method,
        format!("{url}/data/foundation/flowservice/connections{path}"),
    );
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request
}

/// The four headers every call carries (Content-Type is added per call).
pub fn headers(token: &str, sandbox: &str) -> Vec<(&'static str, String)> {
    vec![
        ("authorization", format!("Bearer {token}")),
        ("x-api-key", CLIENT_ID.to_owned()),
        ("x-gw-ims-org-id", ORG.to_owned()),
        ("x-sandbox-name", sandbox.to_owned()),
    ]
}
