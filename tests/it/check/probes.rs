//! Probes against the plain server: each failure has its own category.

use super::fixture::{self, CANARY, DATABASE, Project, assert_no_canary, basic};

fn line<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.contains(&format!("azure/dev/{name} ")))
        .unwrap_or_else(|| panic!("no line for `{name}` in\n{stdout}"))
}

#[test]
fn the_right_password_passes() {
    let Some(pg) = fixture::plain() else { return };
    let project = Project::new(&[basic("good", "127.0.0.1", pg.port(), DATABASE, "Disable")]);
    let run = project.check(CANARY, &[]).expect_code(0);
    let stdout = run.stdout();
    let good = line(&stdout, "good");
    assert!(good.starts_with("ok "), "{good}");
    assert!(
        good.contains("tls=disable") && good.contains(" ms"),
        "{good}"
    );
    assert!(run.stdout().contains("Check complete: 1 ok, 0 failed."));
    assert_no_canary(&run);
}

#[test]
fn each_failure_has_its_category() {
    let Some(pg) = fixture::plain() else { return };
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let project = Project::new(&[
        basic("good", "127.0.0.1", pg.port(), DATABASE, "Prefer"),
        basic("no-db", "127.0.0.1", pg.port(), "nosuchdb", "Disable"),
        basic("closed", "127.0.0.1", closed_port, DATABASE, "Disable"),
        basic("needs-tls", "127.0.0.1", pg.port(), DATABASE, "Verify Full"),
        fixture::aws("aws-tls", pg.port(), true),
        basic("no-host", "no-such-host.invalid", 5432, DATABASE, "Disable"),
    ]);
    let run = project.check(CANARY, &["--timeout", "5"]).expect_code(1);
    let out = run.stdout();
    assert!(line(&out, "good").starts_with("ok "), "{out}");
    assert!(
        line(&out, "no-db")
            .contains("database: database \"nosuchdb\" does not exist (SQLSTATE 3D000)"),
        "{out}"
    );
    assert!(
        line(&out, "closed").contains("refused: connection refused by `127.0.0.1:"),
        "{out}"
    );
    assert!(
        line(&out, "needs-tls").contains(
            "tls: the server does not support TLS, but sslMode `Verify Full` requires it"
        ),
        "{out}"
    );
    let aws = out
        .lines()
        .find(|l| l.contains("aws/dev/aws-tls "))
        .unwrap();
    assert!(
        aws.contains("tls=require") && aws.contains("tls: the server does not support TLS"),
        "{aws}"
    );
    assert!(
        line(&out, "no-host").contains("dns: host `no-such-host.invalid` not found"),
        "{out}"
    );
    assert!(out.contains("Check complete: 1 ok, 5 failed."), "{out}");
    assert_no_canary(&run);
}

#[test]
fn a_wrong_password_is_an_auth_failure_and_never_printed() {
    let Some(pg) = fixture::plain() else { return };
    let project = Project::new(&[basic("bad-pw", "127.0.0.1", pg.port(), DATABASE, "Disable")]);
    let wrong = format!("{CANARY}-wrong");
    for verbosity in [&[][..], &["-vv"][..]] {
        let run = project.check(&wrong, verbosity).expect_code(1);
        let bad = line(&run.stdout(), "bad-pw").to_owned();
        assert!(
            bad.contains(
                "auth: password authentication failed for user \"checker\" (SQLSTATE 28P01)"
            ),
            "{bad}"
        );
        assert_no_canary(&run);
    }
    let json = project
        .check(&wrong, &["--format", "json", "-vv"])
        .expect_code(1);
    assert_no_canary(&json);
    let value = json.json();
    assert_eq!(value["results"][0]["category"], "auth");
    assert_eq!(value["summary"]["failed"], 1);
}

#[test]
fn a_silent_server_times_out() {
    // Accepts TCP but never answers the startup message.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let project = Project::new(&[basic("silent", "127.0.0.1", port, DATABASE, "Disable")]);
    let run = project.check(CANARY, &["--timeout", "1"]).expect_code(1);
    assert!(
        line(&run.stdout(), "silent").contains("timeout: "),
        "{}",
        run.stdout()
    );
    drop(silent);
}

#[test]
fn a_missing_variable_is_named_before_any_connection() {
    let project = Project::new(&[basic("good", "127.0.0.1", 1, DATABASE, "Disable")]);
    let run = crate::support::util::provision()
        .current_dir(project.path())
        .arg("check")
        .run()
        .expect_code(1);
    assert!(
        run.stdout()
            .contains("environment variable `CHECK_PASSWORD` is not set"),
        "{}",
        run.stdout()
    );
    assert!(!run.stdout().contains("Check complete"));
}

#[test]
fn an_invalid_config_prints_diagnostics() {
    let project = Project::new(&[basic("bad", "127.0.0.1", 1, DATABASE, "Verify All")]);
    let run = project.check(CANARY, &[]).expect_code(1);
    assert!(run.stdout().contains("Verify All"), "{}", run.stdout());
    assert!(!run.stdout().contains("Check complete"));
}
