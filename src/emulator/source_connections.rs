//! Creating the two ends a flow joins: a source connection (which table of
//! which base connection, whose connection spec it must share) and a target
//! connection (which Catalog dataset, which must exist), after the bodies of
//! Adobe's database tutorial.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::gateway::Caller;
use super::objects::{self, Kind};
use super::{Shared, catalog, lock, problem};
use crate::api::ingestion::DATA_LAKE_SPEC_ID;

/// The parts every create body shares, checked: name, description, spec.
pub(crate) struct Common {
    pub name: String,
    pub description: Option<String>,
    pub spec_id: String,
    pub spec_version: String,
}

pub(crate) fn parse_body(body: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(problem::bad_request("request body must be a JSON object")),
        Err(e) => Err(problem::bad_request(&format!(
            "request body is not valid: {e}"
        ))),
    }
}

pub(crate) fn name_and_description(
    body: &Map<String, Value>,
) -> Result<(String, Option<String>), Response> {
    let name = match body.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.len() <= 256 => name.clone(),
        _ => {
            return Err(problem::bad_request(
                "`name` is required: expected a non-empty string of at most 256 characters",
            ));
        }
    };
    let description = match body.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => return Err(problem::bad_request("`description` must be a string")),
    };
    Ok((name, description))
}

/// A source or target connection body and the fields both kinds share.
fn parse_with_common(body: &Bytes) -> Result<(Map<String, Value>, Common), Response> {
    let body = parse_body(body)?;
    let common = common(&body)?;
    Ok((body, common))
}

fn common(body: &Map<String, Value>) -> Result<Common, Response> {
    let (name, description) = name_and_description(body)?;
    let spec = body.get("connectionSpec");
    let field = |key: &str| {
        spec.and_then(|s| s.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (Some(spec_id), Some(spec_version)) = (field("id"), field("version")) else {
        return Err(problem::bad_request(
            "`connectionSpec` is required: expected `{\"id\": ..., \"version\": ...}`",
        ));
    };
    if !body.get("data").is_some_and(Value::is_object) {
        return Err(problem::bad_request(
            "`data` is required: expected an object",
        ));
    }
    if !matches!(body.get("params"), None | Some(Value::Object(_))) {
        return Err(problem::bad_request("`params` must be an object"));
    }
    Ok(Common {
        name,
        description,
        spec_id,
        spec_version,
    })
}

/// The stored item: the body's own fields plus what the service adds.
fn item(
    body: Map<String, Value>,
    common: &Common,
    caller: &Caller,
    keep: &[&str],
) -> (Value, String, String) {
    let id = uuid::Uuid::new_v4().to_string();
    let etag = objects::new_etag();
    let mut item = Map::new();
    item.insert("name".into(), json!(common.name));
    if let Some(description) = &common.description {
        item.insert("description".into(), json!(description));
    }
    for key in keep {
        if let Some(value) = body.get(*key) {
            item.insert((*key).into(), value.clone());
        }
    }
    item.insert(
        "connectionSpec".into(),
        json!({"id": common.spec_id, "version": common.spec_version}),
    );
    item.insert("state".into(), json!("enabled"));
    objects::stamp_new(&mut item, caller, &id, &etag);
    (Value::Object(item), id, etag)
}

/// Inserts `item` into `kind` through the shared commit path, answering 201.
pub(crate) async fn commit_item(
    shared: &Arc<Shared>,
    caller: Caller,
    kind: Kind,
    item: Value,
    id: String,
    etag: String,
) -> Response {
    let location = format!("/data/foundation/flowservice{}/{id}", kind.collection());
    let body = json!({"id": id, "etag": etag});
    let enabled = item.get("state").and_then(Value::as_str) == Some("enabled");
    let insert = move |shared: &Shared, listed_from| {
        let mut objects = lock(&shared.objects);
        objects.list_from(&id, listed_from);
        objects.scope(&caller).of_mut(kind).push(item);
        drop(objects);
        objects::save(shared);
        if kind == Kind::Flow {
            super::runs::state_changed(shared, &id, enabled);
        }
    };
    objects::commit(shared, insert, StatusCode::CREATED, Some(location), body).await
}

pub(super) async fn create_source(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let (body, common) = match parse_with_common(&body) {
        Ok(parsed) => parsed,
        Err(answer) => return answer,
    };
    let Some(base_id) = body.get("baseConnectionId").and_then(Value::as_str) else {
        return problem::bad_request(
            "`baseConnectionId` is required: expected the id of a base connection",
        );
    };
    let base_spec = lock(&shared.store)
        .get(&caller.org, &caller.sandbox, base_id)
        .map(|base| base.connection_spec.id.clone());
    match base_spec {
        None => {
            let detail = format!(
                "`baseConnectionId` `{base_id}` is not a connection in this org and sandbox"
            );
            return problem::bad_request(&detail);
        }
        Some(spec) if spec != common.spec_id => {
            let detail = format!(
                "`connectionSpec.id` `{}` is not the base connection's connection spec `{spec}`",
                common.spec_id
            );
            return problem::bad_request(&detail);
        }
        Some(_) => {}
    }
    if let Some(columns) = body.get("params").and_then(|p| p.get("columns"))
        && !columns.is_array()
    {
        return problem::bad_request("`params.columns` must be an array");
    }
    let (item, id, etag) = item(
        body,
        &common,
        &caller,
        &["baseConnectionId", "data", "params"],
    );
    commit_item(&shared, caller, Kind::Source, item, id, etag).await
}

pub(super) async fn create_target(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let (body, common) = match parse_with_common(&body) {
        Ok(parsed) => parsed,
        Err(answer) => return answer,
    };
    if common.spec_id != DATA_LAKE_SPEC_ID {
        let detail = format!(
            "`connectionSpec.id` `{}` is not a target the emulator serves: expected the data lake's `{DATA_LAKE_SPEC_ID}`",
            common.spec_id
        );
        return problem::bad_request(&detail);
    }
    let dataset = body
        .get("params")
        .and_then(|p| p.get("dataSetId"))
        .and_then(Value::as_str);
    match dataset {
        Some(id) if catalog::exists(&shared, id) => {}
        Some(id) => {
            let detail = format!("`params.dataSetId` `{id}` is not a dataset in Catalog");
            return problem::bad_request(&detail);
        }
        None => {
            return problem::bad_request(
                "`params.dataSetId` is required: expected the id of a Catalog dataset",
            );
        }
    }
    let (item, id, etag) = item(body, &common, &caller, &["data", "params"]);
    commit_item(&shared, caller, Kind::Target, item, id, etag).await
}
