//! Command-line definitions (clap). No logic here: `commands/` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::diagnostic::Format;

/// Manage PostgreSQL source connections on Adobe Experience Platform,
/// declaratively, from YAML files in git.
#[derive(Debug, Parser)]
#[command(name = "provision", version, about, max_term_width = 100)]
pub struct Cli {
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
    pub fn try_parse_args() -> Result<Self, clap::Error> {
        Cli::try_parse()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check connection files against the schema and the semantic rules
    /// (no network, no secrets needed).
    Validate(ValidateArgs),
    /// Write the generated JSON Schemas, or check the committed ones.
    Schema(SchemaArgs),
    /// Run the local Flow Service + IMS emulator (tests, demos, rehearsals).
    Emulator(crate::emulator::EmulatorArgs),
    /// Connect to each described PostgreSQL server with its credentials and
    /// TLS mode (preflight; never calls the Flow Service).
    Check(crate::check::CheckArgs),
}

/// Options shared by commands that read the config.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Files or folders of connection files (folders are walked for *.yaml / *.yml).
    #[arg(value_name = "PATH", default_value = "connections")]
    pub paths: Vec<PathBuf>,
    /// Project settings file (validated too when it exists).
    #[arg(long, value_name = "FILE", default_value = "provision.yaml")]
    pub config: PathBuf,
    /// Accept plaintext passwords with a warning instead of an error.
    #[arg(long)]
    pub allow_plaintext_secrets: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 1 when there are warnings, too.
    #[arg(long)]
    pub warnings_as_errors: bool,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Folder to write the schemas into.
    #[arg(long, value_name = "DIR", default_value = "schema")]
    pub out: PathBuf,
    /// Write nothing; exit 1 when the files in DIR differ from the generated ones.
    #[arg(long)]
    pub check: bool,
}
