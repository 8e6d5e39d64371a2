//! `provision init`, `completions` and `man`: scaffolding and the files a
//! shell or `man` needs, generated from the clap definitions.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, InitArgs};
use crate::error::{Error, Result, Status};
use crate::output;
use crate::scaffold::{self, InitError, Wrote};

pub(super) fn init(args: &InitArgs, quiet: bool) -> Result<Status> {
    let created = scaffold::init(&args.dir).map_err(|err| match err {
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
            "Next: set `orgs` in provision.yaml, `provision import` existing connections, then `provision plan`.",
        );
    }
    Ok(Status::Success)
}

pub(super) fn completions(args: &CompletionsArgs) -> Result<Status> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "provision", &mut script);
    output::result(&String::from_utf8_lossy(&script));
    Ok(Status::Success)
}

pub(super) fn man(out: Option<&Path>) -> Result<Status> {
    let command = Cli::command();
    let Some(dir) = out else {
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
