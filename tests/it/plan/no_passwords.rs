//! `plan` needs no database password: an unset `${VAR}` used only where a
//! secret goes leaves the secret unknown (creates and updates still shown,
//! rotation "not compared"); `apply` and `plan --out` need every secret
//! they send (and the state key when state uses one); `--target` never
//! needs other connections' secrets.

use provision::emulator::EmulatorConfig;

use crate::support::world::{Backend, World, connection_yaml};

/// Three connections applied with their password and a state key.
fn applied(backend: Backend) -> Option<World> {
    let mut world = World::on(backend, EmulatorConfig::default())?;
    world.set_env("PROVISION_STATE_KEY", "k-0123456789abcdef");
    world.connections(3);
    world.run(&["apply"]).expect_code(0);
    Some(world)
}

fn plan_runs_without_database_passwords(backend: Backend) {
    let Some(mut world) = applied(backend) else {
        return;
    };
    world.set_env("DB_PASSWORD", "");
    world.write("connections/c0003.yaml", &connection_yaml(3, "new"));
    world.write(
        "connections/c0001.yaml",
        &connection_yaml(1, "changed description"),
    );
    let plan = world.run(&["plan"]).expect_code(0);
    let stdout = plan.stdout();
    assert!(stdout.contains("+ azure/prod/db-0003"), "{stdout}");
    assert!(stdout.contains("~ azure/dev/db-0001"), "{stdout}");
    assert!(
        stdout.contains(
            "warning: secret rotation not compared: `DB_PASSWORD` not set (`aws/prod/db-0002`, `azure/dev/db-0001`, `azure/prod/db-0000`)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 to create, 0 to adopt, 1 to update"),
        "{stdout}"
    );
    let markdown = world
        .run(&["plan", "--refresh", "--format", "markdown"])
        .expect_code(0)
        .stdout();
    assert!(
        markdown.contains("secret rotation not compared"),
        "{markdown}"
    );
    // What sends a secret, or saves a plan that will, names the variable.
    let before = world.emulator.as_ref().unwrap().requests().len();
    for args in [&["apply"][..], &["plan", "--out", "plan.json"]] {
        let run = world.run(args).expect_code(1);
        assert!(
            run.stderr()
                .contains("environment variable `DB_PASSWORD` is not set"),
            "{args:?}: {}",
            run.stderr()
        );
        assert!(run.stderr().contains("c0000.yaml:"), "{}", run.stderr());
    }
    assert!(!world.path().join("plan.json").exists());
    assert_eq!(world.emulator.as_ref().unwrap().requests().len(), before);
}

fn a_saved_plan_needs_the_state_key(backend: Backend) {
    let Some(mut world) = applied(backend) else {
        return;
    };
    world.set_env("PROVISION_STATE_KEY", "");
    let run = world.run(&["plan", "--out", "plan.json"]).expect_code(1);
    assert!(
        run.stderr()
            .contains("`plan --out` needs `PROVISION_STATE_KEY`"),
        "{}",
        run.stderr()
    );
    assert!(!world.path().join("plan.json").exists());
}

fn a_variable_outside_secrets_is_still_needed(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.write(
        "connections/a.yaml",
        &connection_yaml(0, "x").replace("server: db0.example.com", "server: ${DB_HOST}"),
    );
    let run = world.run(&["plan"]).expect_code(1);
    assert!(
        run.stderr()
            .contains("environment variable `DB_HOST` is not set"),
        "{}",
        run.stderr()
    );
}

fn target_needs_only_its_own_secrets(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    world.connections(2);
    world.write(
        "connections/other.yaml",
        &connection_yaml(2, "x").replace("${DB_PASSWORD}", "${OTHER_PASSWORD}"),
    );
    let target = ["--target", "azure/prod/db-0000"];
    for command in [
        &["apply", "--preflight"][..],
        &["plan", "--out", "plan.json"],
    ] {
        let args: Vec<&str> = command.iter().chain(&target).copied().collect();
        let run = world.run(&args);
        // The preflight cannot reach db0.example.com; it must not probe the
        // connection whose secret is unknown, nor ask for its variable.
        assert!(!run.stderr().contains("OTHER_PASSWORD"), "{}", run.stderr());
        assert!(
            !run.stderr().contains("aws/prod/db-0002"),
            "{}",
            run.stderr()
        );
    }
    world
        .run(&["apply", "--target", "azure/prod/db-0000"])
        .expect_code(0);
    let run = world
        .run(&["apply", "--target", "aws/prod/db-0002"])
        .expect_code(1);
    assert!(
        run.stderr()
            .contains("environment variable `OTHER_PASSWORD` is not set"),
        "{}",
        run.stderr()
    );
}

on_both_backends!(
    plan_runs_without_database_passwords,
    a_saved_plan_needs_the_state_key,
    a_variable_outside_secrets_is_still_needed,
    target_needs_only_its_own_secrets,
);
