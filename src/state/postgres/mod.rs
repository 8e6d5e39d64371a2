//! State in a shared PostgreSQL database: rows per namespace instead of a
//! file, each `record` one transaction, and a per-namespace advisory lock the
//! server frees when a run dies. The trait is sync (it is called before and
//! outside the apply runtime), so the backend drives tokio-postgres on a
//! small runtime of its own.

mod batch;
mod lock;
mod rows;
mod schema;
mod url;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use batch::Session;

use super::{Change, LockInfo, State, StateBackend, StateError, StateLock};
pub use lock::key as lock_key;
pub use url::StateUrl;

/// The namespace used when none is configured.
pub const DEFAULT_NAMESPACE: &str = "default";

/// What went wrong talking to the state database. Never holds the password.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    #[error("invalid state URL: {0}")]
    Url(String),
    #[error("invalid state namespace `{0}`: expected 1 to 200 characters, no control characters")]
    Namespace(String),
    #[error("cannot connect to the state database `{url}`: {message}")]
    Connect { url: String, message: String },
    #[error("cannot create or upgrade the state tables: {0}")]
    Migrate(String),
    #[error(
        "the state tables are at version {found}; this provision knows up to version {known}: upgrade provision"
    )]
    Newer { found: i32, known: i32 },
    #[error("state query failed: {0}")]
    Query(String),
    #[error(
        "state has format version {found}; this provision reads versions {} to {}: upgrade provision",
        super::OLDEST_READABLE,
        super::FORMAT_VERSION
    )]
    Version { found: i32 },
    #[error(
        "state changed underneath this run (expected serial {expected}, found {found}): another run wrote without the lock"
    )]
    Moved { expected: u64, found: u64 },
    #[error("{0}")]
    LockLost(String),
    #[error("the state database did not answer within {}s ({what}); its connection is dropped", .after.as_secs())]
    Timeout { what: &'static str, after: Duration },
    #[error("the target namespace already holds {entries} entries: refusing to overwrite it")]
    NotEmpty { entries: usize },
    #[error("the state backend's runtime stopped: {0}")]
    Runtime(String),
}

/// tokio-postgres errors with the server's message and detail when there is one.
fn message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

/// A runtime of the backend's own: its futures run there whatever thread
/// (or runtime) the caller is on, and the caller waits on a std channel.
pub struct Executor {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Executor {
    fn new() -> Result<Self, PostgresError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("provision-state")
            .enable_all()
            .build()
            .map_err(|e| PostgresError::Runtime(e.to_string()))?;
        Ok(Executor {
            runtime: Some(runtime),
        })
    }

