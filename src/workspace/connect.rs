//! Reaching the Flow Service: the platform with the configured credentials
//! (per-org hosts, scopes, timeouts, every known secret to redact), or an
//! in-process emulator for `--emulator`; and reading the platform's view of
//! the sandboxes a plan needs.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{EMULATOR_DATA, TargetOptions, Workspace};
use crate::api::dataflow::FlowItem;
use crate::api::wire::ConnectionItem;
use crate::api::{
    ApiError, ClientConfig, Credentials, FlowService, FlowServiceClient, ListQuery, Redactor,
    Scope, Timeouts,
};
use crate::config::{Auth, ConnectionKey, Settings};
use crate::connection_string;
use crate::desired::dataflow::DesiredDataflow;
use crate::desired::{self, Desired, Environment};
use crate::emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator, EmulatorConfig};
use crate::error::Error;
use crate::plan::dataflow::FlowsRead;
use crate::plan::{RemoteView, scopes_to_read};
use crate::secret::Secret;
use crate::state::State;

/// The longest any configured timeout may be.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Deadlines of an apply, from settings `timeouts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timing {
    /// Network timeouts of the client (its per-call budget is `action`).
    pub client: Timeouts,
    /// One action with all its retries and lookups.
    pub action: Duration,
    /// How long a create of unknown outcome is looked up by name.
    pub settle: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            client: Timeouts {
                call: Duration::from_secs(120),
                ..Timeouts::default()
            },
            action: Duration::from_secs(120),
            settle: Duration::from_secs(30),
        }
    }
}

impl Timing {
    /// The settings' `timeouts`, defaults where absent.
    pub(crate) fn from_settings(settings: &Settings) -> Result<Timing, Error> {
        let mut timing = Timing::default();
        let Some(t) = &settings.timeouts else {
            return Ok(timing);
        };
        let read = |value: &Option<String>, field: &str, default: Duration| match value {
            Some(text) => parse_duration(text, field),
            None => Ok(default),
        };
        timing.client.connect = read(&t.connect, "connect", timing.client.connect)?;
        timing.client.request = read(&t.request, "request", timing.client.request)?;
        timing.action = read(&t.action, "action", timing.action)?;
        timing.settle = read(&t.settle, "settle", timing.settle)?;
        timing.client.call = timing.action;
        Ok(timing)
    }
}

/// `500ms`, `30s`, `5m`: checked, more than zero, at most 24 hours.
fn parse_duration(text: &str, field: &str) -> Result<Duration, Error> {
    let bad = |why: &str| Error::Setup(format!("`timeouts.{field}` is `{text}`: {why}"));
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let number: u64 = digits
        .parse()
        .map_err(|_| bad("expected a whole number with a unit, e.g. `30s`, `500ms`, `5m`"))?;
    let millis = match unit {
        "ms" => Some(number),
        "s" => number.checked_mul(1000),
        "m" => number.checked_mul(60_000),
        _ => return Err(bad("expected the unit `ms`, `s` or `m`")),
    };
    let duration = millis
        .map(Duration::from_millis)
        .filter(|d| *d <= MAX_TIMEOUT)
        .ok_or_else(|| bad("expected at most 24 hours"))?;
    if duration.is_zero() {
        return Err(bad("expected more than zero"));
    }
    Ok(duration)
}

/// What the dataflow half of a plan read on the platform.
#[derive(Debug, Default)]
pub(crate) struct DataflowReads {
    /// The flows read back (`--refresh`).
    pub flows: Option<FlowsRead>,
    /// The ids of base connections found only on the platform.
    pub bases: HashMap<ConnectionKey, String>,
}

/// A live connection to the Flow Service; keeps an in-process emulator up.
pub(crate) struct Connected {
    pub api: Arc<FlowServiceClient>,
    pub timing: Timing,
    emulator: Option<Emulator>,
}

impl Connected {
    /// Stops the in-process emulator, if any (its data is already saved).
    pub(crate) async fn close(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }

    /// What the dataflow half of a plan reads: each base connection that
    /// no file and no state entry names must exist on the platform (an
    /// error names the closest that does; the id of the one found is
    /// kept), and with `refresh` the flows of the scopes state records
    /// dataflows in.
    pub(crate) async fn dataflow_reads(
        &self,
        unknown: &[&DesiredDataflow],
        state: &State,
        refresh: bool,
    ) -> Result<DataflowReads, Error> {
        let mut reads = DataflowReads::default();
        for d in unknown {
            let scope = Scope::new(&d.org, d.key.sandbox());
            let found = self
                .api
                .find_by_name(&scope, &d.connection.name)
                .await
                .map_err(super::api_error(format!(
                    "cannot look up base connection `{}` in sandbox `{}`",
                    d.connection.name, scope.sandbox
                )))?;
            if found.is_empty() {
                let listed = self
                    .api
                    .list(&scope, &ListQuery::new().postgres())
                    .await
                    .map_err(super::api_error(format!(
                        "cannot list the connections of sandbox `{}`",
                        scope.sandbox
                    )))?;
                let names: Vec<&str> = listed.iter().map(|c| c.name.as_str()).collect();
                let hint = crate::suggest::closest(&d.connection.name, &names)
                    .map(|n| format!(": did you mean `{n}`?"))
                    .unwrap_or_default();
                return Err(Error::Failed(
                    crate::plan::dataflow::DataflowPlanError::NoConnection {
                        key: d.key.clone(),
                        connection: d.connection.name.clone(),
                        sandbox: scope.sandbox.clone(),
                        hint,
                    }
                    .to_string(),
                ));
            }
            if let [one] = found.as_slice() {
                reads.bases.insert(d.connection.clone(), one.id.clone());
            }
        }
        if refresh {
            reads.flows = Some(self.read_flows(state).await?);
        }
        Ok(reads)
    }

