//! How a plan shows `renamedFrom`: one `~ rename old -> new` action in
//! text, Markdown and JSON, and the plan errors a rename can meet (the new
//! name taken on the platform, both names in state).

use provision::emulator::EmulatorConfig;

use crate::support::world::{World, connection_yaml};

/// Connection 0 (`azure/prod/db-0000`) renamed to `orders`.
fn renamed(description: &str) -> String {
    connection_yaml(0, description)
        .replace("name: db-0000\n", "name: orders\nrenamedFrom: db-0000\n")
}

fn id_of(world: &World, key: &str) -> String {
    world.state()["connections"][key]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_rename_is_one_action_in_every_format() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    let id = id_of(&world, "azure/prod/db-0000");
    world.write("connections/c0000.yaml", &renamed("now described"));
    let text = world
        .run(&["plan", "--prune", "--detailed-exitcode"])
        .expect_code(2);
    insta::assert_snapshot!("rename_text", text.stdout().replace(&id, "<id>"));
    assert!(
        text.stdout().contains(
            "Plan: 0 to create, 0 to adopt, 1 to update (1 renamed), 0 to delete, 0 unchanged."
        ),
        "{}",
        text.stdout()
    );
    let markdown = world.run(&["plan", "--format", "markdown"]).expect_code(0);
    insta::assert_snapshot!(
        "rename_markdown",
        markdown
            .stdout()
            .replace(&id, "<id>")
            .replace(&world.url(), "http://EMULATOR")
    );
    let json = world.run(&["plan", "--format", "json"]).expect_code(0);
    let mut plan: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    plan["lineage"] = "<lineage>".into();
    plan["config_hash"] = "<hash>".into();
    plan["actions"][0]["id"] = "<id>".into();
    plan["where"]["targets"][0]["endpoint"] = "http://EMULATOR".into();
    insta::assert_json_snapshot!("rename_json", plan);
}

#[test]
fn a_new_name_another_connection_has_on_the_platform_is_a_plan_error() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.write(
        "connections/orders.yaml",
        &connection_yaml(0, "the other one").replace("name: db-0000", "name: orders"),
    );
    world.run(&["apply"]).expect_code(0);
    let other = id_of(&world, "azure/prod/orders");
    world
        .run(&["state", "rm", "azure/prod/orders"])
        .expect_code(0);
    world.remove("connections/orders.yaml");
    world.write("connections/c0000.yaml", &renamed("generated"));
    let before = world.state_text();
    let out = world.run(&["plan"]).expect_code(1);
    insta::assert_snapshot!("rename_name_taken", out.stderr().replace(&other, "<id>"));
    world.run(&["apply"]).expect_code(1);
    assert_eq!(world.state_text(), before, "nothing changed");
    assert_eq!(world.remote().len(), 2);
}

#[test]
fn both_names_in_state_is_a_plan_error() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.write(
        "connections/orders.yaml",
        &connection_yaml(0, "the other one").replace("name: db-0000", "name: orders"),
    );
    world.run(&["apply"]).expect_code(0);
    world.remove("connections/orders.yaml");
    world.write("connections/c0000.yaml", &renamed("generated"));
    let out = world.run(&["plan"]).expect_code(1);
    insta::assert_snapshot!("rename_both_recorded", out.stderr());
}

#[test]
fn earlier_names_recorded_as_two_connections_is_a_plan_error() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.write("connections/c0003.yaml", &connection_yaml(3, "generated"));
    world.run(&["apply"]).expect_code(0);
    world.remove("connections/c0003.yaml");
    world.write(
        "connections/c0000.yaml",
        &connection_yaml(0, "generated").replace(
            "name: db-0000\n",
            "name: orders\nrenamedFrom:\n  - db-0000\n  - db-0003\n",
        ),
    );
    let before = world.state_text();
    let out = world.run(&["plan"]).expect_code(1);
    insta::assert_snapshot!("rename_two_recorded", out.stderr());
    world.run(&["apply"]).expect_code(1);
    assert_eq!(world.state_text(), before, "nothing changed");
}
