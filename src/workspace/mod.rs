//! A run's inputs, put together once for plan, apply and state commands:
//! the validated config, the desired connections with secrets resolved, the
//! state backend, and how to reach the Flow Service (the platform, or an
//! in-process emulator for `--emulator` rehearsals).

mod backend;
mod branch;
mod connect;
pub(crate) mod dataflow_import;
mod env_list;
mod environment;
mod hints;
pub(crate) mod migrate;
pub(crate) mod owners;
mod planning;
pub(crate) mod recorded;
mod root;
mod tables;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::{Cloud, ConnectionKey, Settings};
use crate::desired::dataflow::{DataflowInput, DesiredDataflow};
use crate::desired::resolve::{self, Lookup};
use crate::desired::unset_secrets::{self, SecretVariables, SecretsNeeded};
use crate::desired::{self, Desired, DesiredError, Environment, Project};
use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::state::{Change, Record, State, StateBackend};
use crate::validate::{self, Options, Report};
pub(crate) use backend::{backend, namespace};
pub(crate) use connect::{Connected, connect, runtime};
pub(crate) use env_list::EnvList;
pub(crate) use environment::{SelectedEnv, effective, select};
pub(crate) use hints::{api_error, empty_state_hint};
pub(crate) use root::{Root, SETTINGS_FILE};

/// Where `--emulator` keeps its data and state.
pub(crate) const EMULATOR_DATA: &str = ".provision/emulator.json";
pub(crate) const EMULATOR_STATE: &str = ".provision/emulator-state.json";
pub(crate) const DEFAULT_STATE: &str = ".provision/state.json";
/// The environment variable read for the PostgreSQL state URL.
pub(crate) const STATE_URL_VAR: &str = "PROVISION_STATE_URL";
/// What unset variables become under `--emulator`.
pub(crate) const PLACEHOLDER: &str = "provision-emulator-placeholder";
/// What an unset variable holding a whole connection string becomes under
/// `--emulator`: a value the grammar (and the emulator) accept.
pub(crate) const PLACEHOLDER_CONNECTION_STRING: &str = "Server=provision-emulator-placeholder;Database=provision-emulator-placeholder;Port=5432;UID=provision-emulator-placeholder;Password=provision-emulator-placeholder";
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
    /// The settings file, for diagnostics about its `${VAR}`s (`None`: the
    /// settings came from elsewhere and have no place to point at).
    pub settings_file: Option<PathBuf>,
    /// `-e NAME`: the environment asked for on the command line.
    pub env_flag: Option<String>,
    /// The environment the run acts in, once selected (`-e`, else
    /// `PROVISION_ENV`): it names the default state.
    pub environment: Option<String>,
}

/// The inputs of a run.
pub(crate) struct Workspace {
    /// The settings the run uses: the selected environment's, when the
    /// project has environments.
    pub settings: Settings,
    /// The environment the run acts in (`None`: the project has none).
    pub environment: Option<SelectedEnv>,
    pub desired: Vec<Desired>,
    /// The dataflows the run manages, sorted by key.
    pub dataflows: Vec<DesiredDataflow>,
    /// Connections whose secret variables are unset and not needed by this
    /// run (a plan sends none): their rotation is not compared.
    pub unknown_secrets: BTreeMap<ConnectionKey, BTreeSet<String>>,
    pub backend: Arc<dyn StateBackend>,
    /// The config's warnings (validation found no error), each at its place.
    pub diagnostics: Vec<Diagnostic>,
    /// Other warnings to show before the plan.
    pub warnings: Vec<String>,
    /// Where files are recorded from (the settings file's folder).
    pub project: Project,
    target: TargetOptions,
    env: Environment,
}

/// The variables as `${VAR}`s see them: settings `vars` first (committed
/// and reviewed), then the process environment; under `--emulator` an unset
/// variable becomes a placeholder (and is noted in `missing`), a valid
/// connection string for the names in `whole_strings`.
fn variables<'a>(
    env: &'a Environment,
    vars: &'a BTreeMap<String, String>,
    emulator: bool,
    missing: &'a Mutex<BTreeSet<String>>,
    whole_strings: &'a BTreeSet<String>,
) -> impl Fn(&str) -> Option<String> + Sync + 'a {
    move |name: &str| match vars.get(name).cloned().or_else(|| env.get(name)) {
        Some(value) => Some(value),
        None if emulator => {
            if let Ok(mut missing) = missing.lock() {
                missing.insert(name.to_owned());
            }
            Some(if whole_strings.contains(name) {
                PLACEHOLDER_CONNECTION_STRING.to_owned()
            } else {
                PLACEHOLDER.to_owned()
            })
        }
        None => None,
    }
}

