//! The messages of a team's first week: realistic mistakes, each with its
//! full message as a snapshot and the one fact that matters asserted.

use std::path::Path;

use crate::support::util::{Finished, provision};

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn validate(dir: &Path, files: &[&str]) -> Finished {
    provision()
        .current_dir(dir)
        .env_remove("CLICKS_PASSWORD")
        .arg("validate")
        .args(files)
        .run()
}

/// An AWS basic connection; `auth` lines follow `  type: basic`.
fn aws(sandbox: &str, auth: &str) -> String {
    format!("name: clicks-db\nsandbox: {sandbox}\ncloud: aws\nauth:\n  type: basic\n{auth}")
}

const AUTH: &str =
    "  server: clicks.example.com\n  port: 5432\n  database: clicks\n  username: aep\n";

#[test]
fn a_shell_style_password_of_an_unknown_name_stays_masked() {
    let text = aws("prod", &format!("{AUTH}  password: $CLICKS_PASSWORD\n"));
    let dir = project(&[("clicks.yaml", &text)]);
    let out = validate(dir.path(), &["clicks.yaml"]).expect_code(1);
    insta::assert_snapshot!("shell_style_unknown", out.stdout());
    assert!(
        !out.stdout().contains("CLICKS_PASSWORD"),
        "{}",
        out.stdout()
    );
    assert!(out.stdout().contains("write it as `${...}`"));
}

#[test]
fn a_shell_style_password_of_a_known_name_is_shown_with_its_braces() {
    let text = aws("prod", &format!("{AUTH}  password: $CLICKS_PASSWORD\n"));
    let other = aws("dev", &format!("{AUTH}  password: ${{CLICKS_PASSWORD}}\n"));
    let dir = project(&[("clicks.yaml", &text), ("dev/clicks.yaml", &other)]);
    let out = validate(dir.path(), &["clicks.yaml", "dev"]).expect_code(1);
    insta::assert_snapshot!("shell_style_referenced", out.stdout());
    assert!(out.stdout().contains("write `${CLICKS_PASSWORD}`"));
    assert!(out.stdout().contains("password: $CLICKS_PASSWORD\n"));
    // Set in the environment is as good as referenced.
    let dir = project(&[("clicks.yaml", &text)]);
    let out = provision()
        .current_dir(dir.path())
        .env("CLICKS_PASSWORD", "s3cret-value")
        .args(["validate", "clicks.yaml"])
        .run()
        .expect_code(1);
    assert!(out.stdout().contains("write `${CLICKS_PASSWORD}`"));
    assert!(!out.stdout().contains("s3cret-value"));
}

#[test]
fn a_duplicate_key_does_not_stop_the_rest_of_the_file() {
    let first = aws("prod", &format!("{AUTH}  password: ${{P}}\n  port: 5433\n"));
    let second = aws("Prod", &format!("{AUTH}  password: ${{P}}\n"));
    let text = format!("{first}---\n{second}");
    let dir = project(&[("clicks.yaml", &text)]);
    let out = validate(dir.path(), &["clicks.yaml"]).expect_code(1);
    insta::assert_snapshot!("duplicate_key_keeps_going", out.stdout());
    assert!(out.stdout().contains("first defined at clicks.yaml:7:3"));
    assert!(
        out.stdout().contains("did you mean `prod`?"),
        "the second document is checked"
    );
}

#[test]
fn a_tab_is_pointed_at_and_shown() {
    let text = "name: a\nsandbox: prod\ncloud: aws\nauth:\n  type: basic\n  server:\n\tx\n";
    let dir = project(&[("tab.yaml", text)]);
    let out = validate(dir.path(), &["tab.yaml"]).expect_code(1);
    insta::assert_snapshot!("tab", out.stdout());
    assert!(
        out.stdout().contains(" --> tab.yaml:7:1\n"),
        "{}",
        out.stdout()
    );
    assert!(out.stdout().contains("7 | \u{2192}x\n"), "{}", out.stdout());
}

#[test]
fn a_named_tls_mode_on_aws_says_what_it_is_and_what_to_write() {
    let azure = aws(
        "prod",
        &format!("{AUTH}  password: ${{P}}\n  sslMode: Verify Full\n"),
    );
    let libpq = aws(
        "prod",
        &format!("{AUTH}  password: ${{P}}\n  sslMode: require\n"),
    );
    let dir = project(&[("azure.yaml", &azure), ("libpq.yaml", &libpq)]);
    let out = validate(dir.path(), &["azure.yaml", "libpq.yaml"]).expect_code(1);
    insta::assert_snapshot!("tls_mode_on_aws", out.stdout());
    assert!(out.stdout().contains("`Verify Full` is an Azure mode"));
    assert!(
        out.stdout()
            .contains("`require` is libpq's `sslmode` setting")
    );
}

#[test]
fn a_sandbox_gets_its_spelling_and_no_variables() {
    let upper = aws("Prod", &format!("{AUTH}  password: ${{P}}\n"));
    let variable = aws("${AEP_SANDBOX}", &format!("{AUTH}  password: ${{P}}\n"));
    let dir = project(&[("upper.yaml", &upper), ("variable.yaml", &variable)]);
    let out = validate(dir.path(), &["upper.yaml", "variable.yaml"]).expect_code(1);
    insta::assert_snapshot!("sandbox", out.stdout());
    assert!(out.stdout().contains("did you mean `prod`?"));
    assert!(
        out.stdout()
            .contains("variables are not allowed in `sandbox`")
    );
    assert!(
        !out.stdout().contains("^[a-z0-9]"),
        "no regex: {}",
        out.stdout()
    );
}

#[test]
fn a_misspelt_key_is_one_diagnostic_at_the_typo() {
    let text = aws(
        "prod",
        &(AUTH.replace("database:", "databse:") + "  password: ${P}\n"),
    );
    let dir = project(&[("typo.yaml", &text)]);
    let out = validate(dir.path(), &["typo.yaml"]).expect_code(1);
    insta::assert_snapshot!("misspelt_key", out.stdout());
    assert!(out.stdout().contains("1 error"), "{}", out.stdout());
    assert!(out.stdout().contains("did you mean `database`?"));
}

#[test]
fn a_port_inside_the_server_is_a_warning() {
    let text = aws(
        "prod",
        &(AUTH.replace("clicks.example.com", "h:5432") + "  password: ${P}\n"),
    );
    let dir = project(&[("port.yaml", &text)]);
    let out = validate(dir.path(), &["port.yaml"]).expect_code(0);
    insta::assert_snapshot!("port_in_server", out.stdout());
    assert!(out.stdout().contains("warning[V209]"), "{}", out.stdout());
}

#[test]
fn a_misspelt_folder_gets_the_near_one() {
    let text = aws("prod", &format!("{AUTH}  password: ${{P}}\n"));
    let dir = project(&[("connections/clicks.yaml", &text)]);
    let out = validate(dir.path(), &["connection/"]).expect_code(1);
    insta::assert_snapshot!("misspelt_folder", out.stdout());
    assert!(
        out.stdout().contains("did you mean `connections/`?"),
        "{}",
        out.stdout()
    );
}
