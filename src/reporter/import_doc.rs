//! What `import --format json` prints: the connections and dataflows
//! written (or, with `--dry-run`, to be written, with their text), those
//! left alone and why, and the variables the connections' secrets became.

use schemars::JsonSchema;
use serde::Serialize;

use crate::import::{Candidate, DataflowCandidate, ImportRun};

/// `import --format json`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ImportDocument {
    /// The version of this document's format.
    format_version: u32,
    /// Nothing was written or recorded: `connections` says what would be.
    dry_run: bool,
    /// Written and recorded in state (with `--dry-run`: to be written).
    connections: Vec<Imported>,
    /// Dataflows written and recorded in state (with `--dry-run`: to be written).
    dataflows: Vec<ImportedDataflow>,
    /// Remote connections and flows left alone.
    skipped: Vec<Skipped>,
}

/// One flow brought under management as a dataflow document.
#[derive(Debug, Serialize, JsonSchema)]
struct ImportedDataflow {
    /// `dataflow/cloud/sandbox/name`.
    key: String,
    /// The Flow Service flow id.
    id: String,
    /// The dataflow file.
    file: String,
    /// The file's text, with `--dry-run`.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

/// One connection brought under management.
#[derive(Debug, Serialize, JsonSchema)]
struct Imported {
    /// `cloud/sandbox/name`.
    key: String,
    /// The Flow Service connection id.
    id: String,
    /// The connection file.
    file: String,
    /// The file's text, with `--dry-run` (the platform never returns secrets: it holds none).
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// The variables its secrets became, which must be set before `provision plan`.
    variables: Vec<Variable>,
}

/// A variable an imported file references.
#[derive(Debug, Serialize, JsonSchema)]
struct Variable {
    name: String,
    /// What its value must be.
    holds: String,
}

/// A remote connection or flow left alone, and why.
#[derive(Debug, Serialize, JsonSchema)]
struct Skipped {
    /// `connection` or `dataflow`.
    kind: &'static str,
    name: String,
    id: String,
    reason: String,
}

impl ImportDocument {
    const FORMAT_VERSION: u32 = 1;

    pub(crate) fn of(done: &ImportRun, dry_run: bool) -> Self {
        let (listed, flows): (&[Candidate], &[DataflowCandidate]) = if dry_run {
            (&done.selection.candidates, &done.selection.dataflows)
        } else {
            (&done.written, &done.written_dataflows)
        };
        ImportDocument {
            format_version: Self::FORMAT_VERSION,
            dry_run,
            connections: listed
                .iter()
                .map(|c| Imported {
                    key: c.key.to_string(),
                    id: c.id.clone(),
                    file: c.file.display().to_string(),
                    text: dry_run.then(|| c.text.clone()),
                    variables: c
                        .variables
                        .iter()
                        .map(|v| Variable {
                            name: v.name.clone(),
                            holds: v.holds.to_owned(),
                        })
                        .collect(),
                })
                .collect(),
            dataflows: flows
                .iter()
                .map(|c| ImportedDataflow {
                    key: c.key.to_string(),
                    id: c.flow_id.clone(),
                    file: c.file.display().to_string(),
                    text: dry_run.then(|| c.text.clone()),
                })
                .collect(),
            skipped: done
                .selection
                .skipped
                .iter()
                .map(|s| Skipped {
                    kind: s.kind.as_str(),
                    name: s.name.clone(),
                    id: s.id.clone(),
                    reason: s.reason.clone(),
                })
                .collect(),
        }
    }
}
