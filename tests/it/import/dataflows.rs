//! `provision import` writes dataflow documents: a chain applied by one
//! project, imported into a fresh one (files and state gone), validates,
//! plans to nothing and applies nothing, on both state backends and in an
//! environment.

on_both_backends!(imported_dataflows_plan_and_apply_to_nothing);

use provision::emulator::{
    DatasetSeed, EmulatorConfig, ExploreSource, FixtureColumn, FixtureTable,
};

use super::remote::import;
use crate::support::world::{Backend, World};

pub const SCHEMA: &str = "https://ns.adobe.com/acme/schemas/orders";

/// The emulator with dataset `Orders` (twice with `twin_orders`) and
/// table `public.orders`.
pub fn config(twin_orders: bool) -> EmulatorConfig {
    let mut datasets = vec![DatasetSeed {
        name: "Orders".into(),
        schema_id: SCHEMA.into(),
    }];
    if twin_orders {
        datasets.push(datasets[0].clone());
    }
    EmulatorConfig {
        datasets,
        explore: ExploreSource::Tables(vec![FixtureTable {
            path: "public.orders".into(),
            name: None,
            columns: [
                ("order_id", "integer"),
                ("customer_name", "text"),
                ("updated_at", "timestamp with time zone"),
            ]
            .into_iter()
            .map(|(name, pg_type)| FixtureColumn {
                name: name.into(),
                pg_type: pg_type.into(),
            })
            .collect(),
        }]),
        ..EmulatorConfig::default()
    }
}

pub const CONNECTION: &str = "name: orders-db\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: orders.pg.example.com\n  port: 5432\n  database: orders\n  username: aep_reader\n  password: ${DB_PASSWORD}\n";

/// A dataflow using every field import reads back.
pub const DATAFLOW: &str = "kind: dataflow
name: orders-to-lake
description: \"Orders: nightly\"
sandbox: prod
cloud: azure
source:
  connection: orders-db
  table: public.orders
  columns: [order_id, customer_name, updated_at]
target:
  dataset: { name: Orders }
mapping:
  - { source: order_id, destination: _id }
  - { expression: \"upper(customer_name)\", destination: person.name.fullName }
delta: { column: updated_at, timezone: UTC }
schedule:
  frequency: day
  interval: 2
  start: 2027-01-01T00:00:00Z
  backfill: false
enabled: false
";

/// Applies `files` (path, text), then forgets them and the state: what
/// was applied is on the platform only.
pub fn applied_then_forgotten(world: &World, files: &[(&str, &str)]) {
    for (path, text) in files {
        world.write(path, text);
    }
    world.run(&["apply"]).expect_code(0);
    for (path, _) in files {
        world.remove(path);
    }
    world.lose_state();
}

fn imported_dataflows_plan_and_apply_to_nothing(backend: Backend) {
    let Some(mut world) = World::on(backend, config(false)) else {
        return;
    };
    applied_then_forgotten(
        &world,
        &[
            ("connections/orders-db.yaml", CONNECTION),
            ("connections/orders-to-lake.yaml", DATAFLOW),
        ],
    );
    let run = import(&world, &["--sandbox", "prod", "--cloud", "azure"]).expect_code(0);
    assert!(
        run.stdout()
            .contains("Import complete: 2 written and recorded in state, 0 skipped."),
        "{}\n{}",
        run.stdout(),
        run.stderr()
    );
    let flow_id = world.state()["dataflows"]["dataflow/azure/prod/orders-to-lake"]["flow"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        run.stdout().contains(&format!(
            "wrote `connections/prod/orders-to-lake.yaml` (dataflow/azure/prod/orders-to-lake, flow `{flow_id}`)"
        )),
        "{}",
        run.stdout()
    );
    let text =
        std::fs::read_to_string(world.path().join("connections/prod/orders-to-lake.yaml")).unwrap();
    insta::assert_snapshot!("imported_dataflow", text.replace(&flow_id, "FLOW_ID"));

    world.set_env("ORDERS_DB_PASSWORD", "set-by-the-pipeline");
    world
        .run(&["validate", "connections", "--warnings-as-errors"])
        .expect_code(0);
    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(plan.stdout().contains("No changes"), "{}", plan.stdout());
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
    let apply = world.run(&["apply"]).expect_code(0);
    assert!(apply.stdout().contains("No changes"), "{}", apply.stdout());

    // An edit of the imported document is a change like any other.
    let path = world.path().join("connections/prod/orders-to-lake.yaml");
    std::fs::write(&path, text.replace("interval: 2", "interval: 3")).unwrap();
    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout().contains("schedule.interval"),
        "{}",
        plan.stdout()
    );
}

