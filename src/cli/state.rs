//! Clap definitions of `provision state …`: the state commands take only
//! the flags that choose a state (they never call the Flow Service), except
//! `state import`, which reads the connection from the platform.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{ConfigArgs, TargetArgs};
use crate::config::ConnectionKey;
use crate::workspace::TargetOptions;

#[derive(Debug, Subcommand)]
pub(crate) enum StateCommand {
    /// List the recorded connections.
    List(StateArgs),
    /// Show one record as JSON.
    Show(StateKeyArgs),
    /// Forget a connection (it stays on the platform).
    Rm(StateKeyArgs),
    /// Record an existing platform connection under KEY.
    Import(StateImportArgs),
    /// Clear the lock details left by a run that died.
    Unlock(StateArgs),
    /// Copy the current state to another backend: `--to postgres://...` or
    /// `--to FILE`; refuses a target that already holds connections.
    Migrate(StateMigrateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct StateMigrateArgs {
    /// Where to copy state: a `postgres://` URL or a file path.
    #[arg(long, value_name = "URL|FILE")]
    pub to: String,
    /// Namespace in the target database (default: the source's namespace
    /// setting, else `default`).
    #[arg(long, value_name = "NAME")]
    pub to_namespace: Option<String>,
    #[command(flatten)]
    pub state: StateArgs,
}

/// Which state a state command reads or changes.
#[derive(Debug, Args)]
pub(crate) struct StateArgs {
    #[command(flatten)]
    pub target: StateTargetArgs,
}

/// Where a state command finds state: only the flags that choose it (state
/// commands never call the Flow Service).
#[derive(Debug, Args)]
pub(crate) struct StateTargetArgs {
    /// State file (default: settings `state.path`, else `.provision/state.json`).
    #[arg(long, value_name = "FILE", conflicts_with = "state_url")]
    pub state: Option<PathBuf>,
    /// PostgreSQL state database (`postgres://user:pw@host/db?sslmode=require`);
    /// chooses the postgres backend. Prefer `PROVISION_STATE_URL` or settings
    /// `state.url`: a password on the command line is visible to other users.
    #[arg(long, value_name = "URL")]
    pub state_url: Option<String>,
    /// Namespace in a shared PostgreSQL state database (default: settings
    /// `state.namespace`, else `default`).
    #[arg(long, value_name = "NAME")]
    pub state_namespace: Option<String>,
    /// The state `--emulator` rehearsals keep (`.provision/emulator-state.json`)
    /// instead of the project's.
    #[arg(long)]
    pub emulator: bool,
    /// Project settings file (its `state` settings choose the backend).
    #[arg(long, value_name = "FILE", default_value = "provision.yaml")]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct StateKeyArgs {
    /// `cloud/sandbox/name`, e.g. `azure/prod/orders-db` (`provision state list` shows them)
    #[arg(value_name = "KEY")]
    pub key: String,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub(crate) struct StateImportArgs {
    /// `cloud/sandbox/name` of a connection in the config.
    pub key: ConnectionKey,
    /// Its Flow Service connection id.
    pub id: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

impl StateTargetArgs {
    pub(crate) fn options(&self) -> TargetOptions {
        TargetOptions {
            state: self.state.clone(),
            state_url: self.state_url.clone(),
            state_namespace: self.state_namespace.clone(),
            endpoint: None,
            ims: None,
            emulator: self.emulator,
            settings_file: Some(self.config.clone()),
        }
    }
}
