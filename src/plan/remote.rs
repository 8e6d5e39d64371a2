//! Comparing a desired connection with what the platform returns. Secrets
//! come back masked, so only the visible fields can be compared.

use serde_json::Value;

use super::FieldChange;
use crate::api::wire::{ConnectionItem, CreateConnectionRequest};
use crate::config::Connection;
use crate::secret::SECRET_PARAMS;

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Visible fields of `item` that differ from `desired`.
pub(crate) fn visible_changes(desired: &Connection, item: &ConnectionItem) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut differ = |field: &str, from: String, to: String| {
        if from != to {
            changes.push(FieldChange {
                field: field.into(),
                from: Some(from),
                to: Some(to),
                sensitive: false,
            });
        }
    };
    differ("name", item.name.clone(), desired.name.clone());
    differ(
        "description",
        item.description.clone().unwrap_or_default(),
        desired.description.clone().unwrap_or_default(),
    );
    let body = CreateConnectionRequest::from_connection(desired);
    let remote_spec = item
        .auth
        .as_ref()
        .map(|a| a.spec_name.clone())
        .unwrap_or_default();
    differ("auth.specName", remote_spec, body.auth.spec_name.clone());
    let wanted = serde_json::to_value(&body.auth.params).unwrap_or(Value::Null);
    if let (Some(wanted), Some(auth)) = (wanted.as_object(), &item.auth) {
        for (key, value) in wanted {
            if SECRET_PARAMS.contains(&key.as_str()) {
                continue;
            }
            let have = auth.params.get(key).map(as_text).unwrap_or_default();
            differ(&format!("auth.params.{key}"), have, as_text(value));
        }
    }
    changes
}
