//! `provision smoke`: glue from the flags to [`smoke::run`], then the table
//! of steps and a verdict; exit 1 on any mismatch or leftover.

use crate::cli::SmokeArgs;
use crate::desired::Environment;
use crate::error::{Error, Result, Status};
use crate::output;
use crate::smoke;

pub(super) fn run(args: &SmokeArgs) -> Result<Status> {
    let report = smoke::run(&args.options(), &Environment::process())?;
    output::result(&report.table());
    if let Some(left) = &report.left_behind {
        return Err(Error::Failed(left.clone()));
    }
    let mismatches = report.steps.iter().filter(|s| !s.matches).count();
    if mismatches > 0 {
        return Err(Error::Failed(format!(
            "smoke: {mismatches} step(s) did not match the client's assumptions (connection `{}` in sandbox `{}`, deleted)",
            report.name, report.sandbox
        )));
    }
    output::result_line(&format!(
        "Smoke complete: {} steps matched; connection `{}` was created and deleted in sandbox `{}`.",
        report.steps.len(),
        report.name,
        report.sandbox
    ));
    Ok(Status::Success)
}
