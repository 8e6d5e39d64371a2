//! One small function per subcommand: glue between the CLI and the library.

mod check;
mod emulator;
mod schema;
mod validate;

use crate::cli::{Cli, Command};

/// Runs the parsed command and returns the process exit code.
pub fn dispatch(cli: Cli) -> u8 {
    init_logging(cli.verbose);
    let quiet = cli.quiet;
    match cli.command {
        Command::Validate(args) => validate::run(&args, quiet),
        Command::Schema(args) => schema::run(&args),
        Command::Emulator(args) => emulator::run(&args),
        Command::Check(args) => check::run(&args, quiet),
    }
}

/// Logs go to stderr; `-v` raises the level. Nothing logs a secret.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(crate::output::use_color())
        .with_target(false)
        .try_init();
}
