//! `provision import -e NAME`: the sandbox defaults to the environment's,
//! and the documents written belong to that environment only, so another
//! environment never creates what was imported from this one.

use provision::config::Cloud;

use super::remote::{basic, create, import};
use crate::environments::{DEV_ORG, two_orgs};
use crate::support::world::Backend;

#[test]
fn an_import_in_dev_writes_a_dev_only_document_prod_never_plans() {
    let Some(mut world) = two_orgs(Backend::File, "", "") else {
        return;
    };
    let id = create(&world, DEV_ORG, &basic("orders-db", "dev", Cloud::Azure, 4));
    // No `--sandbox`: dev's.
    let run = import(&world, &["-e", "dev", "--cloud", "azure"]).expect_code(0);
    assert!(
        run.stdout()
            .contains("Import complete: 1 written and recorded in state"),
        "{}\n{}",
        run.stdout(),
        run.stderr()
    );
    let text =
        std::fs::read_to_string(world.path().join("connections/dev/orders-db.yaml")).unwrap();
    insta::assert_snapshot!("dev_only_document", text.replace(&id, "ID"));
    world.set_env("ORDERS_DB_PASSWORD", "set-by-the-pipeline");
    let plan = world
        .run(&["plan", "-e", "dev", "--detailed-exitcode"])
        .expect_code(0);
    assert!(plan.stdout().contains("No changes"), "{}", plan.stdout());
    let plan = world
        .cmd(&["plan", "-e", "prod", "--detailed-exitcode"])
        .env("GITHUB_REF_TYPE", "branch")
        .env("GITHUB_REF_NAME", "main")
        .run()
        .expect_code(0);
    assert!(!plan.stdout().contains("orders-db"), "{}", plan.stdout());
}

#[test]
fn another_sandbox_than_the_environments_is_written_out() {
    let Some(world) = two_orgs(Backend::File, "", "") else {
        return;
    };
    create(
        &world,
        DEV_ORG,
        &basic("scratch-db", "scratch", Cloud::Azure, 0),
    );
    import(
        &world,
        &["-e", "dev", "--cloud", "azure", "--sandbox", "scratch"],
    )
    .expect_code(0);
    let text =
        std::fs::read_to_string(world.path().join("connections/scratch/scratch-db.yaml")).unwrap();
    assert!(text.contains("\nsandbox: scratch\n"), "{text}");
    assert!(text.contains("\nenvironments: [dev]\n"), "{text}");
}
