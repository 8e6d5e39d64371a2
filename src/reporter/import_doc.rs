//! What `import --format json` prints: the connections written (or, with
//! `--dry-run`, to be written, with their text), those left alone and why,
//! and the variables their secrets became.

use schemars::JsonSchema;
use serde::Serialize;

use crate::import::{Candidate, ImportRun};

/// `import --format json`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ImportDocument {
    /// The version of this document's format.
    format_version: u32,
    /// Nothing was written or recorded: `connections` says what would be.
    dry_run: bool,
    /// Written and recorded in state (with `--dry-run`: to be written).
    connections: Vec<Imported>,
    /// Remote connections left alone.
    skipped: Vec<Skipped>,
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

/// A remote connection left alone, and why.
#[derive(Debug, Serialize, JsonSchema)]
struct Skipped {
    name: String,
    id: String,
    reason: String,
}

impl ImportDocument {
    const FORMAT_VERSION: u32 = 1;

    pub(crate) fn of(done: &ImportRun, dry_run: bool) -> Self {
        let listed: &[Candidate] = if dry_run {
            &done.selection.candidates
        } else {
            &done.written
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
            skipped: done
                .selection
                .skipped
                .iter()
                .map(|s| Skipped {
                    name: s.name.clone(),
                    id: s.id.clone(),
                    reason: s.reason.clone(),
                })
                .collect(),
        }
    }
}
