//! A project of connections and dataflows applied from empty, then each
//! in-place change (description, schedule, delta column, mapping,
//! enabled) applied alone: the plan names the field, apply sends only the
//! calls that carry it, the ids stay, and the next apply sends nothing.

on_both_backends!(
    a_project_applies_from_empty_and_a_second_apply_sends_nothing,
    each_in_place_change_sends_only_what_the_plan_named,
);

use provision::emulator::EmulatorConfig;

use super::{
    Flow, Platform, assert_one_of_each_and_recorded, base, mapping_of, mapping_sets, world, writes,
    writes_since,
};
use crate::support::world::{Backend, World};

fn a_project_applies_from_empty_and_a_second_apply_sends_nothing(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    base(&world, "billing-db");
    Flow::new("orders-to-lake", "orders-db").write(&world);
    let mut invoices = Flow::new("invoices-to-lake", "billing-db");
    invoices.table = "public.invoices".into();
    invoices.columns = Some(vec!["invoice_id", "customer_name", "updated_at"]);
    invoices.dataset = "Invoices".into();
    invoices.mapping = vec![("invoice_id", "_id")];
    invoices.write(&world);

    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout()
            .contains("+ dataflow/azure/prod/orders-to-lake")
            && plan
                .stdout()
                .contains("+ dataflow/azure/prod/invoices-to-lake"),
        "{}",
        plan.stdout()
    );
    let run = world.run(&["apply", "--detailed-exitcode"]).expect_code(2);
    assert!(
        run.stdout()
            .contains("Apply complete: 4 created, 0 adopted, 0 updated, 0 deleted, 0 failed."),
        "{}",
        run.stdout()
    );
    world.assert_remote_exactly(2);
    assert_one_of_each_and_recorded(&world, &["orders-to-lake", "invoices-to-lake"]);
    let platform = Platform::of(&world);
    assert_eq!(platform.flow("orders-to-lake").state, "enabled");
    let orders_db = world
        .remote()
        .into_iter()
        .find(|c| c.name == "orders-db")
        .unwrap();
    let source = platform
        .sources
        .iter()
        .find(|s| s.name == "orders-to-lake")
        .unwrap();
    assert_eq!(
        source.base_connection_id, orders_db.id,
        "read through the connection made in the same run"
    );
    assert_eq!(source.params.table_name, "public.orders");

    let before = writes(&world);
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    world
        .run(&["plan", "--detailed-exitcode", "--refresh"])
        .expect_code(0);
    let again = world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
    assert!(again.stdout().contains("No changes"), "{}", again.stdout());
    assert_eq!(writes_since(&world, &before), Vec::<String>::new());
    assert_one_of_each_and_recorded(&world, &["orders-to-lake", "invoices-to-lake"]);
}

/// Applies `flow` after a change; checks that the plan named `field` as an
/// update, that apply sent exactly `expected` writes (method and path
/// suffix, in any order), kept every id, and that the next apply sends
/// nothing.
fn change(world: &World, flow: &Flow, field: &str, expected: &[&str]) {
    flow.write(world);
    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    let out = plan.stdout();
    assert!(out.contains(&format!("~ {}", flow.key())), "{out}");
    assert!(out.contains(field), "{field}: {out}");
    assert!(
        out.contains("0 to create, 0 to adopt, 1 to update, 0 to delete"),
        "{out}"
    );
    let ids = record_ids(world, flow);
    let before = writes(world);
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout()
            .contains("0 created, 0 adopted, 1 updated, 0 deleted, 0 failed"),
        "{}",
        run.stdout()
    );
    let mut sent = writes_since(world, &before);
    sent.sort();
    let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    assert_eq!(sent.len(), want.len(), "{field}: sent {sent:#?}");
    for (sent, want) in sent.iter().zip(&want) {
        let (method, tail) = want.split_once(' ').unwrap();
        let tail = tail
            .replace("{flow}", &ids[2])
            .replace("{mapping}", &ids[3]);
        assert!(
            sent.starts_with(method) && sent.ends_with(&tail),
            "{field}: sent {sent}, expected {method} …{tail}"
        );
    }
    assert_eq!(record_ids(world, flow), ids, "{field}: the ids stay");
    assert_one_of_each_and_recorded(world, &[&flow.name]);
    let before = writes(world);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
    world
        .run(&["plan", "--detailed-exitcode", "--refresh"])
        .expect_code(0);
    assert_eq!(
        writes_since(world, &before),
        Vec::<String>::new(),
        "{field}"
    );
}

/// The recorded (source, target, flow, mapping set) ids.
fn record_ids(world: &World, flow: &Flow) -> Vec<String> {
    let state = world.state();
    let record = &state["dataflows"][flow.key()];
    ["sourceConnection", "targetConnection", "flow", "mappingSet"]
        .iter()
        .map(|part| record[part]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn each_in_place_change_sends_only_what_the_plan_named(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.columns = Some(vec![
        "order_id",
        "customer_name",
        "updated_at",
        "changed_at",
    ]);
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    let name = flow.name.clone();
    let live = |world: &World| Platform::of(world).flow(&name).clone();

    flow.description = Some("orders, now described otherwise".into());
    change(&world, &flow, "description", &["PATCH /flows/{flow}"]);
    assert_eq!(
        live(&world).description.as_deref(),
        Some("orders, now described otherwise")
    );

    flow.frequency = "minute";
    flow.interval = Some(30);
    change(&world, &flow, "schedule.interval", &["PATCH /flows/{flow}"]);
    let schedule = live(&world).schedule_params;
    assert_eq!(
        (schedule.frequency.as_str(), schedule.interval.as_deref()),
        ("minute", Some("30"))
    );

    flow.delta = Some("changed_at");
    change(&world, &flow, "delta.column", &["PATCH /flows/{flow}"]);
    let copy = live(&world)
        .transformations
        .into_iter()
        .find(|t| t.name == "Copy")
        .unwrap();
    assert_eq!(copy.params["deltaColumn"]["name"], "changed_at", "{copy:?}");

    let (mapping_id, version) = mapping_of(&live(&world));
    assert_eq!(version, "0");
    flow.mapping.push(("updated_at", "_acme.updatedAt"));
    change(
        &world,
        &flow,
        "mapping",
        &["PUT /mappingSets/{mapping}", "PATCH /flows/{flow}"],
    );
    let (now_id, now_version) = mapping_of(&live(&world));
    assert_eq!(
        (now_id.as_str(), now_version.as_str()),
        (mapping_id.as_str(), "1")
    );
    let sets = mapping_sets(&world, &name);
    assert_eq!(sets[0].version, 1);
    assert_eq!(sets[0].mappings.len(), 3, "{sets:#?}");
    assert_eq!(
        world.state()["dataflows"][flow.key()]["mappingVersion"],
        "1"
    );

    flow.enabled = false;
    change(&world, &flow, "enabled", &["POST /flows/{flow}/action"]);
    assert_eq!(live(&world).state, "disabled");
    flow.enabled = true;
    change(&world, &flow, "enabled", &["POST /flows/{flow}/action"]);
    assert_eq!(live(&world).state, "enabled");
}
