//! `provision check` flags, turned into the check's `CheckOptions`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::ConfigArgs;
use crate::check::CheckOptions;

/// Connect to each described PostgreSQL server with its credentials and TLS
/// mode, run `SELECT 1`, and report reachability per connection.
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
    pub(crate) fn to_options(&self) -> CheckOptions {
        CheckOptions {
            timeout: std::time::Duration::from_secs(self.timeout),
            parallelism: usize::try_from(self.parallelism).unwrap_or(1),
            ca_file: self.ca_file.clone(),
        }
    }
}
