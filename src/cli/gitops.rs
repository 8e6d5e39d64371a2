//! Clap definitions of the GitOps commands (import, init, completions, man),
//! kept apart from `cli.rs` so the shared file only names them.

use std::path::PathBuf;

use clap::Args;

use super::TargetArgs;
use crate::config::Cloud;

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// Sandbox to read the existing connections from.
    #[arg(long, value_name = "SANDBOX")]
    pub sandbox: String,
    /// Cloud of the organization (`azure` or `aws`); picks the org from the settings.
    #[arg(long, value_name = "CLOUD", value_parser = clap::value_parser!(Cloud))]
    pub cloud: Cloud,
    /// Folder to write the connection files into (default `connections/<sandbox>/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Show what would be written; write and record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Project settings file.
    #[arg(long, value_name = "FILE", default_value = "provision.yaml")]
    pub config: PathBuf,
    /// Files or folders of the project's connection files [default:
    /// connections]: a connection any of them describes (by
    /// `cloud/sandbox/name`) is not imported again.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Folder to scaffold the project in.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// Shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Folder to write `provision.1` (and one page per subcommand) into;
    /// without it the main page goes to stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}
