//! `provision validate`: every schema and semantic rule has failing fixtures
//! whose expected code, line and column are written in the fixture's first
//! line (`# expect: S101 5:1 | V205 8:9 warning`), and passing ones (`none`).

use std::path::Path;

use crate::support::util::{fixtures, provision, root};

/// Diagnostics as `CODE LINE:COL[ warning]`, the fixture header's form.
pub fn summarise(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .map(|diags| {
            diags
                .iter()
                .map(|d| {
                    let mut s = format!(
                        "{} {}:{}",
                        d["code"].as_str().unwrap_or("?"),
                        d["line"],
                        d["column"]
                    );
                    if d["severity"] == "warning" {
                        s.push_str(" warning");
                    }
                    s
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn expected(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let header = text.lines().next().unwrap_or_default();
    let spec = header
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{} has no `# expect:` header", path.display()));
    if spec == "none" {
        return Vec::new();
    }
    spec.split(" | ").map(str::to_owned).collect()
}

/// The single-file fixtures of `tests/fixtures/rules/`: one connection
/// file each. Its folders are cases that need more (see `codes.rs`).
pub fn rule_fixtures() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(fixtures("rules"))
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|path| path.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn every_rule_fixture_reports_its_code_line_and_column() {
    let files = rule_fixtures();
    assert!(files.len() >= 30, "rule fixtures missing");
    let mut failures = Vec::new();
    for file in &files {
        let run = provision()
            .args(["validate", "--format", "json"])
            .arg(file)
            .run();
        let want = expected(file);
        let got = summarise(&run.json());
        let has_error = want.iter().any(|w| !w.ends_with("warning"));
        if got != want || run.code() != i32::from(has_error) {
            failures.push(format!(
                "{}: want {want:?} (exit {}), got {got:?} (exit {})",
                file.display(),
                i32::from(has_error),
                run.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_example_connections_are_valid() {
    let run = provision()
        .arg("validate")
        .current_dir(root())
        .run()
        .expect_code(0);
    assert!(
        run.stdout().contains("0 errors, 0 warnings"),
        "{}",
        run.stdout()
    );
}

#[test]
fn duplicate_connections_across_files_point_at_both() {
    let run = provision()
        .args(["validate", "--format", "json"])
        .arg(fixtures("duplicate"))
        .run()
        .expect_code(1);
    let report = run.json();
    assert_eq!(summarise(&report), vec!["V202 2:7"]);
    let d = &report["diagnostics"][0];
    assert!(
        d["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("b/orders.yaml")
    );
    assert!(
        d["help"]
            .as_str()
            .unwrap_or_default()
            .contains("a/orders.yaml:1:7")
    );
    assert_eq!(report["summary"]["connections"], 4);
}

#[test]
fn plaintext_secrets_can_be_downgraded_to_warnings() {
    let file = fixtures("rules/plaintext-password.yaml");
    let run = provision()
        .args(["validate", "--format", "json", "--allow-plaintext-secrets"])
        .arg(&file)
        .run()
        .expect_code(0);
    assert_eq!(summarise(&run.json()), vec!["V203 11:13 warning"]);
}

#[test]
fn warnings_as_errors_fails_on_warnings() {
    let file = fixtures("rules/mysql-port.yaml");
    provision().arg("validate").arg(&file).run().expect_code(0);
    provision()
        .args(["validate", "--warnings-as-errors"])
        .arg(&file)
        .run()
        .expect_code(1);
}

#[test]
fn secrets_never_appear_in_any_format() {
    for format in ["text", "json", "github", "sarif"] {
        for file in [
            "rules/plaintext-password.yaml",
            "rules/cs-plaintext-password.yaml",
            "snapshot/mixed.yaml",
            // flow style, a typo'd key, spaces around `=`, a `;` inside a
            // plaintext password, a malformed reference inside a password
            "secrets/flow.yaml",
            "secrets/typo.yaml",
            "secrets/spaced.yaml",
            "secrets/semicolon.yaml",
            "secrets/interp.yaml",
        ] {
            let run = provision()
                .args(["validate", "--format", format])
                .arg(fixtures(file))
                .run();
            let all = run.stdout() + &run.stderr();
            for canary in ["canary-pw", "canary"] {
                assert!(
                    !all.contains(canary),
                    "{format} {file} leaked {canary}:\n{all}"
                );
            }
        }
    }
}

#[test]
fn settings_file_is_validated_against_its_own_schema() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let settings = dir.path().join("provision.yaml");
    std::fs::write(
        &settings,
        "orgs:\n  azure: { imsOrg: \"ABC123@AdobeOrg\" }\nparalelism: 8\ncredentials:\n  clientId: ${AEP_CLIENT_ID}\n  clientSecret: plain-canary\nstate:\n  backend: s3\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let run = provision()
        .args(["validate", "--format", "json", "--config"])
        .arg(&settings)
        .arg(root().join("connections"))
        .run()
        .expect_code(1);
    let got = summarise(&run.json());
    assert_eq!(got, vec!["S101 3:1", "S104 8:12"], "{}", run.stdout());
    assert!(run.stdout().contains("did you mean `parallelism`?"));
}

#[test]
fn missing_paths_and_empty_folders_are_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = provision()
        .args(["validate", "no/such/dir"])
        .current_dir(dir.path())
        .run()
        .expect_code(1);
    assert!(run.stdout().contains("P009"), "{}", run.stdout());
    let run = provision()
        .arg("validate")
        .arg(dir.path())
        .run()
        .expect_code(1);
    assert!(
        run.stdout().contains("no *.yaml or *.yml files found"),
        "{}",
        run.stdout()
    );
}

#[test]
fn folders_are_walked_recursively_sorted_and_hidden_ones_skipped() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let good = std::fs::read_to_string(fixtures("rules/ok-azure-basic.yaml")).unwrap_or_default();
    for rel in ["b/x.yaml", "a/deep/y.yml", ".hidden/z.yaml", "notes.txt"] {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap_or(dir.path()))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, good.replace("orders-db", rel)).unwrap_or_else(|e| panic!("{e}"));
    }
    let run = provision()
        .arg("validate")
        .arg(dir.path())
        .run()
        .expect_code(0);
    assert!(
        run.stdout().contains("2 files, 2 connections"),
        "{}",
        run.stdout()
    );
}

#[test]
fn text_format_snapshot() {
    let run = provision()
        .args(["validate", "mixed.yaml"])
        .current_dir(fixtures("snapshot"))
        .run()
        .expect_code(1);
    insta::assert_snapshot!("validate_text", run.stdout());
}

#[test]
fn json_format_snapshot() {
    let run = provision()
        .args(["validate", "--format", "json", "mixed.yaml"])
        .current_dir(fixtures("snapshot"))
        .run()
        .expect_code(1);
    insta::assert_snapshot!("validate_json", run.stdout());
}

#[test]
fn github_format_snapshot() {
    let run = provision()
        .args(["validate", "--format", "github", "mixed.yaml"])
        .current_dir(fixtures("snapshot"))
        .run()
        .expect_code(1);
    insta::assert_snapshot!("validate_github", run.stdout());
}

#[test]
fn a_plaintext_password_in_the_state_url_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("provision.yaml");
    std::fs::write(
        &settings,
        "state:\n  backend: postgres\n  url: postgres://prov:S3cret-canary@db:5432/state\n",
    )
    .unwrap();
    let run = provision()
        .args(["validate", "--format", "json", "--config"])
        .arg(&settings)
        .arg(root().join("connections"))
        .run()
        .expect_code(1);
    assert_eq!(summarise(&run.json()), vec!["V203 3:8"]);
    assert!(!run.stdout().contains("S3cret-canary"));
}
