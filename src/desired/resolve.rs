//! Resolving `${VAR}` references in valid connections from the environment,
//! for plan, apply and check. Every missing variable is reported with the
//! file:line:column of the reference that uses it, before any request is
//! sent; a connection string written as one `${VAR}` has its grammar checked
//! here, once its value is known, with the diagnostic at that reference.

use crate::config::ConnectionKey;
use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::config::Connection;
use crate::config::interpolate;
use crate::config::load::{self, Node, NodeValue};
use crate::connection_string;
use crate::diagnostic::{Code, Diagnostic, Position};
use crate::validate::{Located, position_in_scalar};

/// A connection with every `${VAR}` substituted. Its secrets are real now:
/// `Connection`'s `Debug` masks them, and nothing here is ever printed whole.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub key: ConnectionKey,
    pub connection: Connection,
}

/// Looks a variable up; `None` means unset.
pub(crate) type Lookup<'a> = dyn Fn(&str) -> Option<String> + Sync + 'a;

pub(super) const CONNECTION_STRING: &str = "/auth/connectionString";

/// Resolves every connection, or reports every problem at once: unset
/// variables, and connection strings whose resolved value breaks the grammar.
pub(crate) fn resolve_all(
    connections: &[Located],
    lookup: &Lookup<'_>,
) -> Result<Vec<Resolved>, Vec<Diagnostic>> {
    let mut resolved = Vec::with_capacity(connections.len());
    let mut problems = Vec::new();
    for located in connections {
        let mut found = unset_variables(located, lookup);
        if found.is_empty() {
            found.extend(connection_string_problems(located, lookup));
        }
        if found.is_empty() && problems.is_empty() {
            resolved.push(Resolved {
                key: located.connection.key(),
                connection: substitute_connection(&located.connection, lookup),
            });
        }
        problems.extend(found);
    }
    if problems.is_empty() {
        Ok(resolved)
    } else {
        Err(problems)
    }
}

/// The variable names that connections use as a whole connection string
/// (`connectionString: ${VAR}`).
pub(crate) fn whole_connection_strings(connections: &[Located]) -> BTreeSet<String> {
    connections
        .iter()
        .filter_map(|located| whole_connection_string(&located.node))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// `connectionString: ${VAR}`: the name and the node.
fn whole_connection_string(doc: &Node) -> Option<(&str, &Node)> {
    let node = doc.at(CONNECTION_STRING);
    match &node.value {
        NodeValue::String(text) if interpolate::is_single_reference(text) => {
            let (_, name) = *interpolate::references_at(text).first()?;
            Some((name, node))
        }
        _ => None,
    }
}

/// The text of `file`, read only when a diagnostic needs a position inside
/// a scalar.
fn text_of(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap_or_default()
}

/// Where the reference at `offset` in `node`'s string sits in the file.
fn reference_position(text: &str, node: &Node, offset: usize) -> Position {
    match &node.value {
        NodeValue::String(value) => position_in_scalar(text, node, value, offset),
        _ => node.pos,
    }
}

/// Every unset variable of one document (once per name), at its reference;
/// and variables holding `;` inside a connection string.
fn unset_variables(located: &Located, lookup: &Lookup<'_>) -> Vec<Diagnostic> {
    let mut uses = Vec::new();
    references(&located.node, "", &mut uses);
    let whole = whole_connection_string(&located.node).map(|(name, _)| name);
    let mut text = None;
    let mut reported = BTreeSet::new();
    let mut found = Vec::new();
    for (name, offset, node, pointer) in uses {
        let unset = lookup(name).is_none();
        let splits = pointer == CONNECTION_STRING
            && whole != Some(name)
            && lookup(name).is_some_and(|value| value.contains(';'));
        let first_unset = unset && reported.insert(name);
        if !first_unset && !splits {
            continue;
        }
        let text = text.get_or_insert_with(|| text_of(&located.file));
        let pos = reference_position(text, node, offset);
        let diagnostic = if unset {
            Diagnostic::error(
                Code::MissingVariable,
                &located.file,
                pos,
                format!("environment variable `{name}` is not set (or is empty)"),
            )
            .with_help(format!(
                "set `{name}` where provision runs (used by `{}`)",
                located.connection.key()
            ))
        } else {
            Diagnostic::error(
                Code::UnsafeVariable,
                &located.file,
                pos,
                format!(
                    "environment variable `{name}` contains `;`, which would split the connection string into other keys"
                ),
            )
            .with_help("use basic authentication (separate fields) for a password with `;`, or put the whole connection string in one variable (`connectionString: ${VAR}`)")
        };
        found.push(diagnostic.in_document(located.document, pointer));
    }
    found
}

/// A connection string written as one `${VAR}`: the grammar of its value,
/// each problem at the reference. Values are never quoted past a password.
fn connection_string_problems(located: &Located, lookup: &Lookup<'_>) -> Vec<Diagnostic> {
    let Some((name, node)) = whole_connection_string(&located.node) else {
        return Vec::new();
    };
    let Some(value) = lookup(name) else {
        return Vec::new();
    };
    let parsed = connection_string::parse(&value);
    if parsed.problems.is_empty() {
        return Vec::new();
    }
    let pos = reference_position(&text_of(&located.file), node, 0);
    parsed
        .problems
        .iter()
        .map(|problem| {
            Diagnostic::error(
                Code::ConnectionString,
                &located.file,
                pos,
                format!("the value of `{name}`: {}", problem.message),
            )
            .in_document(located.document, CONNECTION_STRING)
            .with_help(format!(
                "{}; fix the value of `{name}` where provision runs",
                connection_string::SHAPE
            ))
        })
        .collect()
}

/// Variable names referenced by a document, with the byte offset of each
/// reference in its string, the node and the node's JSON pointer.
pub(super) fn references<'n>(
    node: &'n Node,
    pointer: &str,
    out: &mut Vec<(&'n str, usize, &'n Node, String)>,
) {
    match &node.value {
        NodeValue::String(s) => {
            for (offset, name) in interpolate::references_at(s) {
                out.push((name, offset, node, pointer.to_owned()));
            }
        }
        NodeValue::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                references(item, &format!("{pointer}/{i}"), out);
            }
        }
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                let step = key.scalar_text().unwrap_or_default();
                let step = step.replace('~', "~0").replace('/', "~1");
                references(value, &format!("{pointer}/{step}"), out);
            }
        }
        _ => {}
    }
}

