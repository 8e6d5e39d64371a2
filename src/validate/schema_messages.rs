//! Turning a JSON Schema error into a diagnostic a person can act on: the
//! YAML position of the offending node, a stable code, what was expected,
//! and the closest valid spelling for near misses.

use std::path::Path;

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind as K};
use serde_json::Value;

use crate::config::load::{Node, NodeValue};
use crate::config::{AzureSslMode, NAME_MAX_CHARS, NAME_PATTERN, NameProblem};
use crate::diagnostic::{Code, Diagnostic};
use crate::secret::is_secret_pointer;
use crate::suggest::closest;

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

/// What every message about one schema error needs to know.
struct Place<'a> {
    file: &'a Path,
    index: usize,
    node: &'a Node,
    pointer: String,
    /// The last step of the pointer: the key the user wrote.
    field: &'a str,
    secret: bool,
    /// The subschema that failed, and its description for the help line.
    schema: Option<&'a Value>,
    description: Option<String>,
    instance: &'a Value,
}

impl Place<'_> {
    fn at(&self, code: Code, node: &Node, pointer: String, message: String) -> Diagnostic {
        let d =
            Diagnostic::error(code, self.file, node.pos, message).in_document(self.index, pointer);
        if self.secret { d.secret() } else { d }
    }

    fn here(&self, code: Code, message: String) -> Diagnostic {
        self.at(code, self.node, self.pointer.clone(), message)
    }

    fn with_description(&self, d: Diagnostic) -> Diagnostic {
        match &self.description {
            Some(desc) => d.with_help(desc.clone()),
            None => d,
        }
    }
}

/// The key the user wrote at `pointer`: its last step, or for a list item
/// the list's key with the item's index (`renamedFrom/0`).
fn field_of(pointer: &str) -> &str {
    let mut steps = pointer.rsplitn(3, '/');
    let last = steps.next().unwrap_or("");
    if !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
        && let Some(parent) = steps.next().filter(|p| !p.is_empty())
    {
        return &pointer[pointer.len() - last.len() - parent.len() - 1..];
    }
    last
}

/// One JSON Schema error as diagnostics (one, or one per unknown key).
pub(super) fn describe(
    error: &ValidationError<'_>,
    root: &Value,
    file: &Path,
    index: usize,
    doc: &Node,
) -> Vec<Diagnostic> {
    let pointer = error.instance_path().as_str();
    let schema = owner(root, error);
    let place = Place {
        file,
        index,
        node: doc.at(pointer),
        pointer: pointer.to_owned(),
        field: field_of(pointer),
        secret: is_secret_pointer(pointer),
        schema,
        description: schema
            .and_then(|s| s.get("description"))
            .and_then(Value::as_str)
            .map(|d| d.replace('\n', " ")),
        instance: error.instance(),
    };
    let diag = match error.kind() {
        K::AdditionalProperties { unexpected } => return unknown_keys(&place, unexpected),
        K::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            let mut d = place.at(
                Code::MissingKey,
                place.node,
                join_pointer(&place.pointer, key),
                format!("missing required key `{key}`{}", within(place.field)),
            );
            d.secret = false;
            d
        }
        K::Type { kind } => wrong_type(&place, kind),
        K::MinProperties { .. } | K::MaxProperties { .. } => one_of_keys(&place),
        K::Enum { options } => not_in_enum(&place, options),
        K::Constant { expected_value } => {
            let field = place.field;
            place.with_description(place.here(
                Code::InvalidValue,
                if place.secret {
                    format!("invalid `{field}`: expected {}", show(expected_value))
                } else {
                    format!(
                        "invalid `{field}` {}: expected {}",
                        show(place.instance),
                        show(expected_value)
                    )
                },
            ))
        }
        K::Minimum { .. }
        | K::Maximum { .. }
        | K::ExclusiveMinimum { .. }
        | K::ExclusiveMaximum { .. } => out_of_range(&place),
        K::MinLength { limit } => place.here(
            Code::InvalidString,
            if *limit == 1 {
                format!("`{}` is empty: expected a non-empty string", place.field)
            } else {
                format!(
                    "`{}` is too short: expected at least {limit} characters",
                    place.field
                )
            },
        ),
        K::MaxLength { limit } => place.here(
            Code::InvalidString,
            format!(
                "`{}` is too long: expected at most {limit} characters",
                place.field
            ),
        ),
        K::UniqueItems if !place.secret => {
            let items = place
                .instance
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            let twice = items
                .iter()
                .enumerate()
                .find(|(i, item)| items[..*i].contains(item))
                .map(|(_, item)| show(item))
                .unwrap_or_default();
            place.here(
                Code::InvalidValue,
                format!(
                    "`{}` lists {twice} more than once: expected each item once",
                    place.field
                ),
            )
        }
        K::Pattern { pattern } => name_rule(&place, pattern)
            .or_else(|| sandbox_rule(&place))
            .unwrap_or_else(|| {
                place.with_description(place.here(
                    Code::InvalidString,
                    format!(
                        "invalid `{}`: expected a string matching `{pattern}`",
                        place.field
                    ),
                ))
            }),
        _ => {
            let message = if place.secret {
                format!(
                    "invalid `{}` (rule `{}`)",
                    place.field,
                    error.kind().keyword()
                )
            } else {
                format!("invalid `{}`: {error}", place.field)
            };
            place.here(Code::Schema, message)
        }
    };
    vec![diag]
}

