//! Diagnostics: every problem found in the user's files, with a stable code,
//! a severity and the exact source position, rendered as text (rustc-style),
//! JSON or GitHub annotations.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

mod code;
mod explain;
mod github;
mod json;
mod mask;
pub(crate) mod sarif;
mod text;

pub use code::Code;
pub use explain::codes_reference;
pub(crate) use explain::{REFERENCE_PATH, explain, list_codes, parse_code};
pub(crate) use github::render_github;
pub(crate) use json::render_json;
pub(crate) use mask::{
    MIN_REPEATED, Secrets, Source, connection_string_secrets, is_connection_string_key,
    is_secret_key, url_secrets,
};
pub(crate) use text::render_text;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub const START: Position = Position { line: 1, column: 1 };

    pub fn new(line: u32, column: u32) -> Self {
        Position {
            line: line.max(1),
            column: column.max(1),
        }
    }

    /// The position of byte `offset` of `text`, counting lines as YAML
    /// does (LF, CRLF or a lone CR).
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let breaks = before.matches('\n').count() + before.matches('\r').count()
            - before.matches("\r\n").count();
        let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count();
        Position::new(
            u32::try_from(breaks + 1).unwrap_or(u32::MAX),
            u32::try_from(column + 1).unwrap_or(u32::MAX),
        )
    }
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    /// JSON pointer of the offending node inside its document ("" = whole document).
    pub pointer: String,
    /// Index of the document in its file (0-based), when it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The diagnostic is about a secret value: its message never quotes it.
    /// (Snippets mask every secret span, whatever the diagnostic.)
    #[serde(skip)]
    pub secret: bool,
}

impl Diagnostic {
    pub fn new(
        code: Code,
        severity: Severity,
        file: &Path,
        pos: Position,
        message: String,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            file: file.to_owned(),
            line: pos.line,
            column: pos.column,
            pointer: String::new(),
            document: None,
            message,
            help: None,
            secret: false,
        }
    }

    pub fn error(code: Code, file: &Path, pos: Position, message: String) -> Self {
        Self::new(code, Severity::Error, file, pos, message)
    }

    pub fn warning(code: Code, file: &Path, pos: Position, message: String) -> Self {
        Self::new(code, Severity::Warning, file, pos, message)
    }

    pub fn in_document(mut self, index: usize, pointer: impl Into<String>) -> Self {
        self.document = Some(index);
        self.pointer = pointer.into();
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    pub fn position(&self) -> Position {
        Position::new(self.line, self.column)
    }
}

/// The files diagnostics point into, as snippets may show them (secrets
/// already masked: see [`Source`]).
pub(crate) type Sources = HashMap<PathBuf, Source>;

/// Counts for the closing line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    pub connections: usize,
    /// Left out (of the line and of JSON) when there are none, so projects
    /// of connections alone read as they always did.
    #[serde(skip_serializing_if = "is_zero")]
    pub dataflows: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn count(&mut self, diags: &[Diagnostic]) {
        for d in diags {
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
            }
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let dataflows = match self.dataflows {
            0 => String::new(),
            n => format!(", {}", plural(n, "dataflow")),
        };
        write!(
            f,
            "{}, {}{dataflows}: {}, {}",
            plural(self.files, "file"),
            plural(self.connections, "connection"),
            plural(self.errors, "error"),
            plural(self.warnings, "warning")
        )
    }
}
