//! The messages a newcomer meets, as snapshots. Each
//! project is a temp folder; paths in the output are relative to it.

use std::path::Path;

use crate::support::util::{Finished, provision};

/// A temp project holding `files` (path, text).
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> Finished {
    provision().current_dir(dir).args(args).run()
}

const AWS_QUOTED: &str = "name: events-db\nsandbox: prod\ncloud: aws\nauth:\n  type: basic\n  server: events.example.com\n  port: 5432\n  database: events\n  username: aep\n  password: ${EVENTS_DB_PASSWORD}\n  sslMode: \"true\"\n";
const AZURE_SPACED: &str = "name: orders-db\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: orders.example.com\n  port: 5432\n  database: orders\n  username: aep\n  password: ${ORDERS_DB_PASSWORD}\n  sslMode: verify full   # as the docs spell it\n";
const UNKNOWN_PART: &str = "name: billing-db\nsandbox: prod\ncloud: azure\nauth:\n  type: connectionString\n  connectionString: Server=billing.example.com;Database=billing;Port=5432;UID=aep;Password=${BILLING_DB_PASSWORD};Foo=1;EncryptionMethod=1\n";
const BAD_REFERENCE: &str = "name: orders-db\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: orders.example.com\n  port: 5432\n  database: orders\n  username: aep\n  password: ${PW-3}\n";

#[test]
fn quoted_booleans_and_values_with_spaces() {
    let dir = project(&[("aws.yaml", AWS_QUOTED), ("azure.yaml", AZURE_SPACED)]);
    let out = run(dir.path(), &["validate", "aws.yaml", "azure.yaml"]).expect_code(1);
    insta::assert_snapshot!("quoted_booleans", out.stdout());
    assert!(out.stdout().contains("the quotes make"), "{}", out.stdout());
    assert!(
        out.stdout().contains("^^^^^^^^^^^\n"),
        "the whole `verify full`"
    );
}

#[test]
fn an_unknown_connection_string_part_is_named_and_pointed_at() {
    let dir = project(&[("billing.yaml", UNKNOWN_PART)]);
    let out = run(dir.path(), &["validate", "billing.yaml"]).expect_code(1);
    insta::assert_snapshot!("unknown_connection_string_part", out.stdout());
    let text = out.stdout();
    let line = text
        .lines()
        .find(|l| l.contains("connectionString:"))
        .unwrap();
    let caret = text.lines().find(|l| l.contains('^')).unwrap();
    let at = caret.find('^').unwrap();
    assert_eq!(&line[at..at + 5], "Foo=1", "{text}");
}

#[test]
fn a_malformed_reference_is_shown_not_masked() {
    let dir = project(&[("orders.yaml", BAD_REFERENCE)]);
    let out = run(dir.path(), &["validate", "orders.yaml"]).expect_code(1);
    insta::assert_snapshot!("malformed_reference", out.stdout());
    assert!(
        out.stdout().contains("password: ${PW-3}"),
        "{}",
        out.stdout()
    );
}

#[test]
fn an_unset_variable_is_pointed_at_inside_a_connection_string() {
    let text = UNKNOWN_PART.replace(";Foo=1", "");
    let dir = project(&[
        ("connections/billing.yaml", text.as_str()),
        (
            "provision.yaml",
            "orgs:\n  azure: { imsOrg: \"A@AdobeOrg\" }\ncredentials:\n  accessToken: ${AEP_ACCESS_TOKEN}\n  clientId: app\n",
        ),
    ]);
    let out = provision()
        .current_dir(dir.path())
        .env("AEP_ACCESS_TOKEN", "t")
        .env_remove("BILLING_DB_PASSWORD")
        .arg("apply")
        .run()
        .expect_code(1);
    insta::assert_snapshot!("unset_variable_in_connection_string", out.stderr());
    assert!(
        out.stderr()
            .contains(" --> connections/billing.yaml:6:92\n"),
        "{}",
        out.stderr()
    );
}

#[test]
fn plaintext_secret_help_fits_the_field_and_the_severity() {
    let connection = UNKNOWN_PART
        .replace(";Foo=1", "")
        .replace("${BILLING_DB_PASSWORD}", "hunter2");
    let settings = "state:\n  backend: postgres\n  url: postgres://state:S3cret@db.example.com/state\ncredentials:\n  clientId: app\n  clientSecret: plain-secret\n";
    let dir = project(&[
        ("connections/billing.yaml", connection.as_str()),
        ("provision.yaml", settings),
    ]);
    let errors = run(dir.path(), &["validate"]).expect_code(1);
    let warnings = run(dir.path(), &["validate", "--allow-plaintext-secrets"]).expect_code(0);
    insta::assert_snapshot!("plaintext_secret_errors", errors.stdout());
    insta::assert_snapshot!("plaintext_secret_warnings", warnings.stdout());
    assert!(
        errors
            .stdout()
            .contains("`Password=${BILLING_DB_PASSWORD}`")
    );
    assert!(errors.stdout().contains("${STATE_DB_PASSWORD}"));
    assert!(!warnings.stdout().contains("--allow-plaintext-secrets"));
    for secret in ["hunter2", "S3cret", "plain-secret"] {
        assert!(!errors.stdout().contains(secret) && !warnings.stdout().contains(secret));
    }
}

