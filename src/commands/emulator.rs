//! `provision emulator`: start the emulator, print its base URL as the first
//! stdout line, serve until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::config::Cloud;
use crate::emulator::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DatasetSeed, Emulator, EmulatorConfig, ExploreSource,
    FixtureError, Fixtures, MAX_TOKEN_TTL,
};
use crate::secret::Secret;

use crate::error::{Error, Result, Status};
use crate::output;

/// Run the local Flow Service + IMS emulator (tests, demos, pipeline rehearsals).
#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Port on 127.0.0.1; 0 picks a free one. The base URL is printed as the first stdout line.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The only OAuth client the emulated IMS issues tokens to.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// That client's secret.
    #[arg(long, default_value = DEFAULT_CLIENT_SECRET)]
    pub client_secret: String,
    /// Lifetime of issued access tokens, in seconds (1 to 315360000, ten years).
    #[arg(long, value_name = "SECONDS", default_value_t = 86399,
          value_parser = clap::value_parser!(u64).range(1..=MAX_TOKEN_TTL.as_secs()))]
    pub token_ttl: u64,
    /// A known org and its cloud, `ID=azure|aws` (repeatable). Without any,
    /// every org is accepted with both clouds' auth forms.
    #[arg(long = "org", value_name = "ID=CLOUD", value_parser = parse_org)]
    pub orgs: Vec<(String, Cloud)>,
    /// A known sandbox (repeatable). Without any, every sandbox name exists.
    #[arg(long = "sandbox", value_name = "NAME")]
    pub sandboxes: Vec<String>,
    /// Delay added to every Flow Service answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction (0 to 1) of Flow Service requests answered 500/502/503/504 without effect.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0, value_parser = parse_fraction)]
    pub fail_rate: f64,
    /// Flow Service requests per second; above it, 429 `429050` with `Retry-After`.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Fraction (0 to 1) of creates committed and then left unanswered (socket closed).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0, value_parser = parse_fraction)]
    pub drop_after_commit_rate: f64,
    /// Seed for the fault dice, so a run's faults repeat.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// JSON file that keeps connections across restarts (written atomically).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Milliseconds a create takes to commit; the answer follows the commit,
    /// which happens even when the client stopped waiting.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub commit_delay_ms: u64,
    /// Milliseconds a new connection stays out of listings after its commit.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub list_lag_ms: u64,
    /// Milliseconds a deleted connection stays listed with `state: deleting`.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub delete_linger_ms: u64,
    /// Connections whose name starts with PREFIX answer PATCH with
    /// `1445-400` (PATCH not enabled); repeatable.
    #[arg(long, value_name = "PREFIX")]
    pub not_patchable: Vec<String>,
    /// Connections whose name starts with PREFIX are used by a dataflow:
    /// DELETE answers `1418-400`; repeatable.
    #[arg(long, value_name = "PREFIX")]
    pub in_use: Vec<String>,
    /// A scope the client's credential has (repeatable); a token request
    /// for any other gets `invalid_scope`. Without any, every scope is granted.
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Append every Flow Service exchange (secrets masked) to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    pub exchange_log: Option<PathBuf>,
    /// A dataset Catalog serves in every org and sandbox, `NAME=SCHEMA_ID`
    /// (repeatable; the emulator assigns its id).
    #[arg(long = "dataset", value_name = "NAME=SCHEMA_ID", value_parser = parse_dataset)]
    pub datasets: Vec<DatasetSeed>,
    /// What explore and test answer from: `live` (the PostgreSQL server each
    /// base connection describes) or a fixture FILE's `explore.tables`.
    #[arg(long, value_name = "live|FILE")]
    pub explore: Option<String>,
    /// A fixture file seeding datasets and explore tables in one place
    /// (default: `emulator.yaml` in the current folder, when there is one).
    #[arg(long, value_name = "FILE")]
    pub fixtures: Option<PathBuf>,
}

impl EmulatorArgs {
    fn to_config(&self) -> EmulatorConfig {
        EmulatorConfig {
            port: self.port,
            client_id: self.client_id.clone(),
            client_secret: Secret::new(self.client_secret.clone()),
            token_ttl: Duration::from_secs(self.token_ttl.clamp(1, MAX_TOKEN_TTL.as_secs())),
            orgs: self.orgs.clone(),
            sandboxes: self.sandboxes.clone(),
            latency: Duration::from_millis(self.latency_ms),
            fail_rate: self.fail_rate,
            rate_limit: self.rate_limit,
            drop_after_commit_rate: self.drop_after_commit_rate,
            seed: self.seed,
            data: self.data.clone(),
            commit_delay: Duration::from_millis(self.commit_delay_ms),
            list_lag: Duration::from_millis(self.list_lag_ms),
            delete_linger: Duration::from_millis(self.delete_linger_ms),
            not_patchable: self.not_patchable.clone(),
            ignore_rename: Vec::new(),
            in_use: self.in_use.clone(),
            scopes: self.scopes.clone(),
            record_exchanges: false,
            exchange_log: self.exchange_log.clone(),
            datasets: self.datasets.clone(),
            explore: ExploreSource::None,
        }
    }

    /// [`Self::to_config`] plus `--fixtures` and `--explore`, which read files.
    fn to_config_with_fixtures(&self) -> std::result::Result<EmulatorConfig, FixtureError> {
        let mut config = self.to_config();
        let fixtures = match &self.fixtures {
            Some(path) => Some(Fixtures::load(path)?),
            None => Fixtures::for_project(std::path::Path::new("."))?,
        };
        if let Some(fixtures) = &fixtures {
            config = config.with_fixtures(fixtures);
        }
        match self.explore.as_deref() {
            None => {}
            Some("live") => config.explore = ExploreSource::Live,
            Some(file) => {
                let fixtures = Fixtures::load(std::path::Path::new(file))?;
                let tables = fixtures.explore.map(|e| e.tables).unwrap_or_default();
                config.explore = ExploreSource::Tables(tables);
            }
        }
        Ok(config)
    }
}

fn parse_dataset(text: &str) -> std::result::Result<DatasetSeed, String> {
    match text.split_once('=') {
        Some((name, schema)) if !name.trim().is_empty() && !schema.trim().is_empty() => {
            Ok(DatasetSeed {
                name: name.trim().to_owned(),
                schema_id: schema.trim().to_owned(),
            })
        }
        _ => Err(format!("`{text}` is not valid: expected `NAME=SCHEMA_ID`")),
    }
}

pub(super) fn run(args: &EmulatorArgs) -> Result<Status> {
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let config = args
            .to_config_with_fixtures()
            .map_err(|err| Error::Failed(err.to_string()))?;
        let emulator = Emulator::start(config)
            .await
            .map_err(|err| Error::Failed(err.to_string()))?;
        output::result_line(&emulator.url());
        stop_signal().await;
        tracing::info!("emulator shutting down");
        emulator.shutdown().await;
        Ok(Status::Success)
    })
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn parse_org(text: &str) -> Result<(String, Cloud), String> {
    let (id, cloud) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not `ID=azure|aws`"))?;
    let cloud: Cloud = cloud.trim().parse()?;
    if id.trim().is_empty() {
        return Err(format!("`{text}` has no org id: expected `ID=azure|aws`"));
    }
    Ok((id.trim().to_owned(), cloud))
}

fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!(
            "`{text}` is not valid: expected a fraction from 0 to 1"
        )),
    }
}
