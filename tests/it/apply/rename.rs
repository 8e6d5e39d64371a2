//! `renamedFrom` carried out: one PATCH with If-Match on the same id, the
//! state entry moved in the same write, nothing created or orphaned, an
//! apply stopped between the PATCH and the state write converging, and a
//! saved plan carrying the rename. Each scenario runs on both backends.

on_both_backends!(
    a_rename_patches_the_same_id_once_and_moves_the_state_entry,
    a_rename_whose_state_write_was_lost_converges,
    a_saved_plan_carries_the_rename_and_json_events_name_it,
    an_earlier_name_only_on_the_platform_is_adopted_and_renamed,
);

use provision::emulator::EmulatorConfig;

use crate::support::world::{Backend, ORG_AZURE, World, connection_yaml};

/// Connection 0 (`azure/prod/db-0000`) renamed to `orders`.
fn renamed(description: &str) -> String {
    connection_yaml(0, description)
        .replace("name: db-0000\n", "name: orders\nrenamedFrom: db-0000\n")
}

fn id_of(world: &World, key: &str) -> Option<String> {
    world.state()["connections"][key]["id"]
        .as_str()
        .map(str::to_owned)
}

fn a_rename_patches_the_same_id_once_and_moves_the_state_entry(backend: Backend) {
    let config = EmulatorConfig {
        record_exchanges: true,
        ..EmulatorConfig::default()
    };
    let Some(world) = World::on(backend, config) else {
        return;
    };
    world.connections(3);
    world.run(&["apply"]).expect_code(0);
    let id = id_of(&world, "azure/prod/db-0000").unwrap();
    world.write("connections/c0000.yaml", &renamed("now described"));
    let run = world.run(&["apply", "--prune"]).expect_code(0);
    assert!(
        run.stdout().contains(&format!(
            "~ azure/prod/orders: renamed from `db-0000` (id {id})"
        )),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout()
            .contains("0 created, 0 adopted, 1 updated, 0 deleted, 0 failed"),
        "{}",
        run.stdout()
    );
    let patches: Vec<_> = world
        .emulator
        .as_ref()
        .unwrap()
        .exchanges()
        .into_iter()
        .filter(|e| e.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 1, "{patches:#?}");
    let patch = &patches[0];
    assert!(
        patch.path.ends_with(&format!("/connections/{id}")),
        "{}",
        patch.path
    );
    assert!(
        patch
            .request_headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("if-match")),
        "{patch:#?}"
    );
    let body = patch.request_body.as_deref().unwrap_or_default();
    assert!(
        body.contains(r#""path":"/name""#) && body.contains(r#""value":"orders""#),
        "{body}"
    );
    assert!(body.contains("now described"), "{body}");
    let remote = world.remote();
    let item = remote.iter().find(|i| i.id == id).unwrap();
    assert_eq!(item.name, "orders");
    assert_eq!(item.description.as_deref(), Some("now described"));
    world.assert_remote_exactly(3);
    assert_eq!(
        id_of(&world, "azure/prod/orders").as_deref(),
        Some(id.as_str())
    );
    assert_eq!(id_of(&world, "azure/prod/db-0000"), None);
    // Applied: the declaration is a no-op whether it stays or goes.
    world
        .run(&["plan", "--detailed-exitcode", "--refresh", "--prune"])
        .expect_code(0);
    world.write(
        "connections/c0000.yaml",
        &renamed("now described").replace("renamedFrom: db-0000\n", ""),
    );
    world
        .run(&["plan", "--detailed-exitcode", "--refresh", "--prune"])
        .expect_code(0);
}

/// The PATCH landed but state was not written (the run was killed): state
/// still records the earlier name, the platform shows the new one.
fn a_rename_whose_state_write_was_lost_converges(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    let id = id_of(&world, "azure/prod/db-0000").unwrap();
    let item = world.remote().into_iter().find(|i| i.id == id).unwrap();
    let client = world.client();
    world.runtime.block_on(async {
        use provision::api::FlowService;
        use provision::api::wire::PatchOp;
        let scope = provision::api::Scope::new(ORG_AZURE, "prod");
        client
            .patch(
                &scope,
                &id,
                &item.etag,
                &[PatchOp::replace("/name", serde_json::json!("orders"))],
            )
            .await
            .unwrap();
    });
    world.write("connections/c0000.yaml", &renamed("generated"));
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    assert!(
        plan.stdout()
            .contains("~ azure/prod/orders  (rename db-0000 -> orders"),
        "{}",
        plan.stdout()
    );
    assert!(!plan.stdout().contains("- azure"), "{}", plan.stdout());
    world.run(&["apply", "--prune"]).expect_code(0);
    world.assert_remote_exactly(1);
    assert_eq!(
        id_of(&world, "azure/prod/orders").as_deref(),
        Some(id.as_str())
    );
    assert_eq!(id_of(&world, "azure/prod/db-0000"), None);
    world
        .run(&["plan", "--detailed-exitcode", "--refresh"])
        .expect_code(0);
}

