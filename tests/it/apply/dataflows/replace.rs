//! The changes an existing chain cannot carry: a new table, columns or
//! dataset replace it (one new source connection, target connection and
//! flow; the old ones gone; the mapping set reused), `--prune` deletes it
//! (but never its mapping set), and `protect: true` refuses both.

on_both_backends!(
    a_source_or_target_change_replaces_the_chain_and_reuses_the_mapping_set,
    prune_deletes_flow_source_and_target_and_keeps_the_mapping_set,
    a_protected_dataflow_is_never_pruned,
    a_replace_killed_before_the_old_chain_was_deleted_deletes_it_next_time,
);

use provision::api::FlowService;
use provision::api::dataflow::{CreateSourceConnection, CreateTargetConnection};
use provision::emulator::EmulatorConfig;
use provision::state::{Part, Retired};

use super::{
    Flow, Platform, assert_one_of_each_and_recorded, base, edit_record, mapping_of, mapping_sets,
    scope, world, writes, writes_since,
};
use crate::support::world::{Backend, World};

/// The recorded (source, target, flow, mapping set) ids.
fn ids(world: &World, flow: &Flow) -> [String; 4] {
    let state = world.state();
    let record = &state["dataflows"][flow.key()];
    ["sourceConnection", "targetConnection", "flow", "mappingSet"]
        .map(|part| record[part]["id"].as_str().unwrap().to_owned())
}

/// Whether the platform still answers a read of each of (source, target,
/// flow).
fn still_there(world: &World, old: &[String; 4]) -> [bool; 3] {
    let client = world.client();
    world.runtime.block_on(async {
        let scope = scope();
        [
            client.get_source_connection(&scope, &old[0]).await.is_ok(),
            client.get_target_connection(&scope, &old[1]).await.is_ok(),
            // An empty id is not asked for: `/flows/` is not a flow.
            !old[2].is_empty() && client.get_flow(&scope, &old[2]).await.is_ok(),
        ]
    })
}

/// Applies a replacing change: the plan says `-/+` naming `field`, apply
/// makes a new source, target and flow, deletes the old ones, keeps the
/// mapping set, and the next apply sends nothing.
fn replaced(world: &World, flow: &Flow, field: &str, extra: &[&str]) {
    flow.write(world);
    let old = ids(world, flow);
    let mut plan_args = vec!["plan", "--detailed-exitcode"];
    plan_args.extend_from_slice(extra);
    let plan = world.run(&plan_args).expect_code(2);
    assert!(
        plan.stdout().contains(&format!("-/+ {}", flow.key())) && plan.stdout().contains(field),
        "{field}: {}",
        plan.stdout()
    );
    let mut apply_args = vec!["apply"];
    apply_args.extend_from_slice(extra);
    world.run(&apply_args).expect_code(0);
    let new = ids(world, flow);
    for part in 0..3 {
        assert_ne!(old[part], new[part], "{field}: part {part} is new");
    }
    assert_eq!(old[3], new[3], "{field}: the mapping set is reused");
    assert_eq!(
        still_there(world, &old),
        [false; 3],
        "{field}: the old chain is gone"
    );
    assert_one_of_each_and_recorded(world, &[&flow.name]);
    let live = Platform::of(world);
    let now = live.flow(&flow.name);
    assert_eq!(now.source_connection_ids, [new[0].clone()]);
    assert_eq!(now.target_connection_ids, [new[1].clone()]);
    assert_eq!(mapping_of(now).0, old[3]);
    let before = writes(world);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
    assert_eq!(
        writes_since(world, &before),
        Vec::<String>::new(),
        "{field}"
    );
}

fn a_source_or_target_change_replaces_the_chain_and_reuses_the_mapping_set(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);

    // The same table into the same dataset with backfill would read the
    // rows again: refused unless confirmed with --replace.
    flow.columns = Some(vec![
        "order_id",
        "customer_name",
        "updated_at",
        "changed_at",
    ]);
    flow.write(&world);
    let before = writes(&world);
    let refused = world.run(&["apply"]).expect_code(1);
    assert!(
        refused
            .stderr()
            .contains(&format!("--replace {}", flow.key())),
        "{}",
        refused.stderr()
    );
    assert_eq!(writes_since(&world, &before), Vec::<String>::new());
    let key = flow.key();
    replaced(&world, &flow, "source.columns", &["--replace", &key]);
    let source = Platform::of(&world)
        .sources
        .into_iter()
        .find(|s| s.name == flow.name && s.is_live())
        .unwrap();
    assert_eq!(source.params.columns.len(), 4);

    flow.table = "public.invoices".into();
    flow.columns = Some(vec!["invoice_id", "customer_name", "updated_at"]);
    flow.mapping = vec![("invoice_id", "_id")];
    replaced(&world, &flow, "source.table", &[]);
    let mapping = &mapping_sets(&world, &flow.name)[0];
    assert_eq!(
        mapping.mappings.len(),
        1,
        "the new mapping is a new version: {mapping:#?}"
    );

    flow.dataset = "Invoices".into();
    replaced(&world, &flow, "target.dataset", &[]);
    let live = Platform::of(&world);
    let target = live
        .targets
        .iter()
        .find(|t| t.name == flow.name && t.is_live())
        .unwrap();
    assert_eq!(
        target.data.schema.id,
        "https://ns.adobe.com/acme/schemas/invoices"
    );
}

