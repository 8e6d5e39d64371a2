//! The acceptance scenario: one set of documents, two orgs. Applied with
//! `-e dev` and `-e prod`, each org gets its own connections and each
//! environment its own state; prod's settings never plan a document
//! limited to dev, and a namespace written before environments (migration
//! 4) is read and then records its environment.

use provision::api::{FlowService, ListQuery, Scope};

use crate::support::project::doc;
use crate::support::state_db::{state_server, state_sql};
use crate::support::world::{Backend, World};

fn world(backend: Backend) -> Option<World> {
    let world = super::two_orgs(backend, "", "")?;
    let unsandboxed =
        |name: &str, extra: &str| doc(name, "prod", "azure").replace("sandbox: prod\n", "") + extra;
    world.write("connections/orders.yaml", &unsandboxed("orders-db", ""));
    world.write(
        "connections/scratch.yaml",
        &unsandboxed("scratch-db", "environments: [dev]\n"),
    );
    world.write(
        "connections/billing.yaml",
        &unsandboxed("billing-db", "environments: [prod]\n"),
    );
    Some(world)
}

/// The names of the connections in `org`/`sandbox` on the emulator.
fn names_in(world: &World, org: &str, sandbox: &str) -> Vec<String> {
    let client = world.client();
    let mut names: Vec<String> = world
        .runtime
        .block_on(client.list(&Scope::new(org, sandbox), &ListQuery::new().postgres()))
        .unwrap()
        .into_iter()
        .map(|item| item.name)
        .collect();
    names.sort();
    names
}

fn one_set_of_documents_gives_each_org_its_own_connections_and_state(backend: Backend) {
    let Some(world) = world(backend) else { return };
    let dev_plan = world.run(&["plan", "-e", "dev"]).expect_code(0).stdout();
    assert!(
        !dev_plan.contains("billing-db"),
        "prod's document in dev: {dev_plan}"
    );
    let prod_plan = world.run(&["plan", "-e", "prod"]).expect_code(0).stdout();
    assert!(
        !prod_plan.contains("scratch-db"),
        "dev's document in prod: {prod_plan}"
    );
    assert!(!prod_plan.contains("azure/dev/"), "{prod_plan}");
    world.run(&["apply", "-e", "dev"]).expect_code(0);
    world
        .cmd(&["apply", "-e", "prod"])
        .env("GITHUB_REF_TYPE", "branch")
        .env("GITHUB_REF_NAME", "main")
        .run()
        .expect_code(0);
    assert_eq!(
        names_in(&world, super::DEV_ORG, "dev"),
        ["orders-db", "scratch-db"]
    );
    assert_eq!(
        names_in(&world, super::PROD_ORG, "prod"),
        ["billing-db", "orders-db"]
    );
    assert!(names_in(&world, super::PROD_ORG, "dev").is_empty());
    assert!(names_in(&world, super::DEV_ORG, "prod").is_empty());
    for (env, want) in [
        ("dev", ["azure/dev/orders-db", "azure/dev/scratch-db"]),
        ("prod", ["azure/prod/billing-db", "azure/prod/orders-db"]),
    ] {
        let list = world
            .run(&["state", "list", "-e", env, "--format", "json"])
            .expect_code(0)
            .json();
        let keys: Vec<&str> = list["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, want, "{env}");
    }
    // Converged: nothing to do in either.
    world
        .run(&["plan", "--all-envs", "--detailed-exitcode"])
        .expect_code(0);
}

on_both_backends!(one_set_of_documents_gives_each_org_its_own_connections_and_state);

#[test]
fn a_namespace_from_before_migration_5_is_read_and_records_its_environment() {
    let Some(world) = world(Backend::Postgres) else {
        return;
    };
    world.run(&["apply", "-e", "dev"]).expect_code(0);
    let namespace = format!("{}-dev", world.namespace);
    let pg = state_server().unwrap();
    // As a build at migration 4 (state format 3) left it: no environment.
    state_sql(
        pg,
        &format!(
            "UPDATE provision_namespaces SET environment = NULL, version = 3 WHERE namespace = '{namespace}'"
        ),
    );
    world
        .run(&["plan", "-e", "dev", "--detailed-exitcode"])
        .expect_code(0);
    world.write("connections/more.yaml", &doc("more-db", "dev", "azure"));
    world.run(&["apply", "-e", "dev"]).expect_code(0);
    let row = state_sql(
        pg,
        &format!(
            "SELECT environment, version FROM provision_namespaces WHERE namespace = '{namespace}'"
        ),
    );
    assert_eq!(row, ["dev\t5"]);
}
