//! `provision smoke` flags, turned into `SmokeOptions`.

use std::path::PathBuf;

use clap::Args;

use crate::config::Cloud;
use crate::smoke::SmokeOptions;
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
}

impl SmokeArgs {
    pub(crate) fn options(&self) -> SmokeOptions {
        SmokeOptions {
            sandbox: self.sandbox.clone(),
            cloud: self.cloud,
            settings_file: self.config.clone(),
            target: TargetOptions {
                endpoint: self.endpoint.clone(),
                ims: self.ims.clone(),
                ..TargetOptions::default()
            },
        }
    }
}
