//! `provision` manages PostgreSQL source connections on Adobe Experience
//! Platform declaratively: YAML files in git are the desired state, and the
//! tool validates, plans and applies them through the Flow Service API.

pub mod api;
pub mod apply;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod desired;
pub mod diagnostic;
pub mod emulator;
pub mod error;
pub mod import;
pub mod output;
pub mod plan;
pub mod scaffold;
pub mod secret;
pub mod state;
pub mod tls;
pub mod validate;
pub mod workspace;

use std::process::ExitCode;

pub use error::exit;

/// Parses the command line and runs the chosen command.
pub fn run() -> ExitCode {
    let cli = match cli::Cli::try_parse_args() {
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
    ExitCode::from(code)
}