#[test]
fn unset_settings_variables_are_reported_at_once_with_their_lines() {
    let settings = "orgs:\n  azure: { imsOrg: \"${AZURE_ORG}\" }\ncredentials:\n  clientId: ${AEP_CLIENT_ID}\n  clientSecret: ${AEP_CLIENT_SECRET}\nstate:\n  backend: postgres\n  url: ${STATE_URL}\n";
    let dir = project(&[
        (
            "connections/orders.yaml",
            AZURE_SPACED
                .replace("verify full   # as the docs spell it", "Verify Full")
                .as_str(),
        ),
        ("provision.yaml", settings),
    ]);
    let clear = |run: crate::support::util::Run| {
        [
            "AZURE_ORG",
            "AEP_CLIENT_ID",
            "AEP_CLIENT_SECRET",
            "STATE_URL",
            "ORDERS_DB_PASSWORD",
        ]
        .iter()
        .fold(run, |run, name| run.env_remove(name))
    };
    let plan = clear(provision().current_dir(dir.path()).arg("apply"))
        .run()
        .expect_code(1);
    insta::assert_snapshot!("unset_settings_variables_apply", plan.stderr());
    assert!(
        plan.stderr()
            .contains("error: 5 problem(s) in the config: nothing was sent")
    );
    let list = clear(provision().current_dir(dir.path()).args(["state", "list"]))
        .run()
        .expect_code(1);
    insta::assert_snapshot!("unset_settings_variables_state_list", list.stderr());
}

#[test]
fn an_unreachable_ims_is_named_as_such() {
    let closed = |_: ()| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
    };
    let (ims, endpoint) = (closed(()), closed(()));
    let dir = project(&[
        (
            "connections/orders.yaml",
            AZURE_SPACED
                .replace("verify full   # as the docs spell it", "Verify Full")
                .as_str(),
        ),
        (
            "provision.yaml",
            "orgs:\n  azure: { imsOrg: \"A@AdobeOrg\" }\ncredentials:\n  clientId: app\n  clientSecret: ${AEP_CLIENT_SECRET}\n",
        ),
    ]);
    let out = provision()
        .current_dir(dir.path())
        .env("AEP_CLIENT_SECRET", "s")
        .env("ORDERS_DB_PASSWORD", "p")
        .args(["plan", "--ims", &ims, "--endpoint", &endpoint])
        .run()
        .expect_code(1);
    let want = format!("error: cannot get an access token from IMS at `{ims}/ims/token/v3`");
    assert!(out.stderr().starts_with(&want), "{}", out.stderr());
    assert!(
        !out.stderr().contains("cannot list connections"),
        "{}",
        out.stderr()
    );
}

#[test]
fn wrong_folder_missing_settings_and_state_commands() {
    let empty = tempfile::tempdir().unwrap();
    let validate = run(empty.path(), &["validate"]).expect_code(1);
    insta::assert_snapshot!("wrong_folder", validate.stdout());

    let dir = project(&[(
        "connections/orders.yaml",
        AZURE_SPACED
            .replace("verify full   # as the docs spell it", "Verify Full")
            .as_str(),
    )]);
    let apply = provision()
        .current_dir(dir.path())
        .env("ORDERS_DB_PASSWORD", "p")
        .arg("apply")
        .run()
        .expect_code(1);
    assert_eq!(
        apply.stderr(),
        "error: no IMS org configured for cloud `azure`: the settings file `provision.yaml` does not exist; create it with `provision init` and set `orgs.azure.imsOrg`, or rehearse with `--emulator`, which needs none\n"
    );

    let plaintext = project(&[(
        "provision.yaml",
        "state:\n  backend: postgres\n  url: postgres://state:S3cret@db.example.com/state\n",
    )]);
    let list = run(plaintext.path(), &["state", "list"]).expect_code(1);
    insta::assert_snapshot!("state_list_plaintext", list.stderr());
    assert!(
        !list.stderr().contains("nothing was sent"),
        "{}",
        list.stderr()
    );
    assert!(
        !list.stderr().contains("--allow-plaintext-secrets"),
        "state list has no such flag"
    );
}
