//! Resolving `${VAR}` references in valid connections from the environment,
//! for plan, apply and check. Every missing variable is reported with the
//! file:line that uses it, before any request is sent.

use crate::config::ConnectionKey;
use std::collections::BTreeSet;

use serde_json::Value;

use crate::config::Connection;
use crate::config::interpolate;
use crate::config::load::{Node, NodeValue};
use crate::diagnostic::{Code, Diagnostic};
use crate::validate::Located;

/// A connection with every `${VAR}` substituted. Its secrets are real now:
/// `Connection`'s `Debug` masks them, and nothing here is ever printed whole.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub key: ConnectionKey,
    pub connection: Connection,
}

/// Looks a variable up; `None` means unset.
pub(crate) type Lookup<'a> = dyn Fn(&str) -> Option<String> + Sync + 'a;

/// Resolves every connection, or reports every missing variable at once.
pub(crate) fn resolve_all(
    connections: &[Located],
    lookup: &Lookup<'_>,
) -> Result<Vec<Resolved>, Vec<Diagnostic>> {
    let mut resolved = Vec::with_capacity(connections.len());
    let mut missing = Vec::new();
    for located in connections {
        let mut uses = Vec::new();
        references(&located.node, &mut uses);
        let mut reported = BTreeSet::new();
        for (name, node) in uses {
            if lookup(name).is_none() && reported.insert(name) {
                missing.push(
                    Diagnostic::error(
                        Code::MissingVariable,
                        &located.file,
                        node.pos,
                        format!("environment variable `{name}` is not set (or is empty)"),
                    )
                    .in_document(located.document, "")
                    .with_help(format!(
                        "set `{name}` where provision runs (used by `{}`)",
                        located.connection.key()
                    )),
                );
            }
        }
        if let Some(cs) = located
            .node
            .get("auth")
            .and_then(|a| a.get("connectionString"))
            && let NodeValue::String(text) = &cs.value
        {
            for name in interpolate::references(text) {
                if lookup(name).is_some_and(|value| value.contains(';')) {
                    missing.push(
                        Diagnostic::error(
                            Code::UnsafeVariable,
                            &located.file,
                            cs.pos,
                            format!(
                                "environment variable `{name}` contains `;`, which would split the connection string into other keys"
                            ),
                        )
                        .in_document(located.document, "/auth/connectionString")
                        .with_help("use basic authentication (separate fields) for a password with `;`"),
                    );
                }
            }
        }
        if missing.is_empty() {
            resolved.push(Resolved {
                key: located.connection.key(),
                connection: substitute_connection(&located.connection, lookup),
            });
        }
    }
    if missing.is_empty() {
        Ok(resolved)
    } else {
        Err(missing)
    }
}

/// Variable names referenced by a document, with the node using each.
fn references<'n>(node: &'n Node, out: &mut Vec<(&'n str, &'n Node)>) {
    match &node.value {
        NodeValue::String(s) => {
            for name in interpolate::references(s) {
                out.push((name, node));
            }
        }
        NodeValue::Seq(items) => items.iter().for_each(|n| references(n, out)),
        NodeValue::Map(entries) => entries.iter().for_each(|(_, v)| references(v, out)),
        _ => {}
    }
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
