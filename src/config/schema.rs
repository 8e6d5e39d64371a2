//! The JSON Schemas, generated from the config types beside them: the
//! committed files, the editor's schemas and what `validate` checks against
//! all come from here.

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema};
use serde_json::{Value, json};

use super::{Connection, Dataflow, Settings};

/// File names of the committed schemas, relative to the schema folder.
pub const CONNECTION_SCHEMA_FILE: &str = "connection.schema.json";
pub const DATAFLOW_SCHEMA_FILE: &str = "dataflow.schema.json";
pub const SETTINGS_SCHEMA_FILE: &str = "provision.schema.json";

/// Which document kind a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Connection,
    Dataflow,
    Settings,
}

impl Kind {
    /// Every kind, in the order `provision schema` writes them.
    pub const ALL: [Kind; 3] = [Kind::Connection, Kind::Dataflow, Kind::Settings];

    pub fn file_name(self) -> &'static str {
        match self {
            Kind::Connection => CONNECTION_SCHEMA_FILE,
            Kind::Dataflow => DATAFLOW_SCHEMA_FILE,
            Kind::Settings => SETTINGS_SCHEMA_FILE,
        }
    }
}

fn generate<T: JsonSchema>(id: &str, description: &str) -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(portable))
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert("$id".into(), json!(id));
    schema.insert("description".into(), json!(description));
    schema.to_value()
}

/// The schema of one kind, generated from the Rust types.
pub fn schema(kind: Kind) -> Value {
    match kind {
        Kind::Connection => generate::<Connection>(
            "urn:provision:schema:connection",
            "A PostgreSQL source connection on Adobe Experience Platform, managed by `provision`. \
             One YAML document per connection; several documents per file with `---`.",
        ),
        Kind::Dataflow => generate::<Dataflow>(
            "urn:provision:schema:dataflow",
            "A dataflow on Adobe Experience Platform, managed by `provision`: a table of a \
             PostgreSQL base connection ingested into a dataset on a schedule. A document is \
             a dataflow when its `kind` is `dataflow`; it may share a file with connections.",
        ),
        Kind::Settings => generate::<Settings>(
            "urn:provision:schema:settings",
            "Project settings for `provision` (`provision.yaml`). Every field is optional.",
        ),
    }
}

/// The schema as committed: pretty JSON with a trailing newline.
pub fn schema_text(kind: Kind) -> String {
    let mut text = serde_json::to_string_pretty(&schema(kind)).unwrap_or_default();
    text.push('\n');
    text
}

/// Rewrites a schemars internally tagged enum (`oneOf` of variants that each
/// carry `{"type": {"const": …}}`) into `if`/`then` per variant, keyed on the
/// tag. A standard validator then reports the error inside the variant the
/// user chose ("`port` must be an integer") instead of "not valid under any
/// of the given schemas", and an unknown tag gets an `enum` error listing the
/// allowed values.
pub fn tagged_union_to_if_then(schema: &mut Schema) {
    const TAG: &str = "type";
    let Some(Value::Array(variants)) = schema.remove("oneOf") else {
        return;
    };
    let mut tags = Vec::new();
    let mut rules = Vec::new();
    for variant in variants {
        let tag = variant
            .pointer(&format!("/properties/{TAG}/const"))
            .cloned()
            .unwrap_or(Value::Null);
        rules.push(json!({
            "if": { "properties": { TAG: { "const": tag } }, "required": [TAG] },
            "then": variant,
        }));
        tags.push(tag);
    }
    schema.insert("type".into(), json!("object"));
    schema.insert(
        "properties".into(),
        json!({ TAG: { "enum": tags, "description": "Authentication form." } }),
    );
    schema.insert("required".into(), json!([TAG]));
    schema.insert("allOf".into(), Value::Array(rules));
}

/// Keeps the schema within what every standard validator understands:
/// Rust-specific `format`s (`uint16`, …) are dropped (ajv rejects unknown
/// formats in strict mode), and a `oneOf` of constants becomes one `enum`
/// (so an error lists the allowed values instead of "not valid under any").
fn portable(schema: &mut Schema) {
    drop_null_option(schema);
    if let Some(Value::String(format)) = schema.get("format")
        && (format.starts_with("uint") || format.starts_with("int"))
    {
        schema.remove("format");
    }
    let Some(Value::Array(variants)) = schema.get("oneOf") else {
        return;
    };
    let consts: Option<Vec<(Value, Option<String>)>> = variants
        .iter()
        .map(|v| {
            let c = v.get("const")?.clone();
            let doc = v
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned);
            Some((c, doc))
        })
        .collect();
    let Some(consts) = consts else { return };
    let lines: Vec<String> = consts
        .iter()
        .filter_map(|(c, doc)| Some(format!("`{}`: {}", c.as_str()?, doc.as_deref()?)))
        .collect();
    schema.remove("oneOf");
    schema.insert("type".into(), json!("string"));
    schema.insert(
        "enum".into(),
        Value::Array(consts.into_iter().map(|(c, _)| c).collect()),
    );
    if !lines.is_empty() {
        let head = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let text = if head.is_empty() {
            lines.join("\n")
        } else {
            format!("{head}\n{}", lines.join("\n"))
        };
        schema.insert("description".into(), json!(text));
    }
}

/// `Option<T>` means the key may be left out, not that it may be `null`:
/// `{"anyOf": [T, {"type": "null"}]}` becomes `T`, `["string", "null"]`
/// becomes `"string"`. Errors inside `T` then surface directly.
fn drop_null_option(schema: &mut Schema) {
    if let Some(Value::Array(types)) = schema.get("type") {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if kept.len() == 1 && types.len() == 2 {
            schema.insert("type".into(), kept[0].clone());
        }
    }
    let Some(Value::Array(options)) = schema.get("anyOf") else {
        return;
    };
    let is_null = |v: &Value| v.get("type") == Some(&json!("null"));
    if options.len() != 2 || !options.iter().any(is_null) {
        return;
    }
    let Some(Value::Object(inner)) = options.iter().find(|v| !is_null(v)).cloned() else {
        return;
    };
    schema.remove("anyOf");
    for (key, value) in inner {
        if key != "description" || schema.get("description").is_none() {
            schema.insert(key, value);
        }
    }
}
