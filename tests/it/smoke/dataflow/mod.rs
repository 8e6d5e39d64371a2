//! `smoke --dataflow-table --dataflow-dataset` against the emulator (its
//! Catalog and explore fixtures): the chain is made over smoke's own
//! connection with a start a day ahead, read back, its wire forms recorded,
//! then disabled and deleted; the mapping set, which cannot be deleted, is
//! named as kept; an interrupt still deletes the chain. `connection`: the
//! chain over a copy of a described connection (`--dataflow-connection`).

mod connection;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use provision::api::{FlowService, ListQuery, Scope};
use provision::emulator::{
    DatasetSeed, EmulatorConfig, ExploreSource, FixtureColumn, FixtureTable,
};
use serde_json::Value;

use crate::support::world::{ORG_AZURE, World};

/// A `Scratch` dataset, and `public.orders` (with a timestamp column) and
/// `public.plain` (without one) to explore.
fn config() -> EmulatorConfig {
    let table = |path: &str, columns: &[(&str, &str)]| FixtureTable {
        path: path.into(),
        name: None,
        columns: columns
            .iter()
            .map(|(name, pg_type)| FixtureColumn {
                name: (*name).into(),
                pg_type: (*pg_type).into(),
            })
            .collect(),
    };
    EmulatorConfig {
        datasets: vec![DatasetSeed {
            name: "Scratch".into(),
            schema_id: "https://ns.adobe.com/acme/schemas/scratch".into(),
        }],
        explore: ExploreSource::Tables(vec![
            table(
                "public.orders",
                &[
                    ("order_id", "integer"),
                    ("updated_at", "timestamp with time zone"),
                ],
            ),
            table("public.plain", &[("id", "integer"), ("note", "text")]),
        ]),
        record_exchanges: true,
        ..EmulatorConfig::default()
    }
}

fn smoke(
    world: &World,
    table: &str,
    dataset: &str,
    extra: &[&str],
) -> crate::support::util::Finished {
    let mut args = vec![
        "smoke",
        "--sandbox",
        "prod",
        "--cloud",
        "azure",
        "--dataflow-table",
        table,
        "--dataflow-dataset",
        dataset,
    ];
    args.extend(extra);
    world.cmd_via(&world.url(), &args).run()
}

/// Live (flows, source connections, target connections, mapping sets) of
/// smoke's in the sandbox.
fn chain_left(world: &World) -> (usize, usize, usize, usize) {
    let client = world.client();
    let scope = Scope::new(ORG_AZURE, "prod");
    let ours = |name: &str| name.starts_with("provision-smoke-");
    world.runtime.block_on(async {
        let all = ListQuery::new();
        let flows = client.list_flows(&scope, &all).await.unwrap();
        let sources = client.list_source_connections(&scope, &all).await.unwrap();
        let targets = client.list_target_connections(&scope, &all).await.unwrap();
        let sets = client.list_mapping_sets(&scope).await.unwrap();
        (
            flows
                .iter()
                .filter(|i| ours(&i.name) && i.is_live())
                .count(),
            sources
                .iter()
                .filter(|i| ours(&i.name) && i.is_live())
                .count(),
            targets
                .iter()
                .filter(|i| ours(&i.name) && i.is_live())
                .count(),
            sets.iter().filter(|i| ours(&i.name)).count(),
        )
    })
}

fn row<'a>(out: &'a str, step: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(step))
        .unwrap_or_else(|| panic!("no `{step}` row:\n{out}"))
}

