//! A run's inputs, put together once for plan, apply and state commands:
//! the validated config, the desired connections with secrets resolved, the
//! state backend, and how to reach the Flow Service (the platform, or an
//! in-process emulator for `--emulator` rehearsals).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::api::wire::ConnectionItem;
use crate::api::{ClientConfig, Credentials, FlowService, FlowServiceClient, ListQuery, Scope};
use crate::config::interpolate;
use crate::config::{Cloud, Settings, StateBackendKind, StateSettings};
use crate::desired::{self, Desired, DesiredError, Environment};
use crate::diagnostic::Diagnostic;
use crate::emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator, EmulatorConfig};
use crate::error::Error;
use crate::plan::{RemoteView, scopes_to_read};
use crate::secret::Secret;
use crate::state::postgres::DEFAULT_NAMESPACE;
use crate::state::{FileBackend, PostgresBackend, State, StateBackend};
use crate::validate::{self, Options, Report};

/// Where `--emulator` keeps its data and state.
pub(crate) const EMULATOR_DATA: &str = ".provision/emulator.json";
pub(crate) const EMULATOR_STATE: &str = ".provision/emulator-state.json";
pub(crate) const DEFAULT_STATE: &str = ".provision/state.json";
/// The environment variable read for the PostgreSQL state URL.
pub(crate) const STATE_URL_VAR: &str = "PROVISION_STATE_URL";
/// What unset variables become under `--emulator`.
pub(crate) const PLACEHOLDER: &str = "provision-emulator-placeholder";
/// The orgs `--emulator` uses when the settings name none.
pub(crate) const EMULATOR_ORGS: [(Cloud, &str); 2] = [
    (Cloud::Azure, "PROVISIONAZURE@AdobeOrg"),
    (Cloud::Aws, "PROVISIONAWS@AdobeOrg"),
];

/// What to read: connection files and the settings file.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConfigOptions {
    /// Files or folders of connection files.
    pub paths: Vec<PathBuf>,
    /// The settings file (read when it exists).
    pub settings: PathBuf,
    /// Plaintext secrets are warnings, not errors.
    pub allow_plaintext_secrets: bool,
}

/// Where to run and where state lives.
#[derive(Debug, Clone, Default)]
pub(crate) struct TargetOptions {
    /// A state file.
    pub state: Option<PathBuf>,
    /// A PostgreSQL state URL.
    pub state_url: Option<String>,
    /// The namespace in a PostgreSQL state.
    pub state_namespace: Option<String>,
    /// Flow Service host.
    pub endpoint: Option<String>,
    /// IMS host.
    pub ims: Option<String>,
    /// Run against an in-process emulator.
    pub emulator: bool,
}

/// The inputs of a run.
pub(crate) struct Workspace {
    pub settings: Settings,
    pub desired: Vec<Desired>,
    pub backend: Arc<dyn StateBackend>,
    /// Warnings to show before the plan (validation warnings included).
    pub warnings: Vec<String>,
    target: TargetOptions,
    env: Environment,
}

/// The environment as `${VAR}`s see it: under `--emulator` an unset
/// variable becomes a placeholder (and is noted in `missing`).
fn variables(
    env: &Environment,
    emulator: bool,
    missing: &Mutex<BTreeSet<String>>,
) -> impl Fn(&str) -> Option<String> + Sync {
    move |name: &str| match env.get(name) {
        Some(value) => Some(value),
        None if emulator => {
            if let Ok(mut missing) = missing.lock() {
                missing.insert(name.to_owned());
            }
            Some(PLACEHOLDER.to_owned())
        }
        None => None,
    }
}

/// Validates the paths and, when it exists, the settings file named by
/// the shared config flags (no network, no secrets).
pub(crate) fn validate_config(config: &ConfigOptions, diagnostics_only: bool) -> Report {
    let settings_file = config
        .settings
        .is_file()
        .then_some(config.settings.as_path());
    validate::validate_paths(
        &config.paths,
        settings_file,
        Options {
            allow_plaintext_secrets: config.allow_plaintext_secrets,
            diagnostics_only,
        },
    )
}

/// Validates the config for planning; errors stop the run.
pub(crate) fn validated(config: &ConfigOptions) -> Result<Report, Error> {
    let report = validate_config(config, false);
    if report.has_errors() {
        return Err(Error::InvalidConfig {
            diagnostics: report.diagnostics,
            sources: report.sources,
        });
    }
    Ok(report)
}

