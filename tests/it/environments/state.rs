//! State per environment: each environment's default state is its own, the
//! state records its environment, another environment's run refuses it
//! naming both, and a project moving onto environments moves its records
//! with `state migrate --to-env`.

use crate::support::project::doc;
use crate::support::state_db::{state_server, state_url};
use crate::support::world::{Backend, World};

fn world(backend: Backend) -> Option<World> {
    let world = super::two_orgs(backend, "", "")?;
    let text = doc("orders-db", "prod", "azure").replace("sandbox: prod\n", "");
    world.write("connections/orders.yaml", &text);
    Some(world)
}

/// `apply -e prod` from its branch.
fn apply_prod(world: &World) {
    world
        .cmd(&["apply", "-e", "prod"])
        .env("GITHUB_REF_TYPE", "branch")
        .env("GITHUB_REF_NAME", "main")
        .run()
        .expect_code(0);
}

fn each_environment_has_its_own_state_that_records_it(backend: Backend) {
    let Some(world) = world(backend) else { return };
    world.run(&["apply", "-e", "dev"]).expect_code(0);
    apply_prod(&world);
    for env in ["dev", "prod"] {
        let out = world
            .run(&["state", "list", "-e", env, "--format", "json"])
            .expect_code(0)
            .json();
        let keys: Vec<&str> = out["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, [format!("azure/{env}/orders-db")], "{out}");
    }
    if backend == Backend::File {
        let dev: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(world.path().join(".provision/state.dev.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(dev["environment"], "dev");
        assert_eq!(dev["version"], 5);
    }
}

fn another_environments_state_is_refused_naming_both(backend: Backend) {
    let Some(world) = world(backend) else { return };
    world.run(&["apply", "-e", "dev"]).expect_code(0);
    // prod pointed at dev's state by a flag: refused before planning.
    let dev_state = match backend {
        Backend::File => vec!["--state", ".provision/state.dev.json"],
        Backend::Postgres => vec!["--state-namespace"],
    };
    let namespace = format!("{}-dev", world.namespace);
    let mut args = vec!["plan", "-e", "prod"];
    args.extend(dev_state);
    if backend == Backend::Postgres {
        args.push(&namespace);
    }
    let out = world.run(&args).expect_code(1);
    let err = out.stderr().replace(&namespace, "NAMESPACE");
    assert!(
        err.contains(
            "was written by environment `dev`, and this run acts in environment `prod`: refusing it"
        ),
        "{err}"
    );
    let requests = world.emulator.as_ref().unwrap().requests();
    assert!(
        !requests
            .iter()
            .any(|r| format!("{r:?}").contains("PRDAZURE")),
        "prod's org was called: {requests:?}"
    );
}

fn migrate_to_refuses_another_environments_default_state(backend: Backend) {
    let Some(world) = world(backend) else { return };
    world.run(&["apply", "-e", "dev"]).expect_code(0);
    let prod_namespace = format!("{}-prod", world.namespace);
    let url = match backend {
        Backend::File => String::new(),
        Backend::Postgres => state_url(state_server().unwrap()),
    };
    let destinations: Vec<Vec<&str>> = match backend {
        Backend::File => vec![
            vec!["--to", ".provision/state.prod.json"],
            vec!["--to", "./.provision/../.provision/state.prod.json"],
        ],
        Backend::Postgres => vec![vec!["--to", &url, "--to-namespace", &prod_namespace]],
    };
    for destination in destinations {
        let mut args = vec!["state", "migrate", "-e", "dev"];
        args.extend(destination);
        let out = world.run(&args).expect_code(64);
        let err = out.stderr().replace(&prod_namespace, "NAMESPACE");
        insta::assert_snapshot!(format!("migrate_to_prods_default_{backend:?}"), err);
    }
    assert!(!world.path().join(".provision/state.prod.json").exists());
    let out = world
        .cmd(&["state", "list", "-e", "prod", "--format", "json"])
        .run()
        .expect_code(0)
        .json();
    assert_eq!(out["connections"], serde_json::json!([]), "{out}");
}

on_both_backends!(
    each_environment_has_its_own_state_that_records_it,
    another_environments_state_is_refused_naming_both,
    migrate_to_refuses_another_environments_default_state,
);

#[test]
fn moving_a_project_onto_environments_goes_through_migrate_to_env() {
    // Before: no environments, the prod org at the top level, one state.
    let world = World::new(provision::emulator::EmulatorConfig::default());
    world.write(
        "connections/orders.yaml",
        &doc("orders-db", "prod", "azure"),
    );
    world.write(
        "provision.yaml",
        &format!(
            "orgs: {{ azure: {{ imsOrg: \"{}\" }} }}\ncredentials:\n  clientId: ${{AEP_CLIENT_ID}}\n  clientSecret: ${{AEP_CLIENT_SECRET}}\n",
            super::PROD_ORG
        ),
    );
    world.run(&["apply"]).expect_code(0);
    assert!(world.path().join(".provision/state.json").is_file());
    // After: environments; prod is the same org and sandbox as before.
    let settings = format!(
        "credentials:\n  clientId: ${{AEP_CLIENT_ID}}\n  clientSecret: ${{AEP_CLIENT_SECRET}}\nenvironments:\n  prod:\n    sandbox: prod\n    orgs: {{ azure: {{ imsOrg: \"{}\" }} }}\n  dev:\n    sandbox: dev\n    orgs: {{ azure: {{ imsOrg: \"{}\" }} }}\n",
        super::PROD_ORG,
        super::DEV_ORG
    );
    world.write("provision.yaml", &settings);
    let out = world.run(&["plan", "-e", "prod"]).expect_code(1);
    insta::assert_snapshot!("unmigrated", out.stderr());
    let out = world
        .run(&["state", "migrate", "--to-env", "prod"])
        .expect_code(0);
    assert!(
        out.stdout().contains("moved 1 connection(s)"),
        "{}",
        out.stdout()
    );
    let out = world
        .run(&["plan", "-e", "prod", "--detailed-exitcode"])
        .expect_code(0);
    assert!(out.stdout().contains("No changes"), "{}", out.stdout());
    // The old state is empty: no second environment can take it over.
    let out = world
        .run(&["state", "migrate", "--to-env", "dev"])
        .expect_code(1);
    assert!(
        out.stderr().contains("records no connection"),
        "{}",
        out.stderr()
    );
    world.run(&["plan", "-e", "dev"]).expect_code(0);
}

#[test]
fn a_format_3_state_is_read_and_upgraded_recording_its_environment() {
    let Some(world) = world(Backend::File) else {
        return;
    };
    world.run(&["apply", "-e", "dev"]).expect_code(0);
    let path = world.path().join(".provision/state.dev.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // As a build before environments wrote it.
    state["version"] = 3.into();
    state.as_object_mut().unwrap().remove("environment");
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    world
        .run(&["plan", "-e", "dev", "--detailed-exitcode"])
        .expect_code(0);
    world.write("connections/more.yaml", &doc("more-db", "dev", "azure"));
    world.run(&["apply", "-e", "dev"]).expect_code(0);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(state["version"], 5);
    assert_eq!(state["environment"], "dev");
}

#[test]
fn an_empty_state_points_to_its_own_environments_rehearsal() {
    let Some(world) = world(Backend::File) else {
        return;
    };
    world
        .run(&["apply", "--emulator", "-e", "dev"])
        .expect_code(0);
    assert!(
        world
            .path()
            .join(".provision/emulator-state.dev.json")
            .is_file()
    );
    let out = world.run(&["state", "list", "-e", "dev"]).expect_code(0);
    assert!(
        out.stderr().contains(
            "the `--emulator` rehearsal's state `.provision/emulator-state.dev.json` records 1: `provision state list --emulator -e dev` lists them"
        ),
        "{}",
        out.stderr()
    );
    // prod rehearsed nothing: no hint there.
    let out = world.run(&["state", "list", "-e", "prod"]).expect_code(0);
    assert!(!out.stderr().contains("rehearsal"), "{}", out.stderr());
}

/// A one-org project whose dev and prod documents lived side by side.
fn one_org_before_environments(org: &str) -> World {
    let world = World::new(provision::emulator::EmulatorConfig::default());
    world.write("connections/dev.yaml", &doc("orders-db", "dev", "azure"));
    world.write("connections/prod.yaml", &doc("orders-db", "prod", "azure"));
    world.write(
        "provision.yaml",
        &format!(
            "orgs: {{ azure: {{ imsOrg: \"{org}\" }} }}\ncredentials:\n  clientId: ${{AEP_CLIENT_ID}}\n  clientSecret: ${{AEP_CLIENT_SECRET}}\n"
        ),
    );
    world.run(&["apply"]).expect_code(0);
    // After: one sandbox-less document, acted on per environment.
    std::fs::remove_file(world.path().join("connections/dev.yaml")).unwrap();
    std::fs::remove_file(world.path().join("connections/prod.yaml")).unwrap();
    world.write(
        "connections/orders.yaml",
        &doc("orders-db", "prod", "azure").replace("sandbox: prod\n", ""),
    );
    world
}

fn keys_in(world: &World, file: &str) -> Vec<String> {
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(world.path().join(file)).unwrap()).unwrap();
    state["connections"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn migrate_to_env_moves_only_that_environments_records() {
    let world = one_org_before_environments(super::PROD_ORG);
    world.write(
        "provision.yaml",
        &format!(
            "orgs: {{ azure: {{ imsOrg: \"{}\" }} }}\ncredentials:\n  clientId: ${{AEP_CLIENT_ID}}\n  clientSecret: ${{AEP_CLIENT_SECRET}}\nenvironments:\n  dev: {{ sandbox: dev }}\n  prod: {{ sandbox: prod }}\n",
            super::PROD_ORG
        ),
    );
    // Before migrating, each environment's refusal says whose records are whose.
    let out = world.run(&["plan", "-e", "prod"]).expect_code(1);
    insta::assert_snapshot!("unmigrated_two_environments", out.stderr());
    let out = world
        .run(&["state", "migrate", "--to-env", "prod"])
        .expect_code(0);
    insta::assert_snapshot!("migrated_prod_keeps_dev", out.stdout());
    assert_eq!(
        keys_in(&world, ".provision/state.prod.json"),
        ["azure/prod/orders-db"]
    );
    assert_eq!(
        keys_in(&world, ".provision/state.json"),
        ["azure/dev/orders-db"]
    );
    // prod prunes nothing of dev's.
    let out = world
        .run(&["plan", "-e", "prod", "--prune", "--detailed-exitcode"])
        .expect_code(0);
    assert!(out.stdout().contains("No changes"), "{}", out.stdout());
    // dev is still waiting for its own move.
    let out = world.run(&["plan", "-e", "dev"]).expect_code(1);
    assert!(
        out.stderr().contains(
            "1 for `dev` (sandbox dev); move them with `provision state migrate --to-env dev`"
        ),
        "{}",
        out.stderr()
    );
    let out = world
        .run(&["state", "migrate", "--to-env", "dev"])
        .expect_code(0);
    assert!(
        out.stdout().contains("the old state is left empty"),
        "{}",
        out.stdout()
    );
    world
        .run(&["plan", "-e", "dev", "--prune", "--detailed-exitcode"])
        .expect_code(0);
}

#[test]
fn migrate_to_env_never_moves_another_orgs_records() {
    // Both connections were created in dev's org.
    let world = one_org_before_environments(super::DEV_ORG);
    let world_settings = super::two_orgs(crate::support::world::Backend::File, "", "")
        .map(|w| std::fs::read_to_string(w.path().join("provision.yaml")).unwrap())
        .unwrap();
    world.write("provision.yaml", &world_settings);
    let before = std::fs::read_to_string(world.path().join(".provision/state.json")).unwrap();
    let out = world
        .run(&["state", "migrate", "--to-env", "prod"])
        .expect_code(1);
    insta::assert_snapshot!("migrate_other_org", out.stderr());
    assert_eq!(
        std::fs::read_to_string(world.path().join(".provision/state.json")).unwrap(),
        before
    );
    assert!(!world.path().join(".provision/state.prod.json").exists());
}