/// Validates the paths and, when it exists, the settings file named by
/// the shared config flags (no network, no secrets).
pub(crate) fn validate_config(config: &ConfigOptions, diagnostics_only: bool) -> Report {
    validate_config_in(config, diagnostics_only, validate::EnvScope::default())
}

/// [`validate_config`], checking the environments `scope` asks for.
pub(crate) fn validate_config_in(
    config: &ConfigOptions,
    diagnostics_only: bool,
    scope: validate::EnvScope<'_>,
) -> Report {
    let settings_file = config
        .settings
        .is_file()
        .then_some(config.settings.as_path());
    validate::validate_paths_in(
        &config.paths,
        settings_file,
        Options {
            allow_plaintext_secrets: config.allow_plaintext_secrets,
            diagnostics_only,
        },
        scope,
    )
}

/// Validates the config for planning; errors stop the run.
pub(crate) fn validated(config: &ConfigOptions) -> Result<Report, Error> {
    let report = validate_config(config, false);
    if report.has_errors() {
        return Err(Error::InvalidConfig {
            diagnostics: report.diagnostics,
            sources: report.sources,
            outcome: "nothing was sent",
        });
    }
    Ok(report)
}

/// Reads the settings file alone and selects the environment `target`
/// names (`-e`, else `PROVISION_ENV`): the settings returned are that
/// environment's, and `target.environment` names it.
pub(crate) fn settings_for(
    path: &Path,
    target: &mut TargetOptions,
    env: &Environment,
) -> Result<(Settings, Option<SelectedEnv>), Error> {
    let settings = settings_only(path)?;
    let selected = select(&settings, target.env_flag.as_deref(), env)?;
    target.environment = selected.as_ref().map(|s| s.name.clone());
    Ok((effective(&settings, selected.as_ref()), selected))
}