/// The state backend the flags and settings choose: `--state FILE` is a
/// file; `--state-url`, or settings `backend: postgres` (outside
/// `--emulator`), is PostgreSQL; otherwise the settings' or default file.
pub(crate) fn backend(
    target: &TargetOptions,
    settings: &Settings,
    env: &Environment,
) -> Result<Arc<dyn StateBackend>, Error> {
    let state = settings.state.clone().unwrap_or_default();
    let postgres = target.state.is_none()
        && (target.state_url.is_some()
            || (state.backend == Some(StateBackendKind::Postgres) && !target.emulator));
    if postgres {
        let url = state_url(target, &state, env)?;
        let namespace = namespace(target, settings, env)?;
        let backend =
            PostgresBackend::new(&url, &namespace).map_err(|e| Error::Setup(e.to_string()))?;
        return Ok(Arc::new(backend));
    }
    let path = match (&target.state, target.emulator, &state.path) {
        (Some(path), _, _) => path.clone(),
        (None, true, _) => PathBuf::from(EMULATOR_STATE),
        (None, false, Some(path)) => PathBuf::from(path),
        (None, false, None) => PathBuf::from(DEFAULT_STATE),
    };
    Ok(Arc::new(FileBackend::new(path)))
}

/// `--state-namespace`, else settings `state.namespace`, else `default`.
pub(crate) fn namespace(
    target: &TargetOptions,
    settings: &Settings,
    env: &Environment,
) -> Result<String, Error> {
    let setting = settings.state.as_ref().and_then(|s| s.namespace.as_ref());
    match (&target.state_namespace, setting) {
        (Some(flag), _) => Ok(flag.clone()),
        (None, Some(setting)) => resolve_setting(setting, "state.namespace", env),
        (None, None) => Ok(DEFAULT_NAMESPACE.to_owned()),
    }
}

/// `--state-url`, else settings `state.url` (its `${VAR}`s resolved), else
/// `PROVISION_STATE_URL`. Messages never quote the URL: it holds a password.
fn state_url(
    target: &TargetOptions,
    state: &StateSettings,
    env: &Environment,
) -> Result<String, Error> {
    if let Some(url) = &target.state_url {
        return Ok(url.clone());
    }
    if let Some(url) = &state.url {
        return resolve_setting(url, "state.url", env);
    }
    match env.get(STATE_URL_VAR) {
        Some(url) => Ok(url),
        None => Err(Error::Setup(format!(
            "state backend `postgres` needs a URL: set `state.url` in provision.yaml (e.g. `${{{STATE_URL_VAR}}}`), `--state-url`, or `{STATE_URL_VAR}`"
        ))),
    }
}

