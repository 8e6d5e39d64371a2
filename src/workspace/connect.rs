//! Reaching the Flow Service: the platform with the configured credentials,
//! or an in-process emulator for `--emulator`; and reading the platform's
//! view of the sandboxes a plan needs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{EMULATOR_DATA, TargetOptions};
use crate::api::wire::ConnectionItem;
use crate::api::{ClientConfig, Credentials, FlowService, FlowServiceClient, ListQuery, Scope};
use crate::config::{Settings, interpolate};
use crate::desired::{Desired, Environment};
use crate::emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator, EmulatorConfig};
use crate::error::Error;
use crate::plan::{RemoteView, scopes_to_read};
use crate::secret::Secret;
use crate::state::State;

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
            let items = items.map_err(super::api_error(format!(
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
