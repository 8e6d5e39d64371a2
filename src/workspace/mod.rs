//! A run's inputs, put together once for plan, apply and state commands:
//! the validated config, the desired connections with secrets resolved, the
//! state backend, and how to reach the Flow Service (the platform, or an
//! in-process emulator for `--emulator` rehearsals).

mod backend;
mod connect;
mod planning;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::{Cloud, Settings};
use crate::desired::{self, Desired, DesiredError, Environment};
use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::state::StateBackend;
use crate::validate::{self, Options, Report};
pub(crate) use backend::{backend, namespace};
pub(crate) use connect::{Connected, connect, runtime};

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
}
