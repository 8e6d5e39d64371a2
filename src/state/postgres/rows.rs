//! One namespace's state as rows: a `provision_namespaces` row (lineage,
//! serial), a row per connection and a row per pending create. Each write is
//! one transaction that also moves the serial on, guarded by the serial it
//! expects, so a writer that lost the lock cannot silently overwrite.

use crate::config::{ConnectionKey, DataflowKey};
use std::collections::BTreeMap;

use tokio_postgres::{GenericClient, Transaction};

use super::PostgresError;
use super::batch::{Rows, Session, Statements};
use crate::state::{DataflowRecord, FORMAT_VERSION, OLDEST_READABLE, Pending, Record, State};

/// A key column read back; a hand-edited row that is not `cloud/sandbox/name`
/// is an error that names it.
fn key(row: &tokio_postgres::Row) -> Result<ConnectionKey, PostgresError> {
    let text: String = row.try_get(0).map_err(failed)?;
    text.parse()
        .map_err(|e: crate::config::KeyError| PostgresError::Query(e.to_string()))
}

fn failed(e: tokio_postgres::Error) -> PostgresError {
    PostgresError::Query(super::message(&e))
}

/// A `provision_connections` row (after its key) as a record. Its JSON
/// columns are read leniently: a part that does not parse is left out.
fn record(row: &tokio_postgres::Row) -> Result<Record, PostgresError> {
    Ok(Record {
        id: row.try_get(1).map_err(failed)?,
        etag: row.try_get(2).map_err(failed)?,
        org: row.try_get(3).map_err(failed)?,
        fingerprint: row.try_get(4).map_err(failed)?,
        secret_hmac: row.try_get(5).map_err(failed)?,
        created_at: row.try_get(6).map_err(failed)?,
        updated_at: row.try_get(7).map_err(failed)?,
        source: row.try_get(8).map_err(failed)?,
        secret_version: row
            .try_get::<_, Option<i64>>(9)
            .map_err(failed)?
            .and_then(|v| u32::try_from(v).ok()),
        connection_string_parts: row
            .try_get::<_, Option<String>>(10)
            .map_err(failed)?
            .and_then(|text| serde_json::from_str(&text).ok()),
        protect: row.try_get(11).map_err(failed)?,
    })
}

/// The namespace's state, or a new empty one when it has no row yet.
pub(super) async fn load(
    client: &impl GenericClient,
    namespace: &str,
) -> Result<State, PostgresError> {
    let Some(head) = client
        .query_opt(
            "SELECT version, lineage, serial, environment FROM provision_namespaces WHERE namespace = $1",
            &[&namespace],
        )
        .await
        .map_err(failed)?
    else {
        return Ok(State::new());
    };
    let version: i32 = head.try_get(0).map_err(failed)?;
    if !(OLDEST_READABLE as i32..=FORMAT_VERSION as i32).contains(&version) {
        return Err(PostgresError::Version { found: version });
    }
    let serial: i64 = head.try_get(2).map_err(failed)?;
    let mut connections = BTreeMap::new();
    for row in client
        .query(
            "SELECT key, id, etag, org, fingerprint, secret_hmac, created_at, updated_at, source,
                    secret_version, connection_string_parts, protect
             FROM provision_connections WHERE namespace = $1",
            &[&namespace],
        )
        .await
        .map_err(failed)?
    {
        connections.insert(key(&row)?, record(&row)?);
    }
    let mut pending = BTreeMap::new();
    for row in client
        .query(
            "SELECT key, org, started_at, protect FROM provision_pending WHERE namespace = $1",
            &[&namespace],
        )
        .await
        .map_err(failed)?
    {
        pending.insert(
            key(&row)?,
            Pending {
                org: row.try_get(1).map_err(failed)?,
                started_at: row.try_get(2).map_err(failed)?,
                protect: row.try_get(3).map_err(failed)?,
            },
        );
    }
    let dataflows = load_dataflows(client, namespace).await?;
    Ok(State {
        version: FORMAT_VERSION,
        lineage: head.try_get(1).map_err(failed)?,
        environment: head.try_get(3).map_err(failed)?,
        serial: u64::try_from(serial).map_err(|_| {
            PostgresError::Query(format!(
                "namespace `{namespace}` has serial {serial}: expected a number of writes, 0 or more"
            ))
        })?,
        connections,
        pending,
        dataflows,
    })
}

