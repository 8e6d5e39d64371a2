//! The state tables, created on first use through numbered migrations kept
//! in `provision_migrations`. Migrating runs in one transaction under a
//! transaction-level advisory lock, so two runs starting at once on an
//! empty database do not race to create the same tables.

use tokio_postgres::Client;

use super::PostgresError;

/// Advisory lock key for migrating (any value unlikely to clash: "provmigr").
const MIGRATION_LOCK: i64 = 0x7072_6f76_6d69_6772;

/// `(version, name, SQL)`, in order. Never edit a released migration: add one.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "namespaces, connections, pending creates, lock holders",
        "CREATE TABLE provision_namespaces (
        namespace   text PRIMARY KEY,
        version     integer NOT NULL,
        lineage     text NOT NULL,
        serial      bigint NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE provision_connections (
        namespace    text NOT NULL REFERENCES provision_namespaces ON DELETE CASCADE,
        key          text NOT NULL,
        id           text NOT NULL,
        etag         text NOT NULL,
        org          text NOT NULL,
        fingerprint  text NOT NULL,
        secret_hmac  text,
        created_at   text NOT NULL,
        updated_at   text NOT NULL,
        PRIMARY KEY (namespace, key)
    );
    CREATE TABLE provision_pending (
        namespace   text NOT NULL REFERENCES provision_namespaces ON DELETE CASCADE,
        key         text NOT NULL,
        org         text NOT NULL,
        started_at  text NOT NULL,
        PRIMARY KEY (namespace, key)
    );
    CREATE TABLE provision_locks (
        namespace    text PRIMARY KEY,
        host         text NOT NULL,
        pid          bigint NOT NULL,
        since        text NOT NULL,
        command      text NOT NULL,
        backend_pid  integer NOT NULL
    );",
    ),
    (
        2,
        "the file each connection was recorded from",
        "ALTER TABLE provision_connections ADD COLUMN source text;",
    ),
    (
        3,
        "lock generations: every write is fenced by the lock it was made under",
        "CREATE SEQUENCE provision_lock_generations;
    ALTER TABLE provision_locks ADD COLUMN generation bigint NOT NULL DEFAULT 0;",
    ),
    (
        4,
        "the secret version each connection was last sent with, and its connection string's parts",
        "ALTER TABLE provision_connections ADD COLUMN secret_version bigint;
         ALTER TABLE provision_connections ADD COLUMN connection_string_parts text;",
    ),
    (
        5,
        "the settings environment each namespace is written by",
        "ALTER TABLE provision_namespaces ADD COLUMN environment text;",
    ),
    (
        6,
        "dataflows (one row per dataflow key, its record as JSON), and each connection's and pending create's protect flag",
        "ALTER TABLE provision_connections ADD COLUMN protect boolean NOT NULL DEFAULT false;
         ALTER TABLE provision_pending ADD COLUMN protect boolean NOT NULL DEFAULT false;
         CREATE TABLE provision_dataflows (
             namespace   text NOT NULL REFERENCES provision_namespaces ON DELETE CASCADE,
             key         text NOT NULL,
             record      text NOT NULL,
             PRIMARY KEY (namespace, key)
         );",
    ),
];

/// The newest schema version this build knows.
pub(super) fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Brings the tables up to [`latest`]; a no-op when they are current.
pub(super) async fn migrate(client: &mut Client) -> Result<(), PostgresError> {
    let failed = |e: tokio_postgres::Error| PostgresError::Migrate(super::message(&e));
    let tx = client.transaction().await.map_err(failed)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(failed)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS provision_migrations (
            version     integer PRIMARY KEY,
            name        text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(failed)?;
    let applied = tx
        .query("SELECT version FROM provision_migrations", &[])
        .await
        .map_err(failed)?
        .iter()
        .map(|row| row.try_get::<_, i32>(0))
        .collect::<Result<Vec<i32>, _>>()
        .map_err(failed)?;
    if let Some(newer) = applied.iter().copied().filter(|v| *v > latest()).max() {
        return Err(PostgresError::Newer {
            found: newer,
            known: latest(),
        });
    }
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        tx.batch_execute(sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO provision_migrations (version, name) VALUES ($1, $2)",
            &[version, name],
        )
        .await
        .map_err(failed)?;
        tracing::info!("state database migrated to version {version}: {name}");
    }
    tx.commit().await.map_err(failed)
}
