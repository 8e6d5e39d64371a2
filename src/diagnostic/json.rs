//! `--format json`: one document with every diagnostic and the summary.

use serde::Serialize;

use super::{Diagnostic, Summary};

/// One JSON document: `{"diagnostics": [...], "summary": {...}}`.
pub(crate) fn render_json(diags: &[Diagnostic], summary: &Summary) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        diagnostics: &'a [Diagnostic],
        summary: &'a Summary,
    }
    let doc = Doc {
        diagnostics: diags,
        summary,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