/// A dataset whose name another dataset of the sandbox shares is written
/// by id; the dry run shows the document and writes nothing.
#[test]
fn a_shared_dataset_name_is_written_by_id() {
    let mut world = World::new(config(true));
    let id = |world: &World| {
        let state = world.state();
        state["dataflows"]["dataflow/azure/prod/orders-to-lake"]["dataSetId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    world.write("connections/orders-db.yaml", CONNECTION);
    world.write(
        "connections/orders-to-lake.yaml",
        "kind: dataflow\nname: orders-to-lake\nsandbox: prod\ncloud: azure\nsource: { connection: orders-db, table: public.orders }\ntarget: { dataset: { id: DATASET } }\nmapping: [{ source: order_id, destination: _id }]\nschedule: { frequency: once, start: 2027-01-01T00:00:00Z }\n"
            .replace("DATASET", &first_dataset(&world))
            .as_str(),
    );
    world.run(&["apply"]).expect_code(0);
    let dataset = id(&world);
    world.remove("connections/orders-db.yaml");
    world.remove("connections/orders-to-lake.yaml");
    world.lose_state();

    let dry = import(
        &world,
        &[
            "--sandbox",
            "prod",
            "--cloud",
            "azure",
            "--dry-run",
            "--format",
            "json",
        ],
    )
    .expect_code(0);
    let document: serde_json::Value = serde_json::from_str(&dry.stdout()).unwrap();
    let text = document["dataflows"][0]["text"].as_str().unwrap();
    let by_id = |quote: &str| format!("  dataset: {{ id: {quote}{dataset}{quote} }}\n");
    assert!(
        text.contains(&by_id("")) || text.contains(&by_id("\"")),
        "{text}"
    );
    assert!(text.contains("  frequency: once\n"), "{text}");
    assert!(!text.contains("interval"), "{text}");
    assert!(!world.path().join("connections/prod").exists());

    import(&world, &["--sandbox", "prod", "--cloud", "azure"]).expect_code(0);
    world.set_env("ORDERS_DB_PASSWORD", "x");
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

/// The id of the first dataset named `Orders`.
fn first_dataset(world: &World) -> String {
    use provision::api::{FlowService, Scope};
    let client = world.client();
    let found = world
        .runtime
        .block_on(client.find_datasets_by_name(
            &Scope::new(crate::support::world::ORG_AZURE, "prod"),
            "Orders",
        ))
        .unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    found[0].id.clone()
}

/// `import -e live`: the dataflow document belongs to `live` only and
/// takes the environment's sandbox; `live` is in production mode, so the
/// record is protected as apply would protect it, and the next
/// `plan -e live` has nothing to do.
#[test]
fn an_import_in_an_environment_writes_its_dataflows_for_it() {
    let world = World::new(config(false));
    world.write(
        "provision.yaml",
        &format!(
            "credentials:\n  clientId: ${{AEP_CLIENT_ID}}\n  clientSecret: ${{AEP_CLIENT_SECRET}}\nenvironments:\n  live:\n    sandbox: prod\n    mode: production\n    orgs: {{ azure: {{ imsOrg: \"{}\" }} }}\n",
            crate::support::world::ORG_AZURE
        ),
    );
    world.write("connections/orders-db.yaml", CONNECTION);
    world.write("connections/orders-to-lake.yaml", DATAFLOW);
    world.run(&["apply", "-e", "live"]).expect_code(0);
    world.remove("connections/orders-db.yaml");
    world.remove("connections/orders-to-lake.yaml");
    std::fs::remove_dir_all(world.path().join(".provision")).unwrap();
    import(&world, &["-e", "live", "--cloud", "azure"]).expect_code(0);
    let text =
        std::fs::read_to_string(world.path().join("connections/prod/orders-to-lake.yaml")).unwrap();
    assert!(text.contains("\nenvironments: [live]\n"), "{text}");
    assert!(!text.contains("\nsandbox:"), "{text}");
    let mut world = world;
    world.set_env("ORDERS_DB_PASSWORD", "x");
    let plan = world
        .run(&["plan", "-e", "live", "--detailed-exitcode"])
        .expect_code(0);
    assert!(plan.stdout().contains("No changes"), "{}", plan.stdout());
}
