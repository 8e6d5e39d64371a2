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
    /// The dataflow chain, with `--dataflow-table`.
    #[serde(skip_serializing_if = "Option::is_none")]
    dataflow: Option<SmokeChain>,
}

/// The dataflow chain a run made over its connection.
#[derive(Debug, Serialize, JsonSchema)]
struct SmokeChain {
    /// The name of its four objects.
    name: String,
    /// The id of its mapping set, which stays (Data Prep has no delete);
    /// absent when none was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    mapping_set_kept: Option<String>,
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
            dataflow: report.chain.as_ref().map(|(name, kept)| SmokeChain {
                name: name.clone(),
                mapping_set_kept: kept.clone(),
            }),
        }
    }
}
