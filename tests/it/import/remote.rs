//! `provision import` against the in-process emulator: pre-existing
//! connections become YAML that validates and a state that plans to
//! nothing; clashes are reported and existing files are never touched.

use provision::api::wire::CreateConnectionRequest;
use provision::api::{FlowService, Scope};
use provision::config::{Auth, AzureSslMode, BasicAuth, Cloud, Connection, SslMode};
use provision::emulator::EmulatorConfig;

use crate::support::util::Finished;
use crate::support::world::{ORG_AWS, ORG_AZURE, World};

pub fn basic(name: &str, sandbox: &str, cloud: Cloud, i: usize) -> Connection {
    let ssl_mode = match cloud {
        Cloud::Aws => i
            .is_multiple_of(2)
            .then_some(SslMode::Aws(i.is_multiple_of(4))),
        Cloud::Azure => [
            None,
            Some(AzureSslMode::Disable),
            Some(AzureSslMode::Prefer),
            Some(AzureSslMode::VerifyCa),
            Some(AzureSslMode::VerifyFull),
        ][i % 5]
            .map(SslMode::Azure),
    };
    // Descriptions a careless YAML writer would get wrong.
    let description = match i % 6 {
        0 => None,
        1 => Some("plain words".to_owned()),
        2 => Some("costs: ${total} # not a comment".to_owned()),
        3 => Some("yes".to_owned()),
        4 => Some("'quoted' \"twice\" and ünïcode".to_owned()),
        _ => Some("123".to_owned()),
    };
    Connection {
        name: name.to_owned(),
        description,
        sandbox: sandbox.to_owned(),
        cloud,
        auth: Auth::Basic(BasicAuth {
            server: format!("10.0.{}.{}", i / 250, i % 250),
            port: 5432 + i as u16 % 3,
            database: if i.is_multiple_of(7) {
                "true".into()
            } else {
                format!("app{i}")
            },
            username: format!("aep_{i}"),
            password: "s3cret-never-returned".into(),
            ssl_mode,
        }),
        secret_version: None,
        renamed_from: None,
        protect: false,
        environments: None,
    }
}

pub fn create(world: &World, org: &str, connection: &Connection) -> String {
    let client = world.client();
    let body = CreateConnectionRequest::from_connection(connection);
    world
        .runtime
        .block_on(client.create(&Scope::new(org, &connection.sandbox), &body))
        .unwrap()
        .id
}

