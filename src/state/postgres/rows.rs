//! One namespace's state as rows: a `provision_namespaces` row (lineage,
//! serial), a row per connection and a row per pending create. Each write is
//! one transaction that also moves the serial on, guarded by the serial it
//! expects, so a writer that lost the lock cannot silently overwrite.

use crate::config::ConnectionKey;
use std::collections::BTreeMap;

use tokio_postgres::{Client, GenericClient, Transaction};

use super::PostgresError;
use crate::state::{Change, FORMAT_VERSION, OLDEST_READABLE, Pending, Record, State};

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
                    secret_version, connection_string_parts
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
            "SELECT key, org, started_at FROM provision_pending WHERE namespace = $1",
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
            },
        );
    }
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
    })
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

/// Moves the namespace row from serial `before` to `after`'s serial (and
/// lineage), creating it when `before` is 0.
async fn advance(tx: &Transaction<'_>, namespace: &str, head: &Head) -> Result<(), PostgresError> {
    let before = head.before;
    let too_large = |serial: u64| {
        PostgresError::Query(format!(
            "state serial {serial} does not fit PostgreSQL's `bigint`"
        ))
    };
    let before_serial = i64::try_from(before).map_err(|_| too_large(before))?;
    let serial = i64::try_from(head.serial).map_err(|_| too_large(head.serial))?;
    let version = FORMAT_VERSION as i32;
    let moved = tx
        .execute(
            "UPDATE provision_namespaces SET serial = $3, lineage = $4, version = $5, updated_at = now(),
                    environment = COALESCE($6, environment)
             WHERE namespace = $1 AND serial = $2",
            &[&namespace, &before_serial, &serial, &head.lineage, &version, &head.environment],
        )
        .await
        .map_err(failed)?;
    let moved =
        if moved == 0 && before == 0 {
            tx.execute(
            "INSERT INTO provision_namespaces (namespace, version, lineage, serial, environment)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (namespace) DO NOTHING",
            &[&namespace, &version, &head.lineage, &serial, &head.environment],
        )
        .await
        .map_err(failed)?
        } else {
            moved
        };
    if moved == 1 {
        return Ok(());
    }
    let found = tx
        .query_opt(
            "SELECT serial FROM provision_namespaces WHERE namespace = $1",
            &[&namespace],
        )
        .await
        .map_err(failed)?
        .map(|row| row.try_get::<_, i64>(0))
        .transpose()
        .map_err(failed)?
        .unwrap_or(0);
    Err(PostgresError::Moved {
        expected: before,
        found: u64::try_from(found).unwrap_or(0),
    })
}

/// Persists `changes` in one transaction, fenced by the lock generation
/// and guarded by the serial: only the rows they touch are written.
pub(super) async fn write(
    client: &mut Client,
    namespace: &str,
    head: &Head,
    changes: &[Change],
) -> Result<(), PostgresError> {
    let tx = client.transaction().await.map_err(failed)?;
    // Sent together (the connection runs them in order); the transaction
    // commits only if both pass, and a lost lock is the error that counts.
    let fenced = async {
        match head.fence {
            Some(generation) => super::lock::fence(&tx, namespace, generation).await,
            None => Ok(()),
        }
    };
    let (fenced, advanced, statements) =
        tokio::join!(fenced, advance(&tx, namespace, head), prepare(&tx));
    fenced?;
    advanced?;
    apply_changes(&tx, &statements?, namespace, changes).await?;
    tx.commit().await.map_err(failed)
}

