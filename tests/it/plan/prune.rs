//! `--prune` with PATHs deletes only what files under them
//! described; everything else in state is counted as outside, never
//! deleted. The state's recorded files are kept current, and an entry whose
//! key a file elsewhere still describes is never pruned.

use provision::emulator::EmulatorConfig;

use crate::support::project::readme_layout;
use crate::support::state_db::{state_server, state_sql};
use crate::support::world::{Backend, World};

on_both_backends!(prune_never_reaches_past_the_given_paths);

fn source(world: &World, key: &str) -> serde_json::Value {
    world.state()["connections"][key]["source"].clone()
}

fn prune_never_reaches_past_the_given_paths(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    readme_layout(&world);
    world.run(&["apply"]).expect_code(0);
    assert_eq!(
        source(&world, "azure/dev/orders-db"),
        "connections/dev/orders.yaml"
    );

    // The report: this proposed deleting everything outside connections/prod.
    let plan = world
        .run(&["plan", "connections/prod", "--prune"])
        .expect_code(0);
    assert_eq!(
        plan.stdout(),
        "No changes: 3 connection(s) match the config (2 outside the given paths, not considered).\n"
    );

    world.remove("connections/prod/billing.yaml");
    let plan = world
        .run(&["plan", "connections/prod", "--prune"])
        .expect_code(0);
    let out = plan.stdout();
    assert!(
        out.contains("  - azure/prod/billing-db  (delete `"),
        "{out}"
    );
    assert!(
        out.contains("Plan: 0 to create, 0 to adopt, 0 to update, 1 to delete, 2 unchanged (2 outside the given paths, not considered)."),
        "{out}"
    );
    let apply = world
        .run(&["apply", "connections/prod", "--prune"])
        .expect_code(0);
    assert!(
        apply.stdout().contains("- azure/prod/billing-db: deleted"),
        "{}",
        apply.stdout()
    );
    world.assert_remote_exactly(4);

    // A file moved to another folder: state still says prod, but a file in
    // connections/ describes the key, so pruning prod leaves it alone.
    let moved =
        std::fs::read_to_string(world.path().join("connections/prod/invoices.yaml")).unwrap();
    world.remove("connections/prod/invoices.yaml");
    world.write("connections/dev/invoices.yaml", &moved);
    let apply = world
        .run(&["apply", "connections/prod", "--prune"])
        .expect_code(0);
    assert!(
        apply.stderr().contains("`azure/prod/invoices-db` is recorded from `connections/prod/invoices.yaml`, but `connections/dev/invoices.yaml` describes it now: not pruned"),
        "{}",
        apply.stderr()
    );
    world.assert_remote_exactly(4);
    // The next apply that reads the new file records it.
    world.run(&["apply"]).expect_code(0);
    assert_eq!(
        source(&world, "azure/prod/invoices-db"),
        "connections/dev/invoices.yaml"
    );

    // Entries recorded before state kept files: only a run without PATH prunes them.
    forget_sources(&world);
    world.remove("connections/dev/invoices.yaml");
    let plan = world
        .run(&["plan", "connections/dev", "--prune"])
        .expect_code(0);
    assert_eq!(
        plan.stdout(),
        "warning: 3 connection(s) in state were recorded before state kept their files, so the given paths cannot say whether they were removed: they are not pruned; run without PATH to prune them\n\
         No changes: 1 connection(s) match the config (3 outside the given paths, not considered).\n"
    );
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    assert!(
        plan.stdout()
            .contains("  - azure/prod/invoices-db  (delete"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout().contains("1 to delete, 3 unchanged."),
        "{}",
        plan.stdout()
    );
}

/// Makes every record look like one written before state kept files.
fn forget_sources(world: &World) {
    match world.backend {
        Backend::File => {
            let mut state = world.state();
            for record in state["connections"].as_object_mut().unwrap().values_mut() {
                record.as_object_mut().unwrap().remove("source");
            }
            std::fs::write(world.state_path(), state.to_string()).unwrap();
        }
        Backend::Postgres => {
            state_sql(
                state_server().unwrap(),
                &format!(
                    "UPDATE provision_connections SET source = NULL WHERE namespace = '{}'",
                    world.namespace
                ),
            );
        }
    }
}
