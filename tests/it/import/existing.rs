//! `import` never writes a second file for a key a file
//! already describes (whatever its name), and brings in connection-string
//! connections as one `${<NAME>_CONNECTION_STRING}`, whose grammar is
//! checked when the variable is resolved, at the reference.

use provision::api::wire::CreateConnectionRequest;
use provision::api::{FlowService, Scope};
use provision::config::{Auth, Cloud, Connection, ConnectionStringAuth};

use crate::support::project::doc;
use crate::support::util::Finished;
use crate::support::world::{ORG_AZURE, World};

fn create(world: &World, connection: &Connection) {
    let body = CreateConnectionRequest::from_connection(connection);
    let scope = Scope::new(ORG_AZURE, &connection.sandbox);
    world
        .runtime
        .block_on(world.client().create(&scope, &body))
        .unwrap();
}

fn by_string(name: &str) -> Connection {
    Connection {
        name: name.into(),
        description: Some("billing ledger".into()),
        sandbox: "prod".into(),
        cloud: Cloud::Azure,
        auth: Auth::ConnectionString(ConnectionStringAuth {
            connection_string: "Server=h;Database=d;Port=5432;UID=u;Password=never-returned".into(),
        }),
        secret_version: None,
        renamed_from: None,
        protect: false,
        environments: None,
    }
}

fn import(world: &World, extra: &[&str]) -> Finished {
    let url = world.url();
    let mut args = vec!["import", "--sandbox", "prod", "--cloud", "azure"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--endpoint", &url, "--ims", &url]);
    world.run(&args)
}

#[test]
fn import_skips_what_a_file_already_describes_by_key() {
    let world = World::new(Default::default());
    // On the platform: orders-db and billing-db. In the project, with an
    // empty state: `orders.yaml` already describes azure/prod/orders-db.
    let mut orders = by_string("orders-db");
    orders.auth = Auth::ConnectionString(ConnectionStringAuth {
        connection_string: "Server=o;Database=d;Port=5432;UID=u;Password=x".into(),
    });
    create(&world, &orders);
    create(&world, &by_string("billing-db"));
    world.write(
        "connections/prod/orders.yaml",
        &doc("orders-db", "prod", "azure"),
    );

    let run = import(&world, &[]).expect_code(0);
    assert!(
        run.stderr().contains("`connections/prod/orders.yaml` already describes `azure/prod/orders-db`: not imported again"),
        "{}",
        run.stderr()
    );
    assert!(
        !world
            .path()
            .join("connections/prod/orders-db.yaml")
            .exists()
    );
    assert!(
        world
            .path()
            .join("connections/prod/billing-db.yaml")
            .exists()
    );
    assert!(
        run.stdout()
            .contains("Import complete: 1 written and recorded in state, 1 skipped."),
        "{}",
        run.stdout()
    );
    // The report: validate then failed with V202.
    world.run(&["validate"]).expect_code(0);
    // Files outside the default folder count when their paths are given.
    create(&world, &by_string("ledger-db"));
    world.write("elsewhere/ledger.yaml", &doc("ledger-db", "prod", "azure"));
    let dry = import(&world, &["--dry-run"]).expect_code(0);
    assert!(
        dry.stdout()
            .contains("--- would write `connections/prod/ledger-db.yaml`"),
        "{}",
        dry.stdout()
    );
    let dry = import(&world, &["--dry-run", "connections", "elsewhere"]).expect_code(0);
    assert!(
        dry.stderr()
            .contains("`elsewhere/ledger.yaml` already describes `azure/prod/ledger-db`"),
        "{}",
        dry.stderr()
    );
}

#[test]
fn connection_strings_are_imported_as_one_variable() {
    let mut world = World::new(Default::default());
    create(&world, &by_string("billing-db"));
    let run = import(&world, &[]).expect_code(0);
    assert!(run.stdout().contains("1 written"), "{}", run.stdout());
    assert!(
        run.stdout()
            .contains("  BILLING_DB_CONNECTION_STRING  (the whole connection string"),
        "{}",
        run.stdout()
    );
    let file =
        std::fs::read_to_string(world.path().join("connections/prod/billing-db.yaml")).unwrap();
    assert!(
        file.contains(
            "  type: connectionString\n  connectionString: \"${BILLING_DB_CONNECTION_STRING}\"\n"
        ),
        "{file}"
    );
    world
        .run(&["validate", "--warnings-as-errors"])
        .expect_code(0);
    // A rehearsal fills the unset variable with a connection string the
    // grammar (and the emulator) accept.
    let rehearsal = world.run(&["plan", "--emulator"]).expect_code(0);
    assert!(
        rehearsal
            .stderr()
            .contains("filled with a placeholder: `BILLING_DB_CONNECTION_STRING`"),
        "{}",
        rehearsal.stderr()
    );

    // Its grammar is checked once the value is known, at the reference.
    world.set_env(
        "BILLING_DB_CONNECTION_STRING",
        "Server=h;Port=5432;UID=u;Password=never-returned;Foo=1",
    );
    let plan = world.run(&["plan"]).expect_code(1);
    insta::assert_snapshot!("whole_connection_string_resolved", plan.stderr());
    assert!(
        !plan.stderr().contains("never-returned"),
        "{}",
        plan.stderr()
    );
    let check = world.run(&["check"]).expect_code(1);
    assert!(check.stdout().contains("error[V201]: the value of `BILLING_DB_CONNECTION_STRING`: connection string has no `Database`"), "{}", check.stdout());

    // Set right, the imported state plans to nothing, refreshed or not.
    world.set_env(
        "BILLING_DB_CONNECTION_STRING",
        "Server=h;Database=d;Port=5432;UID=u;Password=rotated;EncryptionMethod=1",
    );
    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(
        plan.stdout().contains("No changes: 1 connection(s)"),
        "{}",
        plan.stdout()
    );
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
    // No part of the string reaches state, not even its fingerprint input.
    let state = world.state_text();
    assert!(
        !state.contains("rotated") && !state.contains("Server=h"),
        "{state}"
    );
}