fn a_saved_plan_carries_the_rename_and_json_events_name_it(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    let id = id_of(&world, "azure/prod/db-0000").unwrap();
    world.write("connections/c0000.yaml", &renamed("generated"));
    world.run(&["plan", "--out", "rename.plan"]).expect_code(0);
    let saved = std::fs::read_to_string(world.path().join("rename.plan")).unwrap();
    assert!(saved.contains(r#""renamed_from": "db-0000""#), "{saved}");
    let run = world
        .run(&["apply", "--plan", "rename.plan", "--format", "json"])
        .expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains(r#""action":"rename""#) && out.contains(r#""renamed_from":"db-0000""#),
        "{out}"
    );
    assert!(out.contains(r#""outcome":"renamed""#), "{out}");
    assert_eq!(
        id_of(&world, "azure/prod/orders").as_deref(),
        Some(id.as_str())
    );
    world.assert_remote_exactly(1);
}

/// State lost the earlier name: the platform's listing finds it.
fn an_earlier_name_only_on_the_platform_is_adopted_and_renamed(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    let id = id_of(&world, "azure/prod/db-0000").unwrap();
    world
        .run(&["state", "rm", "azure/prod/db-0000"])
        .expect_code(0);
    world.write("connections/c0000.yaml", &renamed("generated"));
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout()
            .contains("the platform lists it as `db-0000` (`renamedFrom`): adopted and renamed"),
        "{}",
        plan.stdout()
    );
    world.run(&["apply"]).expect_code(0);
    world.assert_remote_exactly(1);
    assert_eq!(world.remote()[0].name, "orders");
    assert_eq!(
        id_of(&world, "azure/prod/orders").as_deref(),
        Some(id.as_str())
    );
}

#[test]
fn the_file_format_example_renames_in_place() {
    let block =
        crate::docs::blocks_at("docs/reference/file-format.md", "### `renamedFrom`", "yaml")
            .remove(0)
            .text;
    assert!(block.contains("renamedFrom: ledger-db"), "{block}");
    let mut world = World::new(EmulatorConfig::default());
    world.set_env("LEDGER_DB_PASSWORD", "example-password");
    let before = block
        .replace("name: ledger-primary", "name: ledger-db")
        .replace("renamedFrom: ledger-db", "");
    world.write("connections/orders.yaml", &before);
    world.run(&["apply"]).expect_code(0);
    world.write("connections/orders.yaml", &block);
    world.run(&["validate"]).expect_code(0);
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout()
            .contains("~ azure/prod/ledger-primary  (rename ledger-db -> ledger-primary"),
        "{}",
        plan.stdout()
    );
    world.run(&["apply"]).expect_code(0);
    world.assert_remote_exactly(1);
    assert_eq!(world.remote()[0].name, "ledger-primary");
}

/// State keeps the earlier name only as a pending create that landed (the
/// run that sent it was killed): `--prune` renames it, never deletes it,
/// and the pending entry goes with the move.
#[test]
fn a_pending_earlier_name_is_renamed_and_never_pruned() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    let id = id_of(&world, "azure/prod/db-0000").unwrap();
    let mut state = world.state();
    let key = "azure/prod/db-0000";
    state["connections"].as_object_mut().unwrap().remove(key);
    state["pending"] = serde_json::json!({
        key: { "org": ORG_AZURE, "startedAt": "2026-01-01T00:00:00Z" }
    });
    std::fs::write(
        world.state_path(),
        serde_json::to_string_pretty(&state).unwrap(),
    )
    .unwrap();
    world.write("connections/c0000.yaml", &renamed("generated"));
    let run = world.run(&["apply", "--prune"]).expect_code(0);
    assert!(
        run.stdout()
            .contains("0 created, 0 adopted, 1 updated, 0 deleted, 0 failed"),
        "{}",
        run.stdout()
    );
    world.assert_remote_exactly(1);
    assert_eq!(world.remote()[0].name, "orders");
    assert_eq!(
        id_of(&world, "azure/prod/orders").as_deref(),
        Some(id.as_str())
    );
    let state = world.state();
    assert!(state.get("pending").is_none(), "{state:#}");
    world
        .run(&["plan", "--detailed-exitcode", "--refresh", "--prune"])
        .expect_code(0);
}

/// Renames connection `id` on the platform, outside provision.
fn rename_on_platform(world: &World, id: &str, name: &str) {
    let item = world.remote().into_iter().find(|i| i.id == id).unwrap();
    let client = world.client();
    world.runtime.block_on(async {
        use provision::api::FlowService;
        use provision::api::wire::PatchOp;
        let scope = provision::api::Scope::new(ORG_AZURE, "prod");
        client
            .patch(
                &scope,
                id,
                &item.etag,
                &[PatchOp::replace("/name", serde_json::json!(name))],
            )
            .await
            .unwrap();
    });
}

/// The new name was free when the plan was saved, taken when it is applied:
/// never two connections under one name.
#[test]
fn a_saved_rename_whose_new_name_was_taken_since_changes_nothing() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.write("connections/c0003.yaml", &connection_yaml(3, "generated"));
    world.run(&["apply"]).expect_code(0);
    let id = id_of(&world, "azure/prod/db-0000").unwrap();
    let other = id_of(&world, "azure/prod/db-0003").unwrap();
    world.write("connections/c0000.yaml", &renamed("generated"));
    world.run(&["plan", "--out", "rename.plan"]).expect_code(0);
    rename_on_platform(&world, &other, "orders");
    let run = world
        .run(&["apply", "--plan", "rename.plan"])
        .expect_code(1);
    let expected = format!(
        "cannot rename `azure/prod/db-0000` to `orders`: sandbox `prod` now has a connection named `orders` (id `{other}`), made after the plan; nothing was changed: rename or delete that one on the platform, then plan again"
    );
    assert!(run.stdout().contains(&expected), "{}", run.stdout());
    let item = world.remote().into_iter().find(|i| i.id == id).unwrap();
    assert_eq!(item.name, "db-0000");
    assert_eq!(
        id_of(&world, "azure/prod/db-0000").as_deref(),
        Some(id.as_str())
    );
}

