//! Reads, lists, patches and deletes shared by `/sourceConnections`,
//! `/targetConnections` and `/flows`: the same paging, filters, etags and
//! error bodies as `/connections`, each collection with its own editable paths.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::gateway::Caller;
use super::objects::{self, Kind, id_of};
use super::{Shared, json_patch, listing, lock, problem};

/// Checks an edited item against the rules of its collection: `before`
/// and `after` the patch.
pub(crate) type Rules = fn(&Shared, &Caller, &Value, &Value) -> Result<(), Response>;

pub(crate) async fn list(
    kind: Kind,
    shared: Arc<Shared>,
    caller: Caller,
    query: Option<String>,
) -> Response {
    let (listing, offset) = match listing::resolve(&shared, query.as_deref(), None) {
        Ok(resolved) => resolved,
        Err(answer) => return answer,
    };
    let listed: Vec<Value> = {
        let mut objects = lock(&shared.objects);
        let items = objects.scope(&caller).of(kind).clone();
        items
            .into_iter()
            .filter(|item| objects.is_listed(id_of(item)))
            .collect()
    };
    page(&shared, &listing, kind.collection(), &listed, offset)
}

/// One page of `selected` items in Flow Service's list shape.
pub(crate) fn page(
    shared: &Shared,
    listing: &listing::Listing,
    collection: &str,
    items: &[Value],
    offset: usize,
) -> Response {
    let selected = listing.select(items);
    if listing.count {
        return Json(json!({"count": selected.len()})).into_response();
    }
    let end = offset.saturating_add(listing.limit).min(selected.len());
    let chosen: Vec<&Value> = selected.get(offset..end).unwrap_or_default().to_vec();
    let mut body = json!({"items": chosen, "_links": {}});
    if end < selected.len() {
        let token = listing::continuation_token(shared, listing, end);
        body["_links"] = json!({"next": {"href": listing.next_href_of(collection, &token)}});
    }
    Json(body).into_response()
}

pub(crate) async fn get_one(
    kind: Kind,
    shared: Arc<Shared>,
    caller: Caller,
    id: String,
) -> Response {
    let mut objects = lock(&shared.objects);
    match objects.scope(&caller).find(kind, &id) {
        Some(item) => Json(json!({"items": [item]})).into_response(),
        None => objects::not_found(kind, &id),
    }
}

/// The `If-Match` check every PATCH makes: present (`1403-400`), current (`1404-412`).
pub(crate) fn if_match(headers: &HeaderMap, etag: &str, id: &str) -> Result<(), Response> {
    let Some(given) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Err(problem::flow(
            400,
            "1403-400",
            "Bad Request",
            "header `If-Match` is required",
        ));
    };
    if given.trim().trim_matches('"') != etag.trim_matches('"') {
        let detail = format!(
            "etag `{}` does not match the current version of `{id}`",
            given.trim()
        );
        return Err(problem::flow(
            412,
            "1404-412",
            "Precondition Failed",
            &detail,
        ));
    }
    Ok(())
}

/// The members a PATCH may touch, per collection.
fn editable(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Source | Kind::Target => &["/name", "/description"],
        Kind::Flow => &[
            "/name",
            "/description",
            "/scheduleParams",
            "/transformations",
        ],
    }
}

pub(crate) async fn patch(
    kind: Kind,
    rules: Rules,
    shared: Arc<Shared>,
    caller: Caller,
    id: String,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ops = match json_patch::parse_ops(&body) {
        Ok(ops) => ops,
        Err(answer) => return answer,
    };
    let before = {
        let mut objects = lock(&shared.objects);
        match objects.scope(&caller).find(kind, &id) {
            Some(item) => item.clone(),
            None => return objects::not_found(kind, &id),
        }
    };
    let etag = before.get("etag").and_then(Value::as_str).unwrap_or("");
    if let Err(answer) = if_match(&headers, etag, &id) {
        return answer;
    }
    let mut after = before.clone();
    if let Err(answer) = json_patch::apply(&mut after, &ops, editable(kind)) {
        return answer;
    }
    match after.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.len() <= 256 => {}
        _ => {
            return problem::bad_request(
                "`name` must stay a non-empty string of at most 256 characters",
            );
        }
    }
    if !matches!(after.get("description"), None | Some(Value::String(_))) {
        return problem::bad_request("`description` must be a string");
    }
    if let Err(answer) = rules(&shared, &caller, &before, &after) {
        return answer;
    }
    let new_etag = objects::stamp_update(&mut after, &caller);
    let mut objects = lock(&shared.objects);
    let Some(slot) = objects.scope(&caller).find_mut(kind, &id) else {
        return objects::not_found(kind, &id);
    };
    // Another PATCH may have landed since the read: the etag decides.
    if slot.get("etag").and_then(Value::as_str) != Some(etag) {
        let detail = format!("`{id}` changed while this patch was checked");
        return problem::flow(412, "1404-412", "Precondition Failed", &detail);
    }
    *slot = after;
    drop(objects);
    objects::save(&shared);
    Json(json!({"id": id, "etag": new_etag})).into_response()
}

/// No extra rules (source and target connections).
pub(crate) fn no_rules(_: &Shared, _: &Caller, _: &Value, _: &Value) -> Result<(), Response> {
    Ok(())
}

pub(crate) async fn delete(
    kind: Kind,
    shared: Arc<Shared>,
    caller: Caller,
    id: String,
) -> Response {
    let mut objects = lock(&shared.objects);
    let items = objects.scope(&caller).of_mut(kind);
    let Some(at) = items.iter().position(|item| id_of(item) == id) else {
        return objects::not_found(kind, &id);
    };
    items.remove(at);
    drop(objects);
    objects::save(&shared);
    StatusCode::NO_CONTENT.into_response()
}