#[test]
fn the_chain_is_made_read_back_recorded_and_deleted() {
    let world = World::new(config());
    let run = smoke(&world, "public.orders", "Scratch", &[]).expect_code(0);
    let out = run.stdout();
    for step in [
        "dataflow: dataset",
        "dataflow: dataset unused",
        "dataflow: flow spec",
        "dataflow: explore",
        "dataflow: source connection",
        "dataflow: target connection",
        "dataflow: mapping set ",
        "dataflow: flow ",
        "dataflow: disable",
        "dataflow: runs before disable",
        "dataflow: connections read back",
        "dataflow: schedule read back",
        "dataflow: mapping version",
        "dataflow: mapping sets by name",
        "dataflow: deltaColumn patch",
        "dataflow: delete",
        "dataflow: mapping set kept",
        "delete ",
        "gone",
    ] {
        assert!(
            row(&out, step).trim_end().ends_with("yes"),
            "{step}:\n{out}"
        );
    }
    assert!(
        row(&out, "dataflow: schedule read back")
            .contains("startTime an integer, interval a string, backfill a boolean"),
        "{out}"
    );
    assert!(
        row(&out, "dataflow: mapping version")
            .contains("flow's mappingVersion a string, set's version an integer"),
        "{out}"
    );
    assert!(
        row(&out, "dataflow: runs before disable").contains("0 run(s) listed"),
        "{out}"
    );
    assert!(
        row(&out, "dataflow: mapping sets by name").contains("filtered by name: 1 listed"),
        "{out}"
    );
    assert!(
        row(&out, "dataflow: deltaColumn patch").contains("accepted (`updated_at`)"),
        "{out}"
    );
    assert!(
        row(&out, "dataflow: mapping set kept")
            .contains("Data Prep has no delete for mapping sets"),
        "{out}"
    );
    assert_eq!(
        chain_left(&world),
        (0, 0, 0, 1),
        "only the mapping set stays"
    );
    // The flow starts a day ahead, disabled right after its create; its
    // mapping reads one explored column.
    let emulator = world.emulator.as_ref().unwrap();
    let exchanges = emulator.exchanges();
    let body = |method: &str, path: &str| -> Value {
        let found = exchanges
            .iter()
            .find(|e| e.method == method && e.path.ends_with(path))
            .unwrap_or_else(|| panic!("no {method} {path}"));
        serde_json::from_str(found.request_body.as_deref().unwrap()).unwrap()
    };
    let flow = body("POST", "/flowservice/flows");
    let start = flow["scheduleParams"]["startTime"].as_i64().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        start > now + 23 * 3600 && start <= now + 24 * 3600,
        "{flow}"
    );
    let mapping = body("POST", "/conversion/mappingSets");
    assert_eq!(mapping["mappings"][0]["source"], "order_id", "{mapping}");
    let order: Vec<String> = exchanges
        .iter()
        .filter(|e| e.method != "GET")
        .map(|e| format!("{} {}", e.method, e.path.rsplit('/').next().unwrap_or("")))
        .collect();
    let at = |what: &str| order.iter().position(|o| o.starts_with(what)).unwrap();
    assert!(at("POST flows") < at("POST action"), "{order:?}");
}

#[test]
fn a_table_without_a_date_column_skips_the_delta_patch_and_says_why() {
    let world = World::new(config());
    let run = smoke(&world, "public.plain", "Scratch", &[]).expect_code(0);
    let out = run.stdout();
    let patch = row(&out, "dataflow: deltaColumn patch");
    assert!(
        patch.contains("skipped: explore found no date/time column in the table"),
        "{out}"
    );
    assert_eq!(chain_left(&world), (0, 0, 0, 1));
}

#[test]
fn the_json_report_records_the_wire_forms() {
    let world = World::new(config());
    let run = smoke(&world, "public.orders", "Scratch", &["--format", "json"]).expect_code(0);
    let json = run.json();
    let steps = json["steps"].as_array().unwrap();
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no `{name}` in {json}"))
    };
    assert_eq!(
        step("dataflow: schedule read back")["observed"],
        "startTime an integer, interval a string, backfill a boolean"
    );
    assert_eq!(step("dataflow: deltaColumn patch")["matches"], true);
    assert_eq!(step("dataflow: mapping set kept")["matches"], true);
    assert!(
        step("dataflow: runs before disable")["observed"]
            .as_str()
            .unwrap()
            .starts_with("0 run(s)")
    );
    assert!(json["dataflow"]["mapping_set_kept"].is_string(), "{json}");
    assert!(
        json["dataflow"]["name"]
            .as_str()
            .unwrap()
            .starts_with("provision-smoke-")
    );
    crate::output_schemas::assert_valid("smoke.schema.json", &json);
}

