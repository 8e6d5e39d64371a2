//! Dataflow documents (`kind: dataflow`) in `provision validate`: they
//! share files and folders with connections, are told apart by `kind`
//! alone, counted apart, kept sorted for planning, and checked per
//! environment; the file-format page's example validates and an
//! independent validator accepts each of its documents.

mod editor;
mod messages;

use std::path::{Path, PathBuf};
use std::process::Command;

use provision::validate::{Options, validate_paths};

use crate::support::util::{provision, root, tools_available};

/// A connection document with its modeline.
pub const CONNECTION: &str = "# yaml-language-server: $schema=../../schema/connection.schema.json
name: orders-db
sandbox: prod
cloud: azure
auth:
  type: basic
  server: orders.pg.example.com
  port: 5432
  database: orders
  username: aep_reader
  password: ${ORDERS_DB_PASSWORD}
";

/// A dataflow document over [`CONNECTION`], with its modeline.
pub const DATAFLOW: &str = "# yaml-language-server: $schema=../../schema/dataflow.schema.json
kind: dataflow
name: orders-to-lake
sandbox: prod
cloud: azure
source:
  connection: orders-db
  table: public.orders
  columns: [order_id, customer_name, updated_at]
target:
  dataset: { name: Orders }
mapping:
  - { source: order_id, destination: _id }
  - { expression: \"upper(customer_name)\", destination: _acme.nameUpper }
delta: { column: updated_at }
schedule:
  frequency: hour
  interval: 1
  start: 2026-12-01T00:00:00Z
";

/// A throwaway project: `files` written under it (paths relative to it).
pub fn project(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn validate_json(dir: &Path) -> serde_json::Value {
    provision()
        .current_dir(dir)
        .args(["validate", "--format", "json"])
        .run()
        .json()
}

#[test]
fn a_connection_and_a_dataflow_share_a_file() {
    let dir = project(&[(
        "connections/prod/orders.yaml",
        format!("{CONNECTION}---\n{DATAFLOW}"),
    )]);
    let run = provision()
        .current_dir(dir.path())
        .args(["validate", "--warnings-as-errors"])
        .run()
        .expect_code(0);
    assert!(
        run.stdout()
            .contains("1 file, 1 connection, 1 dataflow: 0 errors, 0 warnings"),
        "{}",
        run.stdout()
    );
    let report = validate_json(dir.path());
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    assert_eq!(
        report["summary"],
        serde_json::json!({"files": 1, "connections": 1, "dataflows": 1, "errors": 0, "warnings": 0})
    );
}

#[test]
fn validate_json_counts_dataflows_apart_and_connection_projects_as_before() {
    let only = project(&[("connections/orders.yaml", CONNECTION.to_owned())]);
    let summary = &validate_json(only.path())["summary"];
    let keys: Vec<&String> = summary.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["files", "connections", "errors", "warnings"]);
    // Broken dataflows are documents too, counted by their `kind`.
    let broken = DATAFLOW.replace("interval: 1", "interval: 0");
    let other = DATAFLOW.replace("orders-to-lake", "orders-to-archive");
    let dir = project(&[
        (
            "connections/orders.yaml",
            format!("{CONNECTION}---\n{DATAFLOW}"),
        ),
        ("connections/more.yaml", format!("{other}---\n{broken}")),
    ]);
    let report = validate_json(dir.path());
    assert_eq!(report["summary"]["files"], 2);
    assert_eq!(report["summary"]["connections"], 1);
    assert_eq!(report["summary"]["dataflows"], 3);
    assert_eq!(report["summary"]["errors"], 1, "{report}");
    let text = provision()
        .current_dir(dir.path())
        .arg("validate")
        .run()
        .expect_code(1)
        .stdout();
    assert!(
        text.contains("2 files, 1 connection, 3 dataflows: 1 error, 0 warnings"),
        "{text}"
    );
}

#[test]
fn the_kind_decides_never_the_folder() {
    let dir = project(&[
        (
            "connections/dataflows/orders-db.yaml",
            CONNECTION.to_owned(),
        ),
        ("connections/orders/lake.yaml", DATAFLOW.to_owned()),
        (
            "connections/labelled.yaml",
            CONNECTION
                .replace("name: orders-db", "kind: connection\nname: billing-db")
                .replace("ORDERS_DB", "BILLING_DB"),
        ),
    ]);
    let run = provision()
        .current_dir(dir.path())
        .args(["validate", "--warnings-as-errors"])
        .run()
        .expect_code(0);
    assert!(
        run.stdout()
            .contains("3 files, 2 connections, 1 dataflow: 0 errors, 0 warnings"),
        "{}",
        run.stdout()
    );
}

#[test]
fn kind_connection_changes_nothing_in_the_plan() {
    let plain = project(&[("connections/orders.yaml", CONNECTION.to_owned())]);
    let labelled = project(&[(
        "connections/orders.yaml",
        CONNECTION.replace("name: orders-db", "kind: connection\nname: orders-db"),
    )]);
    let plan = |dir: &Path| {
        provision()
            .current_dir(dir)
            .args(["plan", "--emulator", "--format", "json"])
            .env("ORDERS_DB_PASSWORD", "example-password")
            .run()
            .expect_code(0)
            .json()
    };
    let (a, b) = (plan(plain.path()), plan(labelled.path()));
    assert_eq!(a["actions"], b["actions"]);
    assert_eq!(a["summary"]["create"], 1, "{a}");
}

#[test]
fn valid_dataflows_are_kept_for_planning_sorted_by_key() {
    let later = DATAFLOW.replace("orders-to-lake", "zz-orders");
    let earlier = DATAFLOW.replace("orders-to-lake", "aa-orders");
    let dir = project(&[
        ("b.yaml", format!("{CONNECTION}---\n{later}")),
        ("a.yaml", format!("{DATAFLOW}---\n{earlier}")),
    ]);
    let paths = [dir.path().to_owned()];
    let report = validate_paths(&paths, None, Options::default());
    assert!(!report.has_errors(), "{:?}", report.diagnostics);
    let keys: Vec<String> = report
        .config
        .dataflows
        .iter()
        .map(|d| d.dataflow.key().to_string())
        .collect();
    assert_eq!(
        keys,
        [
            "dataflow/azure/prod/aa-orders",
            "dataflow/azure/prod/orders-to-lake",
            "dataflow/azure/prod/zz-orders"
        ]
    );
    let first = &report.config.dataflows[0];
    assert!(first.file.ends_with("a.yaml") && first.document == 1);
    assert_eq!(first.node.at("/schedule/start").pos.line, 39);
    assert_eq!(
        first.dataflow.schedule.start_seconds(),
        Some(Ok(1_796_083_200))
    );
    assert_eq!(report.config.connections.len(), 1);
    let only = Options {
        diagnostics_only: true,
        ..Options::default()
    };
    let counted = validate_paths(&paths, None, only);
    assert!(counted.config.dataflows.is_empty());
    assert_eq!(counted.summary.dataflows, 3);
}

#[test]
fn dataflows_take_the_sandbox_and_environments_of_the_settings() {
    let settings = "environments:\n  dev: { sandbox: dev }\n  prod: { sandbox: prod }\n";
    let unsandboxed = |name: &str, environments: &str| {
        DATAFLOW
            .replace("sandbox: prod\n", environments)
            .replace("orders-to-lake", name)
    };
    let connection = CONNECTION.replace("sandbox: prod\n", "");
    let dir = project(&[
        ("provision.yaml", settings.to_owned()),
        ("connections/orders.yaml", connection),
        (
            "connections/flows.yaml",
            [
                unsandboxed("per-env", "environments: [dev]\n"),
                unsandboxed("per-env", "environments: [prod]\n"),
                unsandboxed("everywhere", ""),
            ]
            .join("---\n"),
        ),
    ]);
    // One name per environment is no duplicate, and each environment's
    // dataflow finds its environment's connection.
    let run = provision()
        .current_dir(dir.path())
        .args(["validate", "--warnings-as-errors"])
        .run()
        .expect_code(0);
    assert!(
        run.stdout().contains("0 errors, 0 warnings"),
        "{}",
        run.stdout()
    );
    let twice = format!(
        "{}---\n{}",
        unsandboxed("twice", ""),
        unsandboxed("twice", "environments: [prod]\n")
    );
    std::fs::write(dir.path().join("connections/flows.yaml"), twice).unwrap();
    let report = validate_json(dir.path());
    let found: Vec<(&str, &str)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [(
            "V224",
            "duplicate dataflow `dataflow/azure/prod/twice`: (cloud, sandbox, name) must be unique among dataflows"
        )]
    );
    // Without settings, a dataflow names its sandbox (V210).
    let bare = project(&[(
        "connections/flow.yaml",
        DATAFLOW.replace("sandbox: prod\n", ""),
    )]);
    let codes: Vec<String> = validate_json(bare.path())["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["V210"]);
}

/// The documents of a multi-document text, one text each.
fn documents(text: &str) -> Vec<String> {
    text.split("\n---\n").map(|d| format!("{d}\n")).collect()
}

/// `check-jsonschema` when installed (`.ci/run` installs it).
fn check_jsonschema(file: &Path, schema: &Path) -> Option<std::process::Output> {
    tools_available(
        "dataflow schema judge (check-jsonschema)",
        &["check-jsonschema"],
    )
    .then(|| {
        Command::new("check-jsonschema")
            .arg("--schemafile")
            .arg(schema)
            .arg(file)
            .output()
            .unwrap()
    })
}

#[test]
fn the_file_format_example_validates() {
    let blocks = crate::docs::blocks_at(
        "docs/reference/file-format.md",
        "## Dataflow documents",
        "yaml",
    );
    let example = &blocks[0].text;
    assert!(example.contains("kind: dataflow"), "{example}");
    let dir = project(&[("connections/prod/example.yaml", example.clone())]);
    let run = provision()
        .current_dir(dir.path())
        .args(["validate", "--warnings-as-errors"])
        .run()
        .expect_code(0);
    assert!(
        run.stdout()
            .contains("1 file, 1 connection, 1 dataflow: 0 errors, 0 warnings"),
        "{}",
        run.stdout()
    );
    // The independent judge accepts each document against its kind's schema.
    let mut judged = Vec::new();
    for (index, document) in documents(example).iter().enumerate() {
        let file: PathBuf = dir.path().join(format!("document-{index}.yaml"));
        std::fs::write(&file, document).unwrap();
        let named = editor::modeline_for(document).rsplit('=').next().unwrap();
        let schema = root().join(named.trim_start_matches("../"));
        let Some(out) = check_jsonschema(&file, &schema) else {
            return;
        };
        assert!(
            out.status.success(),
            "check-jsonschema refuses document {index} against {}:\n{}",
            schema.display(),
            String::from_utf8_lossy(&out.stdout)
        );
        judged.push(schema.file_name().unwrap().to_string_lossy().into_owned());
    }
    assert_eq!(judged, ["connection.schema.json", "dataflow.schema.json"]);
}
