//! Explore and test: from a fixture, from nothing (the answer says how to
//! configure one), and live from a real PostgreSQL server with the
//! credentials the base connection was created with, whose password stays
//! out of the data file and the exchange log.

use std::sync::OnceLock;

use serde_json::json;

use super::*;
use crate::support::postgres::{self, PgServer};

#[tokio::test]
async fn explore_answers_from_the_fixture_in_the_tutorials_shapes() {
    let (_emulator, api) = Api::start(config()).await;
    let (base, _) = api
        .create(&format!("{FLOW}/connections"), base_body("db"))
        .await;
    let explore = format!("{FLOW}/connections/{base}/explore");
    let (status, root) = api.get(&format!("{explore}?objectType=root")).await;
    assert_eq!(status, 200, "{root}");
    assert_eq!(
        root,
        json!([{"type": "table", "name": "public.orders", "path": "public.orders",
                "canPreview": true, "canFetchSchema": true}])
    );
    let (_, table) = api
        .get(&format!("{explore}?objectType=table&object=public.orders"))
        .await;
    assert_eq!(table["format"], "flat");
    assert_eq!(
        table["schema"]["columns"][2],
        json!({"name": "updated_at", "type": "string", "meta:xdmType": "date-time",
               "xdm": {"type": "string", "format": "date-time"}})
    );
    assert_eq!(table["schema"]["columns"][0]["xdm"]["type"], "integer");
    let (status, body) = api
        .get(&format!("{explore}?objectType=table&object=public.nope"))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = api
        .get(&format!("{FLOW}/connections/nope/explore?objectType=root"))
        .await;
    assert_eq!(status, 404);
    let (_, tested) = api.get(&format!("{FLOW}/connections/{base}/test")).await;
    assert_eq!(tested["result"], true);
    assert!(
        tested["message"]
            .as_str()
            .unwrap()
            .contains("--explore live")
    );
}

#[tokio::test]
async fn without_an_explore_source_the_answer_says_how_to_get_one() {
    let (_emulator, api) = Api::start(EmulatorConfig {
        explore: ExploreSource::None,
        ..config()
    })
    .await;
    let (base, _) = api
        .create(&format!("{FLOW}/connections"), base_body("db"))
        .await;
    let (status, body) = api
        .get(&format!(
            "{FLOW}/connections/{base}/explore?objectType=root"
        ))
        .await;
    assert_eq!((status, code(&body)), (400, "FLOW-1400-400"), "{body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("--explore live")
    );
}

const PASSWORD: &str = "live-explore-Pw-5d1c";

fn server() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    postgres::shared(&SERVER, || {
        let server = postgres::start(postgres::Options::default())?;
        server.create_login("shop_reader", PASSWORD, "shop")?;
        server.execute(
            "shop",
            "CREATE TABLE public.orders (order_id integer, customer_name text, \
             updated_at timestamp with time zone, amount numeric(10,2), paid boolean, shipped date); \
             GRANT SELECT ON public.orders TO shop_reader;",
        )?;
        Ok(server)
    })
}

fn live_body(name: &str, port: u16, password: &str) -> serde_json::Value {
    json!({"name": name, "auth": {"specName": "Basic Authentication", "params": {
        "server": "127.0.0.1", "port": port.to_string(), "database": "shop",
        "username": "shop_reader", "password": password, "sslMode": "Disable"}},
        "connectionSpec": {"id": POSTGRES, "version": "1.0"}})
}

#[test]
fn live_explore_reads_the_described_server_and_keeps_the_password_in_memory_only() {
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("emulator.json");
    let log = dir.path().join("exchanges.jsonl");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (emulator, api) = Api::start_unjournaled(EmulatorConfig {
            explore: ExploreSource::Live,
            data: Some(data.clone()),
            exchange_log: Some(log.clone()),
            ..config()
        })
        .await;
        let (base, _) = api
            .create(
                &format!("{FLOW}/connections"),
                live_body("live", server.port(), PASSWORD),
            )
            .await;
        let explore = format!("{FLOW}/connections/{base}/explore");
        let (status, root) = api.get(&format!("{explore}?objectType=root")).await;
        assert_eq!(status, 200, "{root}");
        let paths: Vec<&str> = root
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["public.orders"]);
        let (status, table) = api
            .get(&format!("{explore}?objectType=table&object=public.orders"))
            .await;
        assert_eq!(status, 200, "{table}");
        let kinds: Vec<(&str, &str)> = table["schema"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap(),
                    c["xdm"]["type"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("order_id", "integer"),
                ("customer_name", "string"),
                ("updated_at", "string"),
                ("amount", "number"),
                ("paid", "boolean"),
                ("shipped", "string")
            ]
        );
        assert_eq!(table["schema"]["columns"][2]["xdm"]["format"], "date-time");
        assert_eq!(table["schema"]["columns"][5]["meta:xdmType"], "date");
        let (_, tested) = api.get(&format!("{FLOW}/connections/{base}/test")).await;
        assert_eq!(tested, json!({"result": true}));
        // Wrong credentials: test says no, explore says why, without them.
        let (wrong, _) = api
            .create(
                &format!("{FLOW}/connections"),
                live_body("wrong", server.port(), "not-the-password"),
            )
            .await;
        let (_, tested) = api.get(&format!("{FLOW}/connections/{wrong}/test")).await;
        assert_eq!(tested["result"], false, "{tested}");
        assert!(
            tested["message"].as_str().unwrap().contains("28P01"),
            "{tested}"
        );
        let (status, body) = api
            .get(&format!(
                "{FLOW}/connections/{wrong}/explore?objectType=root"
            ))
            .await;
        assert_eq!(status, 400, "{body}");
        // A patched password is the one used next.
        let (_, read) = api.get(&format!("{FLOW}/connections/{wrong}")).await;
        let etag = read["items"][0]["etag"].as_str().unwrap().to_owned();
        let (status, _) = api
            .patch(
                &format!("{FLOW}/connections/{wrong}"),
                &etag,
                json!([{"op": "replace", "path": "/auth/params/password", "value": PASSWORD}]),
            )
            .await;
        assert_eq!(status, 200);
        let (_, tested) = api.get(&format!("{FLOW}/connections/{wrong}/test")).await;
        assert_eq!(tested, json!({"result": true}));
        let exchanges = serde_json::to_string(&emulator.exchanges()).unwrap();
        assert!(
            !exchanges.contains(PASSWORD),
            "the password is in the exchanges"
        );
        emulator.shutdown().await;
        // After a restart from the data file the password is gone: explore says so.
        let (restarted, again) = Api::start(EmulatorConfig {
            explore: ExploreSource::Live,
            data: Some(data.clone()),
            ..config()
        })
        .await;
        let (status, body) = again.get(&format!("{explore}?objectType=root")).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["errorMessage"]
                .as_str()
                .unwrap()
                .contains("in memory only"),
            "{body}"
        );
        restarted.shutdown().await;
    });
    let saved = std::fs::read_to_string(&data).unwrap();
    assert!(
        saved.contains("shop_reader") && !saved.contains(PASSWORD),
        "{saved}"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("explore") && !logged.contains(PASSWORD));
}
