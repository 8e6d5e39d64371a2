//! A local Flow Service + IMS emulator (with the Data Prep and Catalog
//! routes the ingestion path needs): the same wire types as the client, an
//! in-memory store per (org, sandbox), and fault injection, so tests and
//! pipeline rehearsals exercise the real client without the platform.

// Handlers return early with a ready `Response` as the error; boxing each
// one would add noise to every check for no gain in a test server.
#![allow(clippy::result_large_err)]

mod body_rules;
mod catalog;
mod collections;
mod connections;
mod exchange;
mod explore;
mod explore_live;
mod fixtures;
mod flow_specs;
mod flows;
mod gateway;
mod json_patch;
mod listing;
mod mapping_rules;
mod mapping_sets;
mod objects;
mod problem;
mod routes;
mod runs;
mod severed;
mod source_connections;
mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Cloud;
use crate::secret::Secret;
pub use catalog::DatasetSeed;
pub use exchange::Exchange;
pub use explore::ExploreSource;
pub use fixtures::{
    FixtureColumn, FixtureDataset, FixtureError, FixtureExplore, FixtureTable, Fixtures,
    PROJECT_FIXTURES,
};

/// How the emulator behaves. `Default` is a fault-free emulator for the
/// default client, every org and sandbox accepted, on a free port.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// 0 picks a free port.
    pub port: u16,
    /// The only client IMS issues tokens to (also the expected `x-api-key`).
    pub client_id: String,
    pub client_secret: Secret,
    /// Lifetime of issued tokens (`expires_in`, whole seconds on the wire).
    pub token_ttl: Duration,
    /// Known orgs and their clouds; empty accepts every org and both auth forms.
    pub orgs: Vec<(String, Cloud)>,
    /// Known sandboxes; empty accepts any name.
    pub sandboxes: Vec<String>,
    /// Added before answering each Flow Service request.
    pub latency: Duration,
    /// Fraction of Flow Service requests answered 5xx without effect.
    pub fail_rate: f64,
    /// Flow Service requests per second before 429 + `Retry-After`.
    pub rate_limit: Option<u32>,
    /// Fraction of creates committed and then left unanswered (socket closed).
    pub drop_after_commit_rate: f64,
    /// Seed for the fault dice, so runs repeat.
    pub seed: u64,
    /// File to keep connections in across restarts.
    pub data: Option<PathBuf>,
    /// How long a create takes to commit; the answer comes after the commit,
    /// and the commit happens even when the client gave up waiting.
    pub commit_delay: Duration,
    /// How long a new connection stays out of listings after its commit
    /// (reads by id see it at once), as an eventually consistent index would.
    pub list_lag: Duration,
    /// How long a deleted connection stays listed with `state: deleting`
    /// (reads by id answer 404 at once).
    pub delete_linger: Duration,
    /// Name prefixes of connections the service refuses to PATCH (`1445-400`).
    pub not_patchable: Vec<String>,
    /// Name prefixes of connections whose `replace /name` is answered as a
    /// success but not applied (a service that ignores renames).
    pub ignore_rename: Vec<String>,
    /// Name prefixes of connections a flow uses: DELETE answers `1418-400`.
    pub in_use: Vec<String>,
    /// The scopes the client's credential has; a token request asking for
    /// another gets `invalid_scope`. Empty: any scope.
    pub scopes: Vec<String>,
    /// Keep every Flow Service exchange (request and answer, secrets
    /// masked) for [`Emulator::exchanges`].
    pub record_exchanges: bool,
    /// Also append each exchange as one JSON line to this file.
    pub exchange_log: Option<PathBuf>,
    /// Datasets Catalog serves, the same in every org and sandbox.
    pub datasets: Vec<DatasetSeed>,
    /// Where `/connections/{id}/explore` and `/test` answer from.
    pub explore: ExploreSource,
}

impl EmulatorConfig {
    /// The emulator of an in-process `--emulator` run: data kept in `data`,
    /// seeded by the project's committed `emulator.yaml` (in the current
    /// folder) when there is one.
    pub fn in_process(data: PathBuf) -> Result<EmulatorConfig, FixtureError> {
        let config = EmulatorConfig {
            data: Some(data),
            ..EmulatorConfig::default()
        };
        Ok(match Fixtures::for_project(std::path::Path::new("."))? {
            Some(fixtures) => config.with_fixtures(&fixtures),
            None => config,
        })
    }

    /// Adds a fixture file's datasets and, when it has `explore`, its tables.
    pub fn with_fixtures(mut self, fixtures: &Fixtures) -> Self {
        self.datasets.extend(fixtures.dataset_seeds());
        if let Some(explore) = &fixtures.explore {
            self.explore = ExploreSource::Tables(explore.tables.clone());
        }
        self
    }
}