/// `name`'s one pattern stands for three rules; say which was broken.
fn name_rule(place: &Place<'_>, pattern: &str) -> Option<Diagnostic> {
    if pattern != NAME_PATTERN {
        return None;
    }
    let field = place.field;
    let message = match NameProblem::of(place.instance.as_str()?)? {
        NameProblem::Empty => format!("`{field}` is empty: expected a non-empty string"),
        NameProblem::TooLong(n) => format!(
            "`{field}` is too long: expected at most {NAME_MAX_CHARS} characters, found {n}"
        ),
        NameProblem::Control(c) => format!(
            "`{field}` holds the control character U+{:04X}: expected none (U+0000 to U+001F, U+007F to U+009F)",
            u32::from(c)
        ),
    };
    Some(place.here(Code::InvalidString, message))
}

/// `sandbox` is part of a connection's identity: a `${VAR}` in it is not
/// interpolated (one file per environment instead), and a near miss such as
/// `Prod` gets the spelling that matches.
fn sandbox_rule(place: &Place<'_>) -> Option<Diagnostic> {
    if place.pointer != "/sandbox" {
        return None;
    }
    let value = place.instance.as_str()?;
    if value.contains("${") {
        return Some(
            place
                .here(
                    Code::Interpolation,
                    "variables are not allowed in `sandbox` (it is part of the identity)".into(),
                )
                .with_help(
                    "leave `sandbox` out and give each environment its own in provision.yaml \
                     (`environments: { dev: { sandbox: dev }, prod: { sandbox: prod } }`): \
                     a document without `sandbox` takes its environment's",
                ),
        );
    }
    let near: String = value
        .trim()
        .chars()
        .map(|c| match c {
            '_' | ' ' | '.' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let valid = near.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && near
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid || near == value {
        return None;
    }
    Some(
        place
            .here(
                Code::InvalidString,
                format!(
                    "invalid `sandbox` `{value}`: expected lowercase letters, digits and hyphens"
                ),
            )
            .with_help(format!("did you mean `{near}`?")),
    )
}

/// One diagnostic per unknown key (at most [`MAX_UNKNOWN_KEYS`]), each at
/// the key itself, with the closest allowed name.
fn unknown_keys(place: &Place<'_>, unexpected: &[String]) -> Vec<Diagnostic> {
    let allowed: Vec<String> = place
        .schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let names: Vec<&str> = allowed.iter().map(String::as_str).collect();
    // Key nodes by name in one pass (a hostile file may hold 100,000
    // unknown keys); only the first few are reported anyway.
    let key_nodes: std::collections::HashMap<String, &Node> = match &place.node.value {
        NodeValue::Map(entries) => entries
            .iter()
            .filter_map(|(k, _)| Some((k.scalar_text()?, k)))
            .collect(),
        _ => std::collections::HashMap::new(),
    };
    unexpected
        .iter()
        .take(MAX_UNKNOWN_KEYS)
        .map(|key| {
            let key_node = key_nodes.get(key).copied().unwrap_or(place.node);
            let d = Diagnostic::error(
                Code::UnknownKey,
                place.file,
                key_node.pos,
                format!("unknown key `{key}`{}", within(place.field)),
            )
            .in_document(place.index, join_pointer(&place.pointer, key));
            match closest(key, &names) {
                Some(best) => d.with_help(format!("did you mean `{best}`?")),
                None => d.with_help(format!("expected one of: {}", names.join(", "))),
            }
        })
        .collect()
}

/// A mapping that takes exactly one of its keys (a dataset by `name` or by
/// `id`) but has none or several; reported at the mapping, as editors do.
fn one_of_keys(place: &Place<'_>) -> Diagnostic {
    let allowed: Vec<String> = place
        .schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().map(|k| format!("`{k}`")).collect())
        .unwrap_or_default();
    let written: Vec<String> = match &place.node.value {
        NodeValue::Map(entries) => entries
            .iter()
            .filter_map(|(k, _)| Some(format!("`{}`", k.scalar_text()?)))
            .collect(),
        _ => Vec::new(),
    };
    let field = place.field;
    let message = if written.is_empty() {
        format!("`{field}` is empty: expected one of {}", allowed.join(", "))
    } else {
        format!(
            "`{field}` sets {}: expected only one of {}",
            written.join(" and "),
            allowed.join(", ")
        )
    };
    place.with_description(place.here(Code::Schema, message))
}

/// A value of the wrong type, with a hint for YAML 1.1 booleans and quoted
/// numbers.
fn wrong_type(place: &Place<'_>, kind: &TypeKind) -> Diagnostic {
    let field = place.field;
    let expected = type_name(kind);
    let d = place.here(
        Code::WrongType,
        format!("`{field}` must be {expected}, found {}", place.node.kind()),
    );
    match &place.node.value {
        NodeValue::String(s) if expected.starts_with("a boolean") => {
            match s.to_ascii_lowercase().as_str() {
                // Unquoted, YAML 1.2 reads these as booleans: the quotes
                // made it a string.
                word @ ("true" | "false") => d.with_help(format!(
                    "the quotes make `\"{s}\"` a string: write `{word}` without quotes"
                )),
                "no" | "off" | "n" => d.with_help(format!(
                    "YAML 1.2 reads `{s}` as a string (only `true` and `false` are booleans): write `false`"
                )),
                "yes" | "on" | "y" => d.with_help(format!(
                    "YAML 1.2 reads `{s}` as a string (only `true` and `false` are booleans): write `true`"
                )),
                _ if field == "sslMode" => match tls_mode(s) {
                    Some(help) => d.with_help(help),
                    None => d,
                },
                _ => d,
            }
        }
        NodeValue::String(s) if expected == "an integer" => {
            if !place.secret && s.trim().parse::<i64>().is_ok() {
                d.with_help(format!(
                    "write the number without quotes: `{field}: {}`",
                    s.trim()
                ))
            } else {
                d
            }
        }
        _ => place.with_description(d),
    }
}

/// The help for a named TLS mode written where AWS expects a boolean: an
/// Azure mode or libpq's `sslmode` setting, and the boolean it means.
fn tls_mode(value: &str) -> Option<String> {
    let folded: String = value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let enforced = match folded.as_str() {
        "disable" | "allow" | "prefer" => false,
        "require" | "verifyca" | "verifyfull" => true,
        _ => return None,
    };
    let what = if AzureSslMode::ALL.contains(&value) {
        "an Azure mode".to_owned()
    } else {
        "libpq's `sslmode` setting".to_owned()
    };
    let meaning = if enforced {
        "write `true` to enforce TLS"
    } else {
        "write `false` (TLS not enforced), or `true` to enforce it"
    };
    Some(format!(
        "`{value}` is {what}; on AWS `sslMode` is a boolean: {meaning}"
    ))
}

/// A value outside an `enum`, with the closest allowed value.
fn not_in_enum(place: &Place<'_>, options: &Value) -> Diagnostic {
    let field = place.field;
    let options: Vec<Value> = options.as_array().cloned().unwrap_or_default();
    let mut d = if place.secret {
        place.here(Code::InvalidValue, format!("invalid `{field}`"))
    } else {
        place.here(
            Code::InvalidValue,
            format!(
                "invalid `{field}` {}: expected one of {}",
                show(place.instance),
                json_list(&options)
            ),
        )
    };
    if let (Some(value), false) = (place.instance.as_str(), place.secret) {
        let names: Vec<&str> = options.iter().filter_map(Value::as_str).collect();
        if let Some(best) = closest(value, &names) {
            d = d.with_help(format!("did you mean `{best}`?"));
        }
    }
    if let (Value::Bool(_), Some(desc)) = (place.instance, &place.description) {
        d = d.with_help(desc.clone());
    }
    d
}

/// A number outside its range, naming the range.
fn out_of_range(place: &Place<'_>) -> Diagnostic {
    let bound = |name: &str| place.schema.and_then(|s| s.get(name)).map(Value::to_string);
    let range = match (bound("minimum"), bound("maximum")) {
        (Some(lo), Some(hi)) => format!("from {lo} to {hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => "in range".into(),
    };
    place.here(
        Code::OutOfRange,
        format!(
            "`{}` {} is out of range: expected an integer {range}",
            place.field,
            show(place.instance)
        ),
    )
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
