//! The command line: the top-level `Cli`, the `Command` enum and the
//! dispatch to one file per subcommand, each holding its clap `Args` and
//! the glue between them and the library (which never sees clap types).

mod apply;
mod args;
mod check;
mod completions;
mod emulator;
mod env;
mod explain;
mod import;
mod init;
mod man;
mod plan;
mod schema;
mod smoke;
mod state;
mod state_migrate;
mod state_target;
mod validate;

use clap::{Parser, Subcommand};

use crate::error::{Result, Status};
use crate::workspace::runtime;

/// Manage PostgreSQL source connections on Adobe Experience Platform,
/// declaratively, from YAML files in git.
#[derive(Debug, Parser)]
#[command(name = "provision", version = env!("PROVISION_VERSION_LONG"), about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More logs on stderr (-v info, -vv debug, -vvv trace). Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Print only results and errors: no summary lines or progress.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl Cli {
    /// Parses `std::env::args`, returning clap's error for the caller to print.
    pub(crate) fn try_parse_args() -> Result<Self, clap::Error> {
        Cli::try_parse()
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check connection files against the schema and the semantic rules
    /// (no network, no secrets needed).
    Validate(validate::ValidateArgs),
    /// Write the generated JSON Schemas, or check the committed ones.
    Schema(schema::SchemaArgs),
    /// Run the local Flow Service + IMS emulator (tests, demos, rehearsals).
    Emulator(emulator::EmulatorArgs),
    /// Show what apply would do: create, adopt, update, delete (no writes).
    Plan(plan::PlanArgs),
    /// Carry out the plan against the Flow Service, recording each result in state.
    Apply(apply::ApplyArgs),
    /// Inspect and repair state.
    #[command(subcommand)]
    State(state::StateCommand),
    /// List the environments of the settings (`environments:`).
    #[command(subcommand)]
    Env(env::EnvCommand),
    /// Connect to each described PostgreSQL server with its credentials and
    /// TLS mode (preflight; never calls the Flow Service).
    Check(check::CheckArgs),
    /// Write YAML files (and state records) for connections that already exist.
    Import(import::ImportArgs),
    /// With real credentials: create, read, list, update and delete one
    /// throwaway connection, and check the client's assumptions about the platform.
    Smoke(smoke::SmokeArgs),
    /// Scaffold a new project: settings, an example, schemas, CI templates.
    Init(init::InitArgs),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
    /// Write the man page(s), generated from these definitions.
    Man(man::ManArgs),
    /// Explain a diagnostic code (`provision explain V203`), or list every code.
    Explain(explain::ExplainArgs),
}

/// Runs the parsed command; the caller prints an error and exits with its code.
pub(crate) fn dispatch(mut cli: Cli) -> Result<Status> {
    init_logging(cli.verbose);
    enter_project(&mut cli.command)?;
    let quiet = cli.quiet;
    match cli.command {
        Command::Validate(args) => validate::run(&args, quiet),
        Command::Schema(args) => schema::run(&args),
        Command::Emulator(args) => emulator::run(&args),
        Command::Plan(args) => plan::run(args, cli.verbose > 0),
        Command::Apply(args) => apply::run(args, quiet),
        Command::State(command) => state::run(command),
        Command::Env(command) => env::run(&command),
        Command::Check(args) => check::run(&args, quiet),
        Command::Import(args) => import::run(args),
        Command::Smoke(args) => smoke::run(&args),
        Command::Init(args) => init::run(&args, quiet),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(&args),
        Command::Explain(args) => explain::run(&args),
    }
}

/// Commands that read a project run from its root, found upward from the
/// current folder; the paths given on their command line are rebased so
/// they keep naming what they named from where the user stands.
fn enter_project(command: &mut Command) -> Result<()> {
    use args::enter_project as enter;
    match command {
        Command::Validate(a) => enter(&mut a.config.config, a.config.paths.iter_mut()),
        Command::Check(a) => enter(
            &mut a.config.config,
            a.config.paths.iter_mut().chain(a.ca_file.as_mut()),
        ),
        Command::Plan(a) => {
            let p = &mut a.planning;
            let given = p.config.paths.iter_mut().chain(p.target.state.as_mut());
            enter(&mut p.config.config, given.chain(a.out.as_mut()))
        }
        Command::Apply(a) => {
            let p = &mut a.planning;
            let given = p.config.paths.iter_mut().chain(p.target.state.as_mut());
            enter(&mut p.config.config, given.chain(a.plan.as_mut()))
        }
        Command::Import(a) => {
            let given = a.paths.iter_mut().chain(a.out.as_mut());
            enter(&mut a.config, given.chain(a.target.state.as_mut()))
        }
        Command::Smoke(a) => enter(&mut a.config, std::iter::empty()),
        Command::Env(env::EnvCommand::List(a)) => enter(&mut a.config, std::iter::empty()),
        Command::State(state) => enter_state(state),
        _ => Ok(()),
    }
}

/// [`enter_project`] for the state commands.
fn enter_state(command: &mut state::StateCommand) -> Result<()> {
    use args::enter_project as enter;
    use state::StateCommand as S;
    let t = match command {
        S::List(a) => &mut a.state.target,
        S::Show(a) => &mut a.record.state.target,
        S::Rm(a) | S::Protect(a) | S::Unprotect(a) => &mut a.state.target,
        S::Unlock(a) => &mut a.target,
        S::Import(a) => {
            let given = a.config.paths.iter_mut().chain(a.target.state.as_mut());
            return enter(&mut a.config.config, given);
        }
        S::Migrate(a) => {
            // `--to FILE` is a path given here; a URL is not.
            let mut to =
                a.to.as_ref()
                    .filter(|to| !to.contains("://"))
                    .map(std::path::PathBuf::from);
            let t = &mut a.state.target;
            enter(
                &mut t.config,
                t.state.as_mut().into_iter().chain(to.as_mut()),
            )?;
            if let Some(to) = to {
                a.to = Some(to.to_string_lossy().into_owned());
            }
            return Ok(());
        }
    };
    enter(&mut t.config, t.state.as_mut())
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
