//! Pending creates and ids across runs: a create whose outcome was never
//! seen is looked up over its settle window before anything is sent again,
//! one whose document is gone is looked up by `plan` and settled by `apply`,
//! `state show` shows it, and one platform id never ends up under two keys.

use std::time::Duration;

use provision::api::wire::PatchOp;
use provision::api::{FlowService, Scope};
use provision::emulator::EmulatorConfig;

use crate::support::world::{ORG_AZURE, World, connection_yaml};

const CONNECTIONS: &str = "/data/foundation/flowservice/connections";

fn posts(world: &World) -> usize {
    world
        .emulator
        .as_ref()
        .map(|e| e.requests())
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method == "POST" && r.path == CONNECTIONS)
        .count()
}

/// Replaces the project's `timeouts` settings.
fn timeouts(world: &World, base: &str, text: &str) {
    std::fs::write(
        world.path().join("provision.yaml"),
        format!("{base}timeouts:\n{text}"),
    )
    .unwrap();
}

/// One Azure `prod` connection whose create lands on the emulator, but
/// whose answer is lost and which the listing shows only after 4 s: the
/// first apply gives up within its action deadline, leaving it pending.
fn pending_world(settle: &str) -> (World, String) {
    let world = World::new(EmulatorConfig {
        commit_delay: Duration::from_millis(800),
        list_lag: Duration::from_secs(4),
        ..EmulatorConfig::default()
    });
    world.connections(1);
    let base = std::fs::read_to_string(world.path().join("provision.yaml")).unwrap();
    timeouts(
        &world,
        &base,
        &format!("  request: 300ms\n  action: 1500ms\n  settle: {settle}\n"),
    );
    let first = world.run(&["apply"]).expect_code(1);
    assert!(first.stdout().contains("1 failed"), "{}", first.stdout());
    let state = world.state();
    assert!(
        state["pending"]["azure/prod/db-0000"].is_object(),
        "{state:#}"
    );
    (world, base)
}

#[test]
fn a_pending_create_is_looked_up_over_its_settle_window_before_any_create() {
    let (world, base) = pending_world("20s");
    timeouts(
        &world,
        &base,
        "  request: 300ms\n  action: 60s\n  settle: 20s\n",
    );
    // The listing still lags: the plan says what apply will do about it.
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout().contains("apply looks it up until")
            && plan
                .stdout()
                .contains("adopts it if found, else creates it"),
        "{}",
        plan.stdout()
    );
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout().contains("0 created, 1 adopted"),
        "{}",
        run.stdout()
    );
    assert_eq!(posts(&world), 1, "the create was never sent again");
    world.wait(Duration::from_secs(4));
    world.assert_remote_exactly(1);
}

#[test]
fn state_show_shows_a_pending_create() {
    let (world, _) = pending_world("20s");
    let text = world
        .run(&["state", "show", "azure/prod/db-0000", "--format", "text"])
        .expect_code(0);
    assert!(
        text.stdout().contains("status: create pending since"),
        "{}",
        text.stdout()
    );
    let json = world
        .run(&["state", "show", "azure/prod/db-0000"])
        .expect_code(0)
        .json();
    assert_eq!(json["pending"], true, "{json:#}");
    assert_eq!(json["org"], ORG_AZURE, "{json:#}");
}

#[test]
fn a_pending_create_that_landed_without_its_document_is_adopted_then_pruned() {
    let (world, base) = pending_world("20s");
    timeouts(
        &world,
        &base,
        "  request: 300ms\n  action: 60s\n  settle: 20s\n",
    );
    world.remove("connections/c0000.yaml");
    world.write("connections/other.yaml", &connection_yaml(3, "another"));
    world.wait(Duration::from_secs(4));
    let before = world.state_text();
    let kept = world.run(&["plan"]).expect_code(0);
    assert!(
        kept.stdout()
            .contains("it stays pending in state; use `--prune`"),
        "{}",
        kept.stdout()
    );
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    assert!(
        plan.stdout().contains("would adopt, then prune"),
        "{}",
        plan.stdout()
    );
    assert_eq!(world.state_text(), before, "plan wrote nothing");
    world.run(&["apply", "--prune"]).expect_code(0);
    let state = world.state();
    assert!(state.get("pending").is_none(), "{state:#}");
    // Only `db-0003`, created by that apply, is left.
    world.assert_remote_exactly(1);
}

#[test]
fn a_pending_create_never_listed_without_its_document_is_dropped_after_its_window() {
    let (world, base) = pending_world("2s");
    // Answers now arrive in time: the new document's create is not pending.
    timeouts(
        &world,
        &base,
        "  request: 5s\n  action: 60s\n  settle: 2s\n",
    );
    world.remove("connections/c0000.yaml");
    world.write("connections/other.yaml", &connection_yaml(3, "another"));
    // It did land: remove it behind provision's back, then let the window pass.
    world.wait(Duration::from_secs(4));
    let landed = world.remote();
    assert_eq!(landed.len(), 1);
    let scope = Scope::new(ORG_AZURE, "prod");
    world
        .runtime
        .block_on(world.client().delete(&scope, &landed[0].id))
        .unwrap();
    let before = world.state_text();
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout()
            .contains("would drop the stale pending record"),
        "{}",
        plan.stdout()
    );
    assert_eq!(world.state_text(), before, "plan wrote nothing");
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout().contains("stale pending create dropped"),
        "{}",
        run.stdout()
    );
    assert!(world.state().get("pending").is_none());
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_connection_renamed_on_the_platform_to_another_key_is_a_conflict_not_an_adoption() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    let id = world.state()["connections"]["azure/prod/db-0000"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Renamed on the platform to the name of a connection the config gains.
    let scope = Scope::new(ORG_AZURE, "prod");
    let client = world.client();
    let item = world.runtime.block_on(client.get(&scope, &id)).unwrap();
    world
        .runtime
        .block_on(client.patch(
            &scope,
            &id,
            &item.etag,
            &[PatchOp::replace("/name", "db-0003".into())],
        ))
        .unwrap();
    world.connections(4);
    let run = world.run(&["apply", "--refresh"]).expect_code(1);
    assert!(
        run.stdout()
            .contains("is already recorded as `azure/prod/db-0000`"),
        "{}",
        run.stdout()
    );
    let state = world.state();
    let ids: Vec<&str> = state["connections"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(
        ids.iter().filter(|i| **i == id).count(),
        1,
        "one id under one key: {state:#}"
    );
    // The next run starts (and settles the rest) instead of refusing.
    world.run(&["plan"]).expect_code(0);
}
