//! `provision plan` and `apply` over real HTTP, the change promises: updates,
//! drift with `--refresh`, prune, targets, saved plans, rotated secrets and
//! the canary password. Each scenario runs once per state backend:
//! `apply_changes::file::*` and `apply_changes::postgres::*`.

on_both_backends!(
    changed_config_is_updated_in_place,
    refresh_detects_remote_deletes_and_edits,
    removed_connections_are_deleted_only_with_prune,
    targets_limit_the_plan,
    a_saved_plan_is_applied_exactly_and_refused_when_stale,
    rotated_secrets_are_detected_with_a_state_key_and_forced_without,
    missing_variables_are_named_with_file_and_line_before_any_request,
    the_canary_password_appears_in_no_output_state_plan_or_log,
);

use provision::emulator::EmulatorConfig;

use crate::support::world::{Backend, CANARY, World, connection_yaml};

fn changed_config_is_updated_in_place(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(3);
    world.run(&["apply"]).expect_code(0);
    world.write(
        "connections/c0001.yaml",
        &connection_yaml(1, "now described"),
    );
    let plan = world.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout().contains("~ azure/dev/db-0001"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout()
            .contains("Plan: 0 to create, 0 to adopt, 1 to update, 0 to delete, 2 unchanged."),
        "{}",
        plan.stdout()
    );
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout().contains("0 created, 0 adopted, 1 updated"),
        "{}",
        run.stdout()
    );
    let remote = world.remote();
    let item = remote.iter().find(|i| i.name == "db-0001").unwrap();
    assert_eq!(item.description.as_deref(), Some("now described"));
    world.assert_remote_exactly(3);
    world
        .run(&["plan", "--detailed-exitcode", "--refresh"])
        .expect_code(0);
}

