//! `smoke --dataflow-connection NAME` against the emulator: the throwaway
//! base connection copies the server of a connection the project's
//! documents describe, and explore goes through that throwaway; a real
//! table on a throwaway PostgreSQL is explored through the copy; the
//! described connection is never written, SIGTERM included; an unknown
//! name, and `--dataflow-table` alone against the platform, are usage
//! errors before anything is sent.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use provision::api::{FlowService, Scope};
use provision::emulator::{DatasetSeed, EmulatorConfig, Exchange, ExploreSource};
use serde_json::Value;

use super::{config, row, smoke};
use crate::support::postgres::{self, PgServer};
use crate::support::world::{CANARY, ORG_AZURE, World};

/// A connection document with the world's password variable.
const ORDERS: &str = "name: orders-db\ndescription: Orders replica\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: orders.pg.example.com\n  port: 6543\n  database: orders\n  username: aep_reader\n  password: ${DB_PASSWORD}\n  sslMode: Verify Ca\n";

fn with_orders() -> World {
    let world = World::new(config());
    world.write("connections/orders.yaml", ORDERS);
    world
}

/// The JSON of a recorded request or answer body.
fn json(text: Option<&String>) -> Value {
    serde_json::from_str(text.map_or("null", String::as_str)).unwrap()
}

/// The create of smoke's throwaway base connection.
fn throwaway_create(exchanges: &[Exchange]) -> &Exchange {
    exchanges
        .iter()
        .find(|e| {
            e.method == "POST"
                && e.path.ends_with("/flowservice/connections")
                && json(e.request_body.as_ref())["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("provision-smoke-"))
        })
        .expect("smoke created its connection")
}

#[test]
fn the_throwaway_copies_the_described_server_and_explore_goes_through_it() {
    let world = with_orders();
    let args = ["--dataflow-connection", "orders-db"];
    let run = smoke(&world, "public.orders", "Scratch", &args).expect_code(0);
    let out = run.stdout();
    let exchanges = world.emulator.as_ref().unwrap().exchanges();
    let create = throwaway_create(&exchanges);
    let body = json(create.request_body.as_ref());
    assert_eq!(
        body["description"], "provision smoke test: safe to delete",
        "{body}"
    );
    let params = &body["auth"]["params"];
    for (field, value) in [
        ("server", "orders.pg.example.com"),
        ("port", "6543"),
        ("database", "orders"),
        ("username", "aep_reader"),
        ("sslMode", "Verify Ca"),
    ] {
        assert_eq!(params[field], value, "{field}: {body}");
    }
    let id = json(create.response_body.as_ref())["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let explored: Vec<&str> = exchanges
        .iter()
        .filter(|e| e.path.ends_with("/explore"))
        .map(|e| e.path.as_str())
        .collect();
    assert!(!explored.is_empty(), "{out}");
    for path in explored {
        assert!(
            path.ends_with(&format!("/connections/{id}/explore")),
            "{path}"
        );
    }
    let explore = row(&out, "dataflow: explore");
    assert!(
        explore.contains("a copy of `azure/prod/orders-db`") && explore.trim_end().ends_with("yes"),
        "{out}"
    );
    assert!(
        row(&out, "azure sslMode read back").contains("`Verify Ca` as sent"),
        "{out}"
    );
    assert!(!out.contains(CANARY) && !run.stderr().contains(CANARY));
    assert!(
        !world
            .remote()
            .iter()
            .any(|c| c.name.starts_with("provision-smoke-")),
        "the throwaway connection was deleted"
    );
}

/// An Azure connection without `sslMode` sends none: the copy sends none
/// either, and the row accepts whatever is read back.
#[test]
fn a_connection_without_ssl_mode_is_copied_without_one() {
    let world = World::new(config());
    world.write(
        "connections/orders.yaml",
        &ORDERS.replace("  sslMode: Verify Ca\n", ""),
    );
    let args = ["--dataflow-connection", "orders-db"];
    let run = smoke(&world, "public.orders", "Scratch", &args).expect_code(0);
    let exchanges = world.emulator.as_ref().unwrap().exchanges();
    let body = json(throwaway_create(&exchanges).request_body.as_ref());
    assert!(body["auth"]["params"].get("sslMode").is_none(), "{body}");
    let ssl = row(&run.stdout(), "azure sslMode read back").to_owned();
    assert!(
        ssl.contains("none sent: any value or none read back") && ssl.trim_end().ends_with("yes"),
        "{ssl}"
    );
}

#[test]
fn the_described_connection_is_never_written() {
    let world = with_orders();
    world.run(&["apply"]).expect_code(0);
    let scope = Scope::new(ORG_AZURE, "prod");
    let client = world.client();
    let read = || {
        world
            .runtime
            .block_on(client.find_by_name(&scope, "orders-db"))
            .unwrap()
    };
    let before = read();
    assert_eq!(before.len(), 1);
    let id = before[0].id.clone();
    let args = ["--dataflow-connection", "orders-db"];
    smoke(&world, "public.orders", "Scratch", &args).expect_code(0);
    let log = world.emulator.as_ref().unwrap().requests();
    let writes: Vec<String> = log
        .iter()
        .filter(|r| r.method != "GET" && r.path.contains(&id))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        writes.is_empty(),
        "writes to the described connection: {writes:?}"
    );
    assert!(
        log.iter().any(|r| r.method == "DELETE"),
        "smoke deleted its own objects"
    );
    assert_eq!(read(), before, "the described connection is as it was");
}

/// Interrupted mid-chain, the copy is cleaned up as smoke's own connection
/// always is, and the described connection is left as it was.
#[test]
fn sigterm_deletes_the_copy_and_leaves_the_described_connection() {
    let world = World::new(EmulatorConfig {
        latency: Duration::from_millis(300),
        ..config()
    });
    world.write("connections/orders.yaml", ORDERS);
    world.run(&["apply"]).expect_code(0);
    let mut child = world
        .cmd_via(
            &world.url(),
            &[
                "smoke",
                "--sandbox",
                "prod",
                "--cloud",
                "azure",
                "--dataflow-table",
                "public.orders",
                "--dataflow-dataset",
                "Scratch",
                "--dataflow-connection",
                "orders-db",
            ],
        )
        .into_command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while super::chain_left(&world).1 == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "never created");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = crate::apply::interrupt::wait_within(&mut child, Duration::from_secs(60));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(code, 130, "{stderr}");
    let (flows, sources, targets, _) = super::chain_left(&world);
    assert_eq!((flows, sources, targets), (0, 0, 0), "{stderr}");
    let names: Vec<String> = world.remote().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["orders-db"], "only the described connection stays");
    let log = world.emulator.as_ref().unwrap().requests();
    let id = world.state()["connections"]["azure/prod/orders-db"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !log.iter()
            .any(|r| r.method != "GET" && r.path.contains(&id)),
        "a write to the described connection"
    );
}

