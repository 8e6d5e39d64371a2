//! `provision init`, `completions` and `man`: scaffolding and the files a
//! shell or `man` needs, generated from the clap definitions.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, InitArgs};
use crate::scaffold::{self, InitError};
use crate::{exit, output};

pub fn init(args: &InitArgs) -> u8 {
    match scaffold::init(&args.dir) {
        Ok(created) => {
            for path in &created {
                output::result_line(&format!("created `{}`", path.display()));
            }
            output::result_line(
                "Next: set `orgs` in provision.yaml, `provision import` existing connections, then `provision plan`.",
            );
            exit::OK
        }
        Err(InitError::Exists(paths)) => {
            output::error(&format!(
                "{} file(s) already exist, nothing was written:",
                paths.len()
            ));
            for path in &paths {
                output::progress(&format!("  {}\n", path.display()));
            }
            exit::FAILURE
        }
        Err(err) => {
            output::error(&err.to_string());
            exit::FAILURE
        }
    }
}

pub fn completions(args: &CompletionsArgs) -> u8 {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "provision", &mut script);
    output::result(&String::from_utf8_lossy(&script));
    exit::OK
}

pub fn man(out: Option<&Path>) -> u8 {
    let command = Cli::command();
    let Some(dir) = out else {
        let mut page = Vec::new();
        if let Err(err) = clap_mangen::Man::new(command).render(&mut page) {
            output::error(&format!("cannot render the man page: {err}"));
            return exit::FAILURE;
        }
        output::result(&String::from_utf8_lossy(&page));
        return exit::OK;
    };
    if let Err(err) =
        std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(command, dir))
    {
        output::error(&format!(
            "cannot write man pages to `{}`: {err}",
            dir.display()
        ));
        return exit::FAILURE;
    }
    output::result_line(&format!("wrote man pages to `{}`", dir.display()));
    exit::OK
}
