//! `provision smoke`: glue from the flags to [`smoke::run`], then the table
//! of steps and a verdict; exit 1 on any mismatch or leftover.

use std::path::PathBuf;

use clap::Args;

use super::args::{EnvArg, ResultFormat, with_default};

use crate::config::Cloud;
use crate::desired::Environment;
use crate::error::{Error, Result, Status};
use crate::output;
use crate::reporter::{SmokeDocument, json_document};
use crate::smoke::{self, DataflowSmoke, SmokeOptions};
use crate::workspace::TargetOptions;

/// Create, read, list, update and delete one throwaway connection with
/// real credentials, and compare what the platform does with what the
/// client assumes.
#[derive(Debug, Args)]
pub(crate) struct SmokeArgs {
    /// Sandbox to run in (the throwaway connection lives there for seconds).
    #[arg(long, value_name = "SANDBOX")]
    pub sandbox: String,
    /// Cloud of the organization (`azure` or `aws`); picks the org from the settings.
    #[arg(long, value_name = "CLOUD", value_parser = clap::value_parser!(Cloud))]
    pub cloud: Cloud,
    /// Project settings file.
    #[arg(long, value_name = "FILE", default_value = "provision.yaml")]
    pub config: PathBuf,
    /// Flow Service host (overrides settings `endpoint`).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// IMS host for tokens (overrides settings `ims`).
    #[arg(long, value_name = "URL")]
    pub ims: Option<String>,
    /// Also make a whole dataflow chain over the throwaway connection, from
    /// this table (`schema.table`), and record the wire forms the platform
    /// accepts and returns; needs `--dataflow-dataset`, and
    /// `--dataflow-connection` unless the endpoint is a local emulator.
    #[arg(long, value_name = "TABLE", requires = "dataflow_dataset")]
    pub dataflow_table: Option<String>,
    /// The throwaway dataset (exact name) the dataflow chain writes into;
    /// needs `--dataflow-table`. Never a dataset in use: nothing runs (the
    /// flow starts a day ahead and is disabled), but the flow targets it.
    #[arg(long, value_name = "NAME", requires = "dataflow_table")]
    pub dataflow_dataset: Option<String>,
    /// The connection of the project's documents (`connections/`, in the
    /// `-e` environment; its name, or its key `cloud/sandbox/name`) whose
    /// server holds `--dataflow-table`: the throwaway connection copies its
    /// server, port, database, user, TLS mode and password (its `${VAR}`s
    /// resolved as `apply` does), so the platform explores a real table.
    /// That connection itself is never looked up, changed or deleted.
    #[arg(long, value_name = "NAME", requires = "dataflow_table")]
    pub dataflow_connection: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ResultFormat,
    #[command(flatten)]
    pub env: EnvArg,
}

impl SmokeArgs {
    fn options(&self) -> SmokeOptions {
        SmokeOptions {
            sandbox: self.sandbox.clone(),
            cloud: self.cloud,
            settings_file: self.config.clone(),
            target: TargetOptions {
                endpoint: self.endpoint.clone(),
                ims: self.ims.clone(),
                env_flag: self.env.env.clone(),
                ..TargetOptions::default()
            },
            dataflow: match (&self.dataflow_table, &self.dataflow_dataset) {
                (Some(table), Some(dataset)) => Some(DataflowSmoke {
                    table: table.clone(),
                    dataset: dataset.clone(),
                    connection: self.dataflow_connection.clone(),
                }),
                _ => None,
            },
            documents: with_default(&[]),
        }
    }
}

pub(super) fn run(args: &SmokeArgs) -> Result<Status> {
    let report = smoke::run(&args.options(), &Environment::process())?;
    match args.format {
        ResultFormat::Text => output::result(&report.table()),
        ResultFormat::Json => output::result(&json_document(&SmokeDocument::of(&report))),
    }
    if let Some(left) = &report.left_behind {
        return Err(Error::Failed(left.clone()));
    }
    if report.interrupted {
        output::progress(&(report.interrupted_line() + "\n"));
        return Ok(Status::Interrupted);
    }
    let mismatches = report.steps.iter().filter(|s| !s.matches).count();
    if mismatches > 0 {
        return Err(Error::Failed(format!(
            "smoke: {mismatches} step(s) did not match the client's assumptions (connection `{}` in sandbox `{}`, deleted)",
            report.name, report.sandbox
        )));
    }
    if args.format == ResultFormat::Text {
        output::result(&report.complete_lines());
    }
    Ok(Status::Success)
}