#[test]
fn an_unknown_name_is_a_usage_error_with_the_nearest_name_and_nothing_is_sent() {
    let world = with_orders();
    let args = ["--dataflow-connection", "orders-bd"];
    let run = smoke(&world, "public.orders", "Scratch", &args).expect_code(64);
    insta::assert_snapshot!("unknown_dataflow_connection", run.stderr());
    assert_eq!(world.emulator.as_ref().unwrap().requests().len(), 0);
}

#[test]
fn dataflow_table_alone_is_refused_against_the_platform_before_anything_is_sent() {
    let world = with_orders();
    // Should the refusal ever go, nothing leaves the machine: every request
    // would go through a proxy on a closed local port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = format!("http://127.0.0.1:{closed}");
    let run = world
        .cmd(&[
            "smoke",
            "--sandbox",
            "prod",
            "--cloud",
            "azure",
            "--dataflow-table",
            "public.orders",
            "--dataflow-dataset",
            "Scratch",
            "--endpoint",
            "https://platform.adobe.io",
            "--ims",
            "https://ims-na1.adobelogin.com",
        ])
        .env("HTTPS_PROXY", &proxy)
        .env("https_proxy", &proxy)
        .env("ALL_PROXY", &proxy)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .run()
        .expect_code(64);
    insta::assert_snapshot!("dataflow_table_without_connection", run.stderr());
}

/// The password of the throwaway PostgreSQL's reader.
const SHOP_PASSWORD: &str = "smoke-shop-Pw-93e1";

