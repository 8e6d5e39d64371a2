//! Many dataflows in one apply: chains run a few at a time (twice the
//! request slots), so each finishes within `timeouts.action` however many
//! the run holds, and an interrupt leaves the chains not yet started
//! unstarted and stops those under way between their objects; the next
//! apply makes the rest with no duplicate.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use provision::emulator::EmulatorConfig;

use super::{Flow, assert_one_of_each_and_recorded, base, world};
use crate::apply::interrupt::{interrupt, wait_within};
use crate::support::world::{Backend, World};

/// `count` dataflows over one base connection, on an emulator answering
/// after `latency_ms`; the connection is applied first.
fn many(latency_ms: u64, count: usize) -> Option<(World, Vec<String>)> {
    let config = EmulatorConfig {
        latency: Duration::from_millis(latency_ms),
        ..EmulatorConfig::default()
    };
    let world = world(Backend::File, config)?;
    base(&world, "orders-db");
    world.run(&["apply"]).expect_code(0);
    let names: Vec<String> = (0..count).map(|i| format!("flow-{i:02}")).collect();
    for name in &names {
        Flow::new(name, "orders-db").write(&world);
    }
    Some((world, names))
}

#[test]
fn each_chain_finishes_within_its_deadline_however_many_the_run_holds() {
    // 24 chains of 5 requests each over 2 request slots take about 4 s in
    // all; one chain alone, well under a second. Were every chain started
    // at once, each would wait behind all the others and outlive 2 s.
    let Some((world, names)) = many(60, 24) else {
        return;
    };
    world.append_settings("timeouts:\n  action: 2s\n");
    let run = world.run(&["apply", "--parallelism", "2"]);
    assert!(
        run.stdout().contains("24 created") && run.code() == 0,
        "{}{}",
        run.stdout(),
        run.stderr()
    );
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_one_of_each_and_recorded(&world, &names);
}

#[test]
fn an_interrupt_stops_dataflow_chains_and_the_next_apply_makes_the_rest() {
    let Some((world, names)) = many(150, 20) else {
        return;
    };
    let mut child = world
        .cmd(&["apply", "--parallelism", "2"])
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The first finished chain: the run is under way.
    let first = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains(": created"))
        .unwrap_or_default();
    assert!(first.contains("dataflow/"), "{first}");
    interrupt(&child);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    // At most the chains under way finish their object in flight.
    let code = wait_within(&mut child, Duration::from_secs(5));
    assert_eq!(code, 130, "{rest:#?}");
    let text = rest.join("\n");
    let created = text.matches(": created").count() + 1;
    assert!(
        created < names.len() && text.contains("not started (interrupted)"),
        "{text}"
    );
    world.run(&["apply"]).expect_code(0);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_one_of_each_and_recorded(&world, &names);
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}