pub const DEFAULT_CLIENT_ID: &str = "provision-local";
pub const DEFAULT_CLIENT_SECRET: &str = "provision-local-secret";

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: Secret::new(DEFAULT_CLIENT_SECRET),
            token_ttl: Duration::from_secs(86399),
            orgs: Vec::new(),
            sandboxes: Vec::new(),
            latency: Duration::ZERO,
            fail_rate: 0.0,
            rate_limit: None,
            drop_after_commit_rate: 0.0,
            seed: 0,
            data: None,
            commit_delay: Duration::ZERO,
            list_lag: Duration::ZERO,
            delete_linger: Duration::ZERO,
            not_patchable: Vec::new(),
            ignore_rename: Vec::new(),
            in_use: Vec::new(),
            scopes: Vec::new(),
            record_exchanges: false,
            exchange_log: None,
            datasets: Vec::new(),
            explore: ExploreSource::None,
        }
    }
}

/// The longest token lifetime the emulator keeps (any longer one is this).
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// One request as the emulator saw it: when it arrived (server clock), what, and the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub received: Instant,
    pub method: String,
    pub path: String,
    /// The answer's status; for a dropped answer, the 201 that never went
    /// out; 0 while it is being answered, or when the client went away first.
    pub status: u16,
}

/// State shared by all handlers.
pub(crate) struct Shared {
    pub config: EmulatorConfig,
    /// Issued tokens: token -> (client id, expiry).
    pub tokens: Mutex<HashMap<String, (String, Instant)>>,
    pub store: Mutex<store::Store>,
    pub dice: Mutex<StdRng>,
    pub bucket: Mutex<gateway::Bucket>,
    pub log: Mutex<Vec<RequestRecord>>,
    /// Opaque continuation tokens handed out -> the offset they continue at.
    pub pages: Mutex<HashMap<String, listing::Page>>,
    pub exchanges: Mutex<exchange::Journal>,
    /// Source and target connections, flows, runs and mapping sets.
    pub objects: Mutex<objects::Objects>,
    pub runs: Mutex<runs::RunBook>,
    /// Base connection id -> its password or connection string, for
    /// `--explore live` only; in memory, never saved or logged.
    pub secrets: Mutex<HashMap<String, Secret>>,
    /// The seeded datasets with their ids.
    pub catalog: Vec<(String, crate::api::ingestion::DataSet)>,
}

/// A `Mutex` lock that survives a panicked holder (the data stays usable).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Errors starting the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot listen on `127.0.0.1:{port}`: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("cannot read the data file `{path}`: {source}")]
    Data {
        path: String,
        source: std::io::Error,
    },
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds `127.0.0.1:{port}` and serves until `shutdown` or drop.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let mut store =
            store::Store::open(config.data.as_deref()).map_err(|source| EmulatorError::Data {
                path: config
                    .data
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                source,
            })?;
        let port = config.port;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| EmulatorError::Bind { port, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind { port, source })?;
        let config_datasets = config.datasets.clone();
        let saved_objects = store.take_ingestion();
        let shared = Arc::new(Shared {
            dice: Mutex::new(StdRng::seed_from_u64(config.seed)),
            bucket: Mutex::new(gateway::Bucket::new(config.rate_limit)),
            config,
            tokens: Mutex::new(HashMap::new()),
            store: Mutex::new(store),
            log: Mutex::new(Vec::new()),
            pages: Mutex::new(HashMap::new()),
            exchanges: Mutex::new(exchange::Journal::default()),
            objects: Mutex::new(objects::Objects::restore(saved_objects)),
            runs: Mutex::new(runs::RunBook::default()),
            secrets: Mutex::new(HashMap::new()),
            catalog: catalog::build(&config_datasets),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let app = routes::router(shared.clone());
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(err) = served.await {
                tracing::error!(error = %err, "emulator server stopped");
            }
        });
        tracing::info!(%addr, "emulator listening");
        Ok(Emulator {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`: both the Flow Service
    /// endpoint and the IMS host.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in arrival order, with server-side times.
    pub fn requests(&self) -> Vec<RequestRecord> {
        let mut log = lock(&self.shared.log).clone();
        log.sort_by_key(|r| r.received);
        log
    }

    /// Every Flow Service exchange so far (with `record_exchanges`).
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.shared.exchanges).kept.clone()
    }

    /// Invalidates every issued token (the next call gets `401013`).
    pub fn revoke_tokens(&self) {
        lock(&self.shared.tokens).clear();
    }

    /// Stops accepting, finishes requests in flight, returns when done.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
