//! `protect: true`: a plan that would delete a protected connection fails
//! (exit 1, every format, nothing written), including a pending create
//! that landed after its document was removed; a change of only the flag
//! is recorded in state without a request.

use std::time::Duration;

use provision::emulator::EmulatorConfig;

use crate::support::world::{Backend, World, connection_yaml};

on_both_backends!(
    a_protected_connection_is_never_pruned,
    a_protected_pending_create_that_landed_is_never_pruned,
);

const KEY: &str = "azure/prod/db-0000";

fn protected_yaml() -> String {
    connection_yaml(0, "generated") + "protect: true\n"
}

fn a_protected_connection_is_never_pruned(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(3);
    world.write("connections/c0000.yaml", &protected_yaml());
    world.run(&["apply"]).expect_code(0);
    assert_eq!(world.state()["connections"][KEY]["protect"], true);
    assert!(
        world.state()["connections"]["azure/dev/db-0001"]
            .get("protect")
            .is_none()
    );

    world.remove("connections/c0000.yaml");
    world.remove("connections/c0001.yaml");
    let before = world.state_text();
    let plan = world.run(&["plan", "--prune"]).expect_code(1);
    insta::assert_snapshot!("refused", plan.stderr());
    for format in ["json", "markdown"] {
        let plan = world
            .run(&["plan", "--prune", "--format", format])
            .expect_code(1);
        assert!(plan.stdout().is_empty(), "{format}: {}", plan.stdout());
        assert!(
            plan.stderr()
                .contains("`azure/prod/db-0000` is protected (`protect: true`)"),
            "{format}: {}",
            plan.stderr()
        );
    }
    let apply = world.run(&["apply", "--prune"]).expect_code(1);
    assert!(
        apply
            .stderr()
            .contains("run `provision state unprotect azure/prod/db-0000`"),
        "{}",
        apply.stderr()
    );
    assert_eq!(world.state_text(), before, "nothing was written");
    world.assert_remote_exactly(3);
    // Without `--prune` nothing is deleted, protected or not: no refusal.
    world.run(&["plan"]).expect_code(0);

    let unprotect = world.run(&["state", "unprotect", KEY]).expect_code(0);
    assert!(
        unprotect.stdout().contains("no longer protected"),
        "{}",
        unprotect.stdout()
    );
    let apply = world.run(&["apply", "--prune"]).expect_code(0);
    assert!(
        apply.stdout().contains("0 updated, 2 deleted, 0 failed"),
        "{}",
        apply.stdout()
    );
    world.assert_remote_exactly(1);
}

/// The document said `protect: true` when the create was sent; its answer
/// never came and the listing lagged, so state keeps it pending. Once the
/// document is removed, `--prune` would adopt, then delete it: refused.
fn a_protected_pending_create_that_landed_is_never_pruned(backend: Backend) {
    let config = EmulatorConfig {
        commit_delay: Duration::from_millis(800),
        list_lag: Duration::from_secs(3),
        ..EmulatorConfig::default()
    };
    let Some(world) = World::on(backend, config) else {
        return;
    };
    world.connections(2);
    world.write("connections/c0000.yaml", &protected_yaml());
    world.append_settings("timeouts:\n  request: 300ms\n  settle: 1s\n");
    world.run(&["apply"]).expect_code(1);
    assert_eq!(world.state()["pending"][KEY]["protect"], true);
    assert!(
        world.state()["pending"]["azure/dev/db-0001"]
            .get("protect")
            .is_none()
    );
    world.remove("connections/c0000.yaml");
    world.wait(Duration::from_secs(3));
    world.assert_remote_exactly(2);
    let plan = world.run(&["plan", "--prune"]).expect_code(1);
    assert!(
        plan.stderr().contains(
            "`azure/prod/db-0000` is protected (`protect: true`) and the plan would delete it"
        ),
        "{}",
        plan.stderr()
    );
    world.run(&["apply", "--prune"]).expect_code(1);
    world.assert_remote_exactly(2);
    assert_eq!(world.state()["pending"][KEY]["protect"], true);
}

/// Only `protect` changed: the plan shows it as a state-only update, and
/// apply records it without a request to the Flow Service.
#[test]
fn a_change_of_only_protect_is_recorded_without_a_request() {
    let world = World::new(EmulatorConfig {
        record_exchanges: true,
        ..EmulatorConfig::default()
    });
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    let id = world.state()["connections"][KEY]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let exchanges = || world.emulator.as_ref().unwrap().exchanges().len();
    let before = exchanges();

    world.write("connections/c0000.yaml", &protected_yaml());
    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    insta::assert_snapshot!("state_only_update", plan.stdout().replace(&id, "ID"));
    let apply = world.run(&["apply"]).expect_code(0);
    assert!(
        apply
            .stdout()
            .contains("0 created, 0 adopted, 1 updated, 0 deleted, 0 failed"),
        "{}",
        apply.stdout()
    );
    assert_eq!(exchanges(), before, "a request was sent");
    assert_eq!(world.state()["connections"][KEY]["protect"], true);
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    // And back: `protect: false` (or no `protect`) is recorded the same way.
    world.write("connections/c0000.yaml", &connection_yaml(0, "generated"));
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout().contains("protect: \"true\" -> \"false\""),
        "{}",
        plan.stdout()
    );
    world.run(&["apply"]).expect_code(0);
    assert_eq!(exchanges(), before, "a request was sent");
    assert!(world.state()["connections"][KEY].get("protect").is_none());
}

/// The refusal and `state unprotect` in the deleting guide are what they print.
#[test]
fn the_deleting_guide_shows_what_provision_prints() {
    use crate::docs::blocks_at;
    let page = "docs/guides/deleting.md";
    let heading = "## Protecting a connection";
    let world = World::new(EmulatorConfig::default());
    world.connections(2);
    let orders = protected_yaml().replace("db-0000", "orders-db");
    world.write("connections/c0000.yaml", &orders);
    world.run(&["apply"]).expect_code(0);
    world.remove("connections/c0000.yaml");
    let refused = world.run(&["plan", "--prune"]).expect_code(1);
    assert_eq!(refused.stderr(), blocks_at(page, heading, "text")[0].text);
    let console = &blocks_at(page, heading, "console")[0].text;
    let mut lines = console.lines();
    let command = lines.next().unwrap().strip_prefix("$ provision ").unwrap();
    let args: Vec<&str> = command.split(' ').collect();
    let unprotect = world.run(&args).expect_code(0);
    assert_eq!(unprotect.stdout(), format!("{}\n", lines.next().unwrap()));
}