/// A throwaway PostgreSQL whose `public.orders` a reader may select from.
fn shop() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    postgres::shared(&SERVER, || {
        let server = postgres::start(postgres::Options::default())?;
        server.create_login("shop_reader", SHOP_PASSWORD, "shop")?;
        server.execute(
            "shop",
            "CREATE TABLE public.orders (order_id integer, note text, placed_at timestamp); \
             GRANT SELECT ON public.orders TO shop_reader;",
        )?;
        Ok(server)
    })
}

#[test]
fn a_real_table_is_explored_through_the_copied_credentials() {
    let Some(server) = shop() else { return };
    let mut world = World::new(EmulatorConfig {
        explore: ExploreSource::Live,
        datasets: vec![DatasetSeed {
            name: "Scratch".into(),
            schema_id: "https://ns.adobe.com/acme/schemas/scratch".into(),
        }],
        record_exchanges: true,
        ..EmulatorConfig::default()
    });
    world.set_env("SHOP_PASSWORD", SHOP_PASSWORD);
    world.write(
        "connections/shop.yaml",
        &format!(
            "name: shop-db\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: 127.0.0.1\n  port: {}\n  database: shop\n  username: shop_reader\n  password: ${{SHOP_PASSWORD}}\n  sslMode: Disable\n",
            server.port()
        ),
    );
    // Smoke's own placeholder server cannot be explored: the flaw.
    let alone = smoke(&world, "public.orders", "Scratch", &[]).expect_code(1);
    assert!(
        row(&alone.stdout(), "dataflow: explore")
            .trim_end()
            .ends_with("NO"),
        "{}",
        alone.stdout()
    );
    let args = ["--dataflow-connection", "shop-db"];
    let run = smoke(&world, "public.orders", "Scratch", &args).expect_code(0);
    let out = run.stdout();
    assert!(
        row(&out, "dataflow: explore").contains("3 column(s), 1 date/time"),
        "{out}"
    );
    assert!(
        row(&out, "dataflow: deltaColumn patch").contains("accepted (`placed_at`)"),
        "{out}"
    );
    let exchanges = world.emulator.as_ref().unwrap().exchanges();
    let mapping = exchanges
        .iter()
        .find(|e| e.method == "POST" && e.path.ends_with("/mappingSets"))
        .unwrap();
    assert_eq!(
        json(mapping.request_body.as_ref())["mappings"][0]["source"],
        "order_id"
    );
    let all = format!("{out}{}", run.stderr());
    assert!(!all.contains(SHOP_PASSWORD), "{all}");
}

/// The smoke page's example, as written, in a copy of the repository's
/// documents, with settings pointing at an emulator serving its fixtures.
#[test]
fn the_smoke_pages_example_runs_against_the_emulator() {
    let heading = "### Reading a real table: `--dataflow-connection`";
    let block = &crate::docs::blocks_at("docs/reference/commands/smoke.md", heading, "sh")[0];
    let mut config = crate::docs::repository_fixtures();
    config.datasets.push(DatasetSeed {
        name: "Smoke scratch".into(),
        schema_id: "https://ns.adobe.com/acme/schemas/scratch".into(),
    });
    config.record_exchanges = true;
    let world = World::new(config);
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(crate::support::util::root().join("connections"))
        .arg(world.path())
        .status()
        .unwrap();
    assert!(copied.success());
    let url = world.url();
    world.append_settings(&format!("endpoint: {url}\nims: {url}\n"));
    let out = crate::docs::Shell::new().ok(
        &block.text,
        world.path(),
        &[
            ("AEP_CLIENT_ID", provision::emulator::DEFAULT_CLIENT_ID),
            (
                "AEP_CLIENT_SECRET",
                provision::emulator::DEFAULT_CLIENT_SECRET,
            ),
            ("DEV_ORDERS_DB_PASSWORD", CANARY),
        ],
    );
    assert!(out.contains("Smoke complete"), "{out}");
    assert!(
        row(&out, "dataflow: explore").contains("a copy of `azure/dev/orders-db`"),
        "{out}"
    );
    let exchanges = world.emulator.as_ref().unwrap().exchanges();
    let body = json(throwaway_create(&exchanges).request_body.as_ref());
    assert_eq!(
        body["auth"]["params"]["server"], "orders.dev.pg.example.com",
        "{body}"
    );
    assert!(!out.contains(CANARY), "{out}");
}
