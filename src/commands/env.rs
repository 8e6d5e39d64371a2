//! `provision env list`: the environments of the settings, in order, for
//! people (a table) and for pipelines (`--format json`, or `--names`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::args::ResultFormat;
use crate::error::{Result, Status};
use crate::output;
use crate::reporter;
use crate::workspace::{self, EnvList};

#[derive(Debug, Subcommand)]
pub(crate) enum EnvCommand {
    /// List the environments of the settings, in the order they are written.
    List(EnvListArgs),
}

#[derive(Debug, Args)]
pub(crate) struct EnvListArgs {
    /// Project settings file.
    #[arg(long, value_name = "FILE", default_value = "provision.yaml")]
    pub config: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ResultFormat,
    /// Print only the names, one a line (for shell loops).
    #[arg(long, conflicts_with = "format")]
    pub names: bool,
}

pub(super) fn run(command: &EnvCommand) -> Result<Status> {
    match command {
        EnvCommand::List(args) => list(args),
    }
}

fn list(args: &EnvListArgs) -> Result<Status> {
    let settings = workspace::settings_only(&args.config)?;
    let list = EnvList::of(&settings);
    if args.names {
        list.names().iter().for_each(|n| output::result_line(n));
        return Ok(Status::Success);
    }
    match args.format {
        ResultFormat::Json => output::result(&reporter::json_document(&list)),
        ResultFormat::Text if list.names().is_empty() => output::progress(&format!(
            "`{}` defines no environments\n",
            args.config.display()
        )),
        ResultFormat::Text => list.text().iter().for_each(|l| output::result_line(l)),
    }
    Ok(Status::Success)
}