pub fn import(world: &World, args: &[&str]) -> Finished {
    let url = world.url();
    let mut full = vec!["import"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--endpoint", &url, "--ims", &url]);
    world.run(&full)
}

/// The variables listed at the end of the output.
fn variables(run: &Finished) -> Vec<String> {
    let out = run.stdout();
    let Some((_, list)) = out.split_once("Set these variables") else {
        return Vec::new();
    };
    list.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn fifty_imported_connections_plan_to_nothing() {
    let mut world = World::new(Default::default());
    for i in 0..50 {
        let name = match i % 4 {
            0 => format!("db-{i:03}"),
            1 => format!("Orders DB {i}"),
            2 => format!("{i}-replica"),
            _ => format!("warehouse_{i}.eu"),
        };
        create(&world, ORG_AZURE, &basic(&name, "prod", Cloud::Azure, i));
    }
    let run = import(&world, &["--sandbox", "prod", "--cloud", "azure"]).expect_code(0);
    assert!(
        run.stdout()
            .contains("Import complete: 50 written and recorded in state, 0 skipped."),
        "{}\n{}",
        run.stdout(),
        run.stderr()
    );
    let vars = variables(&run);
    assert_eq!(vars.len(), 50, "{}", run.stdout());
    assert!(
        vars.contains(&"ORDERS_DB_1_PASSWORD".to_owned()),
        "{vars:?}"
    );
    assert!(vars.contains(&"_2_REPLICA_PASSWORD".to_owned()), "{vars:?}");
    let files = std::fs::read_dir(world.path().join("connections/prod"))
        .unwrap()
        .count();
    assert_eq!(files, 50);
    let sample =
        std::fs::read_to_string(world.path().join("connections/prod/orders-db-1.yaml")).unwrap();
    assert!(
        sample.starts_with("# yaml-language-server: $schema=../../schema/connection.schema.json\n"),
        "{sample}"
    );
    assert!(
        sample.contains("password: ${ORDERS_DB_1_PASSWORD}\n"),
        "{sample}"
    );
    assert!(!sample.contains("s3cret"), "{sample}");

    world
        .run(&["validate", "connections", "--warnings-as-errors"])
        .expect_code(0);
    for var in &vars {
        world.set_env(var, "set-by-the-pipeline");
    }
    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(
        plan.stdout()
            .contains("No changes: 50 connection(s) match the config."),
        "{}",
        plan.stdout()
    );
    // The remote fields match too, not just the fingerprints.
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
    // Editing an imported file is a change like any other.
    let path = world.path().join("connections/prod/db-000.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("port: 5432", "port: 6432")).unwrap();
    world.run(&["plan", "--detailed-exitcode"]).expect_code(2);
}

#[test]
fn clashes_are_reported_and_files_never_overwritten() {
    let world = World::new(Default::default());
    let first = create(&world, ORG_AZURE, &basic("twin", "dev", Cloud::Azure, 1));
    create(&world, ORG_AZURE, &basic("twin", "dev", Cloud::Azure, 2));
    create(&world, ORG_AZURE, &basic("kept", "dev", Cloud::Azure, 3));
    create(&world, ORG_AZURE, &basic("new-one", "dev", Cloud::Azure, 4));
    create(
        &world,
        ORG_AZURE,
        &basic("Same Stem", "dev", Cloud::Azure, 5),
    );
    create(
        &world,
        ORG_AZURE,
        &basic("same-stem", "dev", Cloud::Azure, 6),
    );
    let mut cs = basic("by-string", "dev", Cloud::Azure, 7);
    cs.auth = Auth::ConnectionString(provision::config::ConnectionStringAuth {
        connection_string: "Server=h;Database=d;Port=5432;UID=u;Password=p".into(),
    });
    create(&world, ORG_AZURE, &cs);
    world.write("connections/dev/kept.yaml", "# mine\n");

    let dry = import(
        &world,
        &["--sandbox", "dev", "--cloud", "azure", "--dry-run"],
    )
    .expect_code(0);
    assert!(
        dry.stdout()
            .contains("--- would write `connections/dev/new-one.yaml`"),
        "{}",
        dry.stdout()
    );
    assert!(
        dry.stdout()
            .contains("Import dry run: 2 to write, 5 skipped."),
        "{}",
        dry.stdout()
    );
    assert!(!world.path().join("connections/dev/new-one.yaml").exists());
    assert!(!world.state_path().exists(), "a dry run records nothing");

    let run = import(&world, &["--sandbox", "dev", "--cloud", "azure"]).expect_code(0);
    let err = run.stderr();
    assert!(err.contains("2 connections are named `twin`"), "{err}");
    assert!(err.contains(&first), "{err}");
    assert!(
        err.contains("`connections/dev/kept.yaml` already exists: not overwritten"),
        "{err}"
    );
    assert!(
        err.contains("would be shared by `Same Stem`, `same-stem`"),
        "{err}"
    );
    // The service masks the whole connection string: it becomes one variable.
    let by_string =
        std::fs::read_to_string(world.path().join("connections/dev/by-string.yaml")).unwrap();
    assert!(
        by_string.contains("connectionString: \"${BY_STRING_CONNECTION_STRING}\"\n"),
        "{by_string}"
    );
    assert_eq!(
        std::fs::read_to_string(world.path().join("connections/dev/kept.yaml")).unwrap(),
        "# mine\n"
    );
    assert_eq!(
        variables(&run),
        vec![
            "BY_STRING_CONNECTION_STRING".to_owned(),
            "NEW_ONE_PASSWORD".to_owned()
        ]
    );
    let state = world.state();
    let records = state["connections"].as_object().unwrap();
    assert_eq!(
        records.keys().collect::<Vec<_>>(),
        vec!["azure/dev/by-string", "azure/dev/new-one"]
    );

    // Importing again finds it managed already and writes nothing.
    let again = import(&world, &["--sandbox", "dev", "--cloud", "azure"]).expect_code(0);
    assert!(
        again
            .stderr()
            .contains("already in state as `azure/dev/new-one`"),
        "{}",
        again.stderr()
    );
}

#[test]
fn aws_import_into_a_chosen_folder() {
    let mut world = World::new(Default::default());
    for i in 0..4 {
        create(
            &world,
            ORG_AWS,
            &basic(&format!("events-{i}"), "prod", Cloud::Aws, i),
        );
    }
    // Another cloud's sandbox of the same name is not listed.
    create(
        &world,
        ORG_AZURE,
        &basic("azure-only", "prod", Cloud::Azure, 9),
    );
    let run = import(
        &world,
        &[
            "--sandbox",
            "prod",
            "--cloud",
            "aws",
            "--out",
            "connections/aws/prod",
        ],
    )
    .expect_code(0);
    assert!(run.stdout().contains("4 written"), "{}", run.stdout());
    let text =
        std::fs::read_to_string(world.path().join("connections/aws/prod/events-0.yaml")).unwrap();
    assert!(text.contains("sslMode: true\n"), "{text}");
    assert!(
        text.contains("$schema=../../../schema/connection.schema.json"),
        "{text}"
    );
    for var in variables(&run) {
        world.set_env(&var, "x");
    }
    world.run(&["validate"]).expect_code(0);
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn import_needs_an_org_for_the_cloud() {
    let world = World::new(Default::default());
    world.write("provision.yaml", "parallelism: 2\n");
    let run = import(&world, &["--sandbox", "prod", "--cloud", "aws"]).expect_code(1);
    assert!(
        run.stderr()
            .contains("no IMS org configured for cloud `aws`"),
        "{}",
        run.stderr()
    );
    world
        .run(&["import", "--sandbox", "prod", "--cloud", "gcp"])
        .expect_code(64);
}

/// Exit 3 means "another run holds the lock"; a state that cannot be
/// written at all is a plain failure (exit 1), as in every other command.
#[test]
fn an_unwritable_state_is_a_failure_not_a_lock() {
    let world = World::new(Default::default());
    create(&world, ORG_AZURE, &basic("orders", "dev", Cloud::Azure, 1));
    // The state's folder is a file: its lock file cannot be created.
    world.write("blocked", "not a folder");
    let run = import(
        &world,
        &[
            "--sandbox",
            "dev",
            "--cloud",
            "azure",
            "--state",
            "blocked/state.json",
        ],
    )
    .expect_code(1);
    assert!(run.stderr().contains("blocked"), "{}", run.stderr());
}

/// A connection the platform is still deleting is not imported (it would
/// be gone by the next plan), and says so.
#[test]
fn connections_being_deleted_are_skipped() {
    let world = World::new(EmulatorConfig {
        delete_linger: std::time::Duration::from_secs(600),
        ..Default::default()
    });
    let gone = create(&world, ORG_AZURE, &basic("leaving", "dev", Cloud::Azure, 1));
    create(&world, ORG_AZURE, &basic("staying", "dev", Cloud::Azure, 2));
    world
        .runtime
        .block_on(world.client().delete(&Scope::new(ORG_AZURE, "dev"), &gone))
        .unwrap();
    let run = import(&world, &["--sandbox", "dev", "--cloud", "azure"]).expect_code(0);
    assert!(
        run.stderr().contains("skipped `leaving`") && run.stderr().contains("being deleted"),
        "{}",
        run.stderr()
    );
    assert!(run.stdout().contains("staying"), "{}", run.stdout());
    assert!(!run.stdout().contains("leaving.yaml"), "{}", run.stdout());
}
