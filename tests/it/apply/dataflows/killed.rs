//! `provision apply` killed with SIGKILL at many points of a run making six
//! dataflows over three connections (and later replacing them): the next
//! runs finish the work with exactly one object of each name, every one of
//! them recorded, whatever the kill interrupted.

on_both_backends!(
    killed_applies_of_dataflows_resume_without_loss_or_duplicates,
    killed_replaces_finish_without_loss_or_duplicates,
    a_create_killed_right_after_its_flow_was_recorded_is_finished,
    a_pruned_dataflow_with_a_pending_create_that_landed_leaves_nothing_behind,
    a_resumed_chain_follows_a_document_changed_since_the_kill,
);

use std::time::Duration;

use provision::api::FlowService;
use provision::api::dataflow::FlowAction;
use provision::emulator::EmulatorConfig;
use provision::state::Part;

use super::{
    Flow, Platform, assert_one_of_each_and_recorded, base, edit_record, scope, settle, world,
    writes, writes_since,
};
use crate::support::world::{Backend, World};

const NAMES: [&str; 6] = ["flow-a", "flow-b", "flow-c", "flow-d", "flow-e", "flow-f"];
pub(super) const LAG: Duration = Duration::from_millis(200);

/// Slow answers and lagging listings widen every window a kill can hit.
pub(super) fn killable(backend: Backend) -> Option<World> {
    let world = world(
        backend,
        EmulatorConfig {
            latency: Duration::from_millis(25),
            list_lag: LAG,
            ..EmulatorConfig::default()
        },
    )?;
    world.append_settings("timeouts:\n  settle: 2s\n");
    Some(world)
}

fn flows(world: &World, table: &str) {
    let connections = ["orders-db", "billing-db", "invoices-db"];
    for (i, name) in NAMES.iter().enumerate() {
        let mut flow = Flow::new(name, connections[i % 3]);
        flow.enabled = i % 2 == 0;
        if table == "public.invoices" {
            flow.table = table.into();
            flow.columns = Some(vec!["invoice_id", "customer_name", "updated_at"]);
            flow.mapping = vec![("invoice_id", "_id")];
        }
        flow.write(world);
    }
}

/// Runs `apply` `rounds` times, each killed after a different delay
/// (from 40 ms to about half a second); state stays readable and a
/// PostgreSQL lock is freed each time.
pub(super) fn kill_rounds(world: &World, backend: Backend, rounds: u64, seed: u64) {
    for round in 0..rounds {
        let mut child = world
            .cmd(&["apply", "--parallelism", "8"])
            .into_command()
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        world.wait(Duration::from_millis(40 + (round * 97 + seed * 31) % 480));
        child.kill().unwrap();
        child.wait().unwrap();
        if backend == Backend::File {
            if world.state_path().exists() {
                world.state();
            }
        } else {
            world.state();
            assert!(
                world.advisory_lock_released(Duration::from_secs(5)),
                "round {round}: the server still holds the killed run's lock"
            );
        }
    }
}

/// Done: exactly one of everything, all recorded, nothing left to do.
fn finished(world: &World) {
    world.apply_until_done(&[], 4);
    settle(world, LAG);
    world.assert_remote_exactly(3);
    assert_one_of_each_and_recorded(world, &NAMES);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}

fn killed_applies_of_dataflows_resume_without_loss_or_duplicates(backend: Backend) {
    let Some(world) = killable(backend) else {
        return;
    };
    for name in ["orders-db", "billing-db", "invoices-db"] {
        base(&world, name);
    }
    flows(&world, "public.orders");
    kill_rounds(&world, backend, 10, 1);
    finished(&world);
    let platform = Platform::of(&world);
    for (i, name) in NAMES.iter().enumerate() {
        let want = if i % 2 == 0 { "enabled" } else { "disabled" };
        assert_eq!(platform.flow(name).state, want, "{name}");
    }
}

fn killed_replaces_finish_without_loss_or_duplicates(backend: Backend) {
    let Some(world) = killable(backend) else {
        return;
    };
    for name in ["orders-db", "billing-db", "invoices-db"] {
        base(&world, name);
    }
    flows(&world, "public.orders");
    world.run(&["apply"]).expect_code(0);
    flows(&world, "public.invoices");
    kill_rounds(&world, backend, 8, 2);
    finished(&world);
    let platform = Platform::of(&world);
    for name in NAMES {
        let flow = platform.flow(name);
        let source = platform
            .sources
            .iter()
            .find(|s| s.id == flow.source_connection_ids[0])
            .unwrap();
        assert_eq!(source.params.table_name, "public.invoices", "{name}");
    }
    assert_eq!(platform.sources.len(), 6, "the old chains are gone");
    assert_eq!(platform.targets.len(), 6, "the old chains are gone");
    assert_eq!(platform.flows.len(), 6, "the old chains are gone");
}

