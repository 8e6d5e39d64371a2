//! Never a duplicate, never an object state does not know, under the
//! emulator's faults: six dataflows over three connections applied again
//! and again until done, with answers lost after the commit, listings
//! lagging behind creates, and 5xx answers; then exactly one object of
//! each name at every level, each recorded.

on_both_backends!(
    lost_answers_never_duplicate_a_dataflows_objects,
    lost_answers_and_lagging_listings_never_duplicate,
    server_errors_converge_without_duplicates,
);

use std::time::Duration;

use provision::emulator::EmulatorConfig;

use super::{Flow, assert_one_of_each_and_recorded, base, settle, world};
use crate::support::world::{Backend, World};

const NAMES: [&str; 6] = ["flow-a", "flow-b", "flow-c", "flow-d", "flow-e", "flow-f"];

/// Three connections and two dataflows over each; a short settle window
/// (longer than any listing lag here) keeps the runs quick.
fn project(world: &World) {
    world.append_settings("timeouts:\n  settle: 2s\n");
    let connections = ["orders-db", "billing-db", "invoices-db"];
    for name in connections {
        base(world, name);
    }
    for (i, name) in NAMES.iter().enumerate() {
        Flow::new(name, connections[i % 3]).write(world);
    }
}

/// Applies until done, then checks one of everything, all recorded, and
/// that one more apply has nothing to do.
fn converges(world: &World, lag: Duration) {
    let runs = world.apply_until_done(&["--parallelism", "8"], 12);
    settle(world, lag);
    world.assert_remote_exactly(3);
    assert_one_of_each_and_recorded(world, &NAMES);
    let last = runs.last().unwrap();
    assert!(!last.stdout().contains("failed:"), "{}", last.stdout());
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}

fn lost_answers_never_duplicate_a_dataflows_objects(backend: Backend) {
    for seed in [1, 2, 3] {
        let config = EmulatorConfig {
            drop_after_commit_rate: 0.3,
            seed,
            ..EmulatorConfig::default()
        };
        let Some(world) = world(backend, config) else {
            return;
        };
        project(&world);
        converges(&world, Duration::ZERO);
    }
}

fn lost_answers_and_lagging_listings_never_duplicate(backend: Backend) {
    for seed in [4, 5] {
        let lag = Duration::from_millis(700);
        let config = EmulatorConfig {
            drop_after_commit_rate: 0.3,
            list_lag: lag,
            seed,
            ..EmulatorConfig::default()
        };
        let Some(world) = world(backend, config) else {
            return;
        };
        project(&world);
        converges(&world, lag);
    }
}

fn server_errors_converge_without_duplicates(backend: Backend) {
    let config = EmulatorConfig {
        fail_rate: 0.2,
        drop_after_commit_rate: 0.1,
        list_lag: Duration::from_millis(300),
        seed: 9,
        ..EmulatorConfig::default()
    };
    let Some(world) = world(backend, config) else {
        return;
    };
    project(&world);
    converges(&world, Duration::from_millis(300));
}
