//! Probes against the TLS server: verification with and without the test
//! CA, hostname checks, and the connection string's TLS keys.

use super::fixture::{self, CANARY, DATABASE, Project, assert_no_canary, basic, connection_string};

fn line<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.contains(&format!("azure/dev/{name} ")))
        .unwrap_or_else(|| panic!("no line for `{name}` in\n{stdout}"))
}

#[test]
fn verify_full_passes_with_the_ca_and_fails_without() {
    let Some(server) = fixture::tls() else { return };
    let port = server.pg.port();
    let project = Project::new(&[basic("full", "localhost", port, DATABASE, "Verify Full")]);
    let ca = server.ca_file.to_str().unwrap();
    let run = project.check(CANARY, &["--ca-file", ca]).expect_code(0);
    assert!(
        line(&run.stdout(), "full").starts_with("ok "),
        "{}",
        run.stdout()
    );
    assert!(line(&run.stdout(), "full").contains("tls=verify-full"));

    let run = project.check(CANARY, &[]).expect_code(1);
    assert!(
        line(&run.stdout(), "full")
            .contains("tls: certificate verification failed: the server's certificate is not signed by a trusted CA"),
        "{}",
        run.stdout()
    );
    assert_no_canary(&run);
}

#[test]
fn the_ca_file_can_come_from_the_environment() {
    let Some(server) = fixture::tls() else { return };
    let project = Project::new(&[basic(
        "full",
        "localhost",
        server.pg.port(),
        DATABASE,
        "Verify Full",
    )]);
    let run = crate::support::util::provision()
        .current_dir(project.path())
        .env("CHECK_PASSWORD", CANARY)
        .env("PROVISION_CA_FILE", server.ca_file.to_str().unwrap())
        .arg("check")
        .run()
        .expect_code(0);
    assert_no_canary(&run);
}

#[test]
fn hostname_and_chain_checks_follow_the_mode() {
    let Some(server) = fixture::tls() else { return };
    let port = server.pg.port();
    let project = Project::new(&[
        // The certificate names `localhost` only.
        basic("full-by-ip", "127.0.0.1", port, DATABASE, "Verify Full"),
        basic("ca-by-ip", "127.0.0.1", port, DATABASE, "Verify Ca"),
        basic("prefer", "127.0.0.1", port, DATABASE, "Prefer"),
        basic("allow", "127.0.0.1", port, DATABASE, "Allow"),
        connection_string(
            "cs-verify",
            "localhost",
            port,
            ";EncryptionMethod=1;ValidateServerCertificate=1",
        ),
        connection_string(
            "cs-no-verify",
            "127.0.0.1",
            port,
            ";EncryptionMethod=1;ValidateServerCertificate=0",
        ),
    ]);
    let ca = server.ca_file.to_str().unwrap();
    let run = project
        .check(CANARY, &["--ca-file", ca, "-vv"])
        .expect_code(1);
    let out = run.stdout();
    assert!(
        line(&out, "full-by-ip").contains(
            "tls: hostname mismatch: the server's certificate is not valid for `127.0.0.1`"
        ),
        "{out}"
    );
    for name in ["ca-by-ip", "prefer", "allow", "cs-verify", "cs-no-verify"] {
        assert!(line(&out, name).starts_with("ok "), "{name}: {out}");
    }
    assert!(out.contains("Check complete: 5 ok, 1 failed."), "{out}");
    assert_no_canary(&run);
}

#[test]
fn allow_falls_back_to_tls_when_the_server_turns_plain_away() {
    let Some(server) = fixture::tls_only() else {
        return;
    };
    let port = server.pg.port();
    let project = Project::new(&[
        basic("allow", "127.0.0.1", port, DATABASE, "Allow"),
        basic("disable", "127.0.0.1", port, DATABASE, "Disable"),
    ]);
    let run = project.check(CANARY, &[]).expect_code(1);
    let out = run.stdout();
    assert!(line(&out, "allow").starts_with("ok "), "{out}");
    assert!(
        line(&out, "disable").contains("auth: no pg_hba.conf entry for host"),
        "{out}"
    );
    assert_no_canary(&run);
}
