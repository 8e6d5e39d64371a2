//! SIGINT during apply: the
//! first interrupt lets the request in flight finish and be recorded,
//! starts nothing new, prints the summary with `interrupted` and exits 130;
//! a second interrupt exits at once. Either way the next apply completes
//! the rest without a duplicate.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use provision::emulator::EmulatorConfig;

use crate::support::world::World;

pub fn interrupt(child: &Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits at most `limit` for `child`; kills it and fails when it hangs.
pub fn wait_within(child: &mut Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("apply still running {limit:?} after the interrupt");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn slow_world(latency_ms: u64, count: usize) -> World {
    let world = World::new(EmulatorConfig {
        latency: Duration::from_millis(latency_ms),
        ..EmulatorConfig::default()
    });
    world.connections(count);
    world
}

#[test]
fn the_first_interrupt_finishes_what_is_in_flight_and_exits_130() {
    let world = slow_world(300, 6);
    let mut child = world
        .cmd(&["apply", "--parallelism", "1"])
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("created"), "{first}");
    interrupt(&child);
    let code = wait_within(&mut child, Duration::from_secs(30));
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(code, 130, "{rest:#?}\n{stderr}");
    assert!(
        stderr.contains("interrupted: no new action starts"),
        "{stderr}"
    );
    let summary = rest.last().unwrap();
    assert!(summary.starts_with("Apply interrupted: "), "{rest:#?}");
    assert!(summary.contains("not started."), "{summary}");
    // What landed is recorded, nothing is left pending.
    let state = world.state();
    let recorded = state["connections"].as_object().unwrap().len();
    assert!((1..6).contains(&recorded), "{state:#}");
    assert!(state.get("pending").is_none(), "{state:#}");
    assert_eq!(world.remote().len(), recorded);
    world.run(&["apply"]).expect_code(0);
    world.assert_remote_exactly(6);
}

#[test]
fn a_second_interrupt_exits_at_once_and_the_next_apply_recovers() {
    let world = slow_world(4000, 3);
    let mut child = world
        .cmd(&["apply", "--parallelism", "1"])
        .into_command()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    // The plan line comes once the actions start (the listing took one latency).
    while !line.starts_with("Plan:") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no plan line");
    }
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    interrupt(&child);
    let code = wait_within(&mut child, Duration::from_secs(3));
    assert_eq!(code, 130);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("exiting now"), "{rest}");
    assert!(!rest.contains("panicked"), "{rest}");
    world.apply_until_done(&[], 3);
    world.assert_remote_exactly(3);
}

#[test]
fn an_interrupt_while_planning_stops_at_once_with_nothing_changed() {
    let world = slow_world(5000, 2);
    let mut child = world
        .cmd(&["apply"])
        .into_command()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The lock is taken right before the run starts listing the sandboxes.
    let start = Instant::now();
    while !world.lock_is_held() {
        assert!(start.elapsed() < Duration::from_secs(20), "never locked");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    interrupt(&child);
    let code = wait_within(&mut child, Duration::from_secs(3));
    assert_eq!(code, 130);
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("interrupted while planning: nothing was changed"),
        "{stderr}"
    );
    // Planning only reads: no state was written.
    assert!(!world.state_path().exists());
}
