//! `provision import`: glue from the flags to [`import::run`], then the
//! files written (or, with `--dry-run`, their text), skips as warnings, a
//! summary and the variables the user must set.

use std::path::PathBuf;

use clap::Args;

use super::args::{ResultFormat, TargetArgs, with_default};
use crate::config::{Cloud, ResourceKind};
use crate::desired::Environment;
use crate::error::{Result, Status};
use crate::import::{self, Candidate, ImportOptions, ImportRun, Variable};
use crate::output;
use crate::reporter::{self, ImportDocument};
use crate::workspace::TargetOptions;

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// Sandbox to read the existing connections and dataflows from [default: the
    /// settings' `sandbox`, the environment's with `-e`].
    #[arg(long, value_name = "SANDBOX")]
    pub sandbox: Option<String>,
    /// Cloud of the organization (`azure` or `aws`); picks the org from the settings.
    #[arg(long, value_name = "CLOUD", value_parser = clap::value_parser!(Cloud))]
    pub cloud: Cloud,
    /// Folder to write the connection and dataflow files into (default `connections/<sandbox>/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Show what would be written; write and record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Project settings file.
    #[arg(long, value_name = "FILE", default_value = "provision.yaml")]
    pub config: PathBuf,
    /// Files or folders of the project's connection files [default:
    /// connections]: a connection or dataflow any of them describes (by
    /// `cloud/sandbox/name`) is not imported again.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ResultFormat,
}

impl ImportArgs {
    fn options(&self) -> ImportOptions {
        ImportOptions {
            sandbox: self.sandbox.clone(),
            cloud: self.cloud,
            out: self.out.clone(),
            dry_run: self.dry_run,
            settings_file: self.config.clone(),
            paths: with_default(&self.paths),
            target: TargetOptions {
                settings_file: Some(self.config.clone()),
                ..self.target.options()
            },
        }
    }
}

pub(super) fn run(args: ImportArgs) -> Result<Status> {
    let done = import::run(&args.options(), &Environment::process())?;
    if args.format == ResultFormat::Json {
        let document = ImportDocument::of(&done, args.dry_run);
        output::result(&reporter::json_document(&document));
        return Ok(Status::Success);
    }
    if args.dry_run {
        for candidate in &done.selection.candidates {
            output::result(&format!(
                "--- would write `{}` ({})\n{}",
                candidate.file.display(),
                candidate.key,
                candidate.text
            ));
        }
        for candidate in &done.selection.dataflows {
            output::result(&format!(
                "--- would write `{}` ({})\n{}",
                candidate.file.display(),
                candidate.key,
                candidate.text
            ));
        }
    } else {
        for candidate in &done.written {
            output::result_line(&format!(
                "wrote `{}` ({}, connection `{}`)",
                candidate.file.display(),
                candidate.key,
                candidate.id
            ));
        }
        for candidate in &done.written_dataflows {
            output::result_line(&format!(
                "wrote `{}` ({}, flow `{}`)",
                candidate.file.display(),
                candidate.key,
                candidate.flow_id
            ));
        }
    }
    finish(&done, args.dry_run);
    Ok(Status::Success)
}

/// Skips as warnings, a summary, then the variables to set.
fn finish(done: &ImportRun, dry_run: bool) {
    for skip in &done.selection.skipped {
        let kind = match skip.kind {
            ResourceKind::Connection => "",
            ResourceKind::Dataflow => "dataflow ",
        };
        output::warning(&format!(
            "skipped {kind}`{}` (`{}`): {}",
            skip.name, skip.id, skip.reason
        ));
    }
    let (listed, flows): (&[Candidate], usize) = if dry_run {
        (&done.selection.candidates, done.selection.dataflows.len())
    } else {
        (&done.written, done.written_dataflows.len())
    };
    output::result_line(&format!(
        "Import {}: {} {}, {} skipped.",
        if dry_run { "dry run" } else { "complete" },
        listed.len() + flows,
        if dry_run {
            "to write"
        } else {
            "written and recorded in state"
        },
        done.selection.skipped.len()
    ));
    let variables: Vec<&Variable> = listed.iter().flat_map(|c| &c.variables).collect();
    if !variables.is_empty() {
        output::result_line(
            "Set these variables before `provision plan` (the platform never returns secrets):",
        );
        for variable in variables {
            output::result_line(&format!("  {}  ({})", variable.name, variable.holds));
        }
    }
}
