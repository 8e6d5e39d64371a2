//! `provision schema`: write the generated schemas, or check the committed ones.

use std::path::PathBuf;

use clap::Args;

use crate::config::schema::{Kind, schema_text};
use crate::error::{Error, Result, Status};
use crate::output;
use crate::reporter;

#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// Folder to write the schemas into.
    #[arg(long, value_name = "DIR", default_value = "schema")]
    pub out: PathBuf,
    /// Write nothing; exit 1 when the files in DIR differ from the generated ones.
    #[arg(long)]
    pub check: bool,
    /// Also the schemas of the JSON outputs (`apply-events`, `check`,
    /// `plan`, `state-list`, …), as published beside the config schemas.
    #[arg(long)]
    pub outputs: bool,
}

pub(super) fn run(args: &SchemaArgs) -> Result<Status> {
    let mut stale = Vec::new();
    let mut files: Vec<(&str, String)> = Kind::ALL
        .into_iter()
        .map(|kind| (kind.file_name(), schema_text(kind)))
        .collect();
    if args.outputs {
        files.extend(reporter::output_schemas());
    }
    for (name, want) in files {
        let path = args.out.join(name);
        if args.check {
            match std::fs::read_to_string(&path) {
                Ok(have) if have == want => {}
                _ => stale.push(path),
            }
            continue;
        }
        std::fs::create_dir_all(&args.out)
            .and_then(|()| std::fs::write(&path, want))
            .map_err(Error::io("write", &path))?;
        output::result_line(&format!("wrote {}", path.display()));
    }
    if stale.is_empty() {
        if args.check {
            output::result_line("schemas are up to date");
        }
        return Ok(Status::Success);
    }
    Err(Error::Problems(
        stale
            .iter()
            .map(|path| {
                format!(
                    "`{}` is missing or stale: run `provision schema --out {}{}` and commit the result",
                    path.display(),
                    args.out.display(),
                    if args.outputs { " --outputs" } else { "" }
                )
            })
            .collect(),
    ))
}