/// Reads the settings file alone (for state commands that need no connections).
pub(crate) fn settings_only(path: &Path) -> Result<Settings, Error> {
    if !path.is_file() {
        return Ok(Settings::default());
    }
    let report = validate::validate_paths(&[], Some(path), Options::default());
    // State commands have no `--allow-plaintext-secrets`: do not offer it.
    let errors: Vec<Diagnostic> = report
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == crate::diagnostic::Severity::Error && d.file == path)
        .map(|mut d| {
            d.help = d
                .help
                .map(|h| h.replace(validate::RELAX_PLAINTEXT_SECRETS, ""));
            d
        })
        .collect();
    if errors.is_empty() {
        Ok(report.config.settings)
    } else {
        Err(Error::InvalidConfig {
            diagnostics: errors,
            sources: report.sources,
            outcome: "state was not read or changed",
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
        Self::open_with(config, target, env, &SecretsNeeded::All)
    }

    /// [`Workspace::open`] for a run that sends the secrets of `needed`
    /// only: the others may stay unset (see [`desired::unset_secrets`]).
    pub(crate) fn open_with(
        config: &ConfigOptions,
        mut target: TargetOptions,
        env: Environment,
        needed: &SecretsNeeded,
    ) -> Result<Workspace, Error> {
        let mut report = validated(config)?;
        target.settings_file = Some(config.settings.clone());
        let mut warnings = Vec::new();
        let environment = select(&report.config.settings, target.env_flag.as_deref(), &env)?;
        target.environment = environment.as_ref().map(|s| s.name.clone());
        let settings = effective(&report.config.settings, environment.as_ref());
        report.config.connections = desired::in_environment(
            std::mem::take(&mut report.config.connections),
            target.environment.as_deref(),
            settings.sandbox.as_deref(),
        );
        let project = Project::of_settings(&config.settings);
        let missing = Mutex::new(BTreeSet::new());
        let whole_strings = resolve::whole_connection_strings(&report.config.connections);
        let vars = settings.vars.clone().unwrap_or_default();
        warnings.extend(differing_vars(&vars, &env, environment.as_ref()));
        let base = variables(&env, &vars, target.emulator, &missing, &whole_strings);
        let secret_variables = SecretVariables::of(&report.config.connections);
        let unknown = Mutex::new(BTreeSet::new());
        let placeholders = (PLACEHOLDER, PLACEHOLDER_CONNECTION_STRING);
        let lookup = unset_secrets::with_unknown(
            &base,
            &secret_variables,
            needed,
            &unknown,
            &whole_strings,
            placeholders,
        );
        let mut desired = desired_set(
            &report,
            &settings,
            &target,
            &lookup,
            &env,
            &project,
            environment.as_ref(),
        )?;
        let dataflows = dataflow_set(&report, &settings, &target, &lookup, &project)?;
        warnings.extend(placeholders_used(&missing));
        drop(lookup);
        drop(base);
        let unknown = unknown.into_inner().unwrap_or_default();
        let unknown_secrets = secret_variables.unknown(&unknown);
        for d in &mut desired {
            if unknown_secrets.contains_key(&d.key) {
                // Never sent in this run: nothing to compare a digest of.
                d.secret_hmac = None;
            }
        }
        let backend = backend(&target, &settings, &env)?;
        Ok(Workspace {
            settings,
            environment,
            desired,
            dataflows,
            unknown_secrets,
            backend,
            diagnostics: report.diagnostics,
            warnings,
            project,
            target,
            env,
        })
    }

    /// Records, for connections whose file moved since state last recorded
    /// it, the file that describes them now: `--prune` with PATHs trusts it.
    pub(crate) fn record_sources(&self, state: &mut State) -> Result<(), Error> {
        let moved: Vec<Change> = self
            .desired
            .iter()
            .filter_map(|d| {
                let record = state.connections.get(&d.key)?;
                (record.source.as_deref() != Some(d.source.as_str())).then(|| {
                    let record = Record {
                        source: Some(d.source.clone()),
                        ..record.clone()
                    };
                    Change::Upsert(d.key.clone(), record)
                })
            })
            .collect();
        if !moved.is_empty() {
            self.backend.record(state, &moved)?;
        }
        Ok(())
    }

    /// With a `branch:` setting, refuses (before any request) unless this
    /// run is on that git branch: what `apply` checks first.
    pub(crate) fn check_branch(&self) -> Result<(), Error> {
        let Some(wanted) = self.settings.branch.as_deref() else {
            return Ok(());
        };
        let name = self
            .environment
            .as_ref()
            .map_or("(default)", |e| e.name.as_str());
        let dir = std::env::current_dir().unwrap_or_default();
        branch::require_branch(name, wanted, &branch::current_branch(&self.env, &dir))
    }

    /// The flags that chose where the run acts.
    pub(crate) fn target(&self) -> &TargetOptions {
        &self.target
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

/// The desired connections, or every unset variable of the connections and
/// of the settings this run needs, at once.
fn desired_set(
    report: &Report,
    settings: &Settings,
    target: &TargetOptions,
    lookup: &Lookup<'_>,
    env: &Environment,
    project: &Project,
    environment: Option<&SelectedEnv>,
) -> Result<Vec<Desired>, Error> {
    let connections = &report.config.connections;
    let mut orgs = desired::orgs_from_settings(settings, lookup);
    let mut needed = backend::state_fields(target, settings);
    if target.emulator {
        for (cloud, org) in EMULATOR_ORGS {
            orgs.entry(cloud).or_insert_with(|| org.to_owned());
        }
    } else {
        let clouds: BTreeSet<Cloud> = connections.iter().map(|l| l.connection.cloud).collect();
        // An org not written at all is the first thing to fix (and the
        // usual one without a provision.yaml); an unset `${VAR}` in one is
        // reported with the other variables below.
        let written = |cloud: &Cloud| {
            let orgs = settings.orgs.as_ref();
            match cloud {
                Cloud::Azure => orgs.is_some_and(|o| o.azure.is_some()),
                Cloud::Aws => orgs.is_some_and(|o| o.aws.is_some()),
            }
        };
        if let Some(cloud) = clouds.iter().find(|c| !written(c)) {
            return Err(no_org(*cloud, target));
        }
        needed.extend(clouds.iter().map(|c| format!("/orgs/{c}/imsOrg")));
        needed.push("/credentials".to_owned());
    }
    if let Some(environment) = environment {
        needed = needed.iter().map(|p| environment.pointer(p)).collect();
    }
    let mut unset = match target.settings_file.as_deref().filter(|p| p.is_file()) {
        Some(path) => resolve::unset_in_settings(path, &needed, lookup),
        None => Vec::new(),
    };
    let state_key = env.get("PROVISION_STATE_KEY");
    let built = desired::build(
        connections,
        &orgs,
        lookup,
        state_key.as_deref().map(str::as_bytes),
        project,
    );
    match built {
        Ok(desired) if unset.is_empty() => Ok(desired),
        Ok(_) => Err(invalid(unset)),
        Err(DesiredError::Diagnostics(diags)) => {
            unset.extend(diags);
            Err(invalid(unset))
        }
        Err(DesiredError::NoOrg(_)) if !unset.is_empty() => Err(invalid(unset)),
        Err(DesiredError::NoOrg(cloud)) => Err(no_org(cloud, target)),
        Err(DesiredError::BadOrg(message)) => Err(Error::Setup(message)),
        Err(DesiredError::SameConnection { first, second, org }) => Err(Error::Setup(format!(
            "`{first}` and `{second}` are the same connection on the platform (org `{org}`, same sandbox and name): expected a different IMS org per cloud in provision.yaml"
        ))),
    }
}

/// A name settings `vars` define that the process environment sets to
/// something else: the committed value is used, and the user told, so an
/// exported dev value never silently meets prod (nor the reverse). The
/// process value is not shown: it may be anything.
fn differing_vars(
    vars: &BTreeMap<String, String>,
    env: &Environment,
    environment: Option<&SelectedEnv>,
) -> Vec<String> {
    let place = environment.map_or_else(
        || "settings `vars`".to_owned(),
        |e| format!("settings `vars` of environment `{}`", e.name),
    );
    vars.iter()
        .filter(|(name, value)| env.get(name).is_some_and(|v| &v != *value))
        .map(|(name, value)| {
            format!(
                "`${{{name}}}`: {place} give `{}`, and the process environment sets `{name}` to a different value; using `{}` from `vars` (unset `{name}`, or change `vars`, to silence this)",
                value.escape_debug(),
                value.escape_debug()
            )
        })
        .collect()
}

/// Unset variables as one error, with their files' text for snippets.
fn invalid(diagnostics: Vec<Diagnostic>) -> Error {
    let sources = crate::config::load::read_sources(&diagnostics);
    Error::InvalidConfig {
        diagnostics,
        sources,
        outcome: "nothing was sent",
    }
}

/// No org for `cloud`: where to set it, and what to do without settings.
pub(crate) fn no_org(cloud: Cloud, target: &TargetOptions) -> Error {
    let file = target
        .settings_file
        .clone()
        .unwrap_or_else(|| PathBuf::from("provision.yaml"));
    if file.is_file() {
        Error::Setup(format!(
            "no IMS org configured for cloud `{cloud}`: set `orgs.{cloud}.imsOrg` in `{}` (or rehearse with `--emulator`, which needs none)",
            file.display()
        ))
    } else {
        Error::Setup(format!(
            "no IMS org configured for cloud `{cloud}`: the settings file `{}` does not exist; create it with `provision init` and set `orgs.{cloud}.imsOrg`, or rehearse with `--emulator`, which needs none",
            file.display()
        ))
    }
}

/// The warning of an `--emulator` run that filled unset variables.
fn placeholders_used(missing: &Mutex<BTreeSet<String>>) -> Option<String> {
    let missing = missing.lock().ok().filter(|m| !m.is_empty())?;
    Some(format!(
        "--emulator: {} variable(s) not set, filled with a placeholder: {}",
        missing.len(),
        missing
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The dataflows of the run's environment, each with its org (the
/// emulator's when `--emulator` and the settings name none).
fn dataflow_set(
    report: &Report,
    settings: &Settings,
    target: &TargetOptions,
    lookup: &Lookup<'_>,
    project: &Project,
) -> Result<Vec<DesiredDataflow>, Error> {
    let inputs: Vec<DataflowInput> = report
        .config
        .dataflows
        .iter()
        .map(|l| DataflowInput {
            doc: l.dataflow.clone(),
            file: l.file.clone(),
            writes_protect: l.node.key_at("", "protect").is_some(),
            lines: desired::dataflow::Lines::of(&l.node),
            renamed_from_line: l.node.key_at("", "renamedFrom").map(|k| k.pos.line),
        })
        .collect();
    let inputs = desired::dataflow::in_environment(
        inputs,
        target.environment.as_deref(),
        settings.sandbox.as_deref(),
    );
    let mut orgs = desired::orgs_from_settings(settings, lookup);
    if target.emulator {
        for (cloud, org) in EMULATOR_ORGS {
            orgs.entry(cloud).or_insert_with(|| org.to_owned());
        }
    }
    desired::dataflow::build(&inputs, &orgs, project, settings.mode)
        .map_err(|cloud| no_org(cloud, target))
}
