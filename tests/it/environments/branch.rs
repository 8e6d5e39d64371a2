//! `branch:` on an environment: `apply` refuses, before any request, unless
//! the run is on that branch, read from GitHub's variables (branch refs
//! only), else GitLab's, else git; with none answering it says what it read.

use crate::support::project::doc;
use crate::support::util::Run;
use crate::support::world::{Backend, World};

fn world() -> World {
    let world = super::two_orgs(Backend::File, "", "").unwrap();
    world.write(
        "connections/orders.yaml",
        &doc("orders-db", "prod", "azure"),
    );
    world
}

/// `apply -e prod` with no CI variable inherited from the machine running
/// the tests.
fn apply(world: &World) -> Run {
    world
        .cmd(&["apply", "-e", "prod"])
        .env_remove("GITHUB_REF_TYPE")
        .env_remove("GITHUB_REF_NAME")
        .env_remove("CI_COMMIT_BRANCH")
}

fn assert_no_request(world: &World) {
    let requests = world.emulator.as_ref().unwrap().requests();
    assert!(requests.is_empty(), "{requests:?}");
}

#[test]
fn github_branch_other_than_the_environments_is_refused_before_any_request() {
    let world = world();
    let out = apply(&world)
        .env("GITHUB_REF_TYPE", "branch")
        .env("GITHUB_REF_NAME", "feature")
        .run()
        .expect_code(1);
    assert!(
        out.stderr().contains(
            "environment `prod` applies only from branch `main`, and this run is on branch `feature` (from GITHUB_REF_NAME)"
        ),
        "{}",
        out.stderr()
    );
    assert_no_request(&world);
}

#[test]
fn a_tag_ref_is_not_a_branch_and_gitlab_is_read_next() {
    let world = world();
    let out = apply(&world)
        .env("GITHUB_REF_TYPE", "tag")
        .env("GITHUB_REF_NAME", "main")
        .env("CI_COMMIT_BRANCH", "feature")
        .run()
        .expect_code(1);
    assert!(
        out.stderr().contains("(from CI_COMMIT_BRANCH)"),
        "{}",
        out.stderr()
    );
    assert_no_request(&world);
}

#[test]
fn git_is_read_last() {
    let world = world();
    let git = std::process::Command::new("git")
        .args(["init", "-q", "-b", "feature"])
        .current_dir(world.path())
        .status();
    if !git.is_ok_and(|s| s.success()) {
        eprintln!("skipped: git is not available");
        return;
    }
    let out = apply(&world).run().expect_code(1);
    assert!(
        out.stderr()
            .contains("on branch `feature` (from git symbolic-ref --short HEAD)"),
        "{}",
        out.stderr()
    );
    assert_no_request(&world);
}

#[test]
fn no_source_answering_is_refused_saying_what_was_read() {
    let world = world();
    let out = apply(&world).run().expect_code(1);
    insta::assert_snapshot!("no_branch", out.stderr());
    assert_no_request(&world);
}

#[test]
fn the_right_branch_applies_and_an_environment_without_branch_always_does() {
    let world = world();
    apply(&world)
        .env("GITHUB_REF_TYPE", "branch")
        .env("GITHUB_REF_NAME", "main")
        .run()
        .expect_code(0);
    world
        .cmd(&["apply", "-e", "dev"])
        .env("CI_COMMIT_BRANCH", "feature")
        .run()
        .expect_code(0);
}
