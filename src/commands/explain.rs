//! `provision explain [CODE]`: a diagnostic code's long explanation, or the
//! list of every code. The text lives with the codes, in `diagnostic`.

use clap::Args;

use crate::diagnostic;
use crate::error::{Result, Status};
use crate::output;

/// `provision explain [CODE]`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// A diagnostic code such as `V203` (any case); without it, every code is listed.
    #[arg(value_name = "CODE", value_parser = crate::diagnostic::parse_code)]
    pub code: Option<crate::diagnostic::Code>,
}

pub(super) fn run(args: &ExplainArgs) -> Result<Status> {
    match args.code {
        Some(code) => output::result(&diagnostic::explain(code)),
        None => output::result(&diagnostic::list_codes()),
    }
    Ok(Status::Success)
}
