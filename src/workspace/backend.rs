//! Which state backend a run uses: `--state FILE`, `--state-url`, settings
//! `state.backend: postgres` (with its URL and namespace), or the default
//! file; `--emulator` keeps its own.

use std::path::PathBuf;
use std::sync::Arc;

use super::owners::Owners;
use super::{DEFAULT_STATE, EMULATOR_STATE, STATE_URL_VAR, TargetOptions};
use crate::config::interpolate;
use crate::config::{Settings, StateBackendKind, StateSettings};
use crate::desired::Environment;
use crate::desired::resolve;
use crate::error::Error;
use crate::state::postgres::DEFAULT_NAMESPACE;
use crate::state::{EnvironmentBound, FileBackend, PostgresBackend, State, StateBackend};

/// The state backend the flags and settings choose (see [`chosen`]), bound
/// to the run's environment: a state another environment wrote is refused,
/// and an environment's empty default state beside a pre-environments one
/// that holds records points to `state migrate --to-env`.
pub(crate) fn backend(
    target: &TargetOptions,
    settings: &Settings,
    env: &Environment,
) -> Result<Arc<dyn StateBackend>, Error> {
    let inner = chosen(target, settings, env)?;
    let state = settings.state.clone().unwrap_or_default();
    let defaulted = target.state.is_none()
        && target.state_namespace.is_none()
        && state.path.is_none()
        && state.namespace.is_none();
    let legacy = match &target.environment {
        Some(_) if defaulted => legacy(target, settings, env).ok(),
        _ => None,
    };
    // The full settings (all environments) say whose each old record is:
    // read only when the refusal is written.
    let owners = match (&legacy, target.settings_file.clone()) {
        (Some(_), Some(file)) => {
            let env = env.clone();
            Some(Box::new(move |state: &State| {
                let all = super::settings_only(&file).unwrap_or_default();
                Owners::of(&all, &file, &env).summary(state)
            }) as crate::state::Owners)
        }
        _ => None,
    };
    Ok(Arc::new(EnvironmentBound::new(
        inner,
        target.environment.clone(),
        legacy,
        owners,
    )))
}

/// The default state of the project as it was before environments
/// (`.provision/state.json`, namespace `default`): what `state migrate
/// --to-env` moves from.
pub(crate) fn legacy(
    target: &TargetOptions,
    settings: &Settings,
    env: &Environment,
) -> Result<Arc<dyn StateBackend>, Error> {
    let before = TargetOptions {
        environment: None,
        ..target.clone()
    };
    chosen(&before, settings, env)
}

/// The state backend the flags and settings choose: `--state FILE` is a
/// file; `--state-url`, or settings `backend: postgres` (outside
/// `--emulator`), is PostgreSQL; otherwise the settings' or default file.
pub(crate) fn chosen(
    target: &TargetOptions,
    settings: &Settings,
    env: &Environment,
) -> Result<Arc<dyn StateBackend>, Error> {
    let state = settings.state.clone().unwrap_or_default();
    if uses_postgres(target, &state) {
        let unset = match target.settings_file.as_deref().filter(|p| p.is_file()) {
            Some(path) => {
                let lookup = |name: &str| env.get(name);
                resolve::unset_in_settings(path, &state_fields(target, settings), &lookup)
            }
            None => Vec::new(),
        };
        if !unset.is_empty() {
            let sources = crate::config::load::read_sources(&unset);
            return Err(Error::InvalidConfig {
                diagnostics: unset,
                sources,
                outcome: "no state was read",
            });
        }
        let url = state_url(target, &state, env)?;
        let namespace = namespace(target, settings, env)?;
        let backend =
            PostgresBackend::new(&url, &namespace).map_err(|e| Error::Setup(e.to_string()))?;
        return Ok(Arc::new(backend));
    }
    let path = match (&target.state, target.emulator, &state.path) {
        (Some(path), _, _) => path.clone(),
        (None, true, _) => per_environment(EMULATOR_STATE, target),
        (None, false, Some(path)) => PathBuf::from(path),
        (None, false, None) => per_environment(DEFAULT_STATE, target),
    };
    Ok(Arc::new(FileBackend::new(path)))
}

/// Whether the flags and settings choose the PostgreSQL backend.
fn uses_postgres(target: &TargetOptions, state: &StateSettings) -> bool {
    target.state.is_none()
        && (target.state_url.is_some()
            || (state.backend == Some(StateBackendKind::Postgres) && !target.emulator))
}

/// The settings fields (JSON pointers) the state backend will resolve:
/// `state.url` and `state.namespace` of a PostgreSQL state, unless flags
/// give them.
pub(super) fn state_fields(target: &TargetOptions, settings: &Settings) -> Vec<String> {
    let state = settings.state.clone().unwrap_or_default();
    if !uses_postgres(target, &state) {
        return Vec::new();
    }
    let mut fields = Vec::new();
    if target.state_url.is_none() {
        fields.push("/state/url".to_owned());
    }
    if target.state_namespace.is_none() {
        fields.push("/state/namespace".to_owned());
    }
    fields
}

/// `--state-namespace`, else settings `state.namespace`, else the
/// environment's name, else `default`.
pub(crate) fn namespace(
    target: &TargetOptions,
    settings: &Settings,
    env: &Environment,
) -> Result<String, Error> {
    let setting = settings.state.as_ref().and_then(|s| s.namespace.as_ref());
    match (&target.state_namespace, setting) {
        (Some(flag), _) => Ok(flag.clone()),
        (None, Some(setting)) => resolve_setting(setting, "state.namespace", env),
        (None, None) => Ok(target
            .environment
            .clone()
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())),
    }
}

/// A default state file, per environment when the run has one:
/// `.provision/state.json` becomes `.provision/state.prod.json`.
pub(crate) fn per_environment(default: &str, target: &TargetOptions) -> PathBuf {
    match &target.environment {
        Some(name) => PathBuf::from(default.replace(".json", &format!(".{name}.json"))),
        None => PathBuf::from(default),
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

/// A settings value with its `${VAR}`s resolved; unset ones are named.
pub(super) fn resolve_setting(
    value: &str,
    field: &str,
    env: &Environment,
) -> Result<String, Error> {
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
