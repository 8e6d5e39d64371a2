//! Which type a document is: its `kind` key decides, never its folder or
//! its file's other documents. No `kind` (or `kind: connection`) is a
//! connection, `kind: dataflow` a dataflow; anything else is an error at
//! the value that lists the kinds, and the document is checked no further.

use std::path::Path;

use crate::config::ResourceKind;
use crate::config::load::{Node, NodeValue};
use crate::diagnostic::{Code, Diagnostic};

/// The kinds a document may name, in the order messages list them.
const KINDS: [ResourceKind; 2] = [ResourceKind::Connection, ResourceKind::Dataflow];

fn listed() -> String {
    KINDS
        .iter()
        .map(|k| format!("`{}`", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a document's `kind` says, read from the node alone (a document
/// that is not a mapping is a connection, as it always was).
pub(super) fn written(doc: &Node) -> Option<ResourceKind> {
    match doc.get("kind").map(|node| &node.value) {
        None => Some(ResourceKind::Connection),
        Some(NodeValue::String(kind)) => KINDS.into_iter().find(|k| k.as_str() == kind),
        Some(_) => None,
    }
}

/// The document's kind, or the diagnostic for a `kind` that names none.
pub(super) fn of(path: &Path, index: usize, doc: &Node) -> Result<ResourceKind, Diagnostic> {
    if let Some(kind) = written(doc) {
        return Ok(kind);
    }
    let Some(node) = doc.get("kind") else {
        return Ok(ResourceKind::Connection);
    };
    let help = "a document without `kind` is a connection; `kind: dataflow` makes a dataflow";
    let d = match &node.value {
        NodeValue::String(kind) => {
            let names: Vec<&str> = KINDS.iter().map(|k| k.as_str()).collect();
            let d = Diagnostic::error(
                Code::InvalidValue,
                path,
                node.pos,
                format!(
                    "unknown `kind` `{}`: expected one of {}",
                    kind.escape_debug(),
                    listed()
                ),
            );
            match crate::suggest::closest(kind, &names) {
                Some(best) => d.with_help(format!("did you mean `{best}`?")),
                None => d.with_help(help),
            }
        }
        _ => Diagnostic::error(
            Code::WrongType,
            path,
            node.pos,
            format!(
                "`kind` must be a string, found {}: expected one of {}",
                node.kind(),
                listed()
            ),
        )
        .with_help(help),
    };
    Err(d.in_document(index, "/kind"))
}