    /// The live flows of the table-source flow spec in every scope state
    /// records dataflows in, and each recorded flow a listing missed.
    async fn read_flows(&self, state: &State) -> Result<FlowsRead, Error> {
        let scopes: BTreeSet<(String, String)> = state
            .dataflows
            .iter()
            .map(|(key, r)| (r.org.clone(), key.sandbox().to_owned()))
            .collect();
        let mut read = FlowsRead::default();
        for (org, sandbox) in &scopes {
            let scope = Scope::new(org, sandbox);
            // Only the table-source flow spec's flows: others (streaming,
            // other sources) have shapes a dataflow never has.
            let context = format!("cannot list the flows of sandbox `{sandbox}`");
            let spec = self
                .api
                .find_flow_spec(&scope, "CRMToAEP")
                .await
                .map_err(super::api_error(context.clone()))?;
            let Some(spec) = spec else { continue };
            let flows = self
                .api
                .list_flows(&scope, &ListQuery::new().eq("flowSpec.id", &spec.id))
                .await
                .map_err(super::api_error(context))?;
            for flow in flows {
                if flow.is_live() {
                    read.flows.insert(flow.id.clone(), flow);
                }
            }
        }
        // A listing may lag behind a create: a recorded flow it misses is
        // read by id before the plan calls it deleted outside provision.
        for (key, record) in &state.dataflows {
            let Some(flow) = record
                .flow
                .as_ref()
                .filter(|f| !read.flows.contains_key(&f.id))
            else {
                continue;
            };
            let scope = Scope::new(&record.org, key.sandbox());
            let found = still_there(self.api.get_flow(&scope, &flow.id), FlowItem::is_live)
                .await
                .map_err(super::api_error(format!("cannot read flow `{}`", flow.id)))?;
            if let Some(found) = found {
                read.flows.insert(found.id.clone(), found);
            }
        }
        read.scopes = scopes;
        Ok(read)
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
                let items: Result<Vec<ConnectionItem>, _> =
                    api.list(&scope, &ListQuery::new().postgres()).await;
                (scope, items)
            });
        }
        let mut view = HashMap::new();
        while let Some(joined) = tasks.join_next().await {
            let (scope, items) =
                joined.map_err(|e| Error::Failed(format!("internal error: {e}")))?;
            let items = items.map_err(super::api_error(format!(
                "cannot list connections in sandbox `{}`",
                scope.sandbox
            )))?;
            view.insert(scope, items);
        }
        self.confirm_missing(state, &mut view).await?;
        Ok(view)
    }

    /// A listing may lag behind a create: a recorded connection missing
    /// from its scope's listing is read by id before the plan calls it
    /// deleted outside provision (and would create it again).
    async fn confirm_missing(&self, state: &State, view: &mut RemoteView) -> Result<(), Error> {
        for (key, record) in &state.connections {
            let scope = Scope::new(&record.org, &key.sandbox);
            let Some(items) = view.get_mut(&scope) else {
                continue;
            };
            if items.iter().any(|item| item.id == record.id) {
                continue;
            }
            let found = still_there(self.api.get(&scope, &record.id), ConnectionItem::is_live)
                .await
                .map_err(super::api_error(format!(
                    "cannot read connection `{}` in sandbox `{}`",
                    record.id, scope.sandbox
                )))?;
            items.extend(found);
        }
        Ok(())
    }
}

