//! `provision import`: glue from the flags to [`import::run`], then the
//! files written (or, with `--dry-run`, their text), skips as warnings, a
//! summary and the variables the user must set.

use crate::cli::ImportArgs;
use crate::desired::Environment;
use crate::error::{Result, Status};
use crate::import::{self, Candidate, ImportRun, Variable};
use crate::output;

pub(super) fn run(args: ImportArgs) -> Result<Status> {
    let done = import::run(&args.options(), &Environment::process())?;
    if args.dry_run {
        for candidate in &done.selection.candidates {
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
    }
    finish(&done, args.dry_run);
    Ok(Status::Success)
}

/// Skips as warnings, a summary, then the variables to set.
fn finish(done: &ImportRun, dry_run: bool) {
    for skip in &done.selection.skipped {
        output::warning(&format!(
            "skipped `{}` (`{}`): {}",
            skip.name, skip.id, skip.reason
        ));
    }
    let listed: &[Candidate] = if dry_run {
        &done.selection.candidates
    } else {
        &done.written
    };
    output::result_line(&format!(
        "Import {}: {} {}, {} skipped.",
        if dry_run { "dry run" } else { "complete" },
        listed.len(),
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
