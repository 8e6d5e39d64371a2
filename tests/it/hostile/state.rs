//! Never a duplicate against hand-edited or hostile state and settings:
//! one id under two keys, `state import` of an id another key
//! holds, one IMS org for both clouds, odd versions, unknown fields, a
//! serial at its end, and `plan --out` aimed at a file that is not a plan.

on_both_backends!(one_id_under_two_keys_is_an_error_naming_both);

use provision::emulator::EmulatorConfig;

use crate::support::state_db::{state_server, state_sql};
use crate::support::util::provision;
use crate::support::world::{Backend, World};

fn one_id_under_two_keys_is_an_error_naming_both(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(3);
    world.run(&["apply"]).expect_code(0);
    let (a, b) = ("azure/prod/db-0000", "azure/dev/db-0001");
    match backend {
        Backend::File => {
            let mut state = world.state();
            let id = state["connections"][a]["id"].clone();
            state["connections"][b]["id"] = id;
            std::fs::write(world.state_path(), state.to_string()).unwrap();
        }
        Backend::Postgres => {
            let ns = &world.namespace;
            state_sql(
                state_server().unwrap(),
                &format!(
                    "UPDATE provision_connections SET id = (SELECT id FROM provision_connections WHERE namespace = '{ns}' AND key = '{a}') WHERE namespace = '{ns}' AND key = '{b}'"
                ),
            );
        }
    }
    for command in [
        &["plan"][..],
        &["apply", "--prune"],
        &["state", "import", a, "x"],
    ] {
        let run = world.run(command).expect_code(1);
        assert!(
            run.stderr().contains(a) && run.stderr().contains(b),
            "{command:?}: {}",
            run.stderr()
        );
    }
    world.assert_remote_exactly(3);
    // The repair tools still read it: list, then rm the wrong entry.
    world.run(&["state", "list"]).expect_code(0);
    world.run(&["state", "rm", b]).expect_code(0);
    world.run(&["apply"]).expect_code(0);
    world.assert_remote_exactly(3);
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn state_import_refuses_an_id_recorded_under_another_key() {
    let world = World::new(EmulatorConfig::default());
    world.connections(3);
    world.run(&["apply"]).expect_code(0);
    let state = world.state();
    let id = state["connections"]["azure/prod/db-0000"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    world
        .run(&["state", "rm", "azure/dev/db-0001"])
        .expect_code(0);
    let run = world
        .run(&["state", "import", "azure/dev/db-0001", &id])
        .expect_code(1);
    assert!(
        run.stderr()
            .contains("is already recorded as `azure/prod/db-0000`"),
        "{}",
        run.stderr()
    );
    assert_eq!(world.state()["connections"].as_object().unwrap().len(), 2);
}

#[test]
fn one_org_for_both_clouds_is_refused_with_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("provision.yaml"),
        "orgs:\n  azure: { imsOrg: \"SAME@AdobeOrg\" }\n  aws:\n    imsOrg: same@AdobeOrg\n",
    )
    .unwrap();
    let doc = |cloud: &str, auth: &str| {
        format!(
            "name: orders\nsandbox: prod\ncloud: {cloud}\nauth:\n  type: basic\n  server: s\n  port: 5432\n  database: d\n  username: u\n  password: ${{P}}\n{auth}"
        )
    };
    std::fs::create_dir_all(dir.path().join("connections")).unwrap();
    std::fs::write(dir.path().join("connections/a.yaml"), doc("azure", "")).unwrap();
    std::fs::write(dir.path().join("connections/b.yaml"), doc("aws", "")).unwrap();
    let run = provision()
        .args(["validate", "--format", "json"])
        .current_dir(dir.path())
        .run()
        .expect_code(1);
    let report = run.json();
    let found: Vec<(String, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(found.contains(&("V208".into(), 4)), "{report:#}");
    assert!(found.contains(&("V202".into(), 1)), "{report:#}");
    let v208 = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "V208")
        .unwrap();
    assert!(
        v208["message"].as_str().unwrap().contains("line 2"),
        "{v208:#}"
    );
    assert!(
        v208["help"].as_str().unwrap().contains("provision.yaml:2:"),
        "{v208:#}"
    );
}

#[test]
fn an_org_resolved_from_variables_is_checked_at_plan_time() {
    let mut world = World::new(EmulatorConfig::default());
    world.write(
        "provision.yaml",
        "orgs:\n  azure: { imsOrg: \"${ORG_A}\" }\n  aws: { imsOrg: \"${ORG_B}\" }\ncredentials:\n  clientId: ${AEP_CLIENT_ID}\n  clientSecret: ${AEP_CLIENT_SECRET}\n",
    );
    world.set_env("ORG_A", "ONE@AdobeOrg");
    world.set_env("ORG_B", "ONE@AdobeOrg");
    let doc = |cloud: &str| {
        format!(
            "name: orders\nsandbox: prod\ncloud: {cloud}\nauth:\n  type: basic\n  server: s\n  port: 5432\n  database: d\n  username: u\n  password: ${{DB_PASSWORD}}\n"
        )
    };
    world.write("connections/a.yaml", &doc("azure"));
    world.write("connections/b.yaml", &doc("aws"));
    let run = world.run(&["apply"]).expect_code(1);
    assert!(
        run.stderr().contains("aws/prod/orders") && run.stderr().contains("azure/prod/orders"),
        "{}",
        run.stderr()
    );
    assert!(world.remote().is_empty());
}

