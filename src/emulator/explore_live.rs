//! `--explore live`: explore and test answered by the real PostgreSQL server
//! a base connection describes, with the credentials it was created with.
//! The password is kept in memory only (never in `--data` files or exchange
//! logs) and no message built here contains a connection parameter.

use std::time::Duration;

use axum::response::Response;
use tokio_postgres::config::SslMode;

use super::fixtures::{FixtureColumn, FixtureTable};
use super::gateway::Caller;
use super::{Shared, lock, problem};
use crate::secret::Secret;
use crate::tls::{Connectors, Verification};

/// How long one explore may take against the server.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Most tables or columns one answer lists.
const MAX_ROWS: usize = 10_000;

/// Where and how to connect.
pub(crate) struct LiveTarget {
    host: String,
    port: u16,
    database: String,
    user: String,
    password: Secret,
    tls: bool,
}

/// The target of base connection `id`, from its stored parameters and its
/// password kept in memory.
pub(crate) fn target(shared: &Shared, caller: &Caller, id: &str) -> Result<LiveTarget, Response> {
    let no_secret = || {
        problem::bad_request(
            "the emulator does not hold this connection's password (it keeps passwords in memory only, for connections created or patched since it started with `--explore live`)",
        )
    };
    let secret = lock(&shared.secrets)
        .get(id)
        .cloned()
        .ok_or_else(no_secret)?;
    let mut store = lock(&shared.store);
    let item = store
        .get(&caller.org, &caller.sandbox, id)
        .ok_or_else(|| problem::not_found(id))?;
    let params = item
        .auth
        .as_ref()
        .map(|a| a.params.clone())
        .unwrap_or_default();
    let text = |key: &str| {
        params
            .get(key)
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| Some(v.to_string()))
            })
            .unwrap_or_default()
    };
    if params.contains_key("connectionString") {
        let raw = secret.expose().to_owned();
        let parsed = crate::connection_string::parse(&raw);
        let get = |key: &str| {
            parsed
                .get(key)
                .map(|(_, v)| v.to_owned())
                .unwrap_or_default()
        };
        return Ok(LiveTarget {
            host: get("Server"),
            port: get("Port").parse().unwrap_or(5432),
            database: get("Database"),
            user: get("UID"),
            password: Secret::new(get("Password")),
            tls: !matches!(get("EncryptionMethod").as_str(), "" | "0"),
        });
    }
    let ssl = text("sslMode");
    Ok(LiveTarget {
        host: text("server"),
        port: text("port").parse().unwrap_or(5432),
        database: text("database"),
        user: text("username"),
        password: secret,
        tls: !matches!(ssl.as_str(), "" | "Disable" | "false"),
    })
}

/// An explore the server did not answer: 400 with the reason (no parameters).
pub(crate) fn unreachable(why: &str) -> Response {
    problem::bad_request(&format!("the source server did not answer explore: {why}"))
}

async fn connect(target: &LiveTarget) -> Result<tokio_postgres::Client, String> {
    let mut config = tokio_postgres::Config::new();
    config
        .host(&target.host)
        .port(target.port)
        .dbname(&target.database)
        .user(&target.user)
        .password(target.password.expose())
        .application_name("provision emulator explore")
        .connect_timeout(TIMEOUT)
        .ssl_mode(if target.tls {
            SslMode::Prefer
        } else {
            SslMode::Disable
        });
    let connectors = Connectors::new(None).map_err(|e| e.to_string())?;
    let tls = connectors.for_verification(Verification::None);
    let (client, connection) = tokio::time::timeout(TIMEOUT, config.connect(tls))
        .await
        .map_err(|_| "no answer within 10 s".to_owned())?
        .map_err(|e| describe(&e))?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::debug!(error = %describe(&err), "explore connection ended");
        }
    });
    Ok(client)
}

/// A driver error as text without parameters: the server's own message and
/// SQLSTATE, or the kind of I/O failure.
fn describe(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return format!("cannot connect: {}", io.kind());
        }
        source = cause.source();
    }
    "cannot connect".into()
}

/// The server's tables and views, as `schema.table` paths.
pub(crate) async fn tables(target: &LiveTarget) -> Result<Vec<FixtureTable>, String> {
    let client = connect(target).await?;
    let rows = tokio::time::timeout(
        TIMEOUT,
        client.query(
            "SELECT table_schema::text, table_name::text FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
             ORDER BY 1, 2",
            &[],
        ),
    )
    .await
    .map_err(|_| "no answer within 10 s".to_owned())?
    .map_err(|e| describe(&e))?;
    Ok(rows
        .iter()
        .take(MAX_ROWS)
        .map(|row| {
            let schema: String = row.get(0);
            let table: String = row.get(1);
            FixtureTable {
                path: format!("{schema}.{table}"),
                name: Some(table),
                columns: Vec::new(),
            }
        })
        .collect())
}

/// The columns of table `path` (`schema.table`, or `table` in `public`);
/// `None` when there is no such table.
pub(crate) async fn columns(
    target: &LiveTarget,
    path: &str,
) -> Result<Option<FixtureTable>, String> {
    let (schema, table) = path.split_once('.').unwrap_or(("public", path));
    let client = connect(target).await?;
    let rows = tokio::time::timeout(
        TIMEOUT,
        client.query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
            &[&schema, &table],
        ),
    )
    .await
    .map_err(|_| "no answer within 10 s".to_owned())?
    .map_err(|e| describe(&e))?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(FixtureTable {
        path: path.to_owned(),
        name: Some(table.to_owned()),
        columns: rows
            .iter()
            .take(MAX_ROWS)
            .map(|row| FixtureColumn {
                name: row.get(0),
                pg_type: row.get(1),
            })
            .collect(),
    }))
}