    fn run_for<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
        wait: Duration,
    ) -> Result<T, PostgresError> {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| PostgresError::Runtime("shut down".into()))?;
        let (tx, rx) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            let _ = tx.send(work.await);
        });
        rx.recv_timeout(wait)
            .map_err(|e| PostgresError::Runtime(e.to_string()))
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // Never blocks, so it is safe from inside another runtime too.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// State rows of one namespace in a PostgreSQL database.
pub struct PostgresBackend {
    url: Arc<StateUrl>,
    namespace: String,
    executor: Arc<Executor>,
    /// The connection for reads and writes, opened (the tables migrated
    /// and the write statements prepared) on first use.
    client: Arc<tokio::sync::Mutex<Option<Session>>>,
    /// The generation of the lock this backend holds: every write is fenced
    /// by it.
    fence: Arc<std::sync::Mutex<Option<i64>>>,
    describe: String,
}

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl PostgresBackend {
    /// Checks the URL and namespace; connects only when first used.
    pub fn new(url: &str, namespace: &str) -> Result<Self, PostgresError> {
        if namespace.is_empty()
            || namespace.chars().count() > 200
            || namespace.chars().any(char::is_control)
        {
            return Err(PostgresError::Namespace(
                namespace.escape_debug().to_string(),
            ));
        }
        let url = StateUrl::parse(url)?;
        let describe = format!("postgres `{}` namespace `{namespace}`", url.redacted());
        Ok(PostgresBackend {
            url: Arc::new(url),
            namespace: namespace.to_owned(),
            executor: Arc::new(Executor::new()?),
            client: Arc::new(tokio::sync::Mutex::new(None)),
            fence: Arc::default(),
            describe,
        })
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Runs `work` with the shared connection, (re)opening it when needed.
    fn with_client<T, F>(&self, work: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(
                &'c mut Session,
                String,
            ) -> futures_box::BoxFuture<'c, Result<T, PostgresError>>
            + Send
            + 'static,
    {
        let url = Arc::clone(&self.url);
        let slot = Arc::clone(&self.client);
        let namespace = self.namespace.clone();
        let query = url.query_timeout();
        let outcome = self.executor.run_for(
            async move {
                let mut guard = slot.lock().await;
                if guard.as_ref().is_none_or(|s| s.client.is_closed()) {
                    // A fresh connection first: `connect` has its own deadline.
                    *guard = None;
                    let mut client = url.connect().await?;
                    bounded(query, "creating or upgrading the state tables", async {
                        schema::migrate(&mut client).await
                    })
                    .await?;
                    let session = bounded(query, "preparing the state statements", async {
                        Session::open(client).await
                    })
                    .await?;
                    *guard = Some(session);
                }
                let result = match guard.as_mut() {
                    Some(client) => bounded(query, "a state query", work(client, namespace)).await,
                    None => Err(PostgresError::Runtime("no connection".into())),
                };
                if matches!(result, Err(PostgresError::Timeout { .. })) {
                    // It may be half way through a query: never reuse it.
                    *guard = None;
                }
                result
            },
            url_deadline(&self.url),
        );
        outcome.and_then(|r| r).map_err(|e| self.state_error(e))
    }

    /// The trait's error for a backend error: a lost lock and a moved
    /// serial keep their meaning.
    fn state_error(&self, e: PostgresError) -> StateError {
        match e {
            PostgresError::LockLost(why) => StateError::LockLost {
                state: self.describe.clone(),
                why,
            },
            PostgresError::Moved { expected, found } => StateError::Moved {
                state: self.describe.clone(),
                expected,
                found,
            },
            other => StateError::Backend(other.to_string()),
        }
    }

    /// Writes a whole state into this (empty) namespace, lineage and serial
    /// kept: `state migrate`.
    pub fn replace(&self, state: &State) -> Result<(), StateError> {
        let state = state.clone();
        self.with_client(move |session, namespace| {
            Box::pin(async move { rows::replace(session, &namespace, &state).await })
        })
    }
}

/// `work`, or a timeout error once `after` has passed.
async fn bounded<T>(
    after: Duration,
    what: &'static str,
    work: impl Future<Output = Result<T, PostgresError>>,
) -> Result<T, PostgresError> {
    match tokio::time::timeout(after, work).await {
        Ok(result) => result,
        Err(_) => Err(PostgresError::Timeout { what, after }),
    }
}

/// The longest one call into the backend can take: a connect, a migration
/// and a query, each with its own deadline, plus a margin. A last resort:
/// the deadlines inside end the work first.
fn url_deadline(url: &StateUrl) -> Duration {
    url.connect_timeout() + url.query_timeout() * 2 + Duration::from_secs(5)
}

/// Boxed futures borrowing the connection, for [`PostgresBackend::with_client`].
mod futures_box {
    pub(super) type BoxFuture<'a, T> =
        std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}

impl StateBackend for PostgresBackend {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn load_unchecked(&self) -> Result<State, StateError> {
        self.with_client(|session, namespace| {
            Box::pin(async move { rows::load(&session.client, &namespace).await })
        })
    }

    fn lock(&self, command: &str, timeout: Duration) -> Result<StateLock, StateError> {
        // Creates the tables before the lock's own connection reads them.
        self.with_client(|_, _| Box::pin(async { Ok(()) }))?;
        let url = Arc::clone(&self.url);
        let namespace = self.namespace.clone();
        let me = LockInfo::current(command);
        let query = url.query_timeout();
        let deadline = url_deadline(&url).saturating_add(timeout);
        let outcome = self.executor.run_for(
            async move {
                let client = url.connect().await?;
                let waited = query.saturating_add(timeout);
                match bounded(waited, "taking the state lock", async {
                    lock::acquire(&client, &namespace, timeout).await
                })
                .await?
                {
                    Ok(()) => {
                        let (generation, stale) =
                            bounded(query, "claiming the state lock", async {
                                lock::claim(&client, &namespace, &me).await
                            })
                            .await?;
                        Ok(Ok((client, generation, stale)))
                    }
                    Err(holder) => Ok(Err(holder)),
                }
            },
            deadline,
        );
        let (client, generation, stale) = match outcome.and_then(|r| r) {
            Ok(Ok(held)) => held,
            Ok(Err(holder)) => return Err(StateError::Locked(holder)),
            Err(e) => return Err(self.state_error(e)),
        };
        if let Ok(mut fence) = self.fence.lock() {
            *fence = Some(generation);
        }
        if let Some(stale) = stale {
            tracing::warn!(
                "a previous run {stale} ended without releasing the state lock; the server released it"
            );
        }
        Ok(StateLock::new(lock::PgLock {
            client: Some(client),
            executor: Arc::clone(&self.executor),
            namespace: self.namespace.clone(),
            fence: Arc::clone(&self.fence),
            generation,
        }))
    }

    fn record(&self, state: &mut State, changes: &[Change]) -> Result<(), StateError> {
        let before = state.serial;
        let fence = self.fence.lock().ok().and_then(|f| *f);
        let undo = state.apply_undoable(changes)?;
        let head = rows::Head {
            before,
            serial: state.serial,
            lineage: state.lineage.clone(),
            environment: state.environment.clone(),
            fence,
        };
        let rows = batch::Rows::touched(state, changes);
        let written = self.with_client(move |session, namespace| {
            Box::pin(async move { rows::write(session, &namespace, &head, &rows).await })
        });
        if written.is_err() {
            undo.revert(state);
        }
        written
    }

    fn unlock(&self) -> Result<Option<LockInfo>, StateError> {
        self.with_client(|_, _| Box::pin(async { Ok(()) }))?;
        let url = Arc::clone(&self.url);
        let namespace = self.namespace.clone();
        let query = url.query_timeout();
        let deadline = url_deadline(&url);
        let outcome = self.executor.run_for(
            async move {
                let client = url.connect().await?;
                bounded(query, "state unlock", async {
                    match lock::acquire(&client, &namespace, Duration::ZERO).await? {
                        // Our connection ends right after: the lock goes with it.
                        Ok(()) => Ok(Ok(lock::clear(&client, &namespace).await?)),
                        Err(holder) => Ok(Err(holder)),
                    }
                })
                .await
            },
            deadline,
        );
        match outcome.and_then(|r| r) {
            Ok(Ok(stale)) => Ok(stale),
            Ok(Err(holder)) => Err(StateError::Locked(holder)),
            Err(e) => Err(self.state_error(e)),
        }
    }
}
