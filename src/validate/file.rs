//! One connection file through the whole pipeline: load, then per document
//! the schema, the `${VAR}` syntax and the connection rules; what passes
//! becomes a typed [`Connection`] with where it came from.

use std::path::Path;

use super::connection::check_connection;
use super::variables::check_strings;
use super::{FileResult, Identity, Located, MAX_DIAGNOSTICS_PER_FILE, Options, schema};
use crate::config::Connection;
use crate::config::load::{self, NodeValue, SourceFile};
use crate::config::schema::Kind;
use crate::diagnostic::{Code, Diagnostic, Position, Severity};

/// A file on disk: read (size-capped, UTF-8), parsed, checked.
pub(super) fn check_connection_file(path: &Path, options: Options) -> FileResult {
    match load::load_file(path) {
        Ok(source) => check_source(source, options),
        Err((diag, text)) => unreadable(path, text, diag),
    }
}

/// Text that is not on disk, checked as if it were the file at `path`.
pub(super) fn check_text(path: &Path, text: String, options: Options) -> FileResult {
    match load::load_str(path, &text) {
        Ok(documents) => check_source(
            SourceFile {
                path: path.to_owned(),
                text,
                documents,
            },
            options,
        ),
        Err(diag) => unreadable(path, Some(text), diag),
    }
}

fn unreadable(path: &Path, text: Option<String>, diag: Diagnostic) -> FileResult {
    FileResult {
        path: path.to_owned(),
        text,
        connections: Vec::new(),
        identities: Vec::new(),
        diagnostics: vec![diag],
        documents: 0,
    }
}

/// Every document of a parsed file: schema, `${VAR}` syntax, rules.
fn check_source(source: SourceFile, options: Options) -> FileResult {
    let path = source.path.as_path();
    let mut diagnostics = Vec::new();
    let mut connections = Vec::new();
    let mut identities = Vec::new();
    if source.documents.is_empty() {
        diagnostics.push(Diagnostic::warning(
            Code::EmptyFile,
            path,
            Position::START,
            "file holds no connection: expected at least one YAML document".into(),
        ));
    }
    let documents = source.documents.len();
    for (index, owned) in source.documents.into_iter().enumerate() {
        let doc = &owned;
        let before = diagnostics.len();
        if !matches!(doc.value, NodeValue::Map(_)) {
            diagnostics.push(
                Diagnostic::error(
                    Code::NotAMapping,
                    path,
                    doc.pos,
                    format!(
                        "expected a mapping describing one connection, found {}",
                        doc.kind()
                    ),
                )
                .in_document(index, "")
                .with_help("separate several connections with `---`, not as a list"),
            );
            continue;
        }
        let value = doc.to_json();
        diagnostics.extend(schema::validate(Kind::Connection, path, index, doc, &value));
        check_strings(
            path,
            index,
            doc,
            &mut Vec::new(),
            &source.text,
            &mut diagnostics,
        );
        check_connection(path, index, doc, &source.text, options, &mut diagnostics);
        if diagnostics[before..]
            .iter()
            .any(|d| d.severity == Severity::Error)
        {
            continue;
        }
        match serde_json::from_value::<Connection>(value) {
            Ok(connection) => {
                identities.push(Identity {
                    key: connection.key(),
                    file: path.to_owned(),
                    document: index,
                    name: owned.at("/name").pos,
                });
                if !options.diagnostics_only {
                    connections.push(Located {
                        connection,
                        file: path.to_owned(),
                        document: index,
                        node: owned,
                    });
                }
            }
            // The schema accepted what serde rejects: report, don't panic.
            Err(err) => diagnostics.push(
                Diagnostic::error(
                    Code::Schema,
                    path,
                    doc.pos,
                    format!("invalid connection: {err}"),
                )
                .in_document(index, ""),
            ),
        }
    }
    if diagnostics.len() > MAX_DIAGNOSTICS_PER_FILE {
        let more = diagnostics.len() - MAX_DIAGNOSTICS_PER_FILE;
        diagnostics.truncate(MAX_DIAGNOSTICS_PER_FILE);
        diagnostics.push(Diagnostic::error(
            Code::TooManyProblems,
            path,
            Position::START,
            format!("{more} more problem(s) in this file are not shown: fix the ones above first"),
        ));
    }
    FileResult {
        path: path.to_owned(),
        text: Some(source.text),
        connections,
        identities,
        diagnostics,
        documents,
    }
}