fn resolve_setting(value: &str, field: &str, env: &Environment) -> Result<String, Error> {
    interpolate::substitute(value, &|name| env.get(name)).map_err(|missing| {
        Error::Setup(format!(
            "`{field}` uses unset environment variable(s): {}",
            missing
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// Reads the settings file alone (for state commands that need no connections).
pub(crate) fn settings_only(path: &Path) -> Result<Settings, Error> {
    if !path.is_file() {
        return Ok(Settings::default());
    }
    let report = validate::validate_paths(&[], Some(path), Options::default());
    let errors: Vec<Diagnostic> = report
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == crate::diagnostic::Severity::Error && d.file == path)
        .collect();
    if errors.is_empty() {
        Ok(report.config.settings)
    } else {
        Err(Error::InvalidConfig {
            diagnostics: errors,
            sources: report.sources,
        })
    }
}

impl Workspace {
    /// Validates, resolves secrets and picks the backend. Nothing is sent.
    pub(crate) fn open(
        config: &ConfigOptions,
        target: TargetOptions,
        env: Environment,
    ) -> Result<Workspace, Error> {
        let report = validated(config)?;
        let mut warnings: Vec<String> = report
            .diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{}:{}:{}: {} [{}]",
                    d.file.display(),
                    d.line,
                    d.column,
                    d.message,
                    d.code.as_str()
                )
            })
            .collect();
        let settings = report.config.settings.clone();
        let missing = Mutex::new(BTreeSet::new());
        let lookup = variables(&env, target.emulator, &missing);
        let mut orgs = desired::orgs_from_settings(&settings, &lookup);
        if target.emulator {
            for (cloud, org) in EMULATOR_ORGS {
                orgs.entry(cloud).or_insert_with(|| org.to_owned());
            }
        }
        let state_key = env.get("PROVISION_STATE_KEY");
        let desired = desired::build(&report.config.connections, &orgs, &lookup, state_key.as_deref().map(str::as_bytes))
            .map_err(|err| match err {
                DesiredError::Diagnostics(diags) => {
                    let sources = crate::diagnostic::read_sources(&diags);
                    Error::InvalidConfig { diagnostics: diags, sources }
                }
                DesiredError::NoOrg(cloud) => Error::Setup(format!(
                    "no IMS org configured for cloud `{cloud}`: set `orgs.{cloud}.imsOrg` in provision.yaml"
                )),
            })?;
        if let Ok(missing) = missing.lock()
            && !missing.is_empty()
        {
            warnings.push(format!(
                "--emulator: {} variable(s) not set, filled with a placeholder: {}",
                missing.len(),
                missing
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        drop(lookup);
        let backend = backend(&target, &settings, &env)?;
        Ok(Workspace {
            settings,
            desired,
            backend,
            warnings,
            target,
            env,
        })
    }

    /// `PROVISION_CA_FILE`: a CA trusted besides the system's roots.
    pub(crate) fn ca_file(&self) -> Option<PathBuf> {
        self.env.get("PROVISION_CA_FILE").map(Into::into)
    }

    /// `--parallelism`, else the settings, else 8.
    pub(crate) fn parallelism(&self, flag: Option<usize>) -> usize {
        flag.or(self.settings.parallelism.map(usize::from))
            .unwrap_or(8)
            .max(1)
    }

    /// Connects to the Flow Service (starting the emulator for `--emulator`).
    pub(crate) async fn connect(&self) -> Result<Connected, Error> {
        connect(&self.target, &self.settings, &self.env).await
    }
}

/// A live connection to the Flow Service; keeps an in-process emulator up.
pub(crate) struct Connected {
    pub api: Arc<FlowServiceClient>,
    emulator: Option<Emulator>,
}

impl Connected {
    /// Stops the in-process emulator, if any (its data is already saved).
    pub(crate) async fn close(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }

    /// Lists the PostgreSQL connections of each scope, concurrently.
    pub(crate) async fn read_remote(
        &self,
        desired: &[Desired],
        state: &State,
        refresh: bool,
    ) -> Result<RemoteView, Error> {
        let mut tasks = tokio::task::JoinSet::new();
        for (org, sandbox) in scopes_to_read(desired, state, refresh) {
            let api = Arc::clone(&self.api);
            tasks.spawn(async move {
                let scope = Scope::new(org, sandbox);
                let items: Result<Vec<ConnectionItem>, _> = api
                    .list(&scope, &ListQuery::new().postgres().page_size(1000))
                    .await;
                (scope, items)
            });
        }
        let mut view = HashMap::new();
        while let Some(joined) = tasks.join_next().await {
            let (scope, items) =
                joined.map_err(|e| Error::Failed(format!("internal error: {e}")))?;
            let items = items.map_err(Error::api(format!(
                "cannot list connections in sandbox `{}`",
                scope.sandbox
            )))?;
            view.insert(scope, items);
        }
        Ok(view)
    }
}

/// The async runtime of commands that talk to the network.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::Failed(format!("cannot start the async runtime: {err}")))
}

/// Connects per the flags and settings.
pub(crate) async fn connect(
    target: &TargetOptions,
    settings: &Settings,
    env: &Environment,
) -> Result<Connected, Error> {
    if target.emulator {
        let config = EmulatorConfig {
            data: Some(PathBuf::from(EMULATOR_DATA)),
            ..EmulatorConfig::default()
        };
        if let Some(dir) = Path::new(EMULATOR_DATA).parent() {
            std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        }
        let emulator = Emulator::start(config)
            .await
            .map_err(|e| Error::Failed(format!("cannot start the emulator: {e}")))?;
        let credentials = Credentials::ClientCredentials {
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: Secret::new(DEFAULT_CLIENT_SECRET),
        };
        let client =
            FlowServiceClient::new(ClientConfig::new(credentials).with_base_url(&emulator.url()))
                .map_err(Error::api("cannot set up the Flow Service client"))?;
        return Ok(Connected {
            api: Arc::new(client),
            emulator: Some(emulator),
        });
    }
    let credentials = platform_credentials(settings, env)?;
    let mut config = ClientConfig::from_settings(settings, credentials);
    if let Some(endpoint) = &target.endpoint {
        config.endpoint = endpoint.clone();
    }
    if let Some(ims) = &target.ims {
        config.ims = ims.clone();
    }
    let client = FlowServiceClient::new(config)
        .map_err(Error::api("cannot set up the Flow Service client"))?;
    Ok(Connected {
        api: Arc::new(client),
        emulator: None,
    })
}

/// Credentials from the settings (their `${VAR}`s resolved), else from
/// `AEP_CLIENT_ID` with `AEP_CLIENT_SECRET` or `AEP_ACCESS_TOKEN`.
fn platform_credentials(settings: &Settings, env: &Environment) -> Result<Credentials, Error> {
    let resolve = |value: &Option<String>, field: &str| -> Result<Option<String>, Error> {
        match value {
            None => Ok(None),
            Some(v) => interpolate::substitute(v, &|n| env.get(n))
                .map(Some)
                .map_err(|missing| {
                    Error::Setup(format!(
                        "`credentials.{field}` uses unset environment variable(s): {}",
                        missing
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }),
        }
    };
    let configured = match &settings.credentials {
        Some(c) => crate::config::Credentials {
            client_id: resolve(&c.client_id, "clientId")?,
            client_secret: resolve(&c.client_secret, "clientSecret")?,
            access_token: resolve(&c.access_token, "accessToken")?,
        },
        None => crate::config::Credentials {
            client_id: env.get("AEP_CLIENT_ID"),
            client_secret: env.get("AEP_CLIENT_SECRET"),
            access_token: env.get("AEP_ACCESS_TOKEN"),
        },
    };
    Credentials::from_settings(&configured).map_err(|e| {
        Error::Setup(format!(
            "{e}: set `credentials` in provision.yaml, or AEP_CLIENT_ID with AEP_CLIENT_SECRET (or AEP_ACCESS_TOKEN); `--emulator` needs none"
        ))
    })
}
