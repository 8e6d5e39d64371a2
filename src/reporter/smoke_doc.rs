//! What `smoke --format json` prints: each step with what the platform did
//! and what the client assumes, so a pipeline can tell which assumption broke.

use schemars::JsonSchema;
use serde::Serialize;

use crate::smoke::SmokeReport;

/// `smoke --format json`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SmokeDocument {
    /// The version of this document's format.
    format_version: u32,
    /// The throwaway connection's name.
    name: String,
    sandbox: String,
    /// In the order they ran.
    steps: Vec<SmokeStep>,
    /// A connection the run could not delete, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    left_behind: Option<String>,
}

/// One step of the smoke run.
#[derive(Debug, Serialize, JsonSchema)]
struct SmokeStep {
    name: String,
    /// What the platform did.
    observed: String,
    /// What the client assumes it does.
    assumed: String,
    /// Whether the two agree.
    matches: bool,
}

impl SmokeDocument {
    const FORMAT_VERSION: u32 = 1;

    pub(crate) fn of(report: &SmokeReport) -> Self {
        SmokeDocument {
            format_version: Self::FORMAT_VERSION,
            name: report.name.clone(),
            sandbox: report.sandbox.clone(),
            steps: report
                .steps
                .iter()
                .map(|s| SmokeStep {
                    name: s.name.to_owned(),
                    observed: s.observed.clone(),
                    assumed: s.assumed.clone(),
                    matches: s.matches,
                })
                .collect(),
            left_behind: report.left_behind.clone(),
        }
    }
}