fn refresh_detects_remote_deletes_and_edits(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(3);
    world.run(&["apply"]).expect_code(0);
    let remote = world.remote();
    let deleted = remote.iter().find(|i| i.name == "db-0000").unwrap().clone();
    let edited = remote.iter().find(|i| i.name == "db-0002").unwrap().clone();
    let client = world.client();
    world.runtime.block_on(async {
        use provision::api::FlowService;
        use provision::api::wire::PatchOp;
        let azure = provision::api::Scope::new(crate::support::world::ORG_AZURE, "prod");
        let aws = provision::api::Scope::new(crate::support::world::ORG_AWS, "prod");
        client.delete(&azure, &deleted.id).await.unwrap();
        client
            .patch(
                &aws,
                &edited.id,
                &edited.etag,
                &[PatchOp::replace(
                    "/description",
                    serde_json::json!("edited by hand"),
                )],
            )
            .await
            .unwrap();
    });
    // Without --refresh, state is trusted.
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let plan = world.run(&["plan", "--refresh"]).expect_code(0);
    assert!(
        plan.stdout().contains("+ azure/prod/db-0000"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout().contains("deleted outside provision"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout().contains("~ aws/prod/db-0002"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout()
            .contains("\"edited by hand\" -> \"generated\""),
        "{}",
        plan.stdout()
    );
    let run = world.run(&["apply", "--refresh"]).expect_code(0);
    assert!(
        run.stdout().contains("1 created, 0 adopted, 1 updated"),
        "{}",
        run.stdout()
    );
    world.assert_remote_exactly(3);
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
}

fn removed_connections_are_deleted_only_with_prune(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(4);
    world.run(&["apply"]).expect_code(0);
    world.remove("connections/c0003.yaml");
    let run = world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
    assert!(run.stderr().contains("use `--prune`"), "{}", run.stderr());
    world.assert_remote_exactly(4);
    world
        .run(&["apply", "--prune", "--max-deletes", "0"])
        .expect_code(1);
    world.assert_remote_exactly(4);
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    assert!(
        plan.stdout().contains("- azure/prod/db-0003"),
        "{}",
        plan.stdout()
    );
    let run = world.run(&["apply", "--prune"]).expect_code(0);
    assert!(
        run.stdout().contains("0 updated, 1 deleted, 0 failed"),
        "{}",
        run.stdout()
    );
    world.assert_remote_exactly(3);
    assert!(
        world.state()["connections"]
            .get("azure/prod/db-0003")
            .is_none()
    );
}

fn targets_limit_the_plan(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(3);
    let run = world
        .run(&["apply", "--target", "azure/dev/db-0001"])
        .expect_code(0);
    assert!(run.stdout().contains("1 created"), "{}", run.stdout());
    world.assert_remote_exactly(1);
    world
        .run(&["plan", "--target", "azure/prod/nope"])
        .expect_code(1);
}

fn a_saved_plan_is_applied_exactly_and_refused_when_stale(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(3);
    world.run(&["plan", "--out", "plan.json"]).expect_code(0);
    let saved = std::fs::read_to_string(world.path().join("plan.json")).unwrap();
    assert!(!saved.contains(CANARY));
    // The config changes after the plan was saved: refused.
    world.connections(4);
    let refused = world.run(&["apply", "--plan", "plan.json"]).expect_code(1);
    assert!(
        refused
            .stderr()
            .contains("changed since the plan was saved"),
        "{}",
        refused.stderr()
    );
    world.remove("connections/c0003.yaml");
    let run = world.run(&["apply", "--plan", "plan.json"]).expect_code(0);
    assert!(run.stdout().contains("3 created"), "{}", run.stdout());
    // State moved on: the same plan is refused.
    let again = world.run(&["apply", "--plan", "plan.json"]).expect_code(1);
    assert!(
        again.stderr().contains("make a new plan"),
        "{}",
        again.stderr()
    );
}

fn rotated_secrets_are_detected_with_a_state_key_and_forced_without(backend: Backend) {
    let Some(mut world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(2);
    world.set_env("PROVISION_STATE_KEY", "test-state-key");
    world.run(&["apply"]).expect_code(0);
    world.set_env("DB_PASSWORD", "rotated-canary-2");
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout().contains("secret changed"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout().contains("(sensitive value changed)"),
        "{}",
        plan.stdout()
    );
    world.run(&["apply"]).expect_code(0);
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let state = world.state_text();
    assert!(!state.contains("rotated-canary-2") && !state.contains(CANARY));
    assert!(
        world.state()["connections"]
            .as_object()
            .unwrap()
            .values()
            .all(|r| r.get("secretHmac").is_some())
    );
    // Without the key nothing is detected; --rotate-secrets forces the update.
    let Some(mut world2) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world2.connections(2);
    world2.run(&["apply"]).expect_code(0);
    world2.set_env("DB_PASSWORD", "rotated-canary-3");
    world2.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let run = world2.run(&["apply", "--rotate-secrets"]).expect_code(0);
    assert!(run.stdout().contains("2 updated"), "{}", run.stdout());
}

fn missing_variables_are_named_with_file_and_line_before_any_request(backend: Backend) {
    let Some(mut world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(2);
    world.set_env("DB_PASSWORD", "");
    let mut cmd = world.cmd(&["apply"]);
    cmd = cmd.env_remove("DB_PASSWORD");
    let run = cmd.run().expect_code(1);
    assert!(
        run.stderr()
            .contains("environment variable `DB_PASSWORD` is not set"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("c0000.yaml:11:13"),
        "{}",
        run.stderr()
    );
    assert!(
        world.emulator.as_ref().unwrap().requests().is_empty(),
        "a request was sent"
    );
    // An empty value is no password either (CI passes a missing secret as
    // an empty string): the same error, nothing sent.
    let run = world.cmd(&["apply"]).run().expect_code(1);
    assert!(
        run.stderr()
            .contains("environment variable `DB_PASSWORD` is not set"),
        "{}",
        run.stderr()
    );
    assert!(
        world.emulator.as_ref().unwrap().requests().is_empty(),
        "a request was sent"
    );
}

fn the_canary_password_appears_in_no_output_state_plan_or_log(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(3);
    let mut all = String::new();
    for format in ["text", "json", "markdown"] {
        let run = world.run(&["plan", "-vv", "--format", format, "--out", "plan.json"]);
        all += &(run.stdout() + &run.stderr());
    }
    let run = world.run(&["apply", "-vvv"]).expect_code(0);
    all += &(run.stdout() + &run.stderr());
    world.write("connections/c0000.yaml", &connection_yaml(0, "changed"));
    let run = world.run(&["apply", "-vvv", "--refresh"]).expect_code(0);
    all += &(run.stdout() + &run.stderr());
    let state = world.state_text();
    assert!(state.contains("azure/prod/db-0000"), "{state}");
    all += &state;
    all += &std::fs::read_to_string(world.path().join("plan.json")).unwrap();
    assert!(
        all.contains("DEBUG") || all.contains("TRACE"),
        "logs were captured"
    );
    for secret in world.secrets() {
        assert!(!all.contains(secret), "`{secret}` leaked:\n{all}");
    }
}

#[test]
fn emulator_mode_runs_the_repository_example_twice() {
    let dir = tempfile::tempdir().unwrap();
    let src = crate::support::util::root().join("connections");
    copy_dir(&src, &dir.path().join("connections"));
    std::fs::copy(
        crate::support::util::root().join("emulator.yaml"),
        dir.path().join("emulator.yaml"),
    )
    .unwrap();
    let first = crate::support::util::provision()
        .current_dir(dir.path())
        .args(["apply", "connections/", "--emulator"])
        .run()
        .expect_code(0);
    assert!(first.stdout().contains("6 created"), "{}", first.stdout());
    assert!(
        first.stderr().contains("filled with a placeholder"),
        "{}",
        first.stderr()
    );
    let second = crate::support::util::provision()
        .current_dir(dir.path())
        .args(["apply", "connections/", "--emulator"])
        .run()
        .expect_code(0);
    assert!(
        second.stdout().contains("No changes"),
        "{}",
        second.stdout()
    );
    assert!(dir.path().join(".provision/emulator.json").is_file());
    assert!(dir.path().join(".provision/emulator-state.json").is_file());
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