#[test]
fn a_dataset_not_found_stops_the_chain_and_leaves_nothing() {
    let world = World::new(config());
    let run = smoke(&world, "public.orders", "Nope", &[]).expect_code(1);
    let out = run.stdout();
    let dataset = row(&out, "dataflow: dataset");
    assert!(
        dataset.contains("0 dataset(s) named `Nope`") && dataset.trim_end().ends_with("NO"),
        "{out}"
    );
    assert!(row(&out, "clean up").trim_end().ends_with("yes"), "{out}");
    assert_eq!(chain_left(&world), (0, 0, 0, 0));
}

#[test]
fn one_flag_without_the_other_is_a_usage_error() {
    let world = World::new(config());
    let run = world
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
            ],
        )
        .run()
        .expect_code(64);
    assert!(
        run.stderr().contains("--dataflow-dataset"),
        "{}",
        run.stderr()
    );
}

#[test]
fn sigterm_during_the_chain_deletes_it_and_exits_130() {
    let world = World::new(EmulatorConfig {
        latency: Duration::from_millis(300),
        ..config()
    });
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
            ],
        )
        .into_command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the chain's source connection exists, the CI job is cancelled.
    let start = Instant::now();
    while chain_left(&world).1 == 0 {
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
    assert!(
        stderr.contains("is not left behind, nor its dataflow chain but the mapping set)"),
        "{stderr}"
    );
    let (flows, sources, targets, _) = chain_left(&world);
    assert_eq!((flows, sources, targets), (0, 0, 0), "{stderr}");
    let client = world.client();
    let connections = world.runtime.block_on(async {
        client
            .list(&Scope::new(ORG_AZURE, "prod"), &ListQuery::new())
            .await
            .unwrap()
    });
    assert!(
        !connections
            .iter()
            .any(|c| c.name.starts_with("provision-smoke-")),
        "the connection went too"
    );
}

#[test]
fn a_chain_left_by_a_killed_run_is_deleted_first_and_said_so() {
    let world = World::new(config());
    let client = world.client();
    let scope = Scope::new(ORG_AZURE, "prod");
    let left = world.runtime.block_on(async {
        let body = provision::api::ingestion_bodies::target_connection(
            "provision-smoke-0123456789ab-df",
            Some("provision smoke test: safe to delete"),
            "497874175b2d7f2e635f5645",
            "https://ns.adobe.com/acme/schemas/scratch",
        );
        client
            .create_target_connection(&scope, &body)
            .await
            .unwrap()
            .id
    });
    let run = smoke(&world, "public.orders", "Scratch", &[]).expect_code(0);
    let out = run.stdout();
    let row = row(&out, "earlier dataflow leftover");
    assert!(
        row.contains(&format!(
            "deleted target connection `provision-smoke-0123456789ab-df` (id `{left}`)"
        )),
        "{out}"
    );
    assert_eq!(chain_left(&world), (0, 0, 0, 1));
}

#[test]
fn a_dataset_another_target_writes_into_is_refused_before_anything_is_made() {
    let world = World::new(config());
    let client = world.client();
    let scope = Scope::new(ORG_AZURE, "prod");
    world.runtime.block_on(async {
        let dataset = client
            .find_datasets_by_name(&scope, "Scratch")
            .await
            .unwrap();
        let body = provision::api::ingestion_bodies::target_connection(
            "orders-to-lake",
            None,
            &dataset[0].id,
            "https://ns.adobe.com/acme/schemas/scratch",
        );
        client
            .create_target_connection(&scope, &body)
            .await
            .unwrap();
    });
    let run = smoke(&world, "public.orders", "Scratch", &[]).expect_code(1);
    let out = run.stdout();
    let unused = row(&out, "dataflow: dataset unused");
    assert!(
        unused.contains("`Scratch` is the target of `orders-to-lake`: not a throwaway dataset")
            && unused.trim_end().ends_with("NO"),
        "{out}"
    );
    assert!(!out.contains("dataflow: source connection"), "{out}");
    assert_eq!(chain_left(&world), (0, 0, 0, 0));
}
