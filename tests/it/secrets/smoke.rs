//! `smoke --dataflow-connection`: the password smoke copies from a
//! described connection (basic auth on both clouds, inside a connection
//! string) never shows in its output, text or JSON (the smoke record),
//! with TRACE logs, when a step fails, when the copy itself fails, nor in
//! what the emulator recorded of the run.

use provision::emulator::{
    DatasetSeed, EmulatorConfig, ExploreSource, FixtureColumn, FixtureTable,
};

use crate::support::world::World;

/// The described connections' password.
const CANARY: &str = "smoke-Copied-Pw-4k9Z";

/// (name, cloud, document) of each form a described connection may take.
const DESCRIBED: [(&str, &str, &str); 3] = [
    (
        "azure-db",
        "azure",
        "name: azure-db\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: a.example.com\n  port: 5432\n  database: d\n  username: u\n  password: ${SMOKE_PW}\n  sslMode: Verify Full\n",
    ),
    (
        "aws-db",
        "aws",
        "name: aws-db\nsandbox: prod\ncloud: aws\nauth:\n  type: basic\n  server: b.example.com\n  port: 5432\n  database: d\n  username: u\n  password: ${SMOKE_PW}\n  sslMode: true\n",
    ),
    (
        "string-db",
        "azure",
        "name: string-db\nsandbox: prod\ncloud: azure\nauth:\n  type: connectionString\n  connectionString: Server=c.example.com;Database=d;Port=5432;UID=u;Password=${SMOKE_PW};EncryptionMethod=1\n",
    ),
];

/// A world whose emulator explores `public.orders` from a fixture (or
/// answers every explore with an error), with the described connections.
fn world(explore: bool) -> World {
    let explore = if explore {
        ExploreSource::Tables(vec![FixtureTable {
            path: "public.orders".into(),
            name: None,
            columns: vec![FixtureColumn {
                name: "order_id".into(),
                pg_type: "integer".into(),
            }],
        }])
    } else {
        ExploreSource::None
    };
    let mut world = World::new(EmulatorConfig {
        datasets: vec![DatasetSeed {
            name: "Scratch".into(),
            schema_id: "https://ns.adobe.com/acme/schemas/scratch".into(),
        }],
        explore,
        record_exchanges: true,
        ..EmulatorConfig::default()
    });
    world.set_env("SMOKE_PW", CANARY);
    for (name, _, text) in DESCRIBED {
        world.write(&format!("connections/{name}.yaml"), text);
    }
    world
}

fn smoke(world: &World, name: &str, cloud: &str, format: &str) -> String {
    let run = world
        .cmd_via(
            &world.url(),
            &[
                "-vvv",
                "smoke",
                "--sandbox",
                "prod",
                "--cloud",
                cloud,
                "--dataflow-connection",
                name,
                "--dataflow-table",
                "public.orders",
                "--dataflow-dataset",
                "Scratch",
                "--format",
                format,
            ],
        )
        .run();
    assert!(
        matches!(run.code(), 0 | 1),
        "exit {}\n{}",
        run.code(),
        run.stderr()
    );
    run.stdout() + &run.stderr()
}

#[test]
fn the_copied_password_never_shows_in_any_format_log_or_failure() {
    for explore in [true, false] {
        let world = world(explore);
        for (name, cloud, _) in DESCRIBED {
            for format in ["text", "json"] {
                let out = smoke(&world, name, cloud, format);
                assert!(out.contains("provision-smoke-"), "{out}");
                assert!(
                    !out.contains(CANARY),
                    "{name} ({format}, explore {explore}):\n{out}"
                );
            }
        }
        let exchanges = world.emulator.as_ref().unwrap().exchanges();
        let recorded = serde_json::to_string(&exchanges).unwrap();
        assert!(
            recorded.contains("a.example.com"),
            "the exchanges were read"
        );
        assert!(!recorded.contains(CANARY), "the emulator recorded it");
    }
}

/// A connection string whose port is wrong, as one variable (the
/// resolver's grammar check) or through a variable inside it (smoke's own).
#[test]
fn a_described_connection_that_cannot_be_copied_is_refused_without_its_password() {
    let mut world = world(true);
    world.write(
        "connections/whole.yaml",
        "name: whole-db\nsandbox: prod\ncloud: azure\nauth:\n  type: connectionString\n  connectionString: ${SMOKE_CS}\n",
    );
    world.write(
        "connections/port.yaml",
        "name: port-db\nsandbox: prod\ncloud: azure\nauth:\n  type: connectionString\n  connectionString: Server=h;Database=d;Port=${SMOKE_PORT};UID=u;Password=${SMOKE_PW}\n",
    );
    world.set_env(
        "SMOKE_CS",
        &format!("Server=h;Database=d;Port=x;UID=u;Password={CANARY}"),
    );
    world.set_env("SMOKE_PORT", &format!("x{CANARY}"));
    for (name, said) in [
        ("whole-db", "SMOKE_CS"),
        ("port-db", "`azure/prod/port-db`"),
    ] {
        let run = world
            .cmd_via(
                &world.url(),
                &[
                    "smoke",
                    "--sandbox",
                    "prod",
                    "--cloud",
                    "azure",
                    "--dataflow-connection",
                    name,
                    "--dataflow-table",
                    "public.orders",
                    "--dataflow-dataset",
                    "Scratch",
                ],
            )
            .run()
            .expect_code(1);
        let out = run.stdout() + &run.stderr();
        assert!(out.contains(said), "{out}");
        assert!(!out.contains(CANARY), "{out}");
    }
    assert_eq!(world.emulator.as_ref().unwrap().requests().len(), 0);
}