/// Writes a whole state (lineage and serial kept) into a namespace that
/// has no connections yet: `state migrate`.
pub(super) async fn replace(
    client: &mut Client,
    namespace: &str,
    state: &State,
) -> Result<(), PostgresError> {
    let tx = client.transaction().await.map_err(failed)?;
    let existing = load(&tx, namespace).await?;
    if !existing.connections.is_empty() || !existing.pending.is_empty() {
        return Err(PostgresError::NotEmpty {
            entries: existing.connections.len() + existing.pending.len(),
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
    advance(&tx, namespace, &head).await?;
    // Records before pending rows: an upsert clears its key's pending row.
    let mut changes: Vec<Change> = state
        .connections
        .iter()
        .map(|(k, r)| Change::Upsert(k.clone(), r.clone()))
        .collect();
    changes.extend(
        state
            .pending
            .iter()
            .map(|(k, p)| Change::Pending(k.clone(), p.clone())),
    );
    let statements = prepare(&tx).await?;
    apply_changes(&tx, &statements, namespace, &changes).await?;
    tx.commit().await.map_err(failed)
}

/// The four statements a write uses, prepared on its transaction.
struct Statements {
    upsert_pending: tokio_postgres::Statement,
    upsert_record: tokio_postgres::Statement,
    delete_pending: tokio_postgres::Statement,
    delete_record: tokio_postgres::Statement,
}

/// Prepares the four statements together: one round trip instead of four.
async fn prepare(tx: &Transaction<'_>) -> Result<Statements, PostgresError> {
    let (upsert_pending, upsert_record, delete_pending, delete_record) = tokio::try_join!(
        tx.prepare(
            "INSERT INTO provision_pending (namespace, key, org, started_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (namespace, key) DO UPDATE SET org = EXCLUDED.org, started_at = EXCLUDED.started_at",
        ),
        tx.prepare(
            "INSERT INTO provision_connections
                 (namespace, key, id, etag, org, fingerprint, secret_hmac, created_at, updated_at, source,
                  secret_version, connection_string_parts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (namespace, key) DO UPDATE SET id = EXCLUDED.id, etag = EXCLUDED.etag,
                 org = EXCLUDED.org, fingerprint = EXCLUDED.fingerprint,
                 secret_hmac = EXCLUDED.secret_hmac, created_at = EXCLUDED.created_at,
                 updated_at = EXCLUDED.updated_at, source = EXCLUDED.source,
                 secret_version = EXCLUDED.secret_version,
                 connection_string_parts = EXCLUDED.connection_string_parts",
        ),
        tx.prepare("DELETE FROM provision_pending WHERE namespace = $1 AND key = $2"),
        tx.prepare("DELETE FROM provision_connections WHERE namespace = $1 AND key = $2"),
    )
    .map_err(failed)?;
    Ok(Statements {
        upsert_pending,
        upsert_record,
        delete_pending,
        delete_record,
    })
}

/// Writes `changes` through the prepared `statements`.
async fn apply_changes(
    tx: &Transaction<'_>,
    statements: &Statements,
    namespace: &str,
    changes: &[Change],
) -> Result<(), PostgresError> {
    let Statements {
        upsert_pending,
        upsert_record,
        delete_pending,
        delete_record,
    } = statements;
    // Every statement of the batch is sent before the first answer is read:
    // tokio-postgres pipelines the futures polled together, in the order
    // they are first polled, so a key's delete still precedes its upsert.
    let keys: Vec<String> = changes.iter().map(|c| c.key().to_string()).collect();
    let mut writes = Vec::with_capacity(changes.len() * 2);
    for (change, key) in changes.iter().zip(&keys) {
        match change {
            Change::Pending(_, p) => writes.push(execute(
                tx,
                upsert_pending,
                vec![
                    namespace.into(),
                    key.clone().into(),
                    p.org.clone().into(),
                    p.started_at.clone().into(),
                ],
            )),
            Change::Upsert(_, r) => {
                writes.push(execute(
                    tx,
                    delete_pending,
                    vec![namespace.into(), key.clone().into()],
                ));
                writes.push(execute(tx, upsert_record, record_params(namespace, key, r)));
            }
            Change::Remove(_) => {
                writes.push(execute(
                    tx,
                    delete_pending,
                    vec![namespace.into(), key.clone().into()],
                ));
                writes.push(execute(
                    tx,
                    delete_record,
                    vec![namespace.into(), key.clone().into()],
                ));
            }
        }
    }
    futures_util::future::try_join_all(writes).await?;
    Ok(())
}

/// One statement's parameters, owned so a batch's statements can be sent
/// together.
enum Param {
    Text(String),
    OptText(Option<String>),
    OptInt(Option<i64>),
}

impl From<&str> for Param {
    fn from(text: &str) -> Self {
        Param::Text(text.to_owned())
    }
}

impl From<String> for Param {
    fn from(text: String) -> Self {
        Param::Text(text)
    }
}

impl Param {
    fn as_sql(&self) -> &(dyn tokio_postgres::types::ToSql + Sync) {
        match self {
            Param::Text(v) => v,
            Param::OptText(v) => v,
            Param::OptInt(v) => v,
        }
    }
}

/// Runs one prepared statement with owned parameters.
async fn execute(
    tx: &Transaction<'_>,
    statement: &tokio_postgres::Statement,
    params: Vec<Param>,
) -> Result<u64, PostgresError> {
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        params.iter().map(Param::as_sql).collect();
    tx.execute(statement, &refs).await.map_err(failed)
}

/// The upsert's parameters for record `r` under `key`.
fn record_params(namespace: &str, key: &str, r: &Record) -> Vec<Param> {
    let parts = r
        .connection_string_parts
        .as_ref()
        .and_then(|parts| serde_json::to_string(parts).ok());
    vec![
        namespace.into(),
        key.into(),
        r.id.clone().into(),
        r.etag.clone().into(),
        r.org.clone().into(),
        r.fingerprint.clone().into(),
        Param::OptText(r.secret_hmac.clone()),
        r.created_at.clone().into(),
        r.updated_at.clone().into(),
        Param::OptText(r.source.clone()),
        Param::OptInt(r.secret_version.map(i64::from)),
        Param::OptText(parts),
    ]
}
