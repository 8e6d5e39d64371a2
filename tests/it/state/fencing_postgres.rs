//! The PostgreSQL backend's fences and deadlines: a write is refused once
//! the run's lock session is gone or another run holds a newer lock
//! generation, and a database that stops answering ends the run in bounded
//! time instead of hanging it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use provision::config::ConnectionKey;
use provision::emulator::EmulatorConfig;
use provision::state::{Change, PostgresBackend, Record, StateBackend, StateError};

use crate::apply::interrupt::wait_within;
use crate::support::blackhole::Proxy;
use crate::support::state_db::{fresh_namespace, state_server, state_sql, state_url};
use crate::support::world::{Backend, World};

fn upsert(name: &str) -> Vec<Change> {
    let key: ConnectionKey = format!("azure/dev/{name}").parse().unwrap();
    vec![Change::Upsert(
        key,
        Record {
            id: name.into(),
            etag: "\"1\"".into(),
            org: "O@AdobeOrg".into(),
            fingerprint: "f".into(),
            secret_hmac: None,
            created_at: "t".into(),
            updated_at: "t".into(),
            source: None,
            secret_version: None,
            connection_string_parts: None,
            protect: false,
        },
    )]
}

/// Ends the session holding `namespace`'s lock, as a server restart, a
/// failover or `idle_session_timeout` would, and waits until it is gone.
fn kill_lock_session(namespace: &str) {
    let pg = state_server().unwrap();
    let killed = state_sql(
        pg,
        &format!(
            "SELECT pg_terminate_backend(backend_pid) FROM provision_locks WHERE namespace = '{namespace}'"
        ),
    );
    assert_eq!(killed, ["t"], "no lock session to kill");
    let key = provision::state::postgres::lock_key(namespace);
    let sql = format!(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = {} AND objid = {} AND objsubid = 1",
        (key >> 32) as u32,
        key as u32
    );
    let start = Instant::now();
    while state_sql(pg, &sql) != ["0"] {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "lock never freed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn writes_are_fenced_by_the_lock_session_and_its_generation() {
    let Some(pg) = state_server() else { return };
    let namespace = fresh_namespace("fence");
    let first = PostgresBackend::new(&state_url(pg), &namespace).unwrap();
    let held = first.lock("provision apply", Duration::ZERO).unwrap();
    let mut state = first.load().unwrap();
    first.record(&mut state, &upsert("a")).unwrap();
    kill_lock_session(&namespace);
    let before = state.clone();
    let err = first.record(&mut state, &upsert("b")).unwrap_err();
    assert!(matches!(err, StateError::LockLost { .. }), "{err}");
    assert!(
        err.to_string().contains("session holding it ended"),
        "{err}"
    );
    assert_eq!(state, before, "a refused write changed memory");
    // A second run takes the lock: the first run's writes stay refused.
    let second = PostgresBackend::new(&state_url(pg), &namespace).unwrap();
    let _lock = second.lock("provision apply", Duration::ZERO).unwrap();
    let err = first.record(&mut state, &upsert("b")).unwrap_err();
    assert!(err.to_string().contains("another run took it"), "{err}");
    let mut theirs = second.load().unwrap();
    assert_eq!(theirs, before);
    second.record(&mut theirs, &upsert("c")).unwrap();
    // The first run letting go leaves the second run's holder row alone.
    drop(held);
    let rows = state_sql(
        pg,
        &format!("SELECT count(*) FROM provision_locks WHERE namespace = '{namespace}'"),
    );
    assert_eq!(rows, ["1"]);
    second.record(&mut theirs, &upsert("d")).unwrap();
}

fn spawn(world: &World, args: &[&str]) -> Child {
    world
        .cmd(args)
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the first result line, then drains stdout on a thread; the
/// lines come back when the run ends.
fn after_first_result(child: &mut Child) -> std::thread::JoinHandle<Vec<String>> {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("created"), "{first}");
    std::thread::spawn(move || {
        let mut all = vec![first];
        all.extend(lines.map_while(Result::ok));
        all
    })
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn slow_postgres_world() -> Option<World> {
    let world = World::on(
        Backend::Postgres,
        EmulatorConfig {
            latency: Duration::from_millis(200),
            ..EmulatorConfig::default()
        },
    )?;
    world.connections(6);
    Some(world)
}

#[test]
fn an_apply_whose_lock_session_is_killed_stops_writing() {
    let Some(world) = slow_postgres_world() else {
        return;
    };
    let mut first = spawn(&world, &["apply", "--parallelism", "1"]);
    let stdout = after_first_result(&mut first);
    kill_lock_session(&world.namespace);
    let code = wait_within(&mut first, Duration::from_secs(60));
    let stderr = stderr_of(&mut first);
    let stdout = stdout.join().unwrap().join("\n");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("session holding it ended"), "{stderr}");
    assert!(!stdout.contains("Apply complete"), "{stdout}");
    // The next run finishes the job without a duplicate.
    let next = world.run(&["apply"]);
    assert_eq!(next.code(), 0, "{}", next.stderr());
    world.assert_remote_exactly(6);
}

#[test]
fn a_state_database_that_never_answers_is_given_up_in_bounded_time() {
    let hole = Proxy::black_hole();
    let url = format!(
        "postgres://me:pw@127.0.0.1:{}/db?connect_timeout=2",
        hole.port()
    );
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    for args in [
        vec!["plan", "--state-url", &url],
        vec!["apply", "--state-url", &url],
        vec!["state", "list", "--state-url", &url],
    ] {
        let started = Instant::now();
        let mut child = spawn(&world, &args);
        let code = wait_within(&mut child, Duration::from_secs(30));
        let stderr = stderr_of(&mut child);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stderr.contains("no answer within 2s"), "{args:?}: {stderr}");
        assert!(!stderr.contains(":pw@"), "{stderr}");
        assert!(started.elapsed() < Duration::from_secs(20), "{args:?}");
    }
}

#[test]
fn a_state_database_going_silent_mid_apply_ends_the_run_with_exit_1() {
    let Some(mut world) = slow_postgres_world() else {
        return;
    };
    let pg = state_server().unwrap();
    let proxy = Proxy::forwarding(pg.port());
    let url = format!(
        "{}?connect_timeout=2&query_timeout=2",
        proxy.url_for(&state_url(pg), pg.port())
    );
    world.set_env("PROVISION_STATE_URL", &url);
    let mut run = spawn(&world, &["apply", "--parallelism", "3"]);
    let stdout = after_first_result(&mut run);
    proxy.silence();
    let code = wait_within(&mut run, Duration::from_secs(60));
    let stderr = stderr_of(&mut run);
    let stdout = stdout.join().unwrap().join("\n");
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(code, 1, "{all}");
    assert!(!all.contains("Apply complete"), "{all}");
    assert!(all.contains("did not answer within 2s"), "{all}");
    // Told apart: never sent, or sent and not recorded; never "unknown".
    assert!(
        all.contains("nothing sent") || all.contains("exists on the platform but recording failed"),
        "{all}"
    );
    assert!(!all.contains("outcome unknown"), "{all}");
    assert!(!all.contains("did not finish within"), "{all}");
}
