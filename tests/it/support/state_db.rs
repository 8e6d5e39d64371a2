//! The PostgreSQL server the state-backend tests share: one throwaway
//! server per test binary, a login role owning the state database, unique
//! namespaces, and superuser SQL for looking at the state tables.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::postgres::{self, Options, PgServer};

/// The state database's password; must never be printed or stored either.
pub const STATE_CANARY: &str = "state-Canary-Pw-8e2d";
pub const STATE_USER: &str = "provision_state";
pub const STATE_DB: &str = "provision_state";

/// The PostgreSQL server shared by every test of this binary, with a login
/// role (password [`STATE_CANARY`]) owning the state database.
pub fn state_server() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    postgres::shared(&SERVER, || {
        let pg = postgres::start(Options::default())?;
        pg.create_login(STATE_USER, STATE_CANARY, STATE_DB)?;
        Ok(pg)
    })
}

/// The URL `provision` is given for the shared state database.
pub fn state_url(pg: &PgServer) -> String {
    pg.url(STATE_USER, STATE_CANARY, STATE_DB)
}

/// A namespace no other test uses.
pub fn fresh_namespace(label: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{label}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs SQL as the superuser on the state database; every row's text values
/// joined by tabs (the simple query protocol returns all types as text).
pub fn state_sql(pg: &PgServer, sql: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = pg
            .superuser_config(STATE_DB)
            .connect(tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut rows = Vec::new();
        for message in client.simple_query(sql).await.unwrap() {
            if let tokio_postgres::SimpleQueryMessage::Row(row) = message {
                let values: Vec<&str> = (0..row.len())
                    .map(|i| row.get(i).unwrap_or("NULL"))
                    .collect();
                rows.push(values.join("\t"));
            }
        }
        rows
    })
}
