//! `provision check`: validate, resolve `${VAR}`, probe every connection,
//! print each result as it completes and a summary; exit 1 if any failed.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::check::{self, Columns, Outcome};
use crate::cli::{CheckArgs, CheckFormat};
use crate::config::ConnectionKey;
use crate::desired::Environment;
use crate::desired::resolve::{self, Resolved};
use crate::diagnostic::{self, Diagnostic, Sources, Summary};
use crate::error::{Error, Result, Status};
use crate::output;

pub(super) fn run(args: &CheckArgs, quiet: bool) -> Result<Status> {
    let Some((resolved, places)) = resolved(args, &Environment::process()) else {
        return Ok(Status::Failed);
    };
    let format = args.format;
    let show = |outcome: &Outcome, columns: &Columns| match format {
        CheckFormat::Text => output::result_line(&outcome.text_line(columns)),
        CheckFormat::Github => {
            let place = places.get(&outcome.key).map(|(f, l)| (f.as_path(), *l));
            output::result_line(&outcome.github_line(columns, place));
        }
        // One document at the end; meanwhile each result on stderr.
        CheckFormat::Json if !quiet => output::progress(&(outcome.text_line(columns) + "\n")),
        CheckFormat::Json => {}
    };
    let checked = super::runtime()?
        .block_on(check::check_each(&resolved, &args.to_options(), &show))
        .map_err(|err| Error::Failed(err.to_string()))?;
    match format {
        CheckFormat::Json => output::result(&checked.render_json()),
        _ if quiet => {}
        CheckFormat::Text | CheckFormat::Github => {
            output::result_line(&checked.summary_line());
            output::result(&checked.failures_in_order());
        }
    }
    Ok(Status::failed_if(checked.failed() > 0))
}

/// Where each connection is written, for annotations.
type Places = HashMap<ConnectionKey, (PathBuf, u32)>;

/// The valid connections with their `${VAR}`s resolved; `None` after
/// printing the diagnostics that stop the check (errors, unset variables).
fn resolved(args: &CheckArgs, env: &Environment) -> Option<(Vec<Resolved>, Places)> {
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
    let places = check::places(&report.config.connections);
    match resolve::resolve_all(&report.config.connections, &|name| env.get(name)) {
        Ok(resolved) => Some((resolved, places)),
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
        CheckFormat::Github => {
            output::result(&diagnostic::render_github(diags));
            output::result_line(&summary.to_string());
        }
    }
}
