//! Plan messages of a team's first week: a bare name given to `--target`,
//! and a connection string's changed fields.

use provision::emulator::EmulatorConfig;

use crate::support::world::{World, connection_yaml};

#[test]
fn a_bare_name_given_to_target_gets_the_keys_it_may_mean() {
    let world = World::new(EmulatorConfig::default());
    world.connections(2);
    let out = world.run(&["plan", "--target", "db-0001"]).expect_code(64);
    insta::assert_snapshot!("bare_target", out.stderr());
    assert!(
        out.stderr().contains("did you mean `azure/dev/db-0001`?"),
        "{}",
        out.stderr()
    );
    let out = world.run(&["apply", "--target", "db-0001"]).expect_code(64);
    assert!(out.stderr().contains("did you mean `azure/dev/db-0001`?"));
    world.assert_remote_exactly(0);
}

#[test]
fn a_connection_string_change_names_its_parts_in_every_format() {
    let mut world = World::new(EmulatorConfig::default());
    world.set_env("DB_PASSWORD", "first-canary-value");
    // Connection 1 is an Azure connection string.
    world.write("connections/c0001.yaml", &connection_yaml(1, "ledger"));
    world.run(&["apply"]).expect_code(0);
    world.write(
        "connections/c0001.yaml",
        &connection_yaml(1, "ledger")
            .replace("Server=db1.example.com", "Server=db1-new.example.com")
            .replace("EncryptionMethod=1", "EncryptionMethod=6"),
    );
    let text = world.run(&["plan"]).expect_code(0);
    let id = world.state()["connections"]["azure/dev/db-0001"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    insta::assert_snapshot!(
        "connection_string_parts",
        text.stdout().replace(&id, "<id>")
    );
    assert!(
        text.stdout().contains(
            "auth.connectionString.Server: \"db1.example.com\" -> \"db1-new.example.com\""
        ),
        "{}",
        text.stdout()
    );
    assert!(
        text.stdout()
            .contains("auth.connectionString.EncryptionMethod: \"1\" -> \"6\"")
    );
    let json = world.run(&["plan", "--format", "json"]).expect_code(0);
    assert!(
        json.stdout().contains("auth.connectionString.Server"),
        "{}",
        json.stdout()
    );
    let markdown = world.run(&["plan", "--format", "markdown"]).expect_code(0);
    assert!(
        markdown.stdout().contains("auth.connectionString.Server"),
        "{}",
        markdown.stdout()
    );
    // The password is never among the parts, nor in state.
    for out in [&text, &json, &markdown] {
        assert!(!out.stdout().contains("first-canary-value"));
        assert!(!out.stdout().contains("connectionString.Password"));
    }
    let state = world.state_text();
    assert!(!state.contains("first-canary-value"), "{state}");
    assert!(state.contains("\"Server\": \"db1.example.com\""), "{state}");
}
