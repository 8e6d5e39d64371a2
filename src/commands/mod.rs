//! One small function per subcommand: glue between the CLI and the library.

mod apply;
mod check;
mod emulator;
mod explain;
mod gitops;
mod import;
mod plan;
mod schema;
mod smoke;
mod state;
mod validate;

use crate::cli::{Cli, Command};
use crate::error::{Result, Status};
use crate::workspace::runtime;

/// Runs the parsed command; the caller prints an error and exits with its code.
pub(crate) fn dispatch(cli: Cli) -> Result<Status> {
    init_logging(cli.verbose);
    let quiet = cli.quiet;
    match cli.command {
        Command::Validate(args) => validate::run(&args, quiet),
        Command::Schema(args) => schema::run(&args),
        Command::Emulator(args) => emulator::run(&args),
        Command::Plan(args) => plan::run(args, cli.verbose > 0),
        Command::Apply(args) => apply::run(args, quiet),
        Command::State(command) => state::run(command),
        Command::Check(args) => check::run(&args, quiet),
        Command::Import(args) => import::run(args),
        Command::Smoke(args) => smoke::run(&args),
        Command::Init(args) => gitops::init(&args, quiet),
        Command::Completions(args) => gitops::completions(&args),
        Command::Man(args) => gitops::man(args.out.as_deref()),
        Command::Explain(args) => explain::run(&args),
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
