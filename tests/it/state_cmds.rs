//! `provision state list|show|rm|import|unlock` on a project applied to the
//! in-process emulator.

use provision::emulator::EmulatorConfig;

use crate::world::World;

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
