//! Dataflow records (state format 5, PostgreSQL migration 6): a record
//! filled in one object at a time survives every write and reload on both
//! backends, a connection's `protect` flag is kept, and one platform object
//! under two dataflow keys is refused naming both.

use provision::config::{ConnectionKey, DataflowKey};
use provision::state::{
    Change, DataflowRecord, FileBackend, ObjectRef, Part, PostgresBackend, Record, StateBackend,
    StateError,
};

use crate::support::state_db::{fresh_namespace, state_server, state_url};

fn flow_key(name: &str) -> DataflowKey {
    format!("dataflow/azure/prod/{name}").parse().unwrap()
}

fn connection() -> (ConnectionKey, Record) {
    let record = Record {
        id: "c1".into(),
        etag: "\"1\"".into(),
        org: "O@AdobeOrg".into(),
        fingerprint: "f".into(),
        secret_hmac: None,
        created_at: "t".into(),
        updated_at: "t".into(),
        source: Some("connections/orders.yaml".into()),
        secret_version: None,
        connection_string_parts: None,
        protect: true,
    };
    ("azure/prod/orders".parse().unwrap(), record)
}

fn object(id: &str) -> Option<ObjectRef> {
    Some(ObjectRef {
        id: id.into(),
        etag: format!("\"{id}\""),
    })
}

/// Writes a chain one object at a time, reloading after each write.
fn records_one_object_at_a_time(backend: &dyn StateBackend) {
    let _lock = backend.lock("test", std::time::Duration::ZERO).unwrap();
    let (key, record) = connection();
    let mut state = backend.load().unwrap();
    backend
        .record(&mut state, &[Change::Upsert(key.clone(), record.clone())])
        .unwrap();
    let mut flow = DataflowRecord::new("O@AdobeOrg", "c1", "t");
    flow.pending.insert(Part::SourceConnection, "t".into());
    backend
        .record(
            &mut state,
            &[Change::Dataflow(flow_key("a"), Box::new(flow.clone()))],
        )
        .unwrap();
    assert_eq!(backend.load().unwrap(), state);
    for (n, part) in Part::ALL.into_iter().enumerate() {
        flow.set_object(part, object(&format!("{n}")));
        backend
            .record(
                &mut state,
                &[Change::Dataflow(flow_key("a"), Box::new(flow.clone()))],
            )
            .unwrap();
        let loaded = backend.load().unwrap();
        assert_eq!(loaded.dataflows.get(&flow_key("a")), Some(&flow));
    }
    flow.protect = true;
    flow.mapping_version = Some("1".into());
    backend
        .record(
            &mut state,
            &[Change::Dataflow(flow_key("a"), Box::new(flow.clone()))],
        )
        .unwrap();
    let loaded = backend.load().unwrap();
    assert_eq!(loaded, state);
    assert!(loaded.dataflows[&flow_key("a")].is_complete());
    assert!(loaded.connections[&key].protect);

    // The same source connection under a second key is refused on load.
    let mut other = DataflowRecord::new("O@AdobeOrg", "c1", "t");
    other.source_connection = object("0");
    backend
        .record(
            &mut state,
            &[Change::Dataflow(flow_key("b"), Box::new(other))],
        )
        .unwrap();
    match backend.load() {
        Err(StateError::SharedObject {
            part,
            first,
            second,
            ..
        }) => {
            assert_eq!(part, "source connection");
            assert_eq!(first, "dataflow/azure/prod/a");
            assert_eq!(second, "dataflow/azure/prod/b");
        }
        other => panic!("expected a shared-object refusal, got {other:?}"),
    }
    backend
        .record(&mut state, &[Change::RemoveDataflow(flow_key("b"))])
        .unwrap();
    backend
        .record(&mut state, &[Change::RemoveDataflow(flow_key("a"))])
        .unwrap();
    let loaded = backend.load().unwrap();
    assert!(loaded.dataflows.is_empty());
    assert_eq!(loaded.connections.len(), 1);
}

#[test]
fn the_file_backend_records_dataflows_object_by_object() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let backend = FileBackend::new(&path);
    records_one_object_at_a_time(&backend);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"version\": 5"), "{text}");
}

#[test]
fn the_postgres_backend_records_dataflows_object_by_object() {
    let Some(pg) = state_server() else { return };
    let backend = PostgresBackend::new(&state_url(pg), &fresh_namespace("dataflows")).unwrap();
    records_one_object_at_a_time(&backend);
}

#[test]
fn a_format_4_file_loads_and_is_written_back_as_format_5() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(
        &path,
        r#"{"version":4,"lineage":"l","serial":3,"connections":{"azure/prod/orders":{"id":"c1","etag":"e","org":"O@AdobeOrg","fingerprint":"f","createdAt":"t","updatedAt":"t"}}}"#,
    )
    .unwrap();
    let backend = FileBackend::new(&path);
    let mut state = backend.load().unwrap();
    assert!(!state.connections[&"azure/prod/orders".parse().unwrap()].protect);
    let _lock = backend.lock("test", std::time::Duration::ZERO).unwrap();
    backend
        .record(
            &mut state,
            &[Change::Dataflow(
                flow_key("a"),
                Box::new(DataflowRecord::new("O@AdobeOrg", "c1", "t")),
            )],
        )
        .unwrap();
    drop(_lock);
    let loaded = backend.load().unwrap();
    assert_eq!(loaded.version, 5);
    assert_eq!(loaded.dataflows.len(), 1);
    assert_eq!(loaded.connections.len(), 1);
}
