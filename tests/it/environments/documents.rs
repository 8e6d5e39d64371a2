//! One set of documents in every environment: a document without `sandbox`
//! takes its environment's (so its key is computed per environment),
//! `environments: [prod]` limits it, and `${VAR}`s resolve from the
//! environment's committed `vars` before the process environment.

use crate::support::util::{Finished, provision};

const SETTINGS: &str = "\
environments:
  dev:
    sandbox: dev
    orgs: { azure: { imsOrg: \"DEVAZURE@AdobeOrg\" } }
    vars: { ORDERS_HOST: orders.dev.pg.example.com }
  prod:
    sandbox: prod
    orgs: { azure: { imsOrg: \"PRDAZURE@AdobeOrg\" } }
    vars: { ORDERS_HOST: orders.pg.example.com }
";

/// `name` without `sandbox`, its server `${ORDERS_HOST}`, then `extra`.
fn doc(name: &str, extra: &str) -> String {
    format!(
        "name: {name}\ncloud: azure\nauth:\n  type: basic\n  server: ${{ORDERS_HOST}}\n  port: 5432\n  database: app\n  username: aep\n  password: ${{DB_PASSWORD}}\n  sslMode: Verify Full\n{extra}"
    )
}

fn project(settings: &str, files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("provision.yaml"), settings).unwrap();
    for (name, text) in files {
        let path = dir.path().join("connections").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn run(dir: &tempfile::TempDir, args: &[&str]) -> Finished {
    provision()
        .current_dir(dir.path())
        .env_remove("PROVISION_ENV")
        .env_remove("ORDERS_HOST")
        .env("DB_PASSWORD", "canary-Pw-51x7q")
        .args(args)
        .run()
}

#[test]
fn keys_are_computed_per_environment_and_limited_documents_stay_home() {
    let dir = project(
        SETTINGS,
        &[
            ("orders.yaml", doc("orders-db", "")),
            ("audit.yaml", doc("audit-db", "environments: [prod]\n")),
        ],
    );
    let dev = run(&dir, &["plan", "--emulator", "-e", "dev"]).expect_code(0);
    let out = dev.stdout();
    assert!(out.contains("azure/dev/orders-db"), "{out}");
    assert!(
        !out.contains("audit-db"),
        "prod's document planned in dev: {out}"
    );
    assert!(!out.contains("azure/prod/"), "{out}");
    let prod = run(&dir, &["plan", "--emulator", "-e", "prod"]).expect_code(0);
    let out = prod.stdout();
    assert!(out.contains("azure/prod/orders-db"), "{out}");
    assert!(out.contains("azure/prod/audit-db"), "{out}");
    assert!(!out.contains("azure/dev/"), "{out}");
}

#[test]
fn vars_come_before_the_process_environment_with_a_warning_when_they_differ() {
    let dir = project(SETTINGS, &[("orders.yaml", doc("orders-db", ""))]);
    let plan = |extra: Option<&str>| {
        let mut run = provision()
            .current_dir(dir.path())
            .env("DB_PASSWORD", "canary-Pw-51x7q")
            .args(["plan", "--emulator", "-e", "prod", "--format", "json"]);
        run = match extra {
            Some(value) => run.env("ORDERS_HOST", value),
            None => run.env_remove("ORDERS_HOST"),
        };
        run.run().expect_code(0)
    };
    let quiet = plan(None);
    assert!(
        !quiet.stderr().contains("ORDERS_HOST"),
        "{}",
        quiet.stderr()
    );
    let same = plan(Some("orders.pg.example.com"));
    assert!(!same.stderr().contains("ORDERS_HOST"), "{}", same.stderr());
    let differing = plan(Some("orders.dev.pg.example.com"));
    insta::assert_snapshot!("differing_var", differing.stderr());
    // The committed value is the one planned, whatever the process says.
    assert_eq!(quiet.stdout(), differing.stdout());
}

#[test]
fn the_process_environment_fills_what_vars_leave_out() {
    let settings = SETTINGS.replace("    vars: { ORDERS_HOST: orders.pg.example.com }\n", "");
    let dir = project(&settings, &[("orders.yaml", doc("orders-db", ""))]);
    let out = run(&dir, &["plan", "--emulator", "-e", "prod"]);
    // Unset under --emulator: a placeholder, named.
    assert!(out.stderr().contains("`ORDERS_HOST`"), "{}", out.stderr());
    let out = provision()
        .current_dir(dir.path())
        .env("DB_PASSWORD", "x")
        .env("ORDERS_HOST", "from-the-process.example.com")
        .args(["plan", "--emulator", "-e", "prod"])
        .run()
        .expect_code(0);
    assert!(!out.stderr().contains("ORDERS_HOST"), "{}", out.stderr());
}

#[test]
fn a_secret_from_vars_is_an_error_naming_the_variable() {
    let settings = format!("vars:\n  DB_PASSWORD: committed-canary\n{SETTINGS}");
    let dir = project(&settings, &[("orders.yaml", doc("orders-db", ""))]);
    for args in [&["validate"][..], &["plan", "--emulator", "-e", "dev"]] {
        let out = run(&dir, args).expect_code(1);
        let all = out.stdout() + &out.stderr();
        assert!(all.contains("V214"), "{args:?}: {all}");
        assert!(all.contains("`${DB_PASSWORD}` is a secret here"), "{all}");
        assert!(!all.contains("committed-canary"), "{all}");
    }
    let settings = format!(
        "vars:\n  AEP_SECRET: committed-canary\ncredentials:\n  clientId: x\n  clientSecret: ${{AEP_SECRET}}\n{SETTINGS}"
    );
    let dir = project(&settings, &[("orders.yaml", doc("orders-db", ""))]);
    let out = run(&dir, &["validate"]).expect_code(1);
    assert!(
        out.stdout()
            .contains("`credentials.clientSecret` is a secret and uses `${AEP_SECRET}`"),
        "{}",
        out.stdout()
    );
}

#[test]
fn validate_checks_every_environments_resolution_or_the_one_given() {
    let settings = SETTINGS.replace("    vars: { ORDERS_HOST: orders.pg.example.com }\n", "");
    let dir = project(&settings, &[("orders.yaml", doc("orders-db", ""))]);
    let out = run(&dir, &["validate"]).expect_code(0);
    insta::assert_snapshot!("validate_all", out.stdout());
    let out = run(&dir, &["validate", "-e", "dev"]).expect_code(0);
    assert!(!out.stdout().contains("V215"), "{}", out.stdout());
    let out = run(&dir, &["validate", "-e", "prd"]).expect_code(64);
    assert!(
        out.stderr().contains("did you mean `prod`?"),
        "{}",
        out.stderr()
    );
}

#[test]
fn the_same_name_in_two_environments_is_no_duplicate_but_twice_in_one_is() {
    let dir = project(
        SETTINGS,
        &[
            ("a.yaml", doc("orders-db", "environments: [dev]\n")),
            ("b.yaml", doc("orders-db", "environments: [prod]\n")),
        ],
    );
    run(&dir, &["validate"]).expect_code(0);
    let dir = project(
        SETTINGS,
        &[
            ("a.yaml", doc("orders-db", "")),
            ("b.yaml", doc("orders-db", "environments: [prod]\n")),
        ],
    );
    let out = run(&dir, &["validate"]).expect_code(1);
    assert!(
        out.stdout()
            .contains("duplicate connection `azure/prod/orders-db`"),
        "{}",
        out.stdout()
    );
}

#[test]
fn a_document_without_sandbox_needs_one_from_its_environment() {
    let settings = SETTINGS.replace("    sandbox: prod\n", "");
    let dir = project(&settings, &[("orders.yaml", doc("orders-db", ""))]);
    let out = run(&dir, &["validate"]).expect_code(1);
    assert!(
        out.stdout()
            .contains("`orders-db` names no `sandbox`, and environment `prod` sets none"),
        "{}",
        out.stdout()
    );
}

/// Two environments in one org, a document with its own `sandbox`: both
/// would act on one connection, whether the org is written literally or
/// filled from committed `vars`.
#[test]
fn a_document_with_its_own_sandbox_in_two_environments_of_one_org_is_refused() {
    let literal = "\
environments:
  dev:
    orgs: { azure: { imsOrg: \"SAMEAZURE@AdobeOrg\" } }
    vars: { ORDERS_HOST: orders.dev.pg.example.com }
  prod:
    orgs: { azure: { imsOrg: \"sameazure@AdobeOrg\" } }
    vars: { ORDERS_HOST: orders.pg.example.com }
";
    let from_vars = "\
vars: { ORG: \"SAMEAZURE@AdobeOrg\", ORDERS_HOST: orders.pg.example.com }
orgs: { azure: { imsOrg: \"${ORG}\" } }
environments:
  dev: {}
  prod: {}
";
    for settings in [literal, from_vars] {
        let dir = project(
            settings,
            &[("orders.yaml", doc("orders-db", "sandbox: dev\n"))],
        );
        let out = run(&dir, &["validate"]).expect_code(1);
        insta::assert_snapshot!("same_place_document", out.stdout());
        let out = run(&dir, &["plan", "--emulator", "-e", "prod"]).expect_code(1);
        let all = out.stdout() + &out.stderr();
        assert!(all.contains("V212"), "{all}");
    }
    // Limited to one environment, or an org only the process environment
    // gives (not comparable offline): no V212.
    let limited = project(
        literal,
        &[(
            "orders.yaml",
            doc("orders-db", "sandbox: dev\nenvironments: [dev]\n"),
        )],
    );
    run(&limited, &["validate"]).expect_code(0);
    let unknown = from_vars.replace("ORG: \"SAMEAZURE@AdobeOrg\", ", "");
    let dir = project(
        &unknown,
        &[("orders.yaml", doc("orders-db", "sandbox: dev\n"))],
    );
    let out = run(&dir, &["validate"]);
    assert!(!out.stdout().contains("V212"), "{}", out.stdout());
}

/// An environment's `state` replaces the top-level one whole: a
/// `namespace` alone under it is refused rather than becoming a file.
#[test]
fn an_environments_partial_state_is_refused_and_another_backend_warned() {
    let top = "state: { backend: postgres, url: \"${PROVISION_STATE_URL}\" }\n";
    let partial = SETTINGS.replace(
        "    sandbox: prod\n",
        "    sandbox: prod\n    state: { namespace: prodns }\n",
    );
    let dir = project(
        &format!("{top}{partial}"),
        &[("orders.yaml", doc("orders-db", ""))],
    );
    let out = run(&dir, &["validate"]).expect_code(1);
    insta::assert_snapshot!("partial_environment_state", out.stdout());
    let out = run(&dir, &["plan", "--emulator", "-e", "prod"]).expect_code(1);
    let all = out.stdout() + &out.stderr();
    assert!(all.contains("V217"), "{all}");
    assert!(!all.contains("state.prod.json"), "{all}");
    let other = SETTINGS.replace(
        "    sandbox: dev\n",
        "    sandbox: dev\n    state: { path: .provision/dev.json }\n",
    );
    let dir = project(
        &format!("{top}{other}"),
        &[("orders.yaml", doc("orders-db", ""))],
    );
    let out = run(&dir, &["validate"]).expect_code(0);
    assert!(
        out.stdout()
            .contains("warning[V218]: environment `dev` keeps its state in a file state"),
        "{}",
        out.stdout()
    );
}

/// In a connection string only the `Password` part (or the whole string
/// written as one `${VAR}`) is secret: a host from `vars` is fine.
#[test]
fn a_connection_strings_host_may_come_from_vars_but_not_its_password() {
    let cs = |value: &str| {
        format!(
            "name: orders-db\ncloud: azure\nauth:\n  type: connectionString\n  connectionString: \"{value}\"\n"
        )
    };
    let host = "Server=${ORDERS_HOST};Database=app;Port=5432;UID=aep;Password=${DB_PASSWORD}";
    let dir = project(SETTINGS, &[("orders.yaml", cs(host))]);
    let out = run(&dir, &["validate"]).expect_code(0);
    assert!(!out.stdout().contains("V214"), "{}", out.stdout());
    run(&dir, &["plan", "--emulator", "-e", "prod"]).expect_code(0);
    let settings = format!("vars: {{ DB_PASSWORD: committed-canary, ORDERS_CS: x }}\n{SETTINGS}");
    for value in [host, "${ORDERS_CS}"] {
        let dir = project(&settings, &[("orders.yaml", cs(value))]);
        let out = run(&dir, &["validate"]).expect_code(1);
        assert!(out.stdout().contains("V214"), "{value}: {}", out.stdout());
        assert!(
            !out.stdout().contains("ORDERS_HOST}` is a secret"),
            "{}",
            out.stdout()
        );
    }
}
