//! The per-namespace lock: a session-level advisory lock on one dedicated
//! connection held for the whole run, keyed by a 64-bit hash of the
//! namespace (so runs on other namespaces never wait). The server releases it
//! when that connection ends, a killed run included; `provision_locks` only
//! names the holder for the message a second run prints.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use super::{Executor, PostgresError};
use crate::state::LockInfo;

/// The advisory lock key of `namespace`: the first 8 bytes of a SHA-256.
pub fn key(namespace: &str) -> i64 {
    let digest = Sha256::digest(format!("provision state namespace {namespace}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

fn failed(e: tokio_postgres::Error) -> PostgresError {
    PostgresError::Query(super::message(&e))
}

/// The holder's row, if any.
pub(super) async fn holder(
    client: &Client,
    namespace: &str,
) -> Result<Option<LockInfo>, PostgresError> {
    let row = client
        .query_opt(
            "SELECT host, pid, since, command FROM provision_locks WHERE namespace = $1",
            &[&namespace],
        )
        .await
        .map_err(failed)?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(LockInfo {
        host: row.try_get(0).map_err(failed)?,
        pid: u32::try_from(row.try_get::<_, i64>(1).map_err(failed)?).unwrap_or(0),
        since: row.try_get(2).map_err(failed)?,
        command: row.try_get(3).map_err(failed)?,
    }))
}

fn unknown_holder() -> LockInfo {
    LockInfo {
        host: "unknown".into(),
        pid: 0,
        since: "unknown".into(),
        command: "another provision run".into(),
    }
}

/// Polls `pg_try_advisory_lock` on `client` until it succeeds or `timeout`
/// passes; then the holder is named.
pub(super) async fn acquire(
    client: &Client,
    namespace: &str,
    timeout: Duration,
) -> Result<Result<(), LockInfo>, PostgresError> {
    let start = Instant::now();
    loop {
        let row = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key(namespace)])
            .await
            .map_err(failed)?;
        if row.try_get::<_, bool>(0).map_err(failed)? {
            return Ok(Ok(()));
        }
        if start.elapsed() >= timeout {
            let info = holder(client, namespace).await?;
            return Ok(Err(info.unwrap_or_else(unknown_holder)));
        }
        tokio::time::sleep(Duration::from_millis(100).min(timeout)).await;
    }
}

/// Records this run as the holder (after the lock is taken) under a new
/// generation, never handed out before; returns the generation and the
/// details a run that died left behind, if any.
pub(super) async fn claim(
    client: &Client,
    namespace: &str,
    me: &LockInfo,
) -> Result<(i64, Option<LockInfo>), PostgresError> {
    let stale = holder(client, namespace).await?;
    let row = client
        .query_one(
            "INSERT INTO provision_locks (namespace, host, pid, since, command, backend_pid, generation)
             VALUES ($1, $2, $3, $4, $5, pg_backend_pid(), nextval('provision_lock_generations'))
             ON CONFLICT (namespace) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,
                 since = EXCLUDED.since, command = EXCLUDED.command,
                 backend_pid = EXCLUDED.backend_pid, generation = EXCLUDED.generation
             RETURNING generation",
            &[
                &namespace,
                &me.host,
                &i64::from(me.pid),
                &me.since,
                &me.command,
            ],
        )
        .await
        .map_err(failed)?;
    Ok((row.try_get(0).map_err(failed)?, stale))
}

/// The fence's query (prepared once per connection): the namespace's lock
/// row, locked until the write commits, and whether the session it names
/// still holds the advisory lock.
pub(super) const FENCE: &str = "SELECT l.generation,
         EXISTS (SELECT 1 FROM pg_locks k
             WHERE k.locktype = 'advisory' AND k.granted AND k.pid = l.backend_pid
               AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND k.objsubid = 1
               AND k.classid::bigint = (($2::bigint >> 32) & 4294967295)
               AND k.objid::bigint = ($2::bigint & 4294967295))
     FROM provision_locks l WHERE l.namespace = $1 FOR UPDATE OF l";

/// The fence every write passes inside its transaction: the namespace's
/// lock row still carries this run's `generation`, and the session it
/// names still holds the advisory lock on the server. The row is locked
/// until the write commits, so a run taking the lock meanwhile waits for
/// it (and then reads it).
pub(super) async fn fence(
    tx: &tokio_postgres::Transaction<'_>,
    statement: &tokio_postgres::Statement,
    namespace: &str,
    generation: i64,
) -> Result<(), PostgresError> {
    let row = tx
        .query_opt(statement, &[&namespace, &key(namespace)])
        .await
        .map_err(failed)?;
    let Some(row) = row else {
        return Err(PostgresError::LockLost(
            "its holder row was removed (`provision state unlock`?)".into(),
        ));
    };
    let current: i64 = row.try_get(0).map_err(failed)?;
    let held: bool = row.try_get(1).map_err(failed)?;
    if current != generation {
        return Err(PostgresError::LockLost(format!(
            "another run took it since (lock generation {current}, this run's {generation})"
        )));
    }
    if !held {
        return Err(PostgresError::LockLost(
            "the database session holding it ended (server restart, failover, idle timeout or a pooler)"
                .into(),
        ));
    }
    Ok(())
}

/// Removes the holder row (ours, or a dead run's) and returns what it said.
pub(super) async fn clear(
    client: &Client,
    namespace: &str,
) -> Result<Option<LockInfo>, PostgresError> {
    let stale = holder(client, namespace).await?;
    client
        .execute(
            "DELETE FROM provision_locks WHERE namespace = $1",
            &[&namespace],
        )
        .await
        .map_err(failed)?;
    Ok(stale)
}

/// A held namespace lock: the dedicated connection it lives on. Dropping it
/// clears the holder row and closes the connection, which frees the lock.
pub(super) struct PgLock {
    pub(super) client: Option<Client>,
    pub(super) executor: Arc<Executor>,
    pub(super) namespace: String,
    /// The backend's fence slot: emptied when the lock goes.
    pub(super) fence: Arc<std::sync::Mutex<Option<i64>>>,
    pub(super) generation: i64,
}

impl Drop for PgLock {
    fn drop(&mut self) {
        if let Ok(mut fence) = self.fence.lock() {
            fence.take();
        }
        let Some(client) = self.client.take() else {
            return;
        };
        let namespace = self.namespace.clone();
        let generation = self.generation;
        let release = async move {
            // Only our own row: if this session died and another run holds
            // the lock now, its row stays.
            let _ = client
                .execute(
                    "DELETE FROM provision_locks WHERE namespace = $1 AND generation = $2",
                    &[&namespace, &generation],
                )
                .await;
            let _ = client
                .execute("SELECT pg_advisory_unlock($1)", &[&key(&namespace)])
                .await;
        };
        // Closing the connection frees the lock anyway: do not wait long.
        if let Err(err) = self.executor.run_for(release, Duration::from_secs(5)) {
            tracing::warn!("releasing the state lock: {err}");
        }
    }
}