/// An adopted rename applies only to the connection still named as the
/// plan listed it (or already renamed).
#[test]
fn a_saved_adopted_rename_of_a_connection_renamed_since_changes_nothing() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    let id = id_of(&world, "azure/prod/db-0000").unwrap();
    world
        .run(&["state", "rm", "azure/prod/db-0000"])
        .expect_code(0);
    world.write("connections/c0000.yaml", &renamed("generated"));
    world.run(&["plan", "--out", "rename.plan"]).expect_code(0);
    rename_on_platform(&world, &id, "someone-elses");
    let run = world
        .run(&["apply", "--plan", "rename.plan"])
        .expect_code(1);
    let expected = format!(
        "connection `{id}` was planned to be adopted under its earlier name `db-0000`, but the platform now names it `someone-elses`: nothing was changed; plan again"
    );
    assert!(run.stdout().contains(&expected), "{}", run.stdout());
    assert_eq!(world.remote()[0].name, "someone-elses");
    assert_eq!(id_of(&world, "azure/prod/orders"), None);
}

/// A hand-edited saved plan never moves a key that is not this
/// connection's: one its `renamedFrom` does not list, or one state records
/// as another id.
#[test]
fn a_saved_rename_edited_to_move_another_key_changes_nothing() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    world.write("connections/c0003.yaml", &connection_yaml(3, "generated"));
    world.run(&["apply"]).expect_code(0);
    let id = id_of(&world, "azure/prod/db-0000").unwrap();
    let other = id_of(&world, "azure/prod/db-0003").unwrap();
    world.write("connections/c0000.yaml", &renamed("generated"));
    world.run(&["plan", "--out", "rename.plan"]).expect_code(0);
    let saved = std::fs::read_to_string(world.path().join("rename.plan")).unwrap();
    let before = world.state_text();
    let cases = [
        (
            saved.replace(r#""renamed_from": "db-0000""#, r#""renamed_from": "db-0003""#),
            "the saved plan renames `azure/prod/orders` from `db-0003`, which its `renamedFrom` (connections/c0000.yaml:2) does not list: expected a plan file as `provision plan --out` wrote it; plan again".to_owned(),
        ),
        (
            saved.replace(&id, &other),
            format!("the saved plan renames connection `{other}` from `azure/prod/db-0000`, but state records `azure/prod/db-0000` as `{id}`: expected a plan file as `provision plan --out` wrote it; plan again"),
        ),
    ];
    for (edited, expected) in cases {
        assert_ne!(edited, saved);
        world.write("edited.plan", &edited);
        let run = world
            .run(&["apply", "--plan", "edited.plan"])
            .expect_code(1);
        assert!(run.stderr().contains(&expected), "{}", run.stderr());
        assert_eq!(world.state_text(), before);
    }
    world.assert_remote_exactly(2);
    let requests = world.emulator.as_ref().unwrap().requests();
    assert!(
        !requests.iter().any(|r| r.method == "PATCH"),
        "nothing was sent: {requests:#?}"
    );
}

