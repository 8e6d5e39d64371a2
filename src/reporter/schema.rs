//! The JSON Schemas of the JSON outputs, generated from the Rust types
//! that are serialised, so a consumer can check what it parses and a test
//! can check what the commands print.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

/// The 2020-12 schema of `T`, with its `$id` and a description.
pub(crate) fn generate<T: JsonSchema>(id: &str, description: &str) -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert("$id".into(), json!(id));
    schema.insert("description".into(), json!(description));
    schema.to_value()
}

/// Pretty JSON with a trailing newline, as committed.
pub(crate) fn text(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
