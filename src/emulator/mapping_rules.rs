//! What Data Prep accepts in a mapping set body (create and PUT): the
//! members its OpenAPI file documents, each of its documented type, in
//! either mapping dialect. Errors name the member.

use serde_json::Value;

/// Most mappings one set may hold.
const MAX_MAPPINGS: usize = 2000;

/// What a documented scalar member must hold (Data Prep's file).
#[derive(Clone, Copy)]
enum Shape {
    Text,
    Flag,
    Int32,
    /// Epoch milliseconds, as the service answers them (server-set; a
    /// client has no reason to send one).
    Date,
}

/// Checks the documented members of `object` that are present.
fn typed(
    object: &serde_json::Map<String, Value>,
    fields: &[(&str, Shape)],
    at: &str,
) -> Result<(), String> {
    for (key, shape) in fields {
        let Some(value) = object.get(*key) else {
            continue;
        };
        let ok = match shape {
            Shape::Text => value.is_string(),
            Shape::Flag => value.is_boolean(),
            Shape::Int32 => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            Shape::Date => value.is_i64(),
        };
        // The older dialect sends a top-level `"id": null`, which the service takes.
        let tutorial_null_id = value.is_null() && *key == "id" && at.is_empty();
        if !(ok || tutorial_null_id) {
            let expected = match shape {
                Shape::Text => "a string",
                Shape::Flag => "`true` or `false`",
                Shape::Int32 => "a 32-bit integer",
                Shape::Date => "epoch milliseconds",
            };
            return Err(format!("`{at}{key}` must be {expected}"));
        }
    }
    Ok(())
}

/// Checks a create or PUT body; the error names the field.
pub(crate) fn check(body: &Value) -> Result<(), String> {
    let object = body
        .as_object()
        .ok_or("request body must be a JSON object")?;
    typed(
        object,
        &[
            ("id", Shape::Text),
            ("name", Shape::Text),
            ("version", Shape::Int32),
            ("allowNullValues", Shape::Flag),
            ("supportVersion", Shape::Text),
            ("createdBy", Shape::Text),
            ("modifiedBy", Shape::Text),
            ("createdDate", Shape::Date),
            ("modifiedDate", Shape::Date),
        ],
        "",
    )?;
    check_schemas(object)?;
    let schema = body
        .pointer("/outputSchema/schemaRef/id")
        .or_else(|| object.get("xdmSchema"));
    if schema.is_none_or(|s| s.as_str().is_none_or(str::is_empty)) {
        return Err("`outputSchema.schemaRef.id` (or the older `xdmSchema`) is required: expected the target XDM schema's `$id`".into());
    }
    let mappings = object
        .get("mappings")
        .and_then(Value::as_array)
        .ok_or("`mappings` is required: expected an array")?;
    if mappings.len() > MAX_MAPPINGS {
        return Err(format!("`mappings` holds more than {MAX_MAPPINGS} entries"));
    }
    check_tags(object)?;
    for (at, mapping) in mappings.iter().enumerate() {
        check_mapping(at, mapping)?;
    }
    Ok(())
}

/// `outputSchema` and `inputSchema`: objects referring to a schema.
fn check_schemas(object: &serde_json::Map<String, Value>) -> Result<(), String> {
    for key in ["outputSchema", "inputSchema"] {
        let Some(schema) = object.get(key) else {
            continue;
        };
        let Some(fields) = schema.as_object() else {
            return Err(format!("`{key}` must be an object"));
        };
        // Inline JSON schemas are not served: the emulator maps to an XDM
        // schema by reference only.
        if fields.contains_key("jsonSchema") {
            return Err(format!(
                "`{key}.jsonSchema` is not supported by the emulator: refer to the schema with `schemaRef`"
            ));
        }
        typed(
            fields,
            &[
                ("id", Shape::Text),
                ("version", Shape::Int32),
                ("createdBy", Shape::Text),
                ("modifiedBy", Shape::Text),
                ("createdDate", Shape::Date),
                ("modifiedDate", Shape::Date),
            ],
            &format!("{key}."),
        )?;
        if let Some(reference) = fields.get("schemaRef") {
            let Some(reference) = reference.as_object() else {
                return Err(format!("`{key}.schemaRef` must be an object"));
            };
            typed(
                reference,
                &[("id", Shape::Text), ("contentType", Shape::Text)],
                &format!("{key}.schemaRef."),
            )?;
        }
    }
    Ok(())
}

/// `tags`: `[{"name": string, "values": [string]}]`.
fn check_tags(object: &serde_json::Map<String, Value>) -> Result<(), String> {
    if let Some(tags) = object.get("tags") {
        let well_formed = tags.as_array().is_some_and(|tags| {
            tags.iter().all(|tag| {
                tag.is_object()
                    && tag.get("name").is_none_or(Value::is_string)
                    && tag.get("values").is_none_or(|v| {
                        v.as_array().is_some_and(|v| v.iter().all(Value::is_string))
                    })
            })
        });
        if !well_formed {
            return Err(
                "`tags` must be an array of `{\"name\": string, \"values\": [string]}`".into(),
            );
        }
    }
    Ok(())
}

/// One mapping, in either dialect.
fn check_mapping(at: usize, mapping: &Value) -> Result<(), String> {
    let Some(fields) = mapping.as_object() else {
        return Err(format!("`mappings.{at}` must be an object"));
    };
    typed(
        fields,
        &[
            ("name", Shape::Text),
            ("description", Shape::Text),
            ("version", Shape::Int32),
            ("functionVersion", Shape::Int32),
            ("id", Shape::Text),
            ("createdBy", Shape::Text),
            ("modifiedBy", Shape::Text),
            ("createdDate", Shape::Date),
            ("modifiedDate", Shape::Date),
        ],
        &format!("mappings.{at}."),
    )?;
    if let Some(attributes) = fields.get("expressionAttributes")
        && !attributes
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string))
    {
        return Err(format!(
            "`mappings.{at}.expressionAttributes` must be an array of strings"
        ));
    }
    let text = |key: &str| mapping.get(key).and_then(Value::as_str).is_some();
    if !(text("destination") || text("destinationXdmPath")) {
        return Err(format!("`mappings.{at}.destination` is required"));
    }
    if !(text("source") || text("sourceAttribute")) {
        return Err(format!("`mappings.{at}.source` is required"));
    }
    if let Some(kind) = mapping.get("sourceType")
        && !matches!(kind.as_str(), Some("ATTRIBUTE" | "EXPRESSION" | "STATIC"))
    {
        return Err(format!(
            "`mappings.{at}.sourceType` must be `ATTRIBUTE`, `EXPRESSION` or `STATIC`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_dialects_pass_and_holes_are_named() {
        let current = json!({"outputSchema": {"schemaRef": {"id": "s", "contentType": "x"}},
            "mappings": [{"sourceType": "ATTRIBUTE", "source": "a", "destination": "_id"}]});
        let older = json!({"version": 0, "xdmSchema": "s", "xdmVersion": "1.0", "id": null,
            "mappings": [{"destinationXdmPath": "_id", "sourceAttribute": "a", "identity": false}]});
        assert!(check(&current).is_ok());
        assert!(check(&older).is_ok());
        let why = check(&json!({"xdmSchema": "s", "mappings": [{"source": "a"}]}))
            .err()
            .unwrap_or_default();
        assert!(why.contains("mappings.0.destination"), "{why}");
        assert!(check(&json!({"mappings": []})).is_err());
    }
}