/// A rename whose document moved to a file outside the run's paths: the
/// earlier key is still described (by that `renamedFrom`), never pruned.
#[test]
fn a_path_limited_prune_keeps_an_earlier_key_renamed_in_a_file_outside_the_run() {
    let world = World::new(EmulatorConfig::default());
    world.write("connections/old/db.yaml", &connection_yaml(0, "generated"));
    world.write(
        "connections/old/other.yaml",
        &connection_yaml(3, "generated"),
    );
    world.run(&["apply"]).expect_code(0);
    let id = id_of(&world, "azure/prod/db-0000").unwrap();
    world.remove("connections/old/db.yaml");
    world.write("connections/new/orders.yaml", &renamed("generated"));
    let run = world
        .run(&["apply", "--prune", "connections/old"])
        .expect_code(0);
    assert!(!run.stdout().contains("deleted (id"), "{}", run.stdout());
    assert!(
        run.stderr()
            .contains("but `connections/new/orders.yaml` describes it now: not pruned"),
        "{}",
        run.stderr()
    );
    world.assert_remote_exactly(2);
    assert_eq!(
        id_of(&world, "azure/prod/db-0000").as_deref(),
        Some(id.as_str())
    );
    // The whole project then renames it.
    world.run(&["apply", "--prune"]).expect_code(0);
    world.assert_remote_exactly(2);
    assert_eq!(
        id_of(&world, "azure/prod/orders").as_deref(),
        Some(id.as_str())
    );
}

/// A run that leaves out the file still describing the earlier name cannot
/// see the conflict validation would report: the plan refuses the rename.
#[test]
fn a_rename_of_a_name_a_file_outside_the_run_still_describes_is_a_plan_error() {
    let world = World::new(EmulatorConfig::default());
    world.write("connections/old/db.yaml", &connection_yaml(0, "generated"));
    world.run(&["apply"]).expect_code(0);
    world.write("connections/new/orders.yaml", &renamed("generated"));
    let before = world.state_text();
    let out = world.run(&["apply", "connections/new"]).expect_code(1);
    insta::assert_snapshot!(
        "rename_described_outside_the_run",
        out.stderr().replace(&world.url(), "http://EMULATOR")
    );
    assert_eq!(world.state_text(), before, "nothing changed");
    assert_eq!(world.remote()[0].name, "db-0000");
}

/// The bodies of the PATCHes the emulator received.
fn patch_bodies(world: &World) -> Vec<String> {
    world
        .emulator
        .as_ref()
        .unwrap()
        .exchanges()
        .into_iter()
        .filter(|e| e.method == "PATCH")
        .map(|e| e.request_body.unwrap_or_default())
        .collect()
}

fn recording() -> EmulatorConfig {
    EmulatorConfig {
        record_exchanges: true,
        ..EmulatorConfig::default()
    }
}

/// An adopted rename is an adoption: a declared `secretVersion` has never
/// been sent, so the secret goes with the rename, in the same PATCH.
#[test]
fn an_adopted_rename_with_a_secret_version_sends_the_secret_in_its_patch() {
    let world = World::new(recording());
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    world
        .run(&["state", "rm", "azure/prod/db-0000"])
        .expect_code(0);
    world.write(
        "connections/c0000.yaml",
        &format!("{}secretVersion: 1\n", renamed("generated")),
    );
    world.run(&["apply"]).expect_code(0);
    let bodies = patch_bodies(&world);
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert!(
        bodies[0].contains(r#""path":"/name""#) && bodies[0].contains(r#""path":"/auth/params""#),
        "{}",
        bodies[0]
    );
    assert_eq!(
        world.state()["connections"]["azure/prod/orders"]["secretVersion"],
        1
    );
}

/// A secret change, or `--rotate-secrets`, rides on the rename's one PATCH.
#[test]
fn a_secret_change_or_rotation_is_sent_with_the_rename() {
    for rotate in [false, true] {
        let mut world = World::new(recording());
        if !rotate {
            world.set_env("PROVISION_STATE_KEY", "test-state-key");
        }
        world.connections(1);
        world.run(&["apply"]).expect_code(0);
        if !rotate {
            world.set_env("DB_PASSWORD", "rotated-canary-2");
        }
        world.write("connections/c0000.yaml", &renamed("generated"));
        let args: &[&str] = if rotate {
            &["apply", "--rotate-secrets"]
        } else {
            &["apply"]
        };
        world.run(args).expect_code(0);
        let bodies = patch_bodies(&world);
        assert_eq!(bodies.len(), 1, "rotate {rotate}: {bodies:#?}");
        assert!(
            bodies[0].contains(r#""path":"/name""#)
                && bodies[0].contains(r#""path":"/auth/params""#),
            "rotate {rotate}: {}",
            bodies[0]
        );
        world
            .run(&["plan", "--detailed-exitcode", "--refresh"])
            .expect_code(0);
    }
}
