//! One file through the whole pipeline: load, then per document its kind
//! and that kind's checks (for a connection the schema, the `${VAR}` syntax
//! and the connection rules; a dataflow's in `dataflow.rs`), and across
//! documents the editor's schema modeline; what passes becomes a typed
//! [`Connection`] or dataflow with where it came from.

use std::path::Path;

use super::connection::check_connection;
use super::modeline;
use super::variables::check_strings;
use super::{DocumentAt, FileResult, Identity, Located, MAX_DIAGNOSTICS_PER_FILE, Options, schema};
use crate::config::load::{self, Node, NodeValue, SourceFile};
use crate::config::schema::Kind;
use crate::config::{Connection, ResourceKind};
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
    match load::load_all(path, &text) {
        Ok((documents, duplicates)) => check_source(
            SourceFile {
                path: path.to_owned(),
                text,
                documents,
                duplicates,
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
        dataflows: Vec::new(),
        identities: Vec::new(),
        diagnostics: vec![diag],
        documents: 0,
        dataflow_documents: 0,
        references: Default::default(),
        shell_style: Vec::new(),
        broken_connections: Vec::new(),
    }
}

/// Every document of a parsed file: schema, `${VAR}` syntax, rules.
fn check_source(source: SourceFile, options: Options) -> FileResult {
    let path = source.path.as_path();
    let mut result = FileResult {
        path: path.to_owned(),
        text: None,
        connections: Vec::new(),
        dataflows: Vec::new(),
        identities: Vec::new(),
        diagnostics: Vec::new(),
        documents: 0,
        dataflow_documents: 0,
        references: super::shell_style::references(&source.text),
        shell_style: Vec::new(),
        broken_connections: Vec::new(),
    };
    if source.documents.is_empty() {
        result.diagnostics.push(Diagnostic::warning(
            Code::EmptyFile,
            path,
            Position::START,
            "file holds no connection: expected at least one YAML document".into(),
        ));
    }
    result.diagnostics.extend(modeline::check_modelines(
        path,
        &source.text,
        &source.documents,
    ));
    let mut duplicates = source.duplicates;
    for (index, doc) in source.documents.into_iter().enumerate() {
        let repeated = duplicates
            .extract_if(.., |(document, _)| *document == index)
            .map(|(_, d)| d)
            .collect();
        check_document(
            path,
            index,
            doc,
            repeated,
            &source.text,
            options,
            &mut result,
        );
    }
    let diagnostics = &mut result.diagnostics;
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
    result.text = Some(source.text);
    result
}

/// One document: a mapping of a known kind, valid against that kind's
/// schema and rules, then a typed value (kept unless only diagnostics are
/// wanted).
fn check_document(
    path: &Path,
    index: usize,
    doc: Node,
    repeated: Vec<Diagnostic>,
    text: &str,
    options: Options,
    result: &mut FileResult,
) {
    let is_dataflow = super::kind::written(&doc) == Some(ResourceKind::Dataflow);
    if is_dataflow {
        result.dataflow_documents += 1;
    } else {
        result.documents += 1;
    }
    let diagnostics = &mut result.diagnostics;
    let before = diagnostics.len();
    diagnostics.extend(repeated.into_iter().map(|d| d.in_document(index, "")));
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
        return;
    }
    let at = DocumentAt {
        path,
        index,
        before,
    };
    match super::kind::of(path, index, &doc) {
        Err(d) => diagnostics.push(d),
        Ok(ResourceKind::Dataflow) => {
            super::dataflow::check_dataflow(at, doc, text, options, result);
        }
        Ok(ResourceKind::Connection) => check_connection_document(at, doc, text, options, result),
    }
}

/// A connection document: its schema, `${VAR}` syntax and rules, then the
/// typed connection.
fn check_connection_document(
    at: DocumentAt<'_>,
    doc: Node,
    text: &str,
    options: Options,
    result: &mut FileResult,
) {
    let DocumentAt {
        path,
        index,
        before,
    } = at;
    let diagnostics = &mut result.diagnostics;
    let mut value = doc.to_json();
    diagnostics.extend(schema::validate(
        Kind::Connection,
        path,
        index,
        &doc,
        &value,
    ));
    check_strings(path, index, &doc, &mut Vec::new(), text, diagnostics);
    let checked = diagnostics.len();
    check_connection(path, index, &doc, text, options, diagnostics);
    if let Some((at, name)) = super::shell_style::find(&doc, &diagnostics[checked..]) {
        result.shell_style.push((checked + at, name));
    }
    let diagnostics = &mut result.diagnostics;
    if diagnostics[before..]
        .iter()
        .any(|d| d.severity == Severity::Error)
    {
        if let Some(NodeValue::String(name)) = doc.get("name").map(|n| &n.value) {
            result.broken_connections.push(name.clone());
        }
        return;
    }
    // `kind: connection` labels the document; the type has no such field.
    if let Some(fields) = value.as_object_mut() {
        fields.remove("kind");
    }
    match serde_json::from_value::<Connection>(value) {
        Ok(connection) => {
            result.identities.push(Identity::of(
                (ResourceKind::Connection, connection.key()),
                None,
                (path, index),
                (&doc, text),
                connection.renamed_from.as_ref(),
            ));
            if !options.diagnostics_only {
                result.connections.push(Located {
                    connection,
                    file: path.to_owned(),
                    document: index,
                    node: doc,
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
