//! `provision explain [CODE]`: a diagnostic code's long explanation, or the
//! list of every code. The text lives with the codes, in `diagnostic`.

use crate::cli::ExplainArgs;
use crate::diagnostic;
use crate::error::{Result, Status};
use crate::output;

pub(super) fn run(args: &ExplainArgs) -> Result<Status> {
    match args.code {
        Some(code) => output::result(&diagnostic::explain(code)),
        None => output::result(&diagnostic::list_codes()),
    }
    Ok(Status::Success)
}
