//! `-e NAME` / `PROVISION_ENV`: required once the settings define
//! environments, checked against them, and listed by `provision env list`.

use crate::support::util::{Finished, provision};

/// Two environments over two orgs, as the settings reference shows them.
const SETTINGS: &str = "\
credentials:
  clientId: ${AEP_CLIENT_ID}
  clientSecret: ${AEP_CLIENT_SECRET}
environments:
  dev:
    sandbox: dev
    orgs: { azure: { imsOrg: \"DEVAZURE@AdobeOrg\" } }
    mode: development
  prod:
    sandbox: prod
    orgs: { azure: { imsOrg: \"PRDAZURE@AdobeOrg\" }, aws: { imsOrg: \"PRDAWS@AdobeOrg\" } }
    mode: production
    branch: main
";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("provision.yaml"), SETTINGS).unwrap();
    std::fs::create_dir_all(dir.path().join("connections")).unwrap();
    std::fs::write(
        dir.path().join("connections/orders.yaml"),
        crate::support::project::doc("orders-db", "dev", "azure"),
    )
    .unwrap();
    dir
}

fn run(dir: &tempfile::TempDir, args: &[&str]) -> Finished {
    provision()
        .current_dir(dir.path())
        .env_remove("PROVISION_ENV")
        .args(args)
        .run()
}

#[test]
fn commands_that_act_need_an_environment_and_list_them() {
    let dir = project();
    for args in [
        &["plan", "--emulator"][..],
        &["apply", "--emulator"],
        &["state", "list"],
        &["check"],
        &[
            "import",
            "--sandbox",
            "dev",
            "--cloud",
            "azure",
            "--emulator",
        ],
        &["smoke", "--sandbox", "dev", "--cloud", "azure"],
    ] {
        let out = run(&dir, args).expect_code(64);
        assert!(
            out.stderr().contains("no environment selected"),
            "{args:?}: {}",
            out.stderr()
        );
    }
    let out = run(&dir, &["plan", "--emulator"]);
    insta::assert_snapshot!("none_selected", out.stderr());
}

#[test]
fn an_unknown_environment_suggests_the_nearest() {
    let dir = project();
    let out = run(&dir, &["plan", "--emulator", "-e", "prd"]).expect_code(64);
    insta::assert_snapshot!("unknown_flag", out.stderr());
    let out = provision()
        .current_dir(dir.path())
        .env("PROVISION_ENV", "dvv")
        .args(["state", "list"])
        .run()
        .expect_code(64);
    insta::assert_snapshot!("unknown_variable", out.stderr());
}

#[test]
fn the_flag_wins_over_the_variable() {
    let dir = project();
    // `PROVISION_ENV` names an unknown environment; `-e` overrides it.
    let out = provision()
        .current_dir(dir.path())
        .env("PROVISION_ENV", "nowhere")
        .args(["state", "list", "--format", "json", "-e", "dev"])
        .run()
        .expect_code(0);
    assert!(out.stdout().contains("state.dev.json"), "{}", out.stdout());
    let out = provision()
        .current_dir(dir.path())
        .env("PROVISION_ENV", "prod")
        .args(["state", "list", "--format", "json"])
        .run()
        .expect_code(0);
    assert!(out.stdout().contains("state.prod.json"), "{}", out.stdout());
}

#[test]
fn without_environments_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let out = provision()
        .current_dir(dir.path())
        .env("PROVISION_ENV", "prod")
        .args(["state", "list", "--format", "json"])
        .run()
        .expect_code(0);
    assert!(
        out.stdout().contains(".provision/state.json"),
        "{}",
        out.stdout()
    );
    let out = run(&dir, &["state", "list", "-e", "prod"]).expect_code(64);
    assert!(
        out.stderr().contains("define no `environments`"),
        "{}",
        out.stderr()
    );
}

#[test]
fn env_list_shows_each_environment_in_order() {
    let dir = project();
    let out = run(&dir, &["env", "list"]).expect_code(0);
    insta::assert_snapshot!("env_list_text", out.stdout());
    let out = run(&dir, &["env", "list", "--format", "json"]).expect_code(0);
    insta::assert_snapshot!("env_list_json", out.stdout());
    let out = run(&dir, &["env", "list", "--names"]).expect_code(0);
    assert_eq!(out.stdout(), "dev\nprod\n");
}
