//! Turning a JSON Schema error into a diagnostic a person can act on: the
//! YAML position of the offending node, a stable code, what was expected,
//! and the closest valid spelling for near misses.

use std::path::Path;

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind as K};
use serde_json::Value;

use crate::config::load::{Node, NodeValue};
use crate::diagnostic::suggest::closest;
use crate::diagnostic::{Code, Diagnostic};
use crate::secret::is_secret_pointer;

/// Unknown keys reported per mapping; more only bury the first.
const MAX_UNKNOWN_KEYS: usize = 50;

/// Follows a schema path (keyword location, possibly through `$ref`) to the
/// subschema it names.
fn resolve<'s>(root: &'s Value, path: &str) -> Option<&'s Value> {
    let mut node = root;
    for raw in path.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        if seg == "$ref"
            && let Some(target) = node.get("$ref").and_then(Value::as_str)
        {
            node = root.pointer(target.trim_start_matches('#'))?;
            continue;
        }
        node = match node {
            Value::Object(map) => map.get(&seg)?,
            Value::Array(items) => items.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The subschema that holds the failing keyword (the keyword's parent).
fn owner<'s>(root: &'s Value, error: &ValidationError<'_>) -> Option<&'s Value> {
    let path = error.evaluation_path().as_str();
    let parent = &path[..path.rfind('/').unwrap_or(0)];
    resolve(root, parent)
}

fn json_list(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| match v {
            Value::String(s) => format!("`{s}`"),
            other => format!("`{other}`"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn within(field: &str) -> String {
    if field.is_empty() {
        " at the top level".into()
    } else {
        format!(" in `{field}`")
    }
}

fn join_pointer(base: &str, key: &str) -> String {
    format!("{base}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Diagnostics for one schema error (several for several unknown keys).
pub(super) fn describe(
    error: &ValidationError<'_>,
    root: &Value,
    file: &Path,
    index: usize,
    doc: &Node,
) -> Vec<Diagnostic> {
    let pointer = error.instance_path().as_str().to_owned();
    let node = doc.at(&pointer);
    let secret = is_secret_pointer(&pointer);
    let field = pointer
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("");
    let schema_here = owner(root, error);
    let description = schema_here
        .and_then(|s| s.get("description"))
        .and_then(Value::as_str)
        .map(|d| d.replace('\n', " "));
    let instance = error.instance();
    let at = |code: Code, node: &Node, pointer: String, message: String| {
        let d = Diagnostic::error(code, file, node.pos, message).in_document(index, pointer);
        if secret { d.secret() } else { d }
    };

    let diag = match error.kind() {
        K::AdditionalProperties { unexpected } => {
            let allowed: Vec<String> = schema_here
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            // Key nodes by name in one pass (a hostile file may hold 100,000
            // unknown keys); only the first few are reported anyway.
            let key_nodes: std::collections::HashMap<String, &Node> = match &node.value {
                NodeValue::Map(entries) => entries
                    .iter()
                    .filter_map(|(k, _)| Some((k.scalar_text()?, k)))
                    .collect(),
                _ => std::collections::HashMap::new(),
            };
            return unexpected
                .iter()
                .take(MAX_UNKNOWN_KEYS)
                .map(|key| {
                    let key_node = key_nodes.get(key).copied().unwrap_or(node);
                    let mut d = Diagnostic::error(
                        Code::UnknownKey,
                        file,
                        key_node.pos,
                        format!("unknown key `{key}`{}", within(field)),
                    )
                    .in_document(index, join_pointer(&pointer, key));
                    let names: Vec<&str> = allowed.iter().map(String::as_str).collect();
                    d = match closest(key, &names) {
                        Some(best) => d.with_help(format!("did you mean `{best}`?")),
                        None => d.with_help(format!("expected one of: {}", names.join(", "))),
                    };
                    d
                })
                .collect();
        }
        K::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            let mut d = at(
                Code::MissingKey,
                node,
                join_pointer(&pointer, key),
                format!("missing required key `{key}`{}", within(field)),
            );
            d.secret = false;
            d
        }
        K::Type { kind } => {
            let expected = type_name(kind);
            let found = node.kind();
            let mut d = at(
                Code::WrongType,
                node,
                pointer.clone(),
                format!("`{field}` must be {expected}, found {found}"),
            );
            if let (NodeValue::String(s), true) = (&node.value, expected.starts_with("a boolean")) {
                let hint = match s.to_ascii_lowercase().as_str() {
                    "no" | "off" | "n" | "false" => Some("false"),
                    "yes" | "on" | "y" | "true" => Some("true"),
                    _ => None,
                };
                if let Some(hint) = hint {
                    d = d.with_help(format!(
                        "YAML 1.2 reads `{s}` as a string; write `{hint}` (unquoted)"
                    ));
                }
            } else if let (NodeValue::String(s), true) = (&node.value, expected == "an integer") {
                if !secret && s.trim().parse::<i64>().is_ok() {
                    d = d.with_help(format!(
                        "write the number without quotes: `{field}: {}`",
                        s.trim()
                    ));
                }
            } else if let Some(desc) = description {
                d = d.with_help(desc);
            }
            d
        }
        K::Enum { options } => {
            let options: Vec<Value> = options.as_array().cloned().unwrap_or_default();
            let mut d = if secret {
                at(
                    Code::InvalidValue,
                    node,
                    pointer.clone(),
                    format!("invalid `{field}`"),
                )
            } else {
                at(
                    Code::InvalidValue,
                    node,
                    pointer.clone(),
                    format!(
                        "invalid `{field}` {}: expected one of {}",
                        show(instance),
                        json_list(&options)
                    ),
                )
            };
            if let (Some(value), false) = (instance.as_str(), secret) {
                let names: Vec<&str> = options.iter().filter_map(Value::as_str).collect();
                if let Some(best) = closest(value, &names) {
                    d = d.with_help(format!("did you mean `{best}`?"));
                }
            }
            if let (Value::Bool(_), Some(desc)) = (instance.as_ref(), &description) {
                d = d.with_help(desc.clone());
            }
            d
        }
        K::Constant { expected_value } => {
            let mut d = at(
                Code::InvalidValue,
                node,
                pointer.clone(),
                if secret {
                    format!("invalid `{field}`: expected {}", show(expected_value))
                } else {
                    format!(
                        "invalid `{field}` {}: expected {}",
                        show(instance),
                        show(expected_value)
                    )
                },
            );
            if let Some(desc) = description {
                d = d.with_help(desc);
            }
            d
        }
        K::Minimum { .. }
        | K::Maximum { .. }
        | K::ExclusiveMinimum { .. }
        | K::ExclusiveMaximum { .. } => {
            let min = schema_here
                .and_then(|s| s.get("minimum"))
                .map(Value::to_string);
            let max = schema_here
                .and_then(|s| s.get("maximum"))
                .map(Value::to_string);
            let range = match (min, max) {
                (Some(lo), Some(hi)) => format!("from {lo} to {hi}"),
                (Some(lo), None) => format!("at least {lo}"),
                (None, Some(hi)) => format!("at most {hi}"),
                (None, None) => "in range".into(),
            };
            at(
                Code::OutOfRange,
                node,
                pointer.clone(),
                format!(
                    "`{field}` {} is out of range: expected an integer {range}",
                    show(instance)
                ),
            )
        }
        K::MinLength { limit } => at(
            Code::InvalidString,
            node,
            pointer.clone(),
            if *limit == 1 {
                format!("`{field}` is empty: expected a non-empty string")
            } else {
                format!("`{field}` is too short: expected at least {limit} characters")
            },
        ),
        K::MaxLength { limit } => at(
            Code::InvalidString,
            node,
            pointer.clone(),
            format!("`{field}` is too long: expected at most {limit} characters"),
        ),
        K::Pattern { pattern } => {
            let mut d = at(
                Code::InvalidString,
                node,
                pointer.clone(),
                format!("invalid `{field}`: expected a string matching `{pattern}`"),
            );
            if let Some(desc) = description {
                d = d.with_help(desc);
            }
            d
        }
        _ => {
            let message = if secret {
                format!("invalid `{field}` (rule `{}`)", error.kind().keyword())
            } else {
                format!("invalid `{field}`: {error}")
            };
            at(Code::Schema, node, pointer.clone(), message)
        }
    };
    vec![diag]
}

/// A schema type name for messages.
pub(super) fn type_name(kind: &TypeKind) -> String {
    use jsonschema::JsonType as PrimitiveType;
    fn one(t: PrimitiveType) -> &'static str {
        match t {
            PrimitiveType::Array => "a list",
            PrimitiveType::Boolean => "a boolean (`true` or `false`)",
            PrimitiveType::Integer => "an integer",
            PrimitiveType::Null => "null",
            PrimitiveType::Number => "a number",
            PrimitiveType::Object => "a mapping",
            PrimitiveType::String => "a string",
        }
    }
    match kind {
        TypeKind::Single(t) => one(*t).to_owned(),
        TypeKind::Multiple(set) => set.into_iter().map(one).collect::<Vec<_>>().join(" or "),
    }
}
