//! Which state a state command reads or changes: only the flags that
//! choose one (`--state`, `--state-url`, `--state-namespace`, `--emulator`,
//! `--config`, `-e`), shared by every `state` subcommand but `import`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::args::EnvArg;
use crate::desired::Environment;
use crate::error::Result;
use crate::state::StateBackend;
use crate::workspace::{self, TargetOptions};

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
    #[command(flatten)]
    pub env: EnvArg,
}

impl StateTargetArgs {
    pub(super) fn options(&self) -> TargetOptions {
        TargetOptions {
            state: self.state.clone(),
            state_url: self.state_url.clone(),
            state_namespace: self.state_namespace.clone(),
            endpoint: None,
            ims: None,
            emulator: self.emulator,
            settings_file: Some(self.config.clone()),
            env_flag: self.env.env.clone(),
            environment: None,
        }
    }
}

pub(super) fn backend(args: &StateArgs) -> Result<Arc<dyn StateBackend>> {
    Ok(selected(args)?.0)
}

/// The backend, and the target options with the environment selected.
pub(super) fn selected(args: &StateArgs) -> Result<(Arc<dyn StateBackend>, TargetOptions)> {
    let env = Environment::process();
    let mut target = args.target.options();
    let (settings, _) = workspace::settings_for(&args.target.config, &mut target, &env)?;
    Ok((workspace::backend(&target, &settings, &env)?, target))
}
