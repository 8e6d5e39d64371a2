//! `provision check`: validate, resolve `${VAR}`, probe every connection,
//! print one line per connection and a summary; exit 1 if any failed.

use crate::check;
use crate::cli::{CheckArgs, CheckFormat};
use crate::desired::Environment;
use crate::desired::resolve::{self, Resolved};
use crate::diagnostic::{self, Diagnostic, Sources, Summary};
use crate::error::{Error, Result, Status};
use crate::output;

pub(super) fn run(args: &CheckArgs, quiet: bool) -> Result<Status> {
    let Some(resolved) = resolved(args, &Environment::process()) else {
        return Ok(Status::Failed);
    };
    let checked = super::runtime()?
        .block_on(check::check_all(&resolved, &args.to_options()))
        .map_err(|err| Error::Failed(err.to_string()))?;
    match args.format {
        CheckFormat::Text => {
            output::result(&checked.render_text());
            if !quiet {
                output::result_line(&checked.summary_line());
            }
        }
        CheckFormat::Json => output::result(&checked.render_json()),
    }
    Ok(Status::failed_if(checked.failed() > 0))
}

/// The valid connections with their `${VAR}`s resolved; `None` after
/// printing the diagnostics that stop the check (errors, unset variables).
fn resolved(args: &CheckArgs, env: &Environment) -> Option<Vec<Resolved>> {
    let report = crate::workspace::validate_config(&args.config.options(), false);
    if report.has_errors() {
        let (diags, sources) = (&report.diagnostics, &report.sources);
        print_diagnostics(args.format, diags, sources, &report.summary);
        return None;
    }
    if !report.diagnostics.is_empty() {
        // Warnings do not stop a check; they go to stderr, out of the result.
        output::progress(&diagnostic::render_text(
            &report.diagnostics,
            &report.sources,
            output::use_color(),
        ));
    }
    match resolve::resolve_all(&report.config.connections, &|name| env.get(name)) {
        Ok(resolved) => Some(resolved),
        Err(missing) => {
            let sources = crate::config::load::read_sources(&missing);
            let mut summary = report.summary;
            summary.count(&missing);
            print_diagnostics(args.format, &missing, &sources, &summary);
            None
        }
    }
}

fn print_diagnostics(
    format: CheckFormat,
    diags: &[Diagnostic],
    sources: &Sources,
    summary: &Summary,
) {
    match format {
        CheckFormat::Text => {
            output::result(&diagnostic::render_text(
                diags,
                sources,
                output::use_color_stdout(),
            ));
            output::result_line(&summary.to_string());
        }
        CheckFormat::Json => output::result(&diagnostic::render_json(diags, summary)),
    }
}
