//! `provision state list|show|rm|import|unlock` on a project applied to the
//! in-process emulator.

use provision::emulator::EmulatorConfig;

use crate::support::world::World;

#[test]
fn list_show_rm_and_import_round_trip() {
    let world = World::new(EmulatorConfig::default());
    world.connections(3);
    world.run(&["apply"]).expect_code(0);
    let list = world.run(&["state", "list"]).expect_code(0);
    assert_eq!(list.stdout().lines().count(), 3, "{}", list.stdout());
    assert!(list.stdout().contains("azure/dev/db-0001"));

    let show = world
        .run(&["state", "show", "azure/dev/db-0001"])
        .expect_code(0);
    let record = show.json();
    let id = record["id"].as_str().unwrap().to_owned();
    assert!(
        record["fingerprint"]
            .as_str()
            .is_some_and(|f| f.len() == 64)
    );
    world
        .run(&["state", "show", "azure/dev/nope"])
        .expect_code(1);

    let rm = world
        .run(&["state", "rm", "azure/dev/db-0001"])
        .expect_code(0);
    assert!(rm.stdout().contains(&id), "{}", rm.stdout());
    assert_eq!(world.run(&["state", "list"]).stdout().lines().count(), 2);
    world.assert_remote_exactly(3);

    let import = world
        .run(&["state", "import", "azure/dev/db-0001", &id])
        .expect_code(0);
    assert!(import.stdout().contains("imported"), "{}", import.stdout());
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    world
        .run(&["state", "import", "azure/dev/unknown", &id])
        .expect_code(1);
}

#[test]
fn a_lock_left_by_a_dead_run_is_reported_and_cleared() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    // A run that died holding the lock leaves its details behind; the OS
    // lock itself went with the process.
    let stale = r#"{"host": "ci-runner-7", "pid": 999999, "since": "2026-11-26T00:00:00Z", "command": "provision apply"}"#;
    world.write(".provision/state.json.lock", stale);
    let unlock = world.run(&["state", "unlock"]).expect_code(0);
    assert!(
        unlock.stdout().contains("pid 999999"),
        "{}",
        unlock.stdout()
    );
    let again = world.run(&["state", "unlock"]).expect_code(0);
    assert!(again.stdout().contains("not locked"), "{}", again.stdout());

    world.write(".provision/state.json.lock", stale);
    let apply = world.run(&["apply"]).expect_code(0);
    assert!(
        apply
            .stderr()
            .contains("ended without releasing the state lock"),
        "{}",
        apply.stderr()
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let world = World::new(EmulatorConfig::default());
    world.run(&["apply", "--no-such-flag"]).expect_code(64);
    world
        .run(&["apply", "--lock-timeout", "soon"])
        .expect_code(64);
    world.run(&["state", "frobnicate"]).expect_code(64);
}

#[test]
fn preflight_stops_an_apply_before_any_request_when_a_server_is_unreachable() {
    let world = World::new(EmulatorConfig::default());
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    world.write(
        "connections/unreachable.yaml",
        &format!(
            "name: unreachable\nsandbox: prod\ncloud: aws\nauth:\n  type: basic\n  server: 127.0.0.1\n  port: {port}\n  database: app\n  username: aep\n  password: ${{DB_PASSWORD}}\n"
        ),
    );
    let run = world.run(&["apply", "--preflight"]).expect_code(1);
    assert!(run.stderr().contains("refused"), "{}", run.stderr());
    assert!(
        run.stderr().contains("nothing was sent"),
        "{}",
        run.stderr()
    );
    assert!(
        world.emulator.as_ref().unwrap().requests().is_empty(),
        "a request was sent"
    );
    world.assert_remote_exactly(0);
}

/// Creates a remote Azure `prod` connection named `name` behind provision's back.
fn create_behind_the_back(world: &World, name: &str) {
    use provision::api::FlowService;
    use provision::api::wire::CreateConnectionRequest;
    let client = world.client();
    let yaml = crate::support::world::connection_yaml(0, "made by hand").replace("db-0000", name);
    let connection: provision::config::Connection = {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.yaml"), yaml).unwrap();
        let report =
            provision::validate::validate_paths(&[dir.path().to_owned()], None, Default::default());
        let mut c = report.config.connections[0].connection.clone();
        if let provision::config::Auth::Basic(b) = &mut c.auth {
            b.password = "by-hand".into();
        }
        c
    };
    let scope = provision::api::Scope::new(crate::support::world::ORG_AZURE, "prod");
    world
        .runtime
        .block_on(client.create(
            &scope,
            &CreateConnectionRequest::from_connection(&connection),
        ))
        .unwrap();
}

#[test]
fn namesakes_on_the_platform_fail_that_connection_and_create_nothing() {
    let world = World::new(EmulatorConfig::default());
    world.connections(3);
    create_behind_the_back(&world, "db-0000");
    create_behind_the_back(&world, "db-0000");
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stderr().contains("2 connections named `db-0000`")
            || plan.stdout().contains("2 connections named `db-0000`"),
        "{}{}",
        plan.stdout(),
        plan.stderr()
    );
    let run = world.run(&["apply"]).expect_code(1);
    assert!(
        run.stdout()
            .contains("! azure/prod/db-0000: failed: 2 connections named `db-0000`"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout()
            .contains("2 created, 0 adopted, 0 updated, 0 deleted, 1 failed."),
        "{}",
        run.stdout()
    );
    // The two made by hand and the two created: no third `db-0000`.
    assert_eq!(world.remote().len(), 4);
}

#[test]
fn a_saved_plan_looks_names_up_again_before_creating() {
    let world = World::new(EmulatorConfig::default());
    world.connections(3);
    world.run(&["plan", "--out", "plan.json"]).expect_code(0);
    // Someone creates one of them between plan and apply.
    create_behind_the_back(&world, "db-0000");
    let run = world.run(&["apply", "--plan", "plan.json"]).expect_code(0);
    assert!(
        run.stdout().contains("2 created, 1 adopted"),
        "{}",
        run.stdout()
    );
    world.assert_remote_exactly(3);
}

#[test]
fn a_variable_with_a_semicolon_cannot_split_a_connection_string() {
    let mut world = World::new(EmulatorConfig::default());
    world.connections(2);
    world.set_env("DB_PASSWORD", "semi;Server=evil.example.com");
    let run = world.run(&["apply"]).expect_code(1);
    assert!(
        run.stderr().contains("`DB_PASSWORD` contains `;`"),
        "{}",
        run.stderr()
    );
    assert!(
        !run.stderr().contains("evil.example.com"),
        "{}",
        run.stderr()
    );
    assert!(
        world.emulator.as_ref().unwrap().requests().is_empty(),
        "a request was sent"
    );
}

#[test]
fn a_connection_is_renamed_in_place_through_state_rm_and_import() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    let id = world.remote()[0].id.clone();
    world.write(
        "connections/c0000.yaml",
        &crate::support::world::connection_yaml(0, "generated").replace("db-0000", "db-renamed"),
    );
    world
        .run(&["state", "rm", "azure/prod/db-0000"])
        .expect_code(0);
    world
        .run(&["state", "import", "azure/prod/db-renamed", &id])
        .expect_code(0);
    let run = world.run(&["apply", "--refresh"]).expect_code(0);
    assert!(run.stdout().contains("1 updated"), "{}", run.stdout());
    let remote = world.remote();
    assert_eq!(
        (remote.len(), remote[0].id.as_str(), remote[0].name.as_str()),
        (1, id.as_str(), "db-renamed")
    );
}
