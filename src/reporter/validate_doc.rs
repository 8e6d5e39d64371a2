//! The shape of `validate --format json` (printed by the diagnostic
//! renderers), written down as types so its schema is generated like the
//! others; a test checks real output against it, so the two cannot drift.

use schemars::JsonSchema;

/// `validate --format json`: every problem found, and the counts.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "only its schema is used: the document is the diagnostics' own"
)]
pub(crate) struct ValidateDocument {
    diagnostics: Vec<Diagnostic>,
    summary: Summary,
}

/// One problem at one place.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(dead_code, reason = "only its schema is used")]
struct Diagnostic {
    /// The stable code, e.g. `S103`.
    code: String,
    severity: Severity,
    /// The file, as given on the command line.
    file: String,
    /// 1-based.
    line: u32,
    /// 1-based.
    column: u32,
    /// JSON pointer of the offending node inside its document (`""` = the whole document).
    pointer: String,
    /// Index of the document in its file (0-based), when it concerns one.
    #[schemars(default)]
    document: Option<usize>,
    message: String,
    /// How to fix it.
    #[schemars(default)]
    help: Option<String>,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
#[expect(dead_code, reason = "only its schema is used")]
enum Severity {
    Error,
    Warning,
}

/// Counts for the closing line.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(dead_code, reason = "only its schema is used")]
struct Summary {
    files: usize,
    /// Documents that are connections (or of no known `kind`).
    connections: usize,
    /// Documents that are dataflows (`kind: dataflow`); absent when none.
    #[schemars(default)]
    dataflows: Option<usize>,
    errors: usize,
    warnings: usize,
}
