//! The client's wire choices, each against the
//! emulator in its stricter modes or a stand-in server: IMS scopes from
//! settings, PATCH sending only what changed (`add` for the description),
//! `1445` as "cannot be updated in place", any `FLOW-1439-*` as not found,
//! `limit=100` and never `limit` with `count`, connections being deleted
//! ignored, regional hosts per org, and permission errors explained.

use std::time::Duration;

use axum::Router;
use axum::routing::{any, get};
use provision::api::{ApiError, FlowService, ListQuery, Resource, Scope};
use provision::emulator::{EmulatorConfig, Exchange};
use serde_json::{Value, json};

use super::server::{CONNECTIONS, Project, answer, runtime, serve, with_ims};
use crate::support::api as support;
use crate::support::world::{ORG_AZURE, World};

fn exchanges(world: &World) -> Vec<Exchange> {
    world
        .emulator
        .as_ref()
        .map(|e| e.exchanges())
        .unwrap_or_default()
}

fn patches(world: &World) -> Vec<Value> {
    exchanges(world)
        .iter()
        .filter(|e| e.method == "PATCH")
        .map(|e| serde_json::from_str(e.request_body.as_deref().unwrap_or("null")).unwrap())
        .collect()
}

#[tokio::test]
async fn ims_scopes_come_from_settings_and_a_refusal_says_where_to_copy_them() {
    let emulator = support::start(EmulatorConfig {
        scopes: vec!["openid".into(), "AdobeID".into()],
        ..support::config()
    })
    .await;
    let err = support::client(&emulator)
        .list(&support::scope("dev"), &ListQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::InvalidScope { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.contains("credentials.scopes") && shown.contains("Developer Console"),
        "{shown}"
    );
    let mut config = support::client_config(&emulator.url());
    config.scopes = vec!["openid".into(), "AdobeID".into()];
    let client = provision::api::FlowServiceClient::new(config).unwrap();
    client
        .list(&support::scope("dev"), &ListQuery::new())
        .await
        .unwrap();
}

#[test]
fn settings_scopes_reach_ims() {
    let world = World::new(EmulatorConfig {
        scopes: vec!["openid".into(), "AdobeID".into()],
        ..EmulatorConfig::default()
    });
    world.connections(1);
    let run = world.run(&["plan"]).expect_code(1);
    assert!(
        run.stderr().contains("set `credentials.scopes`"),
        "{}",
        run.stderr()
    );
    let path = world.path().join("provision.yaml");
    let settings = std::fs::read_to_string(&path).unwrap();
    let settings = settings.replace(
        "credentials:\n",
        "credentials:\n  scopes: [openid, AdobeID]\n",
    );
    std::fs::write(&path, settings).unwrap();
    world.run(&["plan"]).expect_code(0);
}

#[test]
fn updates_patch_only_what_changed_with_add_for_the_description() {
    let world = World::new(EmulatorConfig {
        record_exchanges: true,
        ..EmulatorConfig::default()
    });
    let yaml = crate::support::world::connection_yaml(0, "first");
    world.write(
        "connections/c.yaml",
        &yaml.replace("description: first\n", ""),
    );
    world.run(&["apply"]).expect_code(0);
    // No description on the platform yet: `add` sets it (`replace` would be refused).
    world.write("connections/c.yaml", &yaml.replace("first", "second"));
    world.run(&["apply"]).expect_code(0);
    world.write("connections/c.yaml", &yaml.replace("first", "third"));
    world.run(&["apply"]).expect_code(0);
    world.write(
        "connections/c.yaml",
        &yaml.replace("description: first\n", ""),
    );
    world.run(&["apply"]).expect_code(0);
    world.write(
        "connections/c.yaml",
        &yaml
            .replace("description: first\n", "")
            .replace("5432", "5433"),
    );
    world.run(&["apply"]).expect_code(0);
    let sent = patches(&world);
    assert_eq!(sent.len(), 4, "{sent:#?}");
    assert_eq!(
        sent[0],
        json!([{"op": "add", "path": "/description", "value": "second"}])
    );
    assert_eq!(
        sent[1],
        json!([{"op": "add", "path": "/description", "value": "third"}])
    );
    assert_eq!(sent[2], json!([{"op": "remove", "path": "/description"}]));
    let last = &sent[3];
    assert_eq!(last.as_array().map(Vec::len), Some(1), "{last}");
    assert_eq!(
        (&last[0]["op"], &last[0]["path"]),
        (&json!("replace"), &json!("/auth/params"))
    );
    assert_eq!(last[0]["value"]["port"], "5433");
    assert!(
        exchanges(&world)
            .iter()
            .filter(|e| e.method == "PATCH")
            .all(|e| e.request_headers.iter().any(|(n, _)| n == "if-match"))
    );
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
}

#[test]
fn a_connection_the_service_will_not_patch_fails_clearly_without_retry() {
    let world = World::new(EmulatorConfig {
        not_patchable: vec!["db-".into()],
        record_exchanges: true,
        ..EmulatorConfig::default()
    });
    let yaml = crate::support::world::connection_yaml(0, "first");
    world.write("connections/c.yaml", &yaml);
    world.run(&["apply"]).expect_code(0);
    world.write("connections/c.yaml", &yaml.replace("first", "second"));
    let run = world.run(&["apply"]).expect_code(1);
    let err = run.stdout();
    assert!(
        err.contains("cannot be updated in place (FLOW-1445-400"),
        "{err}"
    );
    assert!(
        err.contains("provision state rm azure/prod/db-0000"),
        "{err}"
    );
    assert_eq!(patches(&world).len(), 1, "not retried");
}

#[tokio::test]
async fn any_flow_1439_is_not_found() {
    let app = with_ims().route(
        &format!("{CONNECTIONS}/{{id}}"),
        any(|| async {
            answer(400, json!({"type": "https://ns.adobe.com/aep/errors/FLOW-1439-400", "title": "Bad Request", "status": 400, "report": {"detailed-message": "connection not found"}}))
        }),
    );
    let server = serve(app).await;
    let client =
        provision::api::FlowServiceClient::new(support::client_config(&server.url)).unwrap();
    let err = client
        .get(&support::scope("dev"), "gone-id")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::NotFound { id, what: Resource::Connection } if id == "gone-id"),
        "{err:?}"
    );
}

