//! The file backend's fences: a symlinked state shares one lock with its
//! target, a deleted or replaced lock file stops the run's writes, every
//! write is a compare-and-swap by serial, and the journal folds back.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use provision::config::ConnectionKey;
use provision::emulator::EmulatorConfig;
use provision::state::{Change, FileBackend, Pending, Record, StateBackend, StateError};

use crate::support::util::fixtures;
use crate::support::world::World;

fn orders() -> ConnectionKey {
    "azure/prod/orders".parse().unwrap()
}

fn record(id: &str) -> Record {
    Record {
        id: id.into(),
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
    }
}

fn key(name: &str) -> ConnectionKey {
    format!("azure/dev/{name}").parse().unwrap()
}

fn upsert(name: &str) -> Vec<Change> {
    vec![Change::Upsert(key(name), record(name))]
}

#[test]
fn a_symlinked_state_shares_its_targets_lock_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real/state.json");
    let link = dir.path().join("state.json");
    std::os::unix::fs::symlink("real/state.json", &link).unwrap();
    let through_link = FileBackend::new(&link);
    let _held = through_link
        .lock("provision apply", Duration::ZERO)
        .unwrap();
    match FileBackend::new(&target).lock("provision apply", Duration::ZERO) {
        Err(StateError::Locked(holder)) => assert_eq!(holder.pid, std::process::id()),
        other => panic!("the target's lock was free: {:?}", other.err()),
    }
    let mut state = through_link.load().unwrap();
    through_link.record(&mut state, &upsert("a")).unwrap();
    drop(_held);
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(FileBackend::new(&target).load().unwrap(), state);
    assert!(!dir.path().join("state.json.lock").exists());
}

#[test]
fn a_deleted_or_replaced_lock_file_stops_the_writes() {
    for replace in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let first = FileBackend::new(&path);
        let held = first.lock("provision apply", Duration::ZERO).unwrap();
        let mut state = first.load().unwrap();
        first.record(&mut state, &upsert("a")).unwrap();
        std::fs::remove_file(dir.path().join("state.json.lock")).unwrap();
        if replace {
            std::fs::write(dir.path().join("state.json.lock"), "").unwrap();
        }
        let before = state.clone();
        let err = first.record(&mut state, &upsert("b")).unwrap_err();
        assert!(matches!(err, StateError::LockLost { .. }), "{err}");
        let wanted = if replace {
            "was replaced"
        } else {
            "was deleted"
        };
        assert!(err.to_string().contains(wanted), "{err}");
        assert_eq!(state, before, "a refused write changed memory");
        // Another run can lock the new file; the first one's record stays.
        let second = FileBackend::new(&path);
        let _lock = second.lock("provision apply", Duration::ZERO).unwrap();
        assert_eq!(second.load().unwrap(), before);
        drop(held);
    }
}

#[test]
fn a_write_after_another_writer_moved_the_serial_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let (a, b) = (FileBackend::new(&path), FileBackend::new(&path));
    let mut seed = a.load().unwrap();
    a.record(&mut seed, &upsert("seed")).unwrap();
    let mut by_a = a.load().unwrap();
    let mut by_b = b.load().unwrap();
    a.record(&mut by_a, &upsert("a")).unwrap();
    match b.record(&mut by_b, &upsert("b")) {
        Err(StateError::Moved {
            expected, found, ..
        }) => assert_eq!((expected, found), (1, 2)),
        other => panic!("expected a refused write, got {other:?}"),
    }
    let stored = a.load().unwrap();
    assert!(stored.connections.contains_key(&key("a")));
    assert!(!stored.connections.contains_key(&key("b")));
}

