//! Every JSON output is checked against its published schema on real
//! runs: `apply --format json` line by line (a full run, a no-op, a failed
//! action, an interrupted run), and the committed schemas are current.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::Duration;

use provision::emulator::EmulatorConfig;
use serde_json::Value;

use crate::apply::interrupt::{interrupt, slow_world, wait_within};
use crate::support::util::{provision, root};
use crate::support::world::World;

/// The committed schema `schema/<file>`, compiled.
fn validator(file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schema").join(file)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// Checks `document` against `schema/<file>`, failing with every error.
pub fn assert_valid(file: &str, document: &Value) {
    let validator = validator(file);
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{file}: {errors:#?}\n{document:#}");
}

/// Every stdout line parsed and checked against the apply events schema;
/// returns them.
fn apply_lines(stdout: &str) -> Vec<Value> {
    let lines: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    for line in &lines {
        assert_valid("apply-events.schema.json", line);
        assert!(line["timestamp"].is_string(), "{line}");
    }
    assert_eq!(
        lines.first().map(|l| l["type"].clone()),
        Some("version".into())
    );
    lines
}

fn of_type<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["type"] == kind).collect()
}

#[test]
fn committed_output_schemas_are_current() {
    let run = provision()
        .args(["schema", "--check", "--outputs", "--out"])
        .arg(root().join("schema"))
        .run();
    assert_eq!(
        run.code(),
        0,
        "schema/ is stale: run `cargo run -- schema --outputs` and commit\n{}",
        run.stderr()
    );
}

#[test]
fn apply_json_runs_a_plan_and_a_no_op_as_schema_valid_lines() {
    let world = World::new(EmulatorConfig::default());
    world.connections(3);
    let run = world.run(&["apply", "--format", "json"]).expect_code(0);
    let lines = apply_lines(&run.stdout());
    let version = &lines[0];
    assert_eq!(version["format_version"], 1);
    assert_eq!(version["targets"].as_array().unwrap().len(), 2, "{version}");
    assert!(!run.stdout().contains(crate::support::world::CANARY));
    assert_eq!(of_type(&lines, "planned_change").len(), 3);
    assert_eq!(of_type(&lines, "apply_start").len(), 3);
    assert_eq!(of_type(&lines, "apply_complete").len(), 3);
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["outcome"], "complete");
    assert_eq!(summary["created"], 3);
    // Nothing for people on stdout in json mode; the summary line is json.
    assert!(!run.stdout().contains("Apply complete"), "{}", run.stdout());

    let again = world.run(&["apply", "--format", "json"]).expect_code(0);
    let lines = apply_lines(&again.stdout());
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[1]["outcome"], "no_changes");
}

#[test]
fn apply_json_names_a_postgres_state_without_its_password() {
    let Some(world) = World::on(
        crate::support::world::Backend::Postgres,
        EmulatorConfig::default(),
    ) else {
        return;
    };
    world.connections(1);
    let run = world.run(&["apply", "--format", "json"]).expect_code(0);
    let lines = apply_lines(&run.stdout());
    let state = lines[0]["state"].as_str().unwrap();
    assert!(state.starts_with("postgres `"), "{state}");
    assert!(state.contains(&world.namespace), "{state}");
    assert!(
        !run.stdout()
            .contains(crate::support::state_db::STATE_CANARY)
    );
}

#[test]
fn apply_json_reports_a_failed_action_once() {
    let world = World::new(EmulatorConfig {
        in_use: vec!["db-0000".into()],
        ..EmulatorConfig::default()
    });
    world.connections(2);
    world.run(&["apply"]).expect_code(0);
    world.remove("connections/c0000.yaml");
    let run = world
        .run(&["apply", "--prune", "--format", "json"])
        .expect_code(1);
    let lines = apply_lines(&run.stdout());
    let errored = of_type(&lines, "apply_errored");
    assert_eq!(errored.len(), 1, "{lines:#?}");
    assert_eq!(errored[0]["key"], "azure/prod/db-0000");
    assert_eq!(errored[0]["action"], "delete");
    assert!(errored[0]["id"].is_string(), "{}", errored[0]);
    assert_eq!(lines.last().unwrap()["failed"], 1);
    // Said once, in the stream: not again as an `error:` on stderr.
    assert!(!run.stderr().contains("error:"), "{}", run.stderr());
}

#[test]
fn apply_json_reports_an_interrupt_in_schema_valid_lines() {
    let world = slow_world(300, 6);
    let mut child = world
        .cmd(&["apply", "--parallelism", "1", "--format", "json"])
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("\"apply_complete\"") {
        assert!(stdout.read_line(&mut seen).unwrap() > 0, "{seen}");
    }
    interrupt(&child);
    let code = wait_within(&mut child, Duration::from_secs(30));
    stdout.read_to_string(&mut seen).unwrap();
    assert_eq!(code, 130, "{seen}");
    let lines = apply_lines(&seen);
    assert_eq!(of_type(&lines, "interrupted").len(), 1, "{lines:#?}");
    let summary = lines.last().unwrap();
    assert_eq!(summary["outcome"], "interrupted", "{summary}");
    assert!(summary["not_started"].as_u64().unwrap() > 0, "{summary}");
}

