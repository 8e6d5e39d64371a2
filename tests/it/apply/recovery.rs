//! `provision apply` against the in-process emulator over real HTTP, the
//! recovery promises: idempotence, lost state and lost responses, crashes,
//! concurrent runs and faults. Each scenario runs once per state backend:
//! `apply::file::*` and `apply::postgres::*`.

on_both_backends!(
    apply_twice_changes_nothing_the_second_time,
    a_lost_state_file_is_rebuilt_by_adopting,
    lost_responses_never_duplicate,
    faults_and_rate_limits_converge_without_duplicates,
    killed_applies_resume_without_loss_or_duplicates,
    a_second_concurrent_apply_exits_3_naming_the_holder,
);

use std::time::Duration;

use provision::emulator::EmulatorConfig;

use crate::support::world::{Backend, World};

fn apply_twice_changes_nothing_the_second_time(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(6);
    let first = world.run(&["apply", "--detailed-exitcode"]).expect_code(2);
    assert!(
        first
            .stdout()
            .contains("Apply complete: 6 created, 0 adopted, 0 updated, 0 deleted, 0 failed."),
        "{}",
        first.stdout()
    );
    world.assert_remote_exactly(6);
    let second = world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
    assert!(
        second.stdout().contains("No changes"),
        "{}",
        second.stdout()
    );
    world.run(&["apply"]).expect_code(0);
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    world.assert_remote_exactly(6);
    assert_eq!(
        world.state()["connections"].as_object().map(|m| m.len()),
        Some(6)
    );
}

fn a_lost_state_file_is_rebuilt_by_adopting(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(9);
    world.run(&["apply"]).expect_code(0);
    world.lose_state();
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout().contains("Plan: 0 to create, 9 to adopt"),
        "{}",
        plan.stdout()
    );
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout().contains("0 created, 9 adopted"),
        "{}",
        run.stdout()
    );
    world.assert_remote_exactly(9);
    assert_eq!(
        world.state()["connections"].as_object().map(|m| m.len()),
        Some(9)
    );
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}

fn lost_responses_never_duplicate(backend: Backend) {
    let Some(world) = World::on(
        backend,
        EmulatorConfig {
            drop_after_commit_rate: 0.3,
            seed: 11,
            ..EmulatorConfig::default()
        },
    ) else {
        return;
    };
    world.connections(200);
    world.apply_until_done(&["--parallelism", "16"], 8);
    world.assert_remote_exactly(200);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}

fn faults_and_rate_limits_converge_without_duplicates(backend: Backend) {
    let Some(world) = World::on(
        backend,
        EmulatorConfig {
            fail_rate: 0.2,
            rate_limit: Some(50),
            seed: 5,
            ..EmulatorConfig::default()
        },
    ) else {
        return;
    };
    world.connections(90);
    world.apply_until_done(&[], 10);
    world.assert_remote_exactly(90);
}

fn killed_applies_resume_without_loss_or_duplicates(backend: Backend) {
    let Some(world) = World::on(
        backend,
        EmulatorConfig {
            latency: Duration::from_millis(15),
            ..EmulatorConfig::default()
        },
    ) else {
        return;
    };
    world.connections(300);
    // 20 runs killed with SIGKILL at different moments.
    for round in 0..20u64 {
        let mut child = world
            .cmd(&["apply", "--parallelism", "8"])
            .into_command()
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        world.wait(Duration::from_millis(60 + (round * 37) % 400));
        child.kill().unwrap();
        child.wait().unwrap();
        if backend == Backend::File {
            let state = std::fs::read_to_string(world.state_path()).unwrap_or_else(|_| "{}".into());
            serde_json::from_str::<serde_json::Value>(&state)
                .expect("state stays parseable after SIGKILL");
        } else {
            world.state();
            assert!(
                world.advisory_lock_released(Duration::from_secs(5)),
                "round {round}: the server still holds the killed run's lock"
            );
        }
    }
    let run = world.run(&["apply"]);
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
    world.assert_remote_exactly(300);
    let state = world.state();
    assert_eq!(state["connections"].as_object().map(|m| m.len()), Some(300));
    assert!(
        state.get("pending").is_none(),
        "no create left pending: {}",
        state["pending"]
    );
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}

fn a_second_concurrent_apply_exits_3_naming_the_holder(backend: Backend) {
    let Some(world) = World::on(
        backend,
        EmulatorConfig {
            latency: Duration::from_millis(40),
            ..EmulatorConfig::default()
        },
    ) else {
        return;
    };
    world.connections(60);
    let first = world
        .cmd(&["apply", "--parallelism", "2"])
        .into_command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first run holds the lock (its holder details are written).
    for _ in 0..250 {
        if world.lock_is_held() {
            break;
        }
        world.wait(Duration::from_millis(20));
    }
    let second = world.run(&["apply"]).expect_code(3);
    assert!(
        second.stderr().contains(&format!("pid {}", first.id())),
        "{}",
        second.stderr()
    );
    assert!(
        second.stderr().contains("provision apply"),
        "{}",
        second.stderr()
    );
    let first = first.wait_with_output().unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    world.assert_remote_exactly(60);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}
