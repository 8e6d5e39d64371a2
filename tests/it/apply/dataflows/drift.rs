//! Changes made on the platform behind provision's back: invisible to a
//! plain plan (state is the truth), shown by `--refresh` and put back by
//! `apply --refresh`; a flow deleted outside provision is made again, and
//! only the flow.

on_both_backends!(
    a_flow_disabled_or_redescribed_outside_is_shown_by_refresh_and_put_back,
    a_flow_deleted_outside_is_created_again,
);

/// A listing that lags behind the creates does not make a flow or its base
/// connection, just created, look deleted (and be created again): the plan
/// reads a recorded object it misses by id.
#[test]
fn a_lagging_listing_is_not_taken_for_a_deleted_flow_or_connection() {
    let Some(world) = world(
        Backend::File,
        EmulatorConfig {
            list_lag: std::time::Duration::from_secs(600),
            ..EmulatorConfig::default()
        },
    ) else {
        return;
    };
    base(&world, "orders-db");
    Flow::new("orders-to-lake", "orders-db").write(&world);
    world.run(&["apply"]).expect_code(0);
    let plan = world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
    assert!(plan.stdout().contains("No changes"), "{}", plan.stdout());
}

use provision::api::FlowService;
use provision::api::dataflow::FlowAction;
use provision::api::wire::PatchOp;
use provision::emulator::EmulatorConfig;

use super::{
    Flow, Platform, assert_one_of_each_and_recorded, base, scope, world, writes, writes_since,
};
use crate::support::world::{Backend, World};

fn setup(backend: Backend) -> Option<(World, Flow)> {
    let world = world(backend, EmulatorConfig::default())?;
    base(&world, "orders-db");
    let flow = Flow::new("orders-to-lake", "orders-db");
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    Some((world, flow))
}

fn a_flow_disabled_or_redescribed_outside_is_shown_by_refresh_and_put_back(backend: Backend) {
    let Some((world, flow)) = setup(backend) else {
        return;
    };
    let live = Platform::of(&world).flow(&flow.name).clone();
    let client = world.client();
    world.runtime.block_on(async {
        let scope = scope();
        let done = client
            .flow_action(&scope, &live.id, FlowAction::Disable)
            .await
            .unwrap();
        client
            .patch_flow(
                &scope,
                &live.id,
                &done.etag,
                &[PatchOp::replace(
                    "/description",
                    serde_json::json!("edited by hand"),
                )],
            )
            .await
            .unwrap();
    });
    // State is the truth without --refresh.
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let plan = world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(2);
    let out = plan.stdout();
    assert!(out.contains(&format!("~ {}", flow.key())), "{out}");
    assert!(out.contains("state changed outside provision"), "{out}");
    assert!(
        out.contains("description changed outside provision"),
        "{out}"
    );
    assert!(out.contains("edited by hand"), "{out}");
    let before = writes(&world);
    world.run(&["apply", "--refresh"]).expect_code(0);
    let mut sent = writes_since(&world, &before);
    sent.sort();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(
        sent[0].starts_with("PATCH") && sent[0].ends_with(&format!("/flows/{}", live.id)),
        "{sent:#?}"
    );
    assert!(
        sent[1].starts_with("POST") && sent[1].ends_with(&format!("/flows/{}/action", live.id)),
        "{sent:#?}"
    );
    let now = Platform::of(&world).flow(&flow.name).clone();
    assert_eq!(now.id, live.id);
    assert_eq!(now.state, "enabled");
    assert_eq!(now.description.as_deref(), Some("orders, hourly"));
    assert_eq!(
        world.state()["dataflows"][flow.key()]["flowState"],
        "enabled"
    );
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
    assert_one_of_each_and_recorded(&world, &[&flow.name]);
}

fn a_flow_deleted_outside_is_created_again(backend: Backend) {
    let Some((world, flow)) = setup(backend) else {
        return;
    };
    let state = world.state();
    let record = &state["dataflows"][flow.key()];
    let old_flow = record["flow"]["id"].as_str().unwrap().to_owned();
    let source = record["sourceConnection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mapping = record["mappingSet"]["id"].as_str().unwrap().to_owned();
    let client = world.client();
    world
        .runtime
        .block_on(client.delete_flow(&scope(), &old_flow))
        .unwrap();
    let plan = world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(2);
    assert!(
        plan.stdout().contains(&format!("+ {}", flow.key()))
            && plan
                .stdout()
                .contains("its flow was deleted outside provision"),
        "{}",
        plan.stdout()
    );
    let before = writes(&world);
    world.run(&["apply", "--refresh"]).expect_code(0);
    let sent = writes_since(&world, &before);
    assert_eq!(sent.len(), 1, "only the flow is made again: {sent:#?}");
    assert!(
        sent[0].starts_with("POST") && sent[0].ends_with("/flows"),
        "{sent:#?}"
    );
    let now = Platform::of(&world).flow(&flow.name).clone();
    assert_ne!(now.id, old_flow);
    assert_eq!(now.source_connection_ids, [source]);
    assert_eq!(super::mapping_of(&now).0, mapping);
    assert_eq!(
        world.state()["dataflows"][flow.key()]["flow"]["id"],
        now.id.as_str()
    );
    assert_one_of_each_and_recorded(&world, &[&flow.name]);
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
}
