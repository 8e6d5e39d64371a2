//! The files `provision import` writes, opened in the real editor backend:
//! its quoting (a description `yes` or `123`, a database `true`) must read
//! back as the strings the schema wants there too, and the modeline must
//! make the editor check each file.

use provision::api::wire::CreateConnectionRequest;
use provision::api::{FlowService, Scope};
use provision::config::{Auth, AzureSslMode, BasicAuth, Cloud, Connection, SslMode};

use super::agreement::{check_valid, start};
use crate::support::util::root;
use crate::support::world::{ORG_AWS, ORG_AZURE, World};

/// Connections whose values a careless YAML writer would get wrong.
fn awkward() -> Vec<Connection> {
    let values = [
        (
            "Orders DB",
            Some("yes"),
            "true",
            Some(SslMode::Azure(AzureSslMode::VerifyCa)),
        ),
        ("billing_2.eu", Some("123"), "app", None),
        (
            "42-replica",
            Some("costs: ${total} # not a comment"),
            "null",
            Some(SslMode::Azure(AzureSslMode::Disable)),
        ),
        (
            "events",
            Some("'quoted' \"twice\" and ünïcode"),
            "~",
            Some(SslMode::Aws(true)),
        ),
        ("clicks", None, "no", Some(SslMode::Aws(false))),
    ];
    values
        .into_iter()
        .map(|(name, description, database, ssl_mode)| {
            let cloud = match ssl_mode {
                Some(SslMode::Aws(_)) => Cloud::Aws,
                _ => Cloud::Azure,
            };
            Connection {
                name: name.to_owned(),
                description: description.map(str::to_owned),
                sandbox: "prod".to_owned(),
                cloud,
                auth: Auth::Basic(BasicAuth {
                    server: "10.0.0.5".to_owned(),
                    port: 5432,
                    database: database.to_owned(),
                    username: "aep".to_owned(),
                    password: "not-returned".to_owned(),
                    ssl_mode,
                }),
                secret_version: None,
                renamed_from: None,
                protect: false,
                environments: None,
            }
        })
        .collect()
}

#[test]
fn the_editor_finds_nothing_in_the_files_import_writes() {
    let Some(mut editor) = start("editor agreement on imported files") else {
        return;
    };
    let world = World::new(Default::default());
    let client = world.client();
    for connection in awkward() {
        let org = match connection.cloud {
            Cloud::Aws => ORG_AWS,
            Cloud::Azure => ORG_AZURE,
        };
        let body = CreateConnectionRequest::from_connection(&connection);
        world
            .runtime
            .block_on(client.create(&Scope::new(org, "prod"), &body))
            .unwrap();
    }
    let url = world.url();
    for cloud in ["azure", "aws"] {
        world
            .run(&[
                "import",
                "--sandbox",
                "prod",
                "--cloud",
                cloud,
                "--endpoint",
                &url,
                "--ims",
                &url,
            ])
            .expect_code(0);
    }
    std::fs::create_dir_all(world.path().join("schema")).unwrap();
    std::fs::copy(
        root().join("schema/connection.schema.json"),
        world.path().join("schema/connection.schema.json"),
    )
    .unwrap();
    let files = super::walkdir(&world.path().join("connections"));
    assert_eq!(files.len(), 5, "{files:?}");
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        check_valid(&mut editor, file, &text, &mut problems);
    }
    assert!(
        problems.is_empty(),
        "yaml-language-server {}:\n{}",
        editor.version,
        problems.join("\n")
    );
}
