//! What only the PostgreSQL state backend promises, against a real server:
//! namespaces lock independently, first use migrates once however many runs
//! start together, `state migrate` moves state both ways, and the URL's
//! password is never shown.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use provision::emulator::EmulatorConfig;
use provision::state::{PostgresBackend, StateBackend};

use crate::support::state_db::{
    STATE_CANARY, STATE_DB, STATE_USER, fresh_namespace, state_server, state_sql, state_url,
};
use crate::support::world::{Backend, World};

fn spawn_apply(world: &World, extra: &[&str]) -> Child {
    let mut args = vec!["apply", "--parallelism", "2"];
    args.extend_from_slice(extra);
    world
        .cmd(&args)
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finished_ok(child: Child) -> Instant {
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Instant::now()
}

#[test]
fn applies_on_two_namespaces_run_at_the_same_time() {
    let config = || EmulatorConfig {
        latency: Duration::from_millis(25),
        ..EmulatorConfig::default()
    };
    let (Some(a), Some(b)) = (
        World::on(Backend::Postgres, config()),
        World::on(Backend::Postgres, config()),
    ) else {
        return;
    };
    assert_ne!(a.namespace, b.namespace);
    a.connections(30);
    b.connections(30);
    let pg = state_server().unwrap();
    let (start_a, first) = (Instant::now(), spawn_apply(&a, &[]));
    let (start_b, second) = (Instant::now(), spawn_apply(&b, &[]));
    // Both runs hold their namespace's lock at one moment.
    let both = format!(
        "SELECT count(*) FROM provision_locks WHERE namespace IN ('{}', '{}')",
        a.namespace, b.namespace
    );
    let mut held_together = false;
    for _ in 0..300 {
        if state_sql(pg, &both).first().map(String::as_str) == Some("2") {
            held_together = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let end_a = finished_ok(first);
    let end_b = finished_ok(second);
    assert!(
        held_together,
        "the two namespaces never held their locks together"
    );
    // And the work overlapped: each emulator's first and last request.
    let span = |w: &World| {
        let requests = w.emulator.as_ref().unwrap().requests();
        (
            requests.first().unwrap().received,
            requests.last().unwrap().received,
        )
    };
    let (work_a, work_b) = (span(&a), span(&b));
    assert!(
        work_a.0 < work_b.1 && work_b.0 < work_a.1,
        "the runs did not overlap: {work_a:?} vs {work_b:?}"
    );
    assert!(start_a < end_b && start_b < end_a);
    a.assert_remote_exactly(30);
    b.assert_remote_exactly(30);
}

#[test]
fn a_second_apply_on_one_namespace_waits_with_a_lock_timeout() {
    let Some(world) = World::on(
        Backend::Postgres,
        EmulatorConfig {
            latency: Duration::from_millis(20),
            ..EmulatorConfig::default()
        },
    ) else {
        return;
    };
    world.connections(20);
    let first = spawn_apply(&world, &[]);
    for _ in 0..250 {
        if world.lock_is_held() {
            break;
        }
        world.wait(Duration::from_millis(20));
    }
    let second = world
        .run(&["apply", "--lock-timeout", "60s"])
        .expect_code(0);
    finished_ok(first);
    assert!(
        second.stdout().contains("No changes"),
        "{}",
        second.stdout()
    );
    world.assert_remote_exactly(20);
}

#[test]
fn first_use_migrates_once_when_runs_start_together() {
    let Some(pg) = state_server() else {
        return;
    };
    let database = fresh_namespace("race").replace('-', "_");
    pg.execute(
        "postgres",
        &format!("CREATE DATABASE {database} OWNER {STATE_USER}"),
    )
    .unwrap();
    let url = pg.url(STATE_USER, STATE_CANARY, &database);
    let barrier = std::sync::Barrier::new(6);
    std::thread::scope(|scope| {
        for i in 0..6 {
            let (url, barrier) = (&url, &barrier);
            scope.spawn(move || {
                let backend = PostgresBackend::new(url, &format!("ns-{i}")).unwrap();
                barrier.wait();
                let mut state = backend.load().unwrap();
                backend
                    .record(
                        &mut state,
                        &[provision::state::Change::Remove(
                            "azure/dev/x".parse().unwrap(),
                        )],
                    )
                    .unwrap();
            });
        }
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let versions = runtime.block_on(async {
        let (client, connection) = pg
            .superuser_config(&database)
            .connect(tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let rows = client
            .query(
                "SELECT version FROM provision_migrations ORDER BY version",
                &[],
            )
            .await
            .unwrap();
        let namespaces: i64 = client
            .query_one("SELECT count(*) FROM provision_namespaces", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(namespaces, 6);
        rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>()
    });
    assert_eq!(versions, vec![1, 2, 3, 4, 5, 6, 7], "each migration once");
}

#[test]
fn state_migrate_moves_a_file_state_to_postgres_and_back() {
    let Some(pg) = state_server() else {
        return;
    };
    let world = World::new(EmulatorConfig::default());
    world.connections(3);
    world.run(&["apply"]).expect_code(0);
    let file_state = world.state();
    let url = state_url(pg);
    let namespace = fresh_namespace("migrated");
    let to_pg = world
        .run(&[
            "state",
            "migrate",
            "--to",
            &url,
            "--to-namespace",
            &namespace,
        ])
        .expect_code(0);
    assert!(
        to_pg.stdout().contains("copied 3 connection(s)"),
        "{}",
        to_pg.stdout()
    );
    let copied = PostgresBackend::new(&url, &namespace)
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(serde_json::to_value(&copied).unwrap(), file_state);
    // A target that already holds connections is refused.
    let again = world
        .run(&[
            "state",
            "migrate",
            "--to",
            &url,
            "--to-namespace",
            &namespace,
        ])
        .expect_code(1);
    assert!(
        again.stderr().contains("refusing to overwrite"),
        "{}",
        again.stderr()
    );
    // The PostgreSQL copy plans as up to date.
    world
        .run(&[
            "plan",
            "--state-url",
            &url,
            "--state-namespace",
            &namespace,
            "--detailed-exitcode",
        ])
        .expect_code(0);
    // And back to a new file; the old, non-empty file is refused.
    let pg_source = ["--state-url", url.as_str(), "--state-namespace", &namespace];
    let mut back = vec!["state", "migrate", "--to", "back.json"];
    back.extend_from_slice(&pg_source);
    world.run(&back).expect_code(0);
    let returned: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(world.path().join("back.json")).unwrap())
            .unwrap();
    assert_eq!(returned, file_state);
    let mut over = vec!["state", "migrate", "--to", ".provision/state.json"];
    over.extend_from_slice(&pg_source);
    let refused = world.run(&over).expect_code(1);
    for run in [&to_pg, &again, &refused] {
        assert!(!run.stdout().contains(STATE_CANARY) && !run.stderr().contains(STATE_CANARY));
    }
    assert!(
        refused.stderr().contains("refusing to overwrite"),
        "{}",
        refused.stderr()
    );
}

#[test]
fn a_wrong_state_password_is_reported_without_any_password() {
    let Some(pg) = state_server() else {
        return;
    };
    let mut world = World::on(Backend::Postgres, EmulatorConfig::default()).unwrap();
    world.connections(1);
    let wrong = "wrong-Secret-4411";
    world.set_env("PROVISION_STATE_URL", &pg.url(STATE_USER, wrong, STATE_DB));
    let run = world.run(&["apply", "-vvv"]).expect_code(1);
    let all = run.stdout() + &run.stderr();
    assert!(all.contains("password authentication failed"), "{all}");
    assert!(
        all.contains(&format!("postgres://{STATE_USER}@127.0.0.1")),
        "{all}"
    );
    assert!(!all.contains(wrong) && !all.contains(STATE_CANARY), "{all}");
    world.set_env("PROVISION_STATE_URL", "");
    let run = world.run(&["plan"]).expect_code(1);
    assert!(
        run.stderr().contains("`PROVISION_STATE_URL`"),
        "{}",
        run.stderr()
    );
}

#[test]
fn state_commands_list_remove_and_unlock_on_postgres() {
    let Some(world) = World::on(Backend::Postgres, EmulatorConfig::default()) else {
        return;
    };
    world.connections(3);
    world.run(&["apply"]).expect_code(0);
    let list = world.run(&["state", "list"]).expect_code(0);
    assert_eq!(list.stdout().lines().count(), 3, "{}", list.stdout());
    world
        .run(&["state", "rm", "azure/prod/db-0000"])
        .expect_code(0);
    assert_eq!(
        world.state()["connections"].as_object().map(|m| m.len()),
        Some(2)
    );
    let free = world.run(&["state", "unlock"]).expect_code(0);
    assert!(free.stdout().contains("not locked"), "{}", free.stdout());
    // Holder details left by a run that died: cleared, naming it.
    state_sql(
        state_server().unwrap(),
        &format!(
            "INSERT INTO provision_locks VALUES ('{}', 'gone-host', 999999, 'then', 'provision apply', 0)",
            world.namespace
        ),
    );
    let cleared = world.run(&["state", "unlock"]).expect_code(0);
    assert!(
        cleared.stdout().contains("gone-host"),
        "{}",
        cleared.stdout()
    );
    world.run(&["apply"]).expect_code(0);
    world.assert_remote_exactly(3);
}
