//! `secretVersion`: raising it sends the secret once, as a PATCH, with no
//! `PROVISION_STATE_KEY`; state records the version sent; an old state file
//! (format 1) is upgraded as read.

use provision::emulator::EmulatorConfig;

use crate::support::world::{World, connection_yaml};

/// PATCHes the emulator received: nothing but the secret changes in these
/// scenarios, so each is a push of the secret.
fn secret_patches(world: &World) -> usize {
    world
        .emulator
        .as_ref()
        .unwrap()
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .count()
}

#[test]
fn raising_the_secret_version_pushes_the_secret_once_without_a_state_key() {
    let world = World::new(EmulatorConfig::default());
    world.write("connections/c0000.yaml", &connection_yaml(0, "orders"));
    world.run(&["apply"]).expect_code(0);
    let created = world.remote();
    world.write(
        "connections/c0000.yaml",
        &format!("{}secretVersion: 1\n", connection_yaml(0, "orders")),
    );
    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout().contains("secretVersion 1 (none recorded)"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout().contains("(sensitive value changed)"),
        "{}",
        plan.stdout()
    );
    let run = world.run(&["apply"]).expect_code(0);
    assert!(run.stdout().contains("1 updated"), "{}", run.stdout());
    assert_eq!(secret_patches(&world), 1);
    // The same connection: updated in place, never re-created.
    assert_eq!(world.remote()[0].id, created[0].id);
    assert_eq!(
        world.state()["connections"]["azure/prod/db-0000"]["secretVersion"],
        1
    );
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    // Raised again: sent again, once.
    world.write(
        "connections/c0000.yaml",
        &format!("{}secretVersion: 2\n", connection_yaml(0, "orders")),
    );
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout().contains("secretVersion 2 (recorded 1)"),
        "{}",
        plan.stdout()
    );
    world.run(&["apply"]).expect_code(0);
    assert_eq!(secret_patches(&world), 2);
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_secret_version_must_be_a_whole_number_from_zero() {
    let world = World::new(EmulatorConfig::default());
    world.write(
        "connections/c0000.yaml",
        &format!("{}secretVersion: -1\n", connection_yaml(0, "orders")),
    );
    let out = world.run(&["validate"]).expect_code(1);
    assert!(out.stdout().contains("secretVersion"), "{}", out.stdout());
}

#[test]
fn a_format_1_state_file_is_upgraded_as_read() {
    let world = World::new(EmulatorConfig::default());
    world.write("connections/c0000.yaml", &connection_yaml(0, "orders"));
    world.run(&["apply"]).expect_code(0);
    let path = world.state_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let old = text.replacen("\"version\": 5", "\"version\": 1", 1);
    assert_ne!(old, text);
    std::fs::write(&path, old).unwrap();
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    world.write(
        "connections/c0000.yaml",
        &connection_yaml(0, "orders, described"),
    );
    world.run(&["apply"]).expect_code(0);
    assert_eq!(world.state()["version"], 5);
}

#[test]
fn the_secrets_guide_example_validates() {
    let guide = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guides/secrets.md"),
    )
    .unwrap();
    let start = guide.find("```yaml\n").unwrap() + "```yaml\n".len();
    let block = &guide[start..start + guide[start..].find("```").unwrap()];
    assert!(block.contains("secretVersion: 2"), "{block}");
    let mut world = World::new(EmulatorConfig::default());
    world.set_env("ORDERS_DB_PASSWORD", "rotated");
    world.write("connections/orders.yaml", block);
    world.run(&["validate"]).expect_code(0);
    world.run(&["apply"]).expect_code(0);
    assert_eq!(
        world.state()["connections"]["azure/prod/orders-db"]["secretVersion"],
        2
    );
}
