//! Where a dataflow's base connection comes from: a document applied in the
//! same run (the dataflow waits for its create), a connection that exists
//! only on the platform (found by name, never managed), or nowhere (the
//! plan fails naming it before any write).

on_both_backends!(
    a_dataflow_reads_through_a_connection_created_in_the_same_run,
    a_dataflow_reads_through_a_connection_only_on_the_platform,
    a_dataflow_whose_connection_exists_nowhere_fails_the_plan_before_any_write,
);

use std::time::Duration;

use provision::api::FlowService;
use provision::api::wire::{AuthParams, CreateAuth, CreateConnectionRequest, SpecRef};
use provision::emulator::EmulatorConfig;
use provision::secret::Secret;

use super::{Flow, Platform, assert_one_of_each_and_recorded, base, scope, world, writes};
use crate::support::world::{Backend, CANARY};

fn a_dataflow_reads_through_a_connection_created_in_the_same_run(backend: Backend) {
    // Slow answers: the dataflow would reach explore before the base
    // connection exists if it did not wait for the create.
    let config = EmulatorConfig {
        latency: Duration::from_millis(40),
        ..EmulatorConfig::default()
    };
    let Some(world) = world(backend, config) else {
        return;
    };
    base(&world, "orders-db");
    Flow::new("orders-to-lake", "orders-db").write(&world);
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout().contains("+ azure/prod/orders-db")
            && plan
                .stdout()
                .contains("+ dataflow/azure/prod/orders-to-lake"),
        "{}",
        plan.stdout()
    );
    world.run(&["apply", "--parallelism", "8"]).expect_code(0);
    let base_id = world.state()["connections"]["azure/prod/orders-db"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let platform = Platform::of(&world);
    let source = platform
        .sources
        .iter()
        .find(|s| s.name == "orders-to-lake")
        .unwrap();
    assert_eq!(source.base_connection_id, base_id);
    assert_eq!(
        world.state()["dataflows"]["dataflow/azure/prod/orders-to-lake"]["baseConnectionId"],
        base_id.as_str()
    );
    let requests = world.emulator.as_ref().unwrap().requests();
    let created = requests
        .iter()
        .position(|r| r.method == "POST" && r.path.ends_with("/flowservice/connections"))
        .unwrap();
    let explored = requests
        .iter()
        .position(|r| r.path.ends_with("/explore"))
        .unwrap();
    assert!(
        created < explored,
        "explore came before the base connection's create"
    );
    assert_one_of_each_and_recorded(&world, &["orders-to-lake"]);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}

fn a_dataflow_reads_through_a_connection_only_on_the_platform(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    let client = world.client();
    let made = world
        .runtime
        .block_on(client.create(
            &scope(),
            &CreateConnectionRequest {
                name: "legacy-db".into(),
                description: Some("made by hand".into()),
                auth: CreateAuth {
                    spec_name: "Basic Authentication".into(),
                    params: AuthParams::Basic {
                        server: "legacy.example.com".into(),
                        port: "5432".into(),
                        database: "app".into(),
                        username: "aep".into(),
                        password: Secret::new(CANARY),
                        ssl_mode: Some("Verify Full".into()),
                    },
                },
                connection_spec: SpecRef::postgres(),
            },
        ))
        .unwrap();
    Flow::new("legacy-to-lake", "legacy-db").write(&world);
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout().contains("1 created, 0 adopted"),
        "{}",
        run.stdout()
    );
    let platform = Platform::of(&world);
    let source = platform
        .sources
        .iter()
        .find(|s| s.name == "legacy-to-lake")
        .unwrap();
    assert_eq!(source.base_connection_id, made.id);
    let state = world.state();
    assert!(
        state["connections"]
            .as_object()
            .is_none_or(|c| c.is_empty()),
        "the platform's connection is not managed: {state:#}"
    );
    assert_eq!(
        state["dataflows"]["dataflow/azure/prod/legacy-to-lake"]["baseConnectionId"],
        made.id.as_str()
    );
    assert_one_of_each_and_recorded(&world, &["legacy-to-lake"]);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
    world.assert_remote_exactly(1);
}

fn a_dataflow_whose_connection_exists_nowhere_fails_the_plan_before_any_write(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    Flow::new("orders-to-lake", "orders-db").write(&world);
    Flow::new("ghost-to-lake", "ghost-db").write(&world);
    for command in ["plan", "apply"] {
        let refused = world.run(&[command]).expect_code(1);
        let stderr = refused.stderr();
        assert!(
            stderr.contains(
                "`dataflow/azure/prod/ghost-to-lake` reads through base connection `ghost-db`, which is not in these files, not in state and not on the platform in sandbox `prod`"
            ),
            "{command}: {stderr}"
        );
    }
    assert_eq!(writes(&world), Vec::<String>::new());
    world.assert_remote_exactly(0);
    if backend == Backend::Postgres || world.state_path().exists() {
        let state = world.state();
        assert!(
            state["dataflows"].as_object().is_none_or(|d| d.is_empty()),
            "{state:#}"
        );
    }
}
