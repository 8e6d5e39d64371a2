//! `/flows`: creating a flow with the platform's referential rules (its
//! connections exist, their specs are in the flow spec's lists, schedule
//! and transformations follow the flow spec), the rules of its PATCH (a
//! past `startTime` stays, a replaced transformation keeps its name), and
//! `/flows/{id}/action` (ENABLE and DISABLE answer a new etag).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use url::form_urlencoded;

use super::gateway::Caller;
use super::objects::{self, Kind};
use super::source_connections::{commit_item, name_and_description, parse_body};
use super::{Shared, collections, flow_specs, lock, mapping_sets, problem};

fn ids(body: &Map<String, Value>, key: &str) -> Result<Vec<String>, Response> {
    let refused = || {
        problem::bad_request(&format!(
            "`{key}` is required: expected an array of one to ten ids"
        ))
    };
    let list = body
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(refused)?;
    if list.is_empty() || list.len() > 10 {
        return Err(refused());
    }
    list.iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(refused))
        .collect()
}

/// The connection spec of each referenced connection, or the answer naming
/// the first one that does not exist or whose spec the flow spec does not list.
fn check_ends(
    shared: &Shared,
    caller: &Caller,
    spec: &Value,
    kind: Kind,
    ids: &[String],
) -> Result<Value, Response> {
    let (key, list) = match kind {
        Kind::Source => ("sourceConnectionIds", "sourceConnectionSpecIds"),
        _ => ("targetConnectionIds", "targetConnectionSpecIds"),
    };
    let mut inherited = Vec::new();
    let mut objects = lock(&shared.objects);
    let scope = objects.scope(caller);
    for id in ids {
        let Some(item) = scope.find(kind, id) else {
            return Err(problem::bad_request(&format!(
                "`{key}` names `{id}`, which is not a {} in this org and sandbox",
                kind.noun()
            )));
        };
        let connection_spec = item.get("connectionSpec").cloned().unwrap_or(Value::Null);
        let spec_id = connection_spec
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !flow_specs::lists(spec, list, spec_id) {
            return Err(problem::bad_request(&format!(
                "{} `{id}` has connection spec `{spec_id}`, which the flow spec does not list in `{list}`",
                kind.noun()
            )));
        }
        let mut entry = json!({"id": id, "connectionSpec": connection_spec});
        if let Some(base) = item.get("baseConnectionId") {
            entry["baseConnection"] = json!({"id": base, "connectionSpec": connection_spec});
        }
        inherited.push(entry);
    }
    Ok(Value::Array(inherited))
}

/// Every mapping set a `Mapping` transformation names must exist.
fn check_mappings(
    shared: &Shared,
    caller: &Caller,
    transformations: &Value,
) -> Result<(), Response> {
    for (at, t) in transformations.as_array().into_iter().flatten().enumerate() {
        if let Some(id) = t.pointer("/params/mappingId").and_then(Value::as_str)
            && !mapping_sets::exists(shared, caller, id)
        {
            let detail =
                format!("`transformations.{at}.params.mappingId` `{id}` is not a mapping set");
            return Err(problem::bad_request(&detail));
        }
    }
    Ok(())
}

pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let (name, description) = match name_and_description(&body) {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let flow_spec = body.get("flowSpec").cloned().unwrap_or(Value::Null);
    let spec_id = flow_spec.get("id").and_then(Value::as_str).unwrap_or("");
    let Some(spec) = flow_specs::find(spec_id) else {
        let detail = format!("`flowSpec.id` `{spec_id}` is not a known flow spec");
        return problem::bad_request(&detail);
    };
    let ends = ids(&body, "sourceConnectionIds").and_then(|sources| {
        let targets = ids(&body, "targetConnectionIds")?;
        let inherited_sources = check_ends(&shared, &caller, spec, Kind::Source, &sources)?;
        let inherited_targets = check_ends(&shared, &caller, spec, Kind::Target, &targets)?;
        Ok((sources, targets, inherited_sources, inherited_targets))
    });
    let (sources, targets, inherited_sources, inherited_targets) = match ends {
        Ok(ends) => ends,
        Err(answer) => return answer,
    };
    let transformations = body.get("transformations").cloned().unwrap_or(json!([]));
    if let Err(why) = flow_specs::check_transformations(&transformations) {
        return problem::bad_request(&why);
    }
    if let Err(answer) = check_mappings(&shared, &caller, &transformations) {
        return answer;
    }
    let schedule = body.get("scheduleParams").cloned().unwrap_or(json!({}));
    if let Err(why) = flow_specs::check_schedule(&schedule) {
        return problem::bad_request(&why);
    }
    // `mode=draft` (undocumented in the file, used by the UI) creates a
    // flow that runs nothing until it is published.
    let draft = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(k, v)| k == "mode" && v == "draft");
    let id = uuid::Uuid::new_v4().to_string();
    let etag = objects::new_etag();
    let mut item = Map::new();
    item.insert("name".into(), json!(name));
    if let Some(description) = description {
        item.insert("description".into(), json!(description));
    }
    item.insert("flowSpec".into(), flow_spec);
    item.insert(
        "state".into(),
        json!(if draft { "draft" } else { "enabled" }),
    );
    item.insert("sourceConnectionIds".into(), json!(sources));
    item.insert("targetConnectionIds".into(), json!(targets));
    item.insert(
        "inheritedAttributes".into(),
        json!({"sourceConnections": inherited_sources, "targetConnections": inherited_targets,
               "properties": {"isSourceFlow": true}}),
    );
    item.insert("scheduleParams".into(), schedule);
    item.insert("transformations".into(), transformations);
    item.insert("runs".into(), json!(format!("/flows/{id}/runs")));
    objects::stamp_new(&mut item, &caller, &id, &etag);
    commit_item(&shared, caller, Kind::Flow, Value::Object(item), id, etag).await
}