#[test]
fn odd_state_files_are_reported_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join(".provision/state.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    let list = |text: &str| {
        std::fs::write(&state, text).unwrap();
        provision()
            .args(["state", "list"])
            .current_dir(dir.path())
            .run()
    };
    let run = list(r#"{"version": -1, "lineage": "l", "serial": 1}"#).expect_code(1);
    assert!(
        run.stderr().contains("`version` is `-1`"),
        "{}",
        run.stderr()
    );
    let run = list(r#"{"version": null, "lineage": "l", "serial": 1}"#).expect_code(1);
    assert!(
        run.stderr().contains("`version` is `null`"),
        "{}",
        run.stderr()
    );
    let run = list(r#"{"lineage": "l", "serial": 1}"#).expect_code(1);
    assert!(run.stderr().contains("no `version`"), "{}", run.stderr());
    let run = list(r#"{"version": 1, "lineage": "l", "serial": 1, "extra": true}"#).expect_code(1);
    assert!(
        run.stderr().contains("unknown field `extra`"),
        "{}",
        run.stderr()
    );
    let record = r#"{"id": "1", "etag": "e", "org": "O", "fingerprint": "f", "createdAt": "t", "updatedAt": "t", "note": "x"}"#;
    let run = list(&format!(
        r#"{{"version": 1, "lineage": "l", "serial": 1, "connections": {{"azure/p/a": {record}}}}}"#
    ))
    .expect_code(1);
    assert!(
        run.stderr().contains("unknown field `note`"),
        "{}",
        run.stderr()
    );
    // A serial at its end cannot count another write: refused, not wrapped.
    let at_end = format!(
        r#"{{"version": 1, "lineage": "l", "serial": {}, "connections": {{"azure/p/a": {}}}}}"#,
        u64::MAX,
        record.replace(r#", "note": "x""#, "")
    );
    list(&at_end).expect_code(0);
    let run = provision()
        .args(["state", "rm", "azure/p/a"])
        .current_dir(dir.path())
        .run()
        .expect_code(1);
    assert!(
        run.stderr().contains("cannot count another write"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("panicked"));
    assert_eq!(std::fs::read_to_string(&state).unwrap(), at_end);
}

#[test]
fn plan_out_never_overwrites_what_is_not_a_plan() {
    let world = World::new(EmulatorConfig::default());
    world.connections(2);
    world.run(&["apply"]).expect_code(0);
    world.write(
        "connections/c0002.yaml",
        &crate::support::world::connection_yaml(2, "x"),
    );
    let state_before = world.state_text();
    for target in [
        ".provision/state.json",
        "connections/c0000.yaml",
        "provision.yaml",
    ] {
        let before = std::fs::read(world.path().join(target)).unwrap();
        let run = world.run(&["plan", "--out", target]).expect_code(1);
        assert!(
            run.stderr()
                .contains("is not a saved plan: refusing to overwrite it"),
            "{}",
            run.stderr()
        );
        assert_eq!(std::fs::read(world.path().join(target)).unwrap(), before);
    }
    assert_eq!(world.state_text(), state_before);
    world.run(&["plan", "--out", "plan.json"]).expect_code(0);
    world.run(&["plan", "--out", "plan.json"]).expect_code(0);
    world.run(&["apply", "--plan", "plan.json"]).expect_code(0);
    world.assert_remote_exactly(3);
}

#[test]
fn import_escapes_what_the_server_sent_and_reads_back_its_own_files() {
    use provision::api::wire::CreateConnectionRequest;
    use provision::api::{FlowService, Scope};
    use provision::config::{Auth, BasicAuth, Cloud, Connection};

    let world = World::new(EmulatorConfig::default());
    let client = world.client();
    for name in [
        "odd\u{FFFF}name",
        "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\nerror: fake",
    ] {
        let connection = Connection {
            name: name.into(),
            description: Some("d\u{FFFF}".into()),
            sandbox: "prod".into(),
            cloud: Cloud::Azure,
            auth: Auth::Basic(BasicAuth {
                server: "h".into(),
                port: 5432,
                database: "d".into(),
                username: "u".into(),
                password: "p".into(),
                ssl_mode: None,
            }),
            secret_version: None,
            renamed_from: None,
            protect: false,
            environments: None,
        };
        let body = CreateConnectionRequest::from_connection(&connection);
        world
            .runtime
            .block_on(client.create(&Scope::new(crate::support::world::ORG_AZURE, "prod"), &body))
            .unwrap();
    }
    let url = world.url();
    let import = |sandbox: &str| {
        world.run(&[
            "import",
            "--sandbox",
            sandbox,
            "--cloud",
            "azure",
            "--endpoint",
            &url,
            "--ims",
            &url,
        ])
    };
    let run = import("prod").expect_code(0);
    let all = run.stdout() + &run.stderr();
    assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "{all:?}");
    assert!(!all.lines().any(|l| l.starts_with("error: fake")), "{all}");
    assert!(all.contains("\\u{1b}"), "{all}");
    assert!(all.contains("1 written"), "{all}");
    let written =
        std::fs::read_to_string(world.path().join("connections/prod/odd-name.yaml")).unwrap();
    assert!(written.contains("\\uFFFF"), "{written}");
    world
        .run(&["validate", "connections", "--format", "json"])
        .expect_code(0);
    for bad in ["Prod", "x_y", "a b", "\u{FFFF}"] {
        let run = import(bad).expect_code(1);
        assert!(
            run.stderr().contains("invalid `--sandbox`"),
            "{}",
            run.stderr()
        );
    }
}