#[test]
fn plan_json_matches_its_schema() {
    let world = World::new(EmulatorConfig::default());
    world.connections(3);
    let run = world.run(&["plan", "--format", "json"]).expect_code(0);
    assert_valid("plan.schema.json", &run.json());
}

#[test]
fn validate_json_matches_its_schema() {
    let run = provision()
        .args(["validate", "mixed.yaml", "--format", "json"])
        .current_dir(crate::support::util::fixtures("snapshot"))
        .run()
        .expect_code(1);
    assert_valid("validate.schema.json", &run.json());
}

#[test]
fn check_json_matches_its_schema_in_snake_case() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("connections")).unwrap();
    std::fs::write(
        dir.path().join("connections/c0.yaml"),
        "name: closed\nsandbox: dev\ncloud: azure\nauth:\n  type: basic\n  server: 127.0.0.1\n  port: 1\n  database: app\n  username: aep\n  password: ${CHECK_PASSWORD}\n  sslMode: Disable\n",
    )
    .unwrap();
    let run = provision()
        .current_dir(dir.path())
        .env("CHECK_PASSWORD", "unused")
        .args(["check", "--format", "json", "--timeout", "5"])
        .run()
        .expect_code(1);
    let document = run.json();
    assert_valid("check.schema.json", &document);
    assert_eq!(document["format_version"], 2);
    assert!(
        document["results"][0]["elapsed_ms"].is_u64(),
        "{document:#}"
    );
}

#[test]
fn import_and_state_json_match_their_schemas() {
    use crate::import::remote::{basic, create, import};
    use provision::config::Cloud;

    let world = World::new(EmulatorConfig::default());
    let id = create(
        &world,
        crate::support::world::ORG_AZURE,
        &basic("orders", "prod", Cloud::Azure, 1),
    );
    let args = ["--sandbox", "prod", "--cloud", "azure", "--format", "json"];
    let dry = import(&world, &[&args[..], &["--dry-run"]].concat()).expect_code(0);
    let document = dry.json();
    assert_valid("import.schema.json", &document);
    assert_eq!(document["dry_run"], true);
    assert!(
        document["connections"][0]["text"].is_string(),
        "{document:#}"
    );

    let real = import(&world, &args).expect_code(0);
    let document = real.json();
    assert_valid("import.schema.json", &document);
    assert_eq!(document["connections"][0]["id"], id.as_str());
    assert!(document["connections"][0].get("text").is_none());

    let list = world
        .run(&["state", "list", "--format", "json"])
        .expect_code(0);
    assert_valid("state-list.schema.json", &list.json());
    assert_eq!(list.json()["connections"][0]["key"], "azure/prod/orders");

    let show = world
        .run(&["state", "show", "azure/prod/orders", "--format", "json"])
        .expect_code(0);
    assert_valid("state-show.schema.json", &show.json());
    assert_eq!(show.json()["format_version"], 2);
    assert_eq!(show.json()["created_at"], show.json()["updated_at"]);
    let text = world
        .run(&["state", "show", "azure/prod/orders", "--format", "text"])
        .expect_code(0);
    assert!(
        text.stdout().contains(&format!("id: {id}\n")),
        "{}",
        text.stdout()
    );
}

#[test]
fn smoke_json_matches_its_schema() {
    let world = World::new(EmulatorConfig::default());
    let run = world
        .cmd_via(
            &world.url(),
            &[
                "smoke",
                "--sandbox",
                "prod",
                "--cloud",
                "azure",
                "--format",
                "json",
            ],
        )
        .run()
        .expect_code(0);
    let document = run.json();
    assert_valid("smoke.schema.json", &document);
    assert_eq!(
        document["steps"].as_array().unwrap().len(),
        12,
        "{document:#}"
    );
}

#[test]
fn apply_json_gives_a_config_warning_its_code_and_place() {
    let world = World::new(EmulatorConfig::default());
    let yaml = crate::support::world::connection_yaml(0, "plain")
        .replace("${DB_PASSWORD}", "plaintext-pw");
    world.write("connections/c.yaml", &yaml);
    let run = world
        .run(&["apply", "--allow-plaintext-secrets", "--format", "json"])
        .expect_code(0);
    let lines = apply_lines(&run.stdout());
    let warnings = of_type(&lines, "warning");
    assert_eq!(warnings.len(), 1, "{lines:#?}");
    assert!(warnings[0]["code"].is_string(), "{}", warnings[0]);
    assert_eq!(warnings[0]["at"]["file"], "connections/c.yaml");
    assert!(!run.stdout().contains("plaintext-pw"), "{}", run.stdout());
}
