//! What a chain finds on the platform instead of making it: after state is
//! lost, every object of a dataflow is adopted by name and nothing is sent;
//! a mapping set a pruned dataflow left behind is adopted by the dataflow
//! made again under its name, and brought to the document's mapping.

on_both_backends!(
    a_lost_state_adopts_every_object_of_a_dataflow_and_sends_nothing,
    a_mapping_set_left_by_a_pruned_dataflow_is_adopted_with_the_new_mapping,
    an_adopted_flow_is_brought_to_its_document,
);

use provision::emulator::EmulatorConfig;

use super::{
    Flow, Platform, assert_one_of_each_and_recorded, base, mapping_of, mapping_sets, world, writes,
    writes_since,
};
use crate::support::world::Backend;

fn a_lost_state_adopts_every_object_of_a_dataflow_and_sends_nothing(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let mut disabled = Flow::new("orders-disabled", "orders-db");
    disabled.enabled = false;
    disabled.write(&world);
    Flow::new("orders-to-lake", "orders-db").write(&world);
    world.run(&["apply"]).expect_code(0);
    let before_ids = world.state()["dataflows"].clone();
    world.lose_state();

    let before = writes(&world);
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout().contains("0 failed")
            && run
                .stdout()
                .contains("> dataflow/azure/prod/orders-to-lake: adopted (id")
            && !run.stdout().contains("0 adopted"),
        "{}\n{}",
        run.stdout(),
        run.stderr()
    );
    assert_eq!(
        writes_since(&world, &before),
        Vec::<String>::new(),
        "every object is adopted, none made, the disabled flow not disabled again"
    );
    assert_one_of_each_and_recorded(&world, &["orders-disabled", "orders-to-lake"]);
    let after = world.state()["dataflows"].clone();
    for key in ["orders-disabled", "orders-to-lake"].map(|n| format!("dataflow/azure/prod/{n}")) {
        for part in ["sourceConnection", "targetConnection", "mappingSet", "flow"] {
            assert_eq!(
                after[&key][part]["id"], before_ids[&key][part]["id"],
                "{key} {part}"
            );
        }
    }
    assert_eq!(
        after["dataflow/azure/prod/orders-disabled"]["flowState"],
        "disabled"
    );
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
}

fn a_mapping_set_left_by_a_pruned_dataflow_is_adopted_with_the_new_mapping(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    let old = mapping_sets(&world, &flow.name);
    world.remove("connections/flows/orders-to-lake.yaml");
    world.run(&["apply", "--prune"]).expect_code(0);
    assert_eq!(Platform::of(&world).count(&flow.name), (0, 0, 0));

    // Made again under the same name with another mapping.
    flow.mapping = vec![("order_id", "_id"), ("updated_at", "_acme.updatedAt")];
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    let sets = mapping_sets(&world, &flow.name);
    assert_eq!(sets.len(), 1, "{sets:#?}");
    assert_eq!(sets[0].id, old[0].id, "the mapping set is adopted");
    let destinations: Vec<&str> = sets[0]
        .mappings
        .iter()
        .map(|m| m.destination.as_str())
        .collect();
    assert_eq!(destinations, ["_id", "_acme.updatedAt"], "{sets:#?}");
    let live = Platform::of(&world);
    assert_eq!(
        mapping_of(live.flow(&flow.name)),
        (sets[0].id.clone(), sets[0].version.to_string()),
        "the flow uses the version with the document's mapping"
    );
    assert_one_of_each_and_recorded(&world, &[&flow.name]);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}

/// State lost, then the document changed: the flow found by name is
/// adopted and patched to the document (as an adopted connection is
/// updated in the same run), so state's "applied" is what the platform has.
fn an_adopted_flow_is_brought_to_its_document(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    let id = Platform::of(&world).flow(&flow.name).id.clone();
    world.lose_state();
    flow.description = Some("described after the loss".into());
    flow.interval = Some(3);
    flow.enabled = false;
    flow.write(&world);
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout()
            .contains("> dataflow/azure/prod/orders-to-lake: adopted and updated (id"),
        "{}",
        run.stdout()
    );
    let live = Platform::of(&world);
    let now = live.flow(&flow.name);
    assert_eq!(now.id, id, "adopted, not made again");
    assert_eq!(now.description.as_deref(), Some("described after the loss"));
    assert_eq!(now.schedule_params.interval.as_deref(), Some("3"));
    assert_eq!(now.state, "disabled");
    assert_one_of_each_and_recorded(&world, &[&flow.name]);
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
}
