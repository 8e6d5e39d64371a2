//! `provision check`: validate, resolve `${VAR}`, probe every connection
//! and look at every dataflow's table through it, print each result as it
//! completes and a summary; exit 1 if any failed.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::args::{ConfigArgs, EnvArg};
use crate::check::{self, CheckOptions, Columns, Line, Places, Wanted};
use crate::desired::Environment;
use crate::desired::resolve::{self, Resolved};
use crate::diagnostic::{self, Diagnostic, Sources, Summary};
use crate::error::{Error, Result, Status};
use crate::output;
use crate::reporter;

/// Connect to each described PostgreSQL server with its credentials and TLS
/// mode, run `SELECT 1`, and report reachability per connection; through
/// the same connection, check each dataflow's table, columns, delta column
/// and SELECT privilege.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Seconds each connection may take, from DNS lookup to the answer.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Connections probed at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub parallelism: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    /// A CA certificate file (PEM) trusted besides the system's roots, for
    /// `Verify Ca`, `Verify Full` and `ValidateServerCertificate=1`.
    #[arg(long, value_name = "FILE", env = "PROVISION_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    #[command(flatten)]
    pub env: EnvArg,
}

/// Output formats of `provision check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    /// one line per connection as each completes, then a summary
    Text,
    /// one JSON document at the end (each result on stderr meanwhile)
    Json,
    /// GitHub Actions annotations: an `::error` on each failing connection's file
    Github,
}

impl CheckArgs {
    fn to_options(&self) -> CheckOptions {
        CheckOptions {
            timeout: std::time::Duration::from_secs(self.timeout),
            parallelism: usize::try_from(self.parallelism).unwrap_or(1),
            ca_file: self.ca_file.clone(),
        }
    }
}

pub(super) fn run(args: &CheckArgs, quiet: bool) -> Result<Status> {
    let Some(Checkable {
        connections,
        dataflows,
        places,
    }) = resolved(args, &Environment::process())?
    else {
        return Ok(Status::Failed);
    };
    let format = args.format;
    let show = |line: Line<'_>, columns: &Columns| match format {
        CheckFormat::Text => output::result_line(&line.text(columns)),
        CheckFormat::Github => output::result_line(&line.github(columns, &places)),
        // One document at the end; meanwhile each result on stderr.
        CheckFormat::Json if !quiet => output::progress(&(line.text(columns) + "\n")),
        CheckFormat::Json => {}
    };
    let checked = super::runtime()?
        .block_on(check::check_each(
            &connections,
            &dataflows,
            &args.to_options(),
            &show,
        ))
        .map_err(|err| Error::Failed(err.to_string()))?;
    match format {
        CheckFormat::Json => output::result(&reporter::json_document(&checked.document())),
        _ if quiet => {}
        CheckFormat::Text | CheckFormat::Github => {
            output::result_line(&checked.summary_line());
            output::result(&checked.failures_in_order());
            output::result_line(&checked.note_line());
        }
    }
    Ok(Status::failed_if(checked.any_failed()))
}

/// What a run checks: the connections with their `${VAR}`s resolved, the
/// dataflows of the environment, and where each connection is written.
struct Checkable {
    connections: Vec<Resolved>,
    dataflows: Vec<Wanted>,
    places: Places,
}

/// What to check; `None` after printing the diagnostics that stop the
/// check (errors, unset variables).
fn resolved(args: &CheckArgs, env: &Environment) -> Result<Option<Checkable>> {
    let mut report = crate::workspace::validate_config(&args.config.options(), false);
    if report.has_errors() {
        let (diags, sources) = (&report.diagnostics, &report.sources);
        print_diagnostics(args.format, diags, sources, &report.summary);
        return Ok(None);
    }
    let selected = crate::workspace::select(&report.config.settings, args.env.env.as_deref(), env)?;
    let settings = crate::workspace::effective(&report.config.settings, selected.as_ref());
    let (environment, sandbox) = (
        selected.as_ref().map(|s| s.name.as_str()),
        settings.sandbox.as_deref(),
    );
    let connections = std::mem::take(&mut report.config.connections);
    report.config.connections = crate::desired::in_environment(connections, environment, sandbox);
    let dataflows = check::dataflows_in(&report.config.dataflows, environment, sandbox);
    if !report.diagnostics.is_empty() {
        // Warnings do not stop a check; they go to stderr, out of the result.
        output::progress(&diagnostic::render_text(
            &report.diagnostics,
            &report.sources,
            output::use_color(),
        ));
    }
    let vars = settings.vars.unwrap_or_default();
    let lookup = |name: &str| vars.get(name).cloned().or_else(|| env.get(name));
    let places = check::places(&report.config.connections);
    match resolve::resolve_all(&report.config.connections, &lookup) {
        Ok(connections) => Ok(Some(Checkable {
            connections,
            dataflows,
            places,
        })),
        Err(missing) => {
            let sources = crate::config::load::read_sources(&missing);
            let mut summary = report.summary;
            summary.count(&missing);
            print_diagnostics(args.format, &missing, &sources, &summary);
            Ok(None)
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