/// The unset variables of the settings fields at `pointers` in the
/// settings file `path`, each at its reference: a run that needs those
/// fields reports them all at once, like a connection's.
pub(crate) fn unset_in_settings(
    path: &Path,
    pointers: &[String],
    lookup: &Lookup<'_>,
) -> Vec<Diagnostic> {
    let Ok(source) = load::load_file(path) else {
        return Vec::new();
    };
    let Some(doc) = source.documents.first() else {
        return Vec::new();
    };
    let mut uses = Vec::new();
    references(doc, "", &mut uses);
    let mut reported = BTreeSet::new();
    uses.into_iter()
        .filter(|(name, _, _, pointer)| {
            pointers
                .iter()
                .any(|p| pointer == p || pointer.starts_with(&format!("{p}/")))
                && lookup(name).is_none()
                && reported.insert(*name)
        })
        .map(|(name, offset, node, pointer)| {
            let field = pointer.trim_start_matches('/').replace('/', ".");
            Diagnostic::error(
                Code::MissingVariable,
                path,
                reference_position(&source.text, node, offset),
                format!("environment variable `{name}` is not set (or is empty)"),
            )
            .in_document(0, pointer.as_str())
            .with_help(format!(
                "set `{name}` where provision runs (used by `{field}`)"
            ))
        })
        .collect()
}

fn substitute_connection(connection: &Connection, lookup: &Lookup<'_>) -> Connection {
    let mut value = serde_json::to_value(connection).unwrap_or(Value::Null);
    substitute_value(&mut value, lookup);
    // Substitution only changes string contents, so the shape still fits.
    serde_json::from_value(value).unwrap_or_else(|_| connection.clone())
}

fn substitute_value(value: &mut Value, lookup: &Lookup<'_>) {
    match value {
        Value::String(s) => {
            if let Ok(done) = interpolate::substitute(s, &|name| lookup(name)) {
                *s = done;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute_value(v, lookup)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute_value(v, lookup)),
        _ => {}
    }
}