/// A recorded object a listing missed, read by id: `None` when it is gone
/// (not found, or `live` says it is on its way out).
async fn still_there<T>(
    read: impl std::future::Future<Output = Result<T, ApiError>>,
    live: fn(&T) -> bool,
) -> Result<Option<T>, ApiError> {
    match read.await {
        Ok(item) => Ok(live(&item).then_some(item)),
        Err(ApiError::NotFound { .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

impl Workspace {
    /// Connects to the Flow Service (starting the emulator for
    /// `--emulator`), with every secret of the desired connections known
    /// to the client so that no server can make it print one.
    pub(crate) async fn connect(&self) -> Result<Connected, Error> {
        let redactor = Redactor::new();
        for secret in known_secrets(&self.desired) {
            redactor.add(&secret);
        }
        connect_with(&self.target, &self.settings, &self.env, redactor).await
    }
}

/// The secret values of the desired connections: passwords, connection
/// strings and the password inside each connection string.
fn known_secrets(desired: &[Desired]) -> Vec<String> {
    let mut secrets = Vec::new();
    for d in desired {
        match &d.connection.auth {
            Auth::Basic(basic) => secrets.push(basic.password.clone()),
            Auth::ConnectionString(cs) => {
                secrets.push(cs.connection_string.clone());
                if let Some((_, password)) =
                    connection_string::parse(&cs.connection_string).get("Password")
                {
                    secrets.push(password.to_owned());
                }
            }
        }
    }
    secrets
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
    connect_with(target, settings, env, Redactor::new()).await
}

/// Connects per the flags and settings, redacting what `redactor` knows
/// (the client adds its own credentials and tokens).
pub(crate) async fn connect_with(
    target: &TargetOptions,
    settings: &Settings,
    env: &Environment,
    redactor: Redactor,
) -> Result<Connected, Error> {
    let timing = Timing::from_settings(settings)?;
    if target.emulator {
        return start_emulator(timing, redactor).await;
    }
    let credentials = platform_credentials(settings, env)?;
    let mut config = ClientConfig::from_settings(settings, credentials);
    config.timeouts = timing.client;
    config.redactor = redactor;
    config.org_endpoints = org_endpoints(settings, env);
    if let Some(endpoint) = &target.endpoint {
        // The flag wins over every configured host, regional ones included.
        config.endpoint = endpoint.clone();
        config.org_endpoints.clear();
    }
    if let Some(ims) = &target.ims {
        config.ims = ims.clone();
    }
    let client = FlowServiceClient::new(config)
        .map_err(Error::api("cannot set up the Flow Service client"))?;
    Ok(Connected {
        api: Arc::new(client),
        timing,
        emulator: None,
    })
}

async fn start_emulator(timing: Timing, redactor: Redactor) -> Result<Connected, Error> {
    let config = EmulatorConfig::in_process(PathBuf::from(EMULATOR_DATA))
        .map_err(|e| Error::Failed(format!("cannot start the emulator: {e}")))?;
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
    let mut config = ClientConfig::new(credentials).with_base_url(&emulator.url());
    config.timeouts = timing.client;
    config.redactor = redactor;
    let client = FlowServiceClient::new(config)
        .map_err(Error::api("cannot set up the Flow Service client"))?;
    Ok(Connected {
        api: Arc::new(client),
        timing,
        emulator: Some(emulator),
    })
}

/// `orgs.<cloud>.endpoint` per resolved org id.
fn org_endpoints(settings: &Settings, env: &Environment) -> Vec<(String, String)> {
    let lookup = |name: &str| env.get(name);
    let orgs = desired::orgs_from_settings(settings, &lookup);
    let Some(configured) = &settings.orgs else {
        return Vec::new();
    };
    let mut endpoints = Vec::new();
    for (cloud, org_settings) in [
        (crate::config::Cloud::Azure, &configured.azure),
        (crate::config::Cloud::Aws, &configured.aws),
    ] {
        let endpoint = org_settings.as_ref().and_then(|o| o.endpoint.clone());
        if let (Some(org), Some(endpoint)) = (orgs.get(&cloud), endpoint) {
            endpoints.push((org.clone(), endpoint));
        }
    }
    endpoints
}

/// Credentials from the settings (their `${VAR}`s resolved), else from
/// `AEP_CLIENT_ID` with `AEP_CLIENT_SECRET` or `AEP_ACCESS_TOKEN`.
fn platform_credentials(settings: &Settings, env: &Environment) -> Result<Credentials, Error> {
    let resolve = |value: &Option<String>, field: &str| -> Result<Option<String>, Error> {
        value
            .as_deref()
            .map(|v| super::backend::resolve_setting(v, &format!("credentials.{field}"), env))
            .transpose()
    };
    let configured = match &settings.credentials {
        Some(c) => crate::config::Credentials {
            client_id: resolve(&c.client_id, "clientId")?,
            client_secret: resolve(&c.client_secret, "clientSecret")?,
            access_token: resolve(&c.access_token, "accessToken")?,
            scopes: c.scopes.clone(),
        },
        None => crate::config::Credentials {
            client_id: env.get("AEP_CLIENT_ID"),
            client_secret: env.get("AEP_CLIENT_SECRET"),
            access_token: env.get("AEP_ACCESS_TOKEN"),
            scopes: None,
        },
    };
    Credentials::from_settings(&configured).map_err(|e| {
        Error::Setup(format!(
            "{e}: set `credentials` in provision.yaml, or AEP_CLIENT_ID with AEP_CLIENT_SECRET (or AEP_ACCESS_TOKEN); `--emulator` needs none"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_checked_and_capped() {
        let ok = |t: &str| parse_duration(t, "request").ok();
        assert_eq!(ok("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(ok("30s"), Some(Duration::from_secs(30)));
        assert_eq!(ok("5m"), Some(Duration::from_secs(300)));
        for bad in [
            "0s",
            "99999999999999999999s",
            "999999999m",
            "25h",
            "s",
            "1.5s",
            "",
        ] {
            assert!(parse_duration(bad, "request").is_err(), "{bad}");
        }
    }
}
