//! The committed schemas are generated and current, and an independent
//! validator (check-jsonschema, YAML 1.2 loading) gives the same verdict as
//! `provision validate` on every schema rule.

use std::process::Command;

use crate::support::util::{provision, root};
use crate::validate::rules::rule_fixtures;

#[test]
fn committed_schemas_are_current() {
    let run = provision()
        .args(["schema", "--check", "--out"])
        .arg(root().join("schema"))
        .run();
    assert_eq!(
        run.code(),
        0,
        "schema/ is stale: run `cargo run -- schema` and commit\n{}",
        run.stderr()
    );
}

#[test]
fn schema_check_detects_a_stale_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    provision()
        .args(["schema", "--out"])
        .arg(dir.path())
        .run()
        .expect_code(0);
    provision()
        .args(["schema", "--check", "--out"])
        .arg(dir.path())
        .run()
        .expect_code(0);
    std::fs::write(dir.path().join("connection.schema.json"), "{}\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let run = provision()
        .args(["schema", "--check", "--out"])
        .arg(dir.path())
        .run()
        .expect_code(1);
    assert!(
        run.stderr().contains("connection.schema.json"),
        "{}",
        run.stderr()
    );
}

#[test]
fn the_dataflow_schema_is_written_beside_the_others_and_checked() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = provision()
        .args(["schema", "--out"])
        .arg(dir.path())
        .run()
        .expect_code(0)
        .stdout();
    assert!(out.contains("dataflow.schema.json"), "{out}");
    let written = std::fs::read_to_string(dir.path().join("dataflow.schema.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let committed = std::fs::read_to_string(root().join("schema/dataflow.schema.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written, committed);
    assert!(written.contains("\"$id\": \"urn:provision:schema:dataflow\""));
    std::fs::remove_file(dir.path().join("dataflow.schema.json")).unwrap_or_else(|e| panic!("{e}"));
    let run = provision()
        .args(["schema", "--check", "--out"])
        .arg(dir.path())
        .run()
        .expect_code(1);
    assert!(
        run.stderr().contains("dataflow.schema.json"),
        "{}",
        run.stderr()
    );
}

/// `check-jsonschema` when installed (`pip install check-jsonschema`);
/// under `CI=true` its absence fails the test, elsewhere the skip is said
/// on the terminal.
fn check_jsonschema() -> Option<String> {
    crate::support::util::tools_available(
        "schema agreement (check-jsonschema)",
        &["check-jsonschema"],
    )
    .then(|| "check-jsonschema".to_owned())
}

#[test]
fn a_missing_tool_fails_under_ci_and_is_a_visible_skip_elsewhere() {
    use crate::support::util::{installed, skip_reason};
    assert!(!installed("provision-no-such-tool"));
    let failure = skip_reason("agreement", &["check-jsonschema"], true).unwrap_err();
    assert!(failure.contains("CI=true requires it"), "{failure}");
    let skip = skip_reason("agreement", &["check-jsonschema"], false).unwrap();
    assert_eq!(
        skip.as_deref(),
        Some(
            "SKIPPED agreement: check-jsonschema not installed (.ci/run installs it; CI=true makes this a failure)"
        )
    );
    assert_eq!(skip_reason("agreement", &[], true), Ok(None));
}

#[test]
fn an_independent_validator_agrees_on_every_schema_rule() {
    let Some(tool) = check_jsonschema() else {
        return;
    };
    let mut disagreements = Vec::new();
    let files = rule_fixtures();
    let mut dataflows = 0;
    for file in &files {
        // Each document is judged by the schema of its kind, as provision does.
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let schema = if super::editor::is_dataflow(&text) {
            dataflows += 1;
            root().join("schema/dataflow.schema.json")
        } else {
            root().join("schema/connection.schema.json")
        };
        let theirs = Command::new(&tool)
            .arg("--schemafile")
            .arg(&schema)
            .arg(file)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let ours = provision()
            .args(["validate", "--format", "json"])
            .arg(file)
            .run()
            .json();
        // Schema rules are the S-codes (and a document that is not a mapping).
        let ours_invalid = ours["diagnostics"].as_array().is_some_and(|d| {
            d.iter().any(|d| {
                let code = d["code"].as_str().unwrap_or_default();
                code.starts_with('S') || code == "P008"
            })
        });
        let theirs_invalid = !theirs.status.success();
        if ours_invalid != theirs_invalid {
            disagreements.push(format!(
                "{}: provision says invalid={ours_invalid}, check-jsonschema says invalid={theirs_invalid}\n{}",
                file.display(),
                String::from_utf8_lossy(&theirs.stdout)
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    // Both verdicts occur, so the comparison can fail, for dataflows too.
    assert!(files.iter().any(|f| f.to_string_lossy().contains("ok-")));
    assert!(dataflows >= 5, "dataflow fixtures judged: {dataflows}");
}
