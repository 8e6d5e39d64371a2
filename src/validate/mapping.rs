//! A dataflow's `mapping` and `delta` beyond their schema: each entry takes
//! its value from exactly one of `source` (a column) and `expression`, each
//! XDM field is written by one entry, and when `source.columns` lists the
//! columns read, every column named elsewhere (a mapping `source`,
//! `delta.column`) is among them.

use std::collections::HashMap;
use std::path::Path;

use crate::config::load::{Node, NodeValue};
use crate::diagnostic::{Code, Diagnostic, Position};

fn text(node: &Node) -> Option<&str> {
    match &node.value {
        NodeValue::String(s) => Some(s),
        _ => None,
    }
}

/// V221, V222 and V223 for the document's `mapping` and `delta`.
pub(super) fn check_mapping(path: &Path, index: usize, doc: &Node, out: &mut Vec<Diagnostic>) {
    let columns: Option<Vec<&str>> =
        doc.get("source")
            .and_then(|s| s.get("columns"))
            .and_then(|c| match &c.value {
                NodeValue::Seq(items) => Some(items.iter().filter_map(text).collect()),
                _ => None,
            });
    let entries = match doc.get("mapping").map(|m| &m.value) {
        Some(NodeValue::Seq(entries)) => entries.as_slice(),
        _ => &[],
    };
    let mut destinations: HashMap<&str, Position> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        if !matches!(entry.value, NodeValue::Map(_)) {
            continue;
        }
        one_source(path, index, i, entry, out);
        if let Some(node) = entry.get("destination")
            && let Some(destination) = text(node)
        {
            match destinations.get(destination) {
                Some(first) => out.push(
                    Diagnostic::error(
                        Code::DuplicateDestination,
                        path,
                        node.pos,
                        format!(
                            "`destination` `{destination}` is written twice in `mapping`: expected each XDM field once"
                        ),
                    )
                    .in_document(index, format!("/mapping/{i}/destination"))
                    .with_help(format!(
                        "first written at {}:{}:{}; remove one entry, or map it to another field",
                        path.display(),
                        first.line,
                        first.column
                    )),
                ),
                None => {
                    destinations.insert(destination, node.pos);
                }
            }
        }
        if let (Some(columns), Some(node)) = (&columns, entry.get("source")) {
            let pointer = format!("/mapping/{i}/source");
            unknown_column(
                path,
                index,
                node,
                &pointer,
                "mapping `source`",
                columns,
                out,
            );
        }
    }
    if let (Some(columns), Some(node)) = (&columns, doc.get("delta").and_then(|d| d.get("column")))
    {
        unknown_column(
            path,
            index,
            node,
            "/delta/column",
            "`delta.column`",
            columns,
            out,
        );
    }
}

/// V221: exactly one of `source` and `expression`.
fn one_source(path: &Path, index: usize, i: usize, entry: &Node, out: &mut Vec<Diagnostic>) {
    let (source, expression) = (entry.get("source"), entry.get("expression"));
    let d = match (source, expression) {
        (Some(_), Some(node)) => Diagnostic::error(
            Code::MappingSource,
            path,
            entry.key_at("", "expression").map_or(node.pos, |k| k.pos),
            "mapping entry has both `source` and `expression`: expected one of them".into(),
        )
        .in_document(index, format!("/mapping/{i}/expression"))
        .with_help("keep `source` to copy a column as is, or `expression` to compute the value"),
        (None, None) => Diagnostic::error(
            Code::MappingSource,
            path,
            entry.pos,
            "mapping entry has neither `source` nor `expression`: expected one of them".into(),
        )
        .in_document(index, format!("/mapping/{i}"))
        .with_help("e.g. `{ source: order_id, destination: _id }` or `{ expression: \"upper(name)\", destination: ... }`"),
        _ => return,
    };
    out.push(d);
}

/// V223: a column named outside `source.columns` that the list lacks.
fn unknown_column(
    path: &Path,
    index: usize,
    node: &Node,
    pointer: &str,
    what: &str,
    columns: &[&str],
    out: &mut Vec<Diagnostic>,
) {
    let Some(column) = text(node) else { return };
    if columns.contains(&column) {
        return;
    }
    let listed = columns
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let (expected, help) = match crate::suggest::closest(column, columns) {
        Some(best) => (
            format!("did you mean `{best}`?"),
            format!("`source.columns` lists {listed}"),
        ),
        None => (
            format!("expected one of {listed}"),
            format!("add `{column}` to `source.columns` to read it"),
        ),
    };
    out.push(
        Diagnostic::error(
            Code::UnknownColumn,
            path,
            node.pos,
            format!("{what} `{column}` is not among `source.columns`: {expected}"),
        )
        .in_document(index, pointer)
        .with_help(help),
    );
}