/// The namespace's dataflow rows, each record read from its JSON.
async fn load_dataflows(
    client: &impl GenericClient,
    namespace: &str,
) -> Result<BTreeMap<DataflowKey, DataflowRecord>, PostgresError> {
    let mut dataflows = BTreeMap::new();
    for row in client
        .query(
            "SELECT key, record FROM provision_dataflows WHERE namespace = $1",
            &[&namespace],
        )
        .await
        .map_err(failed)?
    {
        let text: String = row.try_get(0).map_err(failed)?;
        let key: DataflowKey = text
            .parse()
            .map_err(|e: crate::config::KeyError| PostgresError::Query(e.to_string()))?;
        let json: String = row.try_get(1).map_err(failed)?;
        let record = serde_json::from_str(&json).map_err(|e| {
            PostgresError::Query(format!(
                "the record of `{key}` in namespace `{namespace}` is not valid: {e}"
            ))
        })?;
        dataflows.insert(key, record);
    }
    Ok(dataflows)
}

/// What a write moves the namespace row from and to, and the lock
/// generation it is fenced by (none for a write made without the lock).
pub(super) struct Head {
    pub(super) before: u64,
    pub(super) serial: u64,
    pub(super) lineage: String,
    /// The environment that writes the namespace (kept when `None`).
    pub(super) environment: Option<String>,
    pub(super) fence: Option<i64>,
}

/// Moves the namespace row from serial `before` to `serial` (and
/// lineage), creating it when `before` is 0: one statement, whose answer
/// also says which serial it found when the row had moved on.
async fn advance(
    tx: &Transaction<'_>,
    statements: &Statements,
    namespace: &str,
    head: &Head,
) -> Result<(), PostgresError> {
    let before = head.before;
    let too_large = |serial: u64| {
        PostgresError::Query(format!(
            "state serial {serial} does not fit PostgreSQL's `bigint`"
        ))
    };
    let before_serial = i64::try_from(before).map_err(|_| too_large(before))?;
    let serial = i64::try_from(head.serial).map_err(|_| too_large(head.serial))?;
    let version = FORMAT_VERSION as i32;
    let row = tx
        .query_one(
            &statements.advance,
            &[
                &namespace,
                &before_serial,
                &serial,
                &head.lineage,
                &version,
                &head.environment,
            ],
        )
        .await
        .map_err(failed)?;
    let moved: Option<i64> = row.try_get(0).map_err(failed)?;
    if moved.is_some() {
        return Ok(());
    }
    let found: Option<i64> = row.try_get(1).map_err(failed)?;
    Err(PostgresError::Moved {
        expected: before,
        found: found.and_then(|f| u64::try_from(f).ok()).unwrap_or(0),
    })
}

/// Persists a batch in one transaction, fenced by the lock generation and
/// guarded by the serial: only the rows it touched are written. Everything
/// after `BEGIN` is sent before the first answer is read; the transaction
/// commits only if all of it passed, and a lost lock is the error that counts.
pub(super) async fn write(
    session: &mut Session,
    namespace: &str,
    head: &Head,
    rows: &Rows,
) -> Result<(), PostgresError> {
    let Session { client, statements } = session;
    let tx = client.transaction().await.map_err(failed)?;
    let fenced = async {
        match head.fence {
            Some(generation) => {
                super::lock::fence(&tx, &statements.fence, namespace, generation).await
            }
            None => Ok(()),
        }
    };
    let (fenced, advanced, written) = tokio::join!(
        fenced,
        advance(&tx, statements, namespace, head),
        rows.write(&tx, statements, namespace)
    );
    fenced?;
    advanced?;
    written?;
    tx.commit().await.map_err(failed)
}

/// Writes a whole state (lineage and serial kept) into a namespace that
/// has no connections yet: `state migrate`.
pub(super) async fn replace(
    session: &mut Session,
    namespace: &str,
    state: &State,
) -> Result<(), PostgresError> {
    let Session { client, statements } = session;
    let tx = client.transaction().await.map_err(failed)?;
    let existing = load(&tx, namespace).await?;
    if !existing.is_empty() {
        return Err(PostgresError::NotEmpty {
            entries: existing.connections.len() + existing.pending.len() + existing.dataflows.len(),
        });
    }
    tx.execute(
        "DELETE FROM provision_namespaces WHERE namespace = $1",
        &[&namespace],
    )
    .await
    .map_err(failed)?;
    let head = Head {
        before: 0,
        serial: state.serial,
        lineage: state.lineage.clone(),
        environment: state.environment.clone(),
        fence: None,
    };
    advance(&tx, statements, namespace, &head).await?;
    Rows::all(state).write(&tx, statements, namespace).await?;
    tx.commit().await.map_err(failed)
}