/// The record a run killed between the flow's create (recorded at once)
/// and the rest of the step (the disable, the document recorded as
/// applied) leaves: the next run finishes the step, it does not take the
/// chain for an imported one.
fn a_create_killed_right_after_its_flow_was_recorded_is_finished(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.enabled = false;
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    // As the kill left it: the flow made (enabled, as the platform makes
    // every flow) and recorded, nothing after.
    let id = Platform::of(&world).flow(&flow.name).id.clone();
    let client = world.client();
    world
        .runtime
        .block_on(client.flow_action(&scope(), &id, FlowAction::Enable))
        .unwrap();
    edit_record(&world, &flow.key(), |record| {
        record.applied = None;
        record.flow_state = None;
        record.fingerprint = String::new();
    });
    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout().contains(&format!("+ {}", flow.key()))
            && plan.stdout().contains("a create was interrupted"),
        "{}",
        plan.stdout()
    );
    let before = writes(&world);
    world.run(&["apply"]).expect_code(0);
    let sent = writes_since(&world, &before);
    assert_eq!(sent.len(), 1, "only the disable: {sent:#?}");
    assert!(
        sent[0].ends_with(&format!("/flows/{id}/action")),
        "{sent:#?}"
    );
    assert_eq!(Platform::of(&world).flow(&flow.name).state, "disabled");
    let state = world.state();
    let record = &state["dataflows"][flow.key()];
    assert_eq!(record["flowState"], "disabled", "{record:#}");
    assert_eq!(record["flow"]["id"], id.as_str(), "{record:#}");
    assert!(record["applied"].is_object(), "{record:#}");
    assert_one_of_each_and_recorded(&world, &[&flow.name]);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}

/// A dataflow whose source connection's create landed but whose answer was
/// lost (pending in state, not recorded), then pruned: the pending create
/// is looked up by name and deleted with the rest, never left behind
/// untracked.
fn a_pruned_dataflow_with_a_pending_create_that_landed_leaves_nothing_behind(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let flow = Flow::new("orders-to-lake", "orders-db");
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    edit_record(&world, &flow.key(), |record| {
        record.set_object(Part::SourceConnection, None);
        record
            .pending
            .insert(Part::SourceConnection, "2026-01-01T00:00:00Z".into());
    });
    world.remove("connections/flows/orders-to-lake.yaml");
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    assert!(
        plan.stdout().contains(&format!("- {}", flow.key())),
        "{}",
        plan.stdout()
    );
    world.run(&["apply", "--prune"]).expect_code(0);
    assert_eq!(
        Platform::of(&world).count(&flow.name),
        (0, 0, 0),
        "nothing of the chain is left on the platform"
    );
    let state = world.state();
    assert!(
        state["dataflows"].as_object().is_none_or(|m| m.is_empty()),
        "{state:#}"
    );
}

/// A chain a kill left without its flow, whose document then moved to
/// another base connection and dataset: the resumed create does not build
/// the flow on the source and target connections made for the old
/// document; those are replaced and deleted.
fn a_resumed_chain_follows_a_document_changed_since_the_kill(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    base(&world, "billing-db");
    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    // As a kill before the flow's create left it.
    let live = Platform::of(&world);
    let old_flow = live.flow(&flow.name).id.clone();
    let old_source = live.sources[0].id.clone();
    let old_target = live.targets[0].id.clone();
    let client = world.client();
    world
        .runtime
        .block_on(client.delete_flow(&scope(), &old_flow))
        .unwrap();
    edit_record(&world, &flow.key(), |record| {
        record.set_object(Part::Flow, None);
        record.applied = None;
        record.flow_state = None;
    });
    flow.connection = "billing-db".into();
    flow.dataset = "Invoices".into();
    flow.write(&world);
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout().contains(&format!("+ {}", flow.key())),
        "{}",
        plan.stdout()
    );
    world.run(&["apply"]).expect_code(0);
    let live = Platform::of(&world);
    let now = live.flow(&flow.name);
    let source = live
        .sources
        .iter()
        .find(|s| s.id == now.source_connection_ids[0])
        .unwrap();
    let billing = world.state()["connections"]["azure/prod/billing-db"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        source.base_connection_id, billing,
        "read through the new base connection"
    );
    let target = live
        .targets
        .iter()
        .find(|t| t.id == now.target_connection_ids[0])
        .unwrap();
    assert_eq!(
        target.data.schema.id,
        "https://ns.adobe.com/acme/schemas/invoices"
    );
    assert_ne!(source.id, old_source);
    assert_ne!(target.id, old_target);
    assert_one_of_each_and_recorded(&world, &[&flow.name]);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}
