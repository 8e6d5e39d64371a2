//! `provision man`: the man pages, generated from the clap definitions so
//! they never drift from the flags.

use std::path::PathBuf;

use clap::{Args, CommandFactory};

use super::Cli;
use crate::error::{Error, Result, Status};
use crate::output;

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Folder to write `provision.1` (and one page per subcommand) into;
    /// without it the main page goes to stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub(super) fn run(args: &ManArgs) -> Result<Status> {
    let command = Cli::command();
    let Some(dir) = args.out.as_deref() else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .map_err(|err| Error::Failed(format!("cannot render the man page: {err}")))?;
        output::result(&String::from_utf8_lossy(&page));
        return Ok(Status::Success);
    };
    std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(command, dir))
        .map_err(Error::io("write man pages to", dir))?;
    output::result_line(&format!("wrote man pages to `{}`", dir.display()));
    Ok(Status::Success)
}