fn start_time(flow: &Value) -> Option<i64> {
    let params = flow_specs::coerced(flow.get("scheduleParams")?);
    params.get("startTime").and_then(Value::as_i64)
}

/// The rules of a flow's PATCH, on the flow before and after it.
pub(crate) fn rules(
    shared: &Shared,
    caller: &Caller,
    before: &Value,
    after: &Value,
) -> Result<(), Response> {
    if before.get("scheduleParams") != after.get("scheduleParams") {
        let schedule = after.get("scheduleParams").cloned().unwrap_or(json!({}));
        flow_specs::check_schedule(&schedule).map_err(|why| problem::bad_request(&why))?;
        let now_s = objects::now_ms() / 1000;
        let (old, new) = (start_time(before), start_time(after));
        if let Some(old) = old
            && old <= now_s
            && new != Some(old)
        {
            let detail = format!(
                "`scheduleParams.startTime` `{old}` has passed: the start of a flow cannot be changed once it has occurred"
            );
            return Err(problem::bad_request(&detail));
        }
    }
    let (old, new) = (before.get("transformations"), after.get("transformations"));
    if old != new {
        let new = new.cloned().unwrap_or(json!([]));
        let new_names =
            flow_specs::check_transformations(&new).map_err(|why| problem::bad_request(&why))?;
        let old_names =
            flow_specs::check_transformations(old.unwrap_or(&json!([]))).unwrap_or_default();
        for (at, (was, is)) in old_names.iter().zip(&new_names).enumerate() {
            if was != is {
                let detail = format!(
                    "`transformations.{at}` is the `{was}` transformation: a replace cannot make it `{is}` (patch the index that holds `{is}`)"
                );
                return Err(problem::bad_request(&detail));
            }
        }
        check_mappings(shared, caller, &new)?;
    }
    Ok(())
}

pub(super) async fn action(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    // `subOp`, required by Adobe's file, is not sent by clients: not needed.
    let op = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "op")
        .map(|(_, v)| v.to_ascii_uppercase());
    let Some(op) = op else {
        return problem::bad_request(
            "query parameter `op` is required: expected `ENABLE` or `DISABLE`",
        );
    };
    let mut objects = lock(&shared.objects);
    let Some(flow) = objects.scope(&caller).find_mut(Kind::Flow, &id) else {
        return objects::not_found(Kind::Flow, &id);
    };
    if headers.get(axum::http::header::IF_MATCH).is_some() {
        let etag = flow
            .get("etag")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if let Err(answer) = collections::if_match(&headers, &etag, &id) {
            return answer;
        }
    }
    let draft = flow.get("state").and_then(Value::as_str) == Some("draft");
    let state = match op.as_str() {
        "ENABLE" => "enabled",
        "DISABLE" => "disabled",
        "PUBLISH" if draft => "enabled",
        "FINALIZE" | "FINALIZE_UPDATE" if draft => "draft",
        other => {
            let detail = format!(
                "`op={other}` is not valid for flow `{id}`: expected `ENABLE` or `DISABLE` (other ops apply to draft flows only)"
            );
            return problem::flow(400, "1400-400", "Bad Request", &detail);
        }
    };
    flow["state"] = json!(state);
    let etag = objects::stamp_update(flow, &caller);
    drop(objects);
    objects::save(&shared);
    super::runs::state_changed(&shared, &id, state == "enabled");
    Json(json!({"id": id, "etag": etag})).into_response()
}
