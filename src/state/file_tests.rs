//! The file backend's basics: records survive a reload, a second lock is
//! refused naming the holder, and bad files are errors, never a reset.

use super::*;
use crate::state::{Pending, Record};

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

#[test]
fn records_survive_a_reload_and_count_serials() {
    let dir = tempfile::tempdir().unwrap();
    let backend = FileBackend::new(dir.path().join("nested/state.json"));
    let mut state = backend.load().unwrap();
    assert_eq!(state.serial, 0);
    let pending = Pending {
        org: "O@AdobeOrg".into(),
        started_at: "t".into(),
        protect: false,
    };
    let a: crate::config::ConnectionKey = "azure/dev/a".parse().unwrap();
    backend
        .record(&mut state, &[Change::Pending(a.clone(), pending)])
        .unwrap();
    backend
        .record(&mut state, &[Change::Upsert(a.clone(), record("1"))])
        .unwrap();
    let loaded = backend.load().unwrap();
    assert_eq!(loaded, state);
    assert_eq!(loaded.serial, 2);
    assert!(loaded.pending.is_empty());
    assert_eq!(loaded.connections[&a].id, "1");
}

#[test]
fn a_second_lock_is_refused_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let backend = FileBackend::new(dir.path().join("state.json"));
    let held = backend.lock("provision apply", Duration::ZERO).unwrap();
    match backend.lock("provision apply", Duration::from_millis(200)) {
        Err(StateError::Locked(info)) => {
            assert_eq!(info.pid, std::process::id());
            assert_eq!(info.command, "provision apply");
        }
        other => panic!("expected a lock error, got {:?}", other.err()),
    }
    drop(held);
    backend.lock("provision apply", Duration::ZERO).unwrap();
}

#[test]
fn a_malformed_key_in_state_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(
        &path,
        r#"{"version": 1, "lineage": "x", "serial": 1, "connections": {"orders-db": {"id": "1", "etag": "e", "org": "O", "fingerprint": "f", "createdAt": "t", "updatedAt": "t"}}}"#,
    )
    .unwrap();
    let err = FileBackend::new(&path).load().unwrap_err();
    assert!(err.to_string().contains("`orders-db`"), "{err}");
}

#[test]
fn unreadable_or_future_state_is_an_error_not_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "{not json").unwrap();
    assert!(matches!(
        FileBackend::new(&path).load(),
        Err(StateError::Corrupt { .. })
    ));
    std::fs::write(&path, r#"{"version": 9, "lineage": "x", "serial": 1}"#).unwrap();
    assert!(matches!(
        FileBackend::new(&path).load(),
        Err(StateError::Version { found: 9, .. })
    ));
}
