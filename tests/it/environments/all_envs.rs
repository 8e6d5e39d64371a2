//! `plan --all-envs`: every environment planned in one run, in settings
//! order, one section each (text, markdown, json); exit 2 with
//! `--detailed-exitcode` when any has changes, 1 when any failed while the
//! others are still planned.

use crate::support::project::doc;
use crate::support::world::{Backend, World};

fn world() -> World {
    let world = super::two_orgs(Backend::File, "", "").unwrap();
    // No `sandbox`: each environment's own is used.
    let text = doc("orders-db", "prod", "azure").replace("sandbox: prod\n", "");
    world.write("connections/orders.yaml", &text);
    world
}

#[test]
fn one_section_per_environment_in_each_format() {
    let world = world();
    let text = world.run(&["plan", "--all-envs"]).expect_code(0);
    insta::assert_snapshot!("all_envs_text", text.stdout());
    let markdown = world
        .run(&["plan", "--all-envs", "--format", "markdown"])
        .expect_code(0);
    // The header names the emulator's host, on a port of its own each run.
    let markdown = markdown.stdout().replace(&world.url(), "http://EMULATOR");
    insta::assert_snapshot!("all_envs_markdown", markdown);
    let out = world
        .run(&["plan", "--all-envs", "--format", "json"])
        .expect_code(0);
    insta::assert_snapshot!(
        "all_envs_json",
        out.stdout().replace(&world.url(), "http://EMULATOR")
    );
    let json = out.json();
    let names: Vec<&str> = json["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["environment"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev", "prod"]);
    assert_eq!(json["format_version"], 1);
    // Read-only: no state was written for either environment.
    assert!(!world.path().join(".provision/state.dev.json").exists());
    assert!(!world.path().join(".provision/state.prod.json").exists());
}

#[test]
fn detailed_exit_codes_say_changes_anywhere_and_failure_anywhere() {
    let mut world = world();
    world
        .run(&["plan", "--all-envs", "--detailed-exitcode"])
        .expect_code(2);
    world.run(&["apply", "-e", "dev"]).expect_code(0);
    // dev is done, prod still has changes.
    world
        .run(&["plan", "--all-envs", "--detailed-exitcode"])
        .expect_code(2);
    world
        .cmd(&["apply", "-e", "prod"])
        .env("GITHUB_REF_TYPE", "branch")
        .env("GITHUB_REF_NAME", "main")
        .run()
        .expect_code(0);
    world
        .run(&["plan", "--all-envs", "--detailed-exitcode"])
        .expect_code(0);
    // prod's org now comes from an unset variable: prod fails, dev is planned.
    let settings = std::fs::read_to_string(world.path().join("provision.yaml")).unwrap();
    world.write(
        "provision.yaml",
        &settings.replace(super::PROD_ORG, "${PROD_ORG}"),
    );
    world.set_env("PROD_ORG", "");
    let out = world
        .run(&["plan", "--all-envs", "--detailed-exitcode"])
        .expect_code(1);
    assert!(
        out.stdout()
            .contains("=== environment `dev` ===\nNo changes"),
        "{}",
        out.stdout()
    );
    assert!(
        out.stderr().contains("environment `prod`:"),
        "{}",
        out.stderr()
    );
}

#[test]
fn all_envs_takes_neither_an_environment_nor_an_out_file() {
    let world = world();
    for args in [
        &["plan", "--all-envs", "-e", "dev"][..],
        &["plan", "--all-envs", "--out", "plan.json"],
    ] {
        let out = world.run(args).expect_code(64);
        assert!(
            out.stderr().contains("cannot be used with"),
            "{}",
            out.stderr()
        );
    }
    assert!(!world.path().join("plan.json").exists());
}
