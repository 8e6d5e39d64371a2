//! Data Prep's `/mappingSets` under `/data/foundation/conversion`, in Data
//! Prep's own shapes: create answers 200 with id and version, lists take
//! `limit`/`start` and answer `data` + `_page`, PUT (no If-Match) adds a version.
//! Both mapping dialects are accepted: `outputSchema.schemaRef` with
//! `source`/`destination`, and the tutorial's `xdmSchema` with `sourceAttribute`/`destinationXdmPath`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use url::form_urlencoded;

use super::gateway::Caller;
use super::objects::{self, actor, now_ms};
use super::{Shared, lock};
use crate::api::ingestion::{MappingSetCreated, MappingSetPage, PageInfo, XED_FULL_V1};

/// Most mappings one set may hold, and most sets one page lists.
const MAX_MAPPINGS: usize = 2000;
const MAX_LIMIT: usize = 100;

/// One mapping set: every version as stored (the last is current).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct MappingSet {
    pub id: String,
    pub versions: Vec<Value>,
}

impl MappingSet {
    fn current(&self) -> Option<&Value> {
        self.versions.last()
    }

    fn name(&self) -> &str {
        self.current()
            .and_then(|v| v.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// Data Prep's error answer (its file documents none; decided: the problem
/// shape the platform's other services use, with a `MAPPER-` code).
pub(crate) fn error(status: u16, detail: &str) -> Response {
    let body = json!({
        "type": format!("https://ns.adobe.com/aep/errors/MAPPER-{status}"),
        "title": if status == 404 { "Not Found" } else { "Bad Request" },
        "status": status,
        "detail": detail,
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(body)).into_response()
}

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
fn check(body: &Value) -> Result<(), String> {
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
    for (at, mapping) in mappings.iter().enumerate() {
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
    }
    Ok(())
}

fn stored(body: &Value, id: &str, version: i64, created: i64, caller: &Caller) -> Value {
    let mut stored = body.clone();
    if let Some(map) = stored.as_object_mut() {
        // The older dialect's `xdmSchema` is also answered in the current
        // form, so a client that reads `outputSchema` back (as Adobe's does
        // before a PUT) finds it.
        if !map.contains_key("outputSchema")
            && let Some(Value::String(schema)) = map.get("xdmSchema").cloned()
        {
            map.insert(
                "outputSchema".into(),
                json!({"schemaRef": {"id": schema, "contentType": XED_FULL_V1}}),
            );
        }
        map.insert("id".into(), json!(id));
        map.insert("version".into(), json!(version));
        map.insert("createdDate".into(), json!(created));
        map.insert("modifiedDate".into(), json!(now_ms()));
        map.insert("createdBy".into(), json!(actor(caller)));
        map.insert("modifiedBy".into(), json!(actor(caller)));
    }
    stored
}

pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => return error(400, &format!("request body is not valid: {e}")),
    };
    if let Err(why) = check(&value) {
        return error(400, &why);
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = now_ms();
    let set = MappingSet {
        id: id.clone(),
        versions: vec![stored(&value, &id, 0, now, &caller)],
    };
    let created = MappingSetCreated {
        id,
        version: 0,
        created_date: now,
        modified_date: now,
        created_by: actor(&caller),
        modified_by: actor(&caller),
    };
    let insert = move |shared: &Shared, listed_from| {
        let mut objects = lock(&shared.objects);
        objects.list_from(&set.id, listed_from);
        objects.scope(&caller).mapping_sets.push(set);
        drop(objects);
        objects::save(shared);
    };
    let body = serde_json::to_value(created).unwrap_or(Value::Null);
    objects::commit(&shared, insert, StatusCode::OK, None, body).await
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Response {
    // `limit` is required, as the file says; `start` defaults to 0
    // (Adobe's Python client sends `limit` alone).
    let (mut limit, mut start, mut name) = (None, 0usize, None);
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "limit" => match value.parse::<usize>() {
                Ok(n @ 1..=MAX_LIMIT) => limit = Some(n),
                _ => {
                    let why = format!(
                        "`limit={value}` is not valid: expected an integer from 1 to {MAX_LIMIT}"
                    );
                    return error(400, &why);
                }
            },
            "start" => match value.parse::<usize>() {
                Ok(n) => start = n,
                Err(_) => {
                    let why =
                        format!("`start={value}` is not valid: expected a non-negative integer");
                    return error(400, &why);
                }
            },
            "name" => name = Some(value.into_owned()),
            "expandSchema" if !matches!(value.as_ref(), "true" | "false") => {
                return error(
                    400,
                    &format!("`expandSchema={value}` is not valid: expected `true` or `false`"),
                );
            }
            _ => {}
        }
    }
    let Some(limit) = limit else {
        return error(
            400,
            "`limit` is required: expected an integer from 1 to 100",
        );
    };
    let mut objects = lock(&shared.objects);
    let listed: Vec<Value> = {
        let sets = objects.scope(&caller).mapping_sets.clone();
        sets.into_iter()
            .filter(|set| objects.is_listed(&set.id))
            .filter(|set| name.as_deref().is_none_or(|n| set.name() == n))
            .filter_map(|set| set.current().cloned())
            .collect()
    };
    let total = listed.len();
    let data: Vec<Value> = listed.into_iter().skip(start).take(limit).collect();
    let page = MappingSetPage {
        data,
        page: PageInfo {
            count: u64::try_from(total).unwrap_or(u64::MAX),
            limit: u64::try_from(limit).unwrap_or(u64::MAX),
        },
    };
    Json(page).into_response()
}

pub(super) async fn get_one(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    if let Some((_, value)) = pairs
        .iter()
        .find(|(k, v)| k == "expandSchema" && !matches!(v.as_str(), "true" | "false"))
    {
        return error(
            400,
            &format!("`expandSchema={value}` is not valid: expected `true` or `false`"),
        );
    }
    let wanted = pairs
        .iter()
        .find(|(k, _)| k == "version")
        .map(|(_, v)| v.clone());
    let mut objects = lock(&shared.objects);
    let Some(set) = objects
        .scope(&caller)
        .mapping_sets
        .iter()
        .find(|s| s.id == id)
    else {
        return error(404, &format!("mapping set `{id}` not found"));
    };
    let version = match wanted {
        None => set.current(),
        Some(text) => match text.parse::<usize>() {
            Ok(n) => set.versions.get(n),
            Err(_) => {
                return error(
                    400,
                    &format!("`version={text}` is not valid: expected a version number"),
                );
            }
        },
    };
    match version {
        Some(body) => Json(body.clone()).into_response(),
        None => error(404, &format!("mapping set `{id}` has no such version")),
    }
}

pub(super) async fn put(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => return error(400, &format!("request body is not valid: {e}")),
    };
    if let Err(why) = check(&value) {
        return error(400, &why);
    }
    let mut objects = lock(&shared.objects);
    let Some(set) = objects
        .scope(&caller)
        .mapping_sets
        .iter_mut()
        .find(|s| s.id == id)
    else {
        return error(404, &format!("mapping set `{id}` not found"));
    };
    let created = set
        .versions
        .first()
        .and_then(|v| v.get("createdDate"))
        .and_then(Value::as_i64)
        .unwrap_or_else(now_ms);
    let Ok(next) = i64::try_from(set.versions.len()) else {
        return error(400, "mapping set has too many versions");
    };
    let mut value = value;
    // A PUT without a name keeps the set's name.
    if value.get("name").is_none()
        && let (Some(map), Some(name)) = (
            value.as_object_mut(),
            set.current().and_then(|c| c.get("name")).cloned(),
        )
    {
        map.insert("name".into(), name);
    }
    let version = stored(&value, &id, next, created, &caller);
    set.versions.push(version.clone());
    drop(objects);
    objects::save(&shared);
    Json(version).into_response()
}

/// Whether a mapping set exists in the caller's scope (a flow's `mappingId`).
pub(crate) fn exists(shared: &Shared, caller: &Caller, id: &str) -> bool {
    lock(&shared.objects)
        .scope(caller)
        .mapping_sets
        .iter()
        .any(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

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
