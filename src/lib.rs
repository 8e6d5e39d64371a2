//! `provision` manages PostgreSQL source connections on Adobe Experience
//! Platform declaratively: YAML files in git are the desired state, and the
//! tool validates, plans and applies them through the Flow Service API.

pub mod api;
mod apply;
mod check;
mod commands;
pub mod config;
mod connection_string;
mod desired;
mod diagnostic;
pub mod emulator;
mod error;
mod escape;
mod import;
mod output;
mod plan;
#[doc(hidden)]
pub mod reference;
mod reporter;
mod scaffold;
pub mod secret;
mod smoke;
pub mod state;
mod suggest;
mod tls;
pub mod validate;
mod workspace;

use std::process::ExitCode;

#[doc(hidden)]
pub use diagnostic::{Code, codes_reference};

use error::{Error, exit};

/// Parses the command line and runs the chosen command.
pub fn run() -> ExitCode {
    let cli = match commands::Cli::try_parse_args() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            // clap prints help/version to stdout and errors to stderr itself.
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let code = match commands::dispatch(cli) {
        Ok(status) => status.exit_code(),
        Err(err) => {
            report(&err);
            err.exit_code()
        }
    };
    ExitCode::from(stdout_checked(code))
}

/// Prints an error that ended a command on stderr: diagnostics first for
/// invalid config, one `error:` line per listed problem, else one `error:` line.
fn report(err: &Error) {
    match err {
        Error::InvalidConfig {
            diagnostics,
            sources,
            ..
        } => {
            output::progress(&diagnostic::render_text(
                diagnostics,
                sources,
                output::use_color(),
            ));
            output::error(&err.to_string());
        }
        Error::Problems(lines) => {
            for line in lines {
                output::error(line);
            }
        }
        _ => output::error(&err.to_string()),
    }
}

/// Results that could not be written are a failure, whatever the command
/// concluded; a closed pipe ends quietly.
fn stdout_checked(code: u8) -> u8 {
    match output::stdout_failure() {
        None => code,
        Some(message) => {
            if let Some(message) = message {
                output::error(&message);
            }
            if code == exit::OK || code == exit::CHANGES {
                exit::FAILURE
            } else {
                code
            }
        }
    }
}