#[test]
fn listings_ask_for_100_a_page_and_never_limit_with_count() {
    let world = World::new(EmulatorConfig {
        record_exchanges: true,
        ..EmulatorConfig::default()
    });
    world.connections(6);
    world.run(&["apply"]).expect_code(0);
    world.run(&["plan", "--refresh"]).expect_code(0);
    let lists: Vec<String> = exchanges(&world)
        .into_iter()
        .filter(|e| e.method == "GET" && e.path == CONNECTIONS)
        .map(|e| e.query.unwrap_or_default())
        .collect();
    assert!(!lists.is_empty());
    for query in &lists {
        assert!(
            query.contains("limit=100") && !query.contains("limit=1000"),
            "{query}"
        );
        assert!(!query.contains("count="), "{query}");
    }
}

#[test]
fn connections_being_deleted_are_not_namesakes() {
    let world = World::new(EmulatorConfig {
        delete_linger: Duration::from_secs(120),
        ..EmulatorConfig::default()
    });
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    // A second `db-0000` appears and is deleted outside: listed as deleting.
    let client = world.client();
    let scope = Scope::new(ORG_AZURE, "prod");
    world.runtime.block_on(async {
        let body = provision::api::wire::CreateConnectionRequest {
            name: "db-0000".into(),
            ..support::basic("x")
        };
        let extra = client.create(&scope, &body).await.unwrap();
        client.delete(&scope, &extra.id).await.unwrap();
        let listed = client.list(&scope, &ListQuery::new()).await.unwrap();
        assert_eq!(listed.iter().filter(|i| i.state == "deleting").count(), 1);
        assert_eq!(
            client.find_by_name(&scope, "db-0000").await.unwrap().len(),
            1
        );
    });
    world.lose_state();
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout().contains("0 created, 1 adopted"),
        "{}",
        run.stdout()
    );
}

#[test]
fn each_org_can_have_its_own_host() {
    let rt = runtime();
    let recorder = || Router::new().fallback(any(|| async { answer(200, json!({"items": []})) }));
    let global = rt.block_on(serve(with_ims().merge(recorder())));
    let regional = rt.block_on(serve(recorder()));
    let project = Project::new(&format!("endpoint: {}\nims: {}\n", global.url, global.url));
    let settings = project.dir.path().join("provision.yaml");
    let text = std::fs::read_to_string(&settings).unwrap().replace(
        "imsOrg: \"HOSTILE@AdobeOrg\" }",
        &format!(
            "imsOrg: \"HOSTILE@AdobeOrg\", endpoint: \"{}\" }}",
            regional.url
        ),
    );
    std::fs::write(&settings, text).unwrap();
    crate::support::util::provision()
        .current_dir(project.dir.path())
        .arg("plan")
        .env("DB_PASSWORD", "pw")
        .env("CLIENT_SECRET", "s")
        .run()
        .expect_code(0);
    assert_eq!(
        regional.seen().len(),
        1,
        "the azure org's listing went to its host"
    );
    assert!(
        global.flow_requests().is_empty(),
        "{:?}",
        global.flow_requests()
    );
}

#[test]
fn missing_sources_permissions_are_explained() {
    let rt = runtime();
    let app = with_ims().route(
        CONNECTIONS,
        get(|| async {
            answer(403, json!({"type": "https://ns.adobe.com/aep/errors/FLOW-2118-403", "title": "Forbidden", "status": 403, "report": {"detailed-message": "User does not have required permissions"}}))
        }),
    );
    let server = rt.block_on(serve(app));
    let project = Project::new("");
    let run = project
        .run(&server.url, "pw", "s", &["plan"])
        .expect_code(1);
    let err = run.stderr();
    assert!(
        err.contains("lacks Sources permissions in sandbox `prod`"),
        "{err}"
    );
    assert!(
        err.contains("Admin Console") && err.contains("Manage Sources"),
        "{err}"
    );
    assert_eq!(server.flow_requests().len(), 1, "not retried");
}
