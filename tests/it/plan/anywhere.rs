//! Run from anywhere in the project: from a subfolder, `provision` finds
//! `provision.yaml` upward (not above the git root), works from its folder,
//! and takes the paths given on its command line from the current folder.

use std::path::Path;

use crate::support::util::{Finished, provision};

const CONNECTION: &str = "name: orders-db\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: orders.example.com\n  port: 5432\n  database: orders\n  username: aep\n  password: ${ORDERS_DB_PASSWORD}\n";

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Finished {
    provision()
        .current_dir(dir)
        .env_remove("ORDERS_DB_PASSWORD")
        .args(args)
        .run()
}

/// A git repository holding a project: settings, two connections.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    write(
        root,
        "provision.yaml",
        "orgs:\n  azure: { imsOrg: \"ABC@AdobeOrg\" }\n",
    );
    write(root, "connections/prod/orders.yaml", CONNECTION);
    write(
        root,
        "connections/dev/orders.yaml",
        &CONNECTION.replace("sandbox: prod", "sandbox: dev"),
    );
    dir
}

#[test]
fn a_subfolder_runs_the_project_at_its_root() {
    let dir = project();
    let root = dir.path();
    let sub = root.join("connections/prod");
    // The default folder is the root's `connections/`, not the subfolder's.
    let out = run(&sub, &["validate"]).expect_code(0);
    assert!(out.stdout().contains("2 files"), "{}", out.stdout());
    // A path given here is taken from here.
    let out = run(&sub, &["validate", "orders.yaml"]).expect_code(0);
    assert!(out.stdout().contains("1 file,"), "{}", out.stdout());
    // `-v` names the settings file.
    let out = run(&sub, &["validate", "-v"]).expect_code(0);
    let settings = root.join("provision.yaml");
    assert!(
        out.stderr()
            .contains(&format!("settings: `{}`", settings.display())),
        "{}",
        out.stderr()
    );
    // State lives at the root; nothing is started in the subfolder; the
    // recorded sources are relative to the root.
    run(&sub, &["apply", "--emulator"]).expect_code(0);
    assert!(!sub.join(".provision").exists());
    let state = std::fs::read_to_string(root.join(".provision/emulator-state.json")).unwrap();
    assert!(
        state.contains("\"connections/prod/orders.yaml\""),
        "{state}"
    );
    let out = run(&sub, &["plan", "--emulator", "--detailed-exitcode"]).expect_code(0);
    assert!(out.stdout().contains("No changes"), "{}", out.stdout());
    let out = run(&sub, &["state", "list", "--emulator"]).expect_code(0);
    assert!(
        out.stdout().contains("azure/prod/orders-db"),
        "{}",
        out.stdout()
    );
}

#[test]
fn the_search_stops_at_the_git_root() {
    let outer = tempfile::tempdir().unwrap();
    write(outer.path(), "provision.yaml", "parallelism: 0\n");
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    write(&repo, "connections/orders.yaml", CONNECTION);
    // The outer (invalid) settings are never read.
    let out = run(
        &repo.join("connections"),
        &["validate", "-v", "orders.yaml"],
    )
    .expect_code(0);
    assert!(out.stderr().contains("settings: none"), "{}", out.stderr());
    assert!(out.stdout().contains("1 file,"), "{}", out.stdout());
}
