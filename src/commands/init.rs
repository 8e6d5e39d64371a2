//! `provision init`: scaffold a new project (settings, an example,
//! schemas, CI templates) and say what to do next.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result, Status};
use crate::output;
use crate::scaffold::{self, Ci, InitError, Wrote};

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Folder to scaffold the project in.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// The CI pipeline to write beside the project (see the CI guide).
    #[arg(long, value_enum, value_name = "CI", default_value_t = Ci::None)]
    pub ci: Ci,
}

pub(super) fn run(args: &InitArgs, quiet: bool) -> Result<Status> {
    let created = scaffold::init(&args.dir, args.ci).map_err(|err| match err {
        InitError::Exists(paths) => Error::Failed(format!(
            "{} file(s) already exist, nothing was written:{}",
            paths.len(),
            paths
                .iter()
                .map(|path| format!("\n  {}", path.display()))
                .collect::<String>()
        )),
        InitError::Io { path, source } => Error::Io {
            action: "write",
            path,
            source,
        },
    })?;
    for (path, wrote) in &created {
        output::result_line(&match wrote {
            Wrote::Created => format!("created `{}`", path.display()),
            Wrote::Appended => format!(
                "appended `{}` to `{}`",
                scaffold::IGNORE_ENTRY,
                path.display()
            ),
        });
    }
    if !quiet {
        output::result_line(
            "Next: set `orgs` in provision.yaml, `provision validate`, rehearse with `provision plan --emulator` and `provision apply --emulator`, `provision import` existing connections, then `provision plan`.",
        );
    }
    Ok(Status::Success)
}
