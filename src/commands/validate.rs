//! `provision validate`: report every problem in the config, then a summary.

use clap::Args;

use super::args::ConfigArgs;
use crate::diagnostic;
use crate::error::{Result, Status};
use crate::output;
use crate::validate::EnvScope;

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 1 when there are warnings, too.
    #[arg(long)]
    pub warnings_as_errors: bool,
    /// Check only this environment's resolution (default: every
    /// environment of the settings).
    #[arg(short = 'e', long = "env", value_name = "NAME")]
    pub env: Option<String>,
}

/// Output formats for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// rustc-style, with the source line and a caret
    Text,
    /// one JSON document
    Json,
    /// GitHub Actions workflow annotations
    Github,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
}

pub(super) fn run(args: &ValidateArgs, quiet: bool) -> Result<Status> {
    let scope = EnvScope {
        only: args.env.as_deref(),
        resolution: true,
    };
    let report = crate::workspace::validate_config_in(&args.config.options(), true, scope);
    if args.env.is_some() && !report.has_errors() {
        // `-e` names an environment of the settings (PROVISION_ENV is not read).
        let none = crate::desired::Environment::from_fn(|_| None);
        crate::workspace::select(&report.config.settings, args.env.as_deref(), &none)?;
    }
    match args.format {
        Format::Text => {
            output::result(&diagnostic::render_text(
                &report.diagnostics,
                &report.sources,
                output::use_color_stdout(),
            ));
            if !quiet {
                output::result_line(&report.summary.to_string());
            }
        }
        Format::Json => output::result(&diagnostic::render_json(
            &report.diagnostics,
            &report.summary,
        )),
        Format::Sarif => output::result(&crate::diagnostic::sarif::render(
            &report.diagnostics,
            &std::env::current_dir().unwrap_or_default(),
        )),
        Format::Github => {
            output::result(&diagnostic::render_github(&report.diagnostics));
            if !quiet {
                output::result_line(&report.summary.to_string());
            }
        }
    }
    let failed =
        report.summary.errors > 0 || (args.warnings_as_errors && report.summary.warnings > 0);
    Ok(Status::failed_if(failed))
}