fn prune_deletes_flow_source_and_target_and_keeps_the_mapping_set(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let flow = Flow::new("orders-to-lake", "orders-db");
    flow.write(&world);
    let kept = Flow::new("orders-kept", "orders-db");
    kept.write(&world);
    world.run(&["apply"]).expect_code(0);
    let old = ids(&world, &flow);
    world.remove("connections/flows/orders-to-lake.yaml");

    // Without --prune it is kept, with a warning, and nothing is sent.
    let before = writes(&world);
    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let kept = format!("kept: `{}`; use `--prune` to delete them", flow.key());
    assert!(plan.stdout().contains(&kept), "{}", plan.stdout());
    let run = world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
    assert!(run.stderr().contains(&kept), "{}", run.stderr());
    assert_eq!(writes_since(&world, &before), Vec::<String>::new());

    let plan = world
        .run(&["plan", "--prune", "--detailed-exitcode"])
        .expect_code(2);
    assert!(
        plan.stdout().contains(&format!("- {}", flow.key())),
        "{}",
        plan.stdout()
    );
    let run = world.run(&["apply", "--prune"]).expect_code(0);
    assert!(
        run.stdout().contains("1 deleted, 0 failed"),
        "{}",
        run.stdout()
    );
    assert_eq!(still_there(&world, &old), [false; 3]);
    assert_eq!(Platform::of(&world).count(&flow.name), (0, 0, 0));
    let sets = mapping_sets(&world, &flow.name);
    assert_eq!(sets.len(), 1, "the mapping set stays");
    assert_eq!(sets[0].id, old[3]);
    assert_one_of_each_and_recorded(&world, &["orders-kept"]);
    world.assert_remote_exactly(1);
    world
        .run(&["apply", "--prune", "--detailed-exitcode"])
        .expect_code(0);
}

fn a_protected_dataflow_is_never_pruned(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.protect = true;
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    assert_eq!(world.state()["dataflows"][flow.key()]["protect"], true);
    world.remove("connections/flows/orders-to-lake.yaml");
    let before = writes(&world);
    for command in ["plan", "apply"] {
        let refused = world.run(&[command, "--prune"]).expect_code(1);
        assert!(
            refused
                .stderr()
                .contains(&format!("provision state unprotect {}", flow.key()))
                && refused
                    .stderr()
                    .contains("put its document back with `protect: false`"),
            "{command}: {}",
            refused.stderr()
        );
    }
    assert_eq!(writes_since(&world, &before), Vec::<String>::new());
    assert_one_of_each_and_recorded(&world, &["orders-to-lake"]);

    // The first way out the message names: `protect: false` applied.
    flow.protect = false;
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    assert!(
        world.state()["dataflows"][flow.key()]
            .get("protect")
            .is_none()
    );
    world.remove("connections/flows/orders-to-lake.yaml");
    world.run(&["apply", "--prune"]).expect_code(0);
    assert_eq!(Platform::of(&world).count(&flow.name), (0, 0, 0));
    assert!(
        world.state()["dataflows"]
            .as_object()
            .is_none_or(|m| m.is_empty())
    );
}

/// The state a run killed after the new chain was recorded but before the
/// old one was deleted leaves: a complete record whose `retired` objects
/// (the old flow already deleted, its source and target connections not)
/// still exist. The next plan says so and apply deletes them.
fn a_replace_killed_before_the_old_chain_was_deleted_deletes_it_next_time(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let flow = Flow::new("orders-to-lake", "orders-db");
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    // The old chain's source and target connections, as the replace left them.
    let live = Platform::of(&world);
    let source = live.sources[0].clone();
    let target = live.targets[0].clone();
    let client = world.client();
    let (old_source, old_target) = world.runtime.block_on(async {
        let scope = scope();
        let s = client
            .create_source_connection(
                &scope,
                &CreateSourceConnection {
                    name: source.name,
                    description: None,
                    base_connection_id: source.base_connection_id,
                    data: source.data,
                    params: source.params,
                    connection_spec: source.connection_spec,
                },
            )
            .await
            .unwrap();
        let t = client
            .create_target_connection(
                &scope,
                &CreateTargetConnection {
                    name: target.name,
                    description: None,
                    data: target.data,
                    params: target.params,
                    connection_spec: target.connection_spec,
                },
            )
            .await
            .unwrap();
        (s.id, t.id)
    });
    edit_record(&world, &flow.key(), |record| {
        record.retired = vec![
            Retired {
                part: Part::Flow,
                id: "00000000-0000-0000-0000-000000000000".into(),
            },
            Retired {
                part: Part::SourceConnection,
                id: old_source.clone(),
            },
            Retired {
                part: Part::TargetConnection,
                id: old_target.clone(),
            },
        ];
    });
    assert_eq!(Platform::of(&world).count(&flow.name), (2, 2, 1));

    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout().contains(&format!("~ {}", flow.key()))
            && plan.stdout().contains("a replace was interrupted"),
        "{}",
        plan.stdout()
    );
    let before = writes(&world);
    world.run(&["apply"]).expect_code(0);
    let mut sent = writes_since(&world, &before);
    sent.sort();
    assert_eq!(sent.len(), 3, "{sent:#?}");
    assert!(sent.iter().all(|w| w.starts_with("DELETE")), "{sent:#?}");
    assert_eq!(
        still_there(
            &world,
            &[old_source, old_target, String::new(), String::new()]
        )[..2],
        [false, false]
    );
    assert_one_of_each_and_recorded(&world, &[&flow.name]);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}
