//! What a PostgreSQL state write costs, counted in the server's statement
//! log rather than timed: no statement is prepared per write, a batch of
//! any size is a fixed handful of statements, and the rows it leaves are
//! the ones the changes in order leave.

use std::time::Duration;

use provision::config::ConnectionKey;
use provision::state::{Change, Pending, PostgresBackend, Record, StateBackend};

use crate::support::state_db::state_server;

const USER: &str = "provision_cost";
const PASSWORD: &str = "cost-Pw-41c7";

fn key(name: &str) -> ConnectionKey {
    format!("azure/dev/{name}").parse().unwrap()
}

fn record(id: &str) -> Record {
    Record {
        id: id.into(),
        etag: "\"1\"".into(),
        org: "O@AdobeOrg".into(),
        fingerprint: "f".into(),
        secret_hmac: Some("h".into()),
        created_at: "t".into(),
        updated_at: "t".into(),
        source: Some(format!("connections/{id}.yaml")),
        secret_version: Some(2),
        connection_string_parts: None,
        protect: false,
    }
}

fn pending() -> Pending {
    Pending {
        org: "O@AdobeOrg".into(),
        started_at: "t".into(),
        protect: false,
    }
}

/// How many statements the log shows prepared (`parse`) and run (`execute`).
fn counted(log: &str) -> (usize, usize) {
    let count = |what: &str| log.lines().filter(|l| l.contains(what)).count();
    (count("  parse "), count("  execute "))
}

#[test]
fn a_write_prepares_nothing_and_a_batch_is_a_few_statements_whatever_its_size() {
    let Some(pg) = state_server() else { return };
    pg.create_login(USER, PASSWORD, USER).unwrap();
    // Only this role's statements are logged, each with its protocol step.
    pg.execute(
        "postgres",
        &format!("ALTER ROLE {USER} SET log_min_duration_statement = 0"),
    )
    .unwrap();
    let url = pg.url(USER, PASSWORD, USER);
    let backend = PostgresBackend::new(&url, "cost").unwrap();
    let held = backend.lock("provision apply", Duration::ZERO).unwrap();
    let mut state = backend.load().unwrap();
    // The first write opens the connection and prepares; count after it.
    backend
        .record(&mut state, &[Change::Pending(key("warmup"), pending())])
        .unwrap();
    let from = pg.log().len();

    let writes = 12;
    for batch in 0..writes / 3 {
        let names: Vec<String> = (0..10).map(|i| format!("c{batch}-{i}")).collect();
        let pendings: Vec<Change> = names
            .iter()
            .map(|n| Change::Pending(key(n), pending()))
            .collect();
        backend.record(&mut state, &pendings).unwrap();
        let upserts: Vec<Change> = names
            .iter()
            .map(|n| Change::Upsert(key(n), record(n)))
            .collect();
        backend.record(&mut state, &upserts).unwrap();
        // One key's whole life in one batch, and a removal.
        let gone = format!("c{batch}-0");
        let mixed = vec![
            Change::Pending(key("churn"), pending()),
            Change::Upsert(key("churn"), record(&format!("churn{batch}"))),
            Change::Remove(key(&gone)),
            Change::Pending(key(&format!("left{batch}")), pending()),
        ];
        backend.record(&mut state, &mixed).unwrap();
    }

    let log = pg.log();
    let (parses, executes) = counted(&log[from.min(log.len())..]);
    assert!(executes >= writes * 2, "no fence and serial logged:\n{log}");
    assert_eq!(parses, 0, "statements prepared per write:\n{log}");
    // The fence, the serial, and at most one statement per table and kind.
    assert!(
        executes <= writes * 5,
        "{executes} statements for {writes} writes of up to 20 rows:\n{log}"
    );
    drop(held);

    let reread = PostgresBackend::new(&url, "cost").unwrap().load().unwrap();
    assert_eq!(reread.serial, state.serial);
    assert_eq!(reread.connections, state.connections);
    assert_eq!(reread.pending, state.pending);
    assert_eq!(state.connections.len(), 4 * 9 + 1);
    assert_eq!(state.pending.len(), 4 + 1);
}
