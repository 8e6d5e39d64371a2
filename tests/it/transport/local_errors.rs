//! Errors made locally (a header value no HTTP request can carry, from a
//! secret store's stray line break) fail at once, name the setting or
//! variable at fault, and are never retried: retrying cannot change them.

use std::time::Duration;

use axum::routing::get;
use provision::api::{
    ApiError, ClientConfig, Credentials, FlowService, FlowServiceClient, ListQuery, RetryPolicy,
    Scope,
};
use provision::secret::Secret;
use serde_json::json;

use super::server::{CONNECTIONS, Project, answer, runtime, serve, with_ims};

fn client(url: &str, client_id: &str) -> FlowServiceClient {
    let credentials = Credentials::ClientCredentials {
        client_id: client_id.into(),
        client_secret: Secret::new("local-secret"),
    };
    let mut config = ClientConfig::new(credentials).with_base_url(url);
    config.retry = RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        max_total_delay: Duration::from_secs(5),
    };
    FlowServiceClient::new(config).unwrap()
}

#[tokio::test]
async fn an_org_id_with_a_line_break_is_named_and_not_retried() {
    let app = with_ims().route(
        CONNECTIONS,
        get(|| async { answer(200, json!({"items": []})) }),
    );
    let server = serve(app).await;
    let scope = Scope::new("ORG\n@AdobeOrg", "dev");
    let err = client(&server.url, "provision-local")
        .list(&scope, &ListQuery::new())
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, ApiError::Config(_)), "{err:?}");
    assert!(!shown.contains("gave up after"), "{shown}");
    assert!(shown.contains("`orgs.<cloud>.imsOrg`"), "{shown}");
    assert!(server.flow_requests().is_empty(), "{:?}", server.seen());
}

#[test]
fn a_client_id_with_a_line_break_names_its_setting_and_is_tried_once() {
    let rt = runtime();
    let app = with_ims().route(
        CONNECTIONS,
        get(|| async { answer(200, json!({"items": []})) }),
    );
    let server = rt.block_on(serve(app));
    let project = Project::new("");
    let settings = project.dir.path().join("provision.yaml");
    let text = std::fs::read_to_string(&settings)
        .unwrap()
        .replace("clientId: provision-local", "clientId: ${CLIENT_ID}");
    std::fs::write(&settings, text).unwrap();
    let run = crate::support::util::provision()
        .current_dir(project.dir.path())
        .args(["plan", "--endpoint", &server.url, "--ims", &server.url])
        .env("DB_PASSWORD", "pw")
        .env("CLIENT_SECRET", "secret")
        .env("CLIENT_ID", "provision-local\n")
        .run();
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert_ne!(run.code(), 0, "{all}");
    assert!(!all.contains("gave up after"), "{all}");
    assert!(all.contains("`credentials.clientId`"), "{all}");
    assert!(server.flow_requests().len() <= 1, "{:?}", server.seen());
}
