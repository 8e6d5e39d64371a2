//! `provision check`: validate, resolve `${VAR}`, probe every connection,
//! print one line per connection and a summary; exit 1 if any failed.

use crate::check;
use crate::cli::{CheckArgs, CheckFormat};
use crate::desired::Environment;
use crate::desired::resolve;
use crate::diagnostic::{self, Diagnostic, Sources, Summary};
use crate::error::{Error, Result, Status};
use crate::output;

pub(super) fn run(args: &CheckArgs, quiet: bool) -> Result<Status> {
    let env = Environment::process();
    let report = crate::workspace::validate_config(&args.config.options(), false);
    if report.has_errors() {
        print_diagnostics(
            args.format,
            &report.diagnostics,
            &report.sources,
            &report.summary,
        );
        return Ok(Status::Failed);
    }
    if !report.diagnostics.is_empty() {
        // Warnings do not stop a check; they go to stderr, out of the result.
        output::progress(&diagnostic::render_text(
            &report.diagnostics,
            &report.sources,
            output::use_color(),
        ));
    }
    let resolved = match resolve::resolve_all(&report.config.connections, &|name| env.get(name)) {
        Ok(resolved) => resolved,
        Err(missing) => {
            let sources = diagnostic::read_sources(&missing);
            let mut summary = report.summary;
            summary.count(&missing);
            print_diagnostics(args.format, &missing, &sources, &summary);
            return Ok(Status::Failed);
        }
    };
    let runtime = super::runtime()?;
    let checked = runtime
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