#[test]
fn writes_append_to_a_journal_folded_when_the_lock_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let journal = dir.path().join("state.json.journal");
    let backend = FileBackend::new(&path);
    let held = backend.lock("provision apply", Duration::ZERO).unwrap();
    let mut state = backend.load().unwrap();
    backend.record(&mut state, &upsert("a")).unwrap();
    let snapshot = std::fs::read_to_string(&path).unwrap();
    let pending = Pending {
        org: "O@AdobeOrg".into(),
        started_at: "t".into(),
        protect: false,
    };
    backend
        .record(&mut state, &[Change::Pending(key("b"), pending)])
        .unwrap();
    backend.record(&mut state, &upsert("b")).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), snapshot);
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap().lines().count(),
        2
    );
    assert_eq!(FileBackend::new(&path).load().unwrap(), state);
    // A write the run died inside (no newline) is ignored and cut off.
    let mut torn = std::fs::read(&journal).unwrap();
    torn.extend_from_slice(br#"{"serial": 4, "linea"#);
    std::fs::write(&journal, torn).unwrap();
    assert_eq!(FileBackend::new(&path).load().unwrap(), state);
    backend.record(&mut state, &upsert("c")).unwrap();
    assert_eq!(FileBackend::new(&path).load().unwrap(), state);
    drop(held);
    assert!(!journal.exists(), "the journal was not folded");
    let folded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(folded["serial"], 4);
    assert_eq!(folded["version"], 5);
    assert_eq!(FileBackend::new(&path).load().unwrap(), state);
}

#[test]
fn a_version_1_state_is_read_and_upgraded_on_its_first_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    // Written by `provision apply` of the release before the journal.
    std::fs::copy(fixtures("state/version-1.json"), &path).unwrap();
    let backend = FileBackend::new(&path);
    let _held = backend.lock("provision apply", Duration::ZERO).unwrap();
    let mut state = backend.load().unwrap();
    assert_eq!(state.serial, 2);
    let id = "1b706855-63a7-4fdd-8ca3-8d44e52de5e6";
    assert_eq!(state.connections[&orders()].id, id);
    backend.record(&mut state, &upsert("b")).unwrap();
    // Upgraded in the snapshot itself, never a journal beside a version 1
    // file that an older provision would read without it.
    assert!(!dir.path().join("state.json.journal").exists());
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(stored["version"], 5);
    assert_eq!(stored["serial"], 3);
    assert_eq!(stored["connections"]["azure/prod/orders"]["id"], id);
}

/// Starts `provision apply` in the background and waits until it is
/// carrying out its plan (so it holds the lock).
fn apply_in_background(world: &World, args: &[&str]) -> std::process::Child {
    let mut full = vec!["apply", "--parallelism", "1"];
    full.extend_from_slice(args);
    let mut child = world
        .cmd(&full)
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("created"), "{first}");
    std::thread::spawn(move || lines.for_each(drop));
    child
}

fn slow_world(count: usize) -> World {
    let world = World::new(EmulatorConfig {
        latency: Duration::from_millis(150),
        ..EmulatorConfig::default()
    });
    world.connections(count);
    world
}

#[test]
fn a_run_through_a_symlink_and_a_run_through_its_target_never_overlap() {
    let world = slow_world(6);
    std::fs::create_dir_all(world.path().join("shared")).unwrap();
    std::os::unix::fs::symlink("shared/state.json", world.path().join("link.json")).unwrap();
    let mut first = apply_in_background(&world, &["--state", "link.json"]);
    let second = world.run(&["apply", "--state", "shared/state.json"]);
    let code = first.wait().unwrap().code();
    assert_eq!(second.code(), 3, "{}", second.stderr());
    assert!(
        second.stderr().contains("is locked by"),
        "{}",
        second.stderr()
    );
    assert_eq!(code, Some(0));
    world.assert_remote_exactly(6);
    assert!(
        std::fs::symlink_metadata(world.path().join("link.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_run_whose_lock_file_is_deleted_stops_and_loses_no_record() {
    let world = slow_world(6);
    let mut first = apply_in_background(&world, &[]);
    std::fs::remove_file(world.path().join(".provision/state.json.lock")).unwrap();
    // Once the lock file is gone, a second run could take a new one at the
    // same path: the first run must not write again.
    let status = first.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut first.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("state lock"), "{stderr}");
    assert!(stderr.contains("was deleted"), "{stderr}");
    assert!(world.remote().len() < 6, "the first run kept going");
    let second = world.run(&["apply", "--parallelism", "4"]);
    assert_eq!(second.code(), 0, "{}", second.stderr());
    // Every connection on the platform is recorded, none twice.
    world.assert_remote_exactly(6);
    let state = world.state();
    assert_eq!(
        state["connections"].as_object().unwrap().len(),
        6,
        "{state}"
    );
}
