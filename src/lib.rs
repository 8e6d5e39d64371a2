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

use error::exit;

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
            err.report();
            err.exit_code()
        }
    };
    ExitCode::from(stdout_checked(code))
}

/// Results that could not be written are a failure, whatever the command
/// concluded (cli.md, "Transport rules"); a closed pipe ends quietly.
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
