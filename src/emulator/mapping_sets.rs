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
use super::mapping_rules::check;
use super::objects::{self, MappingSet, actor, now_ms};
use super::{Shared, lock};
use crate::api::ingestion::{MappingSetCreated, MappingSetPage, PageInfo, XED_FULL_V1};

/// Most sets one page lists.
const MAX_LIMIT: usize = 100;

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

/// A mapping-set body, parsed and checked, or the 400 answer saying why not.
fn checked_body(body: &Bytes) -> Result<Value, Response> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| error(400, &format!("request body is not valid: {e}")))?;
    check(&value).map_err(|why| error(400, &why))?;
    Ok(value)
}

pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let value = match checked_body(&body) {
        Ok(value) => value,
        Err(answer) => return answer,
    };
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
    let value = match checked_body(&body) {
        Ok(value) => value,
        Err(answer) => return answer,
    };
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
