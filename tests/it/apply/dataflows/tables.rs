//! A table or column the base connection lacks is found by `plan`, not by
//! a failed apply: when the connection exists already, the plan explores
//! each new dataflow's table and fails at the document's line, with the
//! closest name the connection has, before anything is sent.

use provision::emulator::EmulatorConfig;

use super::{Flow, base, world, writes};
use crate::support::world::Backend;

#[test]
fn a_table_or_column_the_connection_lacks_fails_the_plan_at_its_line() {
    let Some(world) = world(Backend::File, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    world.run(&["apply"]).expect_code(0);
    let writes_before = writes(&world);

    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.table = "public.ordrs".to_owned();
    flow.write(&world);
    let file = "connections/flows/orders-to-lake.yaml";
    for command in ["plan", "apply"] {
        let run = world.run(&[command]).expect_code(1);
        assert!(
            run.stderr().contains(&format!(
                "{file}:8: dataflow `dataflow/azure/prod/orders-to-lake`: table `public.ordrs` is not one base connection `orders-db` lists (explore): did you mean `public.orders`?"
            )),
            "{command}: {}",
            run.stderr()
        );
    }

    flow.table = "public.orders".to_owned();
    let fixed = Flow::new("orders-to-lake", "orders-db");
    flow.columns = Some(vec!["ordr_id", "customer_name", "updated_at"]);
    flow.mapping = vec![("ordr_id", "_id")];
    flow.write(&world);
    let run = world.run(&["apply"]).expect_code(1);
    assert!(
        run.stderr().contains(&format!(
            "{file}:9: dataflow `dataflow/azure/prod/orders-to-lake`: table `public.orders` has no column `ordr_id` (did you mean `order_id`?): expected one of `order_id`, `customer_name`, `updated_at`, `changed_at`"
        )),
        "{}",
        run.stderr()
    );

    // Without `source.columns`, validation cannot tell a mapping source or
    // the delta column from a typo: the plan does, from explore.
    flow.columns = None;
    flow.mapping = vec![
        ("order_id", "_id"),
        ("custmer_name", "person.name.fullName"),
    ];
    flow.write(&world);
    let run = world.run(&["plan"]).expect_code(1);
    assert!(
        run.stderr().contains(&format!(
            "{file}:13: dataflow `dataflow/azure/prod/orders-to-lake`: mapping source `custmer_name` is not a column of table `public.orders` (did you mean `customer_name`?): expected one of `order_id`, `customer_name`, `updated_at`, `changed_at`"
        )),
        "{}",
        run.stderr()
    );
    flow.mapping = vec![("order_id", "_id")];
    flow.delta = Some("updatd_at");
    flow.write(&world);
    let run = world.run(&["plan"]).expect_code(1);
    assert!(
        run.stderr().contains(&format!(
            "{file}:13: dataflow `dataflow/azure/prod/orders-to-lake`: delta column `updatd_at` is not a column of table `public.orders` (did you mean `updated_at`?)"
        )),
        "{}",
        run.stderr()
    );
    assert_eq!(writes(&world), writes_before, "a failed plan sent a write");

    fixed.write(&world);
    world.run(&["apply"]).expect_code(0);
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_dataflow_over_a_connection_made_in_the_same_run_is_explored_by_apply() {
    // The connection does not exist at plan time: nothing to explore yet,
    // and apply's own explore fails the dataflow alone.
    let Some(world) = world(Backend::File, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.table = "public.ordrs".to_owned();
    flow.write(&world);
    world.run(&["plan"]).expect_code(0);
    let run = world.run(&["apply"]).expect_code(1);
    let expected = "! dataflow/azure/prod/orders-to-lake: failed: connections/flows/orders-to-lake.yaml:8: table `public.ordrs` is not one base connection `orders-db` lists (explore): did you mean `public.orders`?";
    assert!(run.stdout().contains(expected), "{}", run.stdout());
    assert!(
        !world.state()["dataflows"]["dataflow/azure/prod/orders-to-lake"].is_object(),
        "a chain that never started is recorded"
    );
    assert!(world.state()["connections"]["azure/prod/orders-db"]["id"].is_string());
}

#[test]
fn explores_that_cannot_answer_are_one_plan_warning_not_an_error() {
    // An emulator that serves no tables stands for a database the
    // platform cannot reach: the plan says once that it could not check,
    // and leaves the verdict to apply.
    let Some(world) = crate::support::world::World::on(Backend::File, EmulatorConfig::default())
    else {
        return;
    };
    base(&world, "orders-db");
    world.run(&["apply"]).expect_code(0);
    Flow::new("first", "orders-db").write(&world);
    Flow::new("second", "orders-db").write(&world);
    let run = world.run(&["plan"]).expect_code(0);
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(all.matches("to check it before apply").count(), 1, "{all}");
    assert!(
        all.contains("(and 1 more dataflow(s) not checked)"),
        "{all}"
    );
}
