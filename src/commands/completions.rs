//! `provision completions SHELL`: a shell completion script, generated from
//! the clap definitions so it never drifts from the flags.

use clap::{Args, CommandFactory};

use super::Cli;
use crate::error::{Result, Status};
use crate::output;

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// Shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub(super) fn run(args: &CompletionsArgs) -> Result<Status> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "provision", &mut script);
    output::result(&String::from_utf8_lossy(&script));
    Ok(Status::Success)
}
