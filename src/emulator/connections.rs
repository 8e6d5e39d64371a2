//! The emulated `/connections` resource: create, read, list, patch and
//! delete within the caller's (org, sandbox), plus the lost-answer fault
//! (commit a create, then close the socket without a word), slow commits,
//! lagging listings, lingering deletes and connections the service refuses
//! to patch or delete.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};

use super::body_rules::{self, Editable};
use super::gateway::Caller;
use super::{Shared, listing, lock, problem};
use crate::api::wire::{ConnectionItem, IdEtag, ItemAuth, PageLink, PageLinks, PatchOp, SpecRef};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn new_etag() -> String {
    format!("\"{}\"", uuid::Uuid::new_v4())
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body)
        .map_err(|e| problem::bad_request(&format!("request body is not valid: {e}")))
}

/// Saves the data file; a failure is logged, the answer stands.
fn persist(shared: &Shared, store: &super::store::Store) {
    super::objects::save_locked(shared, store);
}

pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let value: Value = match parse_json(&body) {
        Ok(value) => value,
        Err(answer) => return answer,
    };
    let new = match body_rules::check_create(&value, caller.cloud) {
        Ok(new) => new,
        Err(answer) => return answer,
    };
    let now = now_ms();
    let etag = new_etag();
    let id = uuid::Uuid::new_v4().to_string();
    keep_secret(&shared, &id, value.pointer("/auth/params"));
    let item = ConnectionItem {
        id,
        name: new.name,
        description: new.description,
        auth: Some(ItemAuth {
            spec_name: new.spec_name,
            params: new.params,
        }),
        connection_spec: SpecRef::postgres(),
        state: "enabled".into(),
        version: Some(json!(etag)),
        etag,
        sandbox_name: caller.sandbox.clone(),
        ims_org_id: caller.org.clone(),
        created_at: now,
        updated_at: now,
        created_client: caller.client_id.clone(),
        updated_client: caller.client_id.clone(),
    };
    let created = IdEtag {
        id: item.id.clone(),
        etag: item.etag.clone(),
    };
    // The commit runs on its own task: a client that stops waiting (its
    // timeout, a proxy's) does not stop it, as with the real service.
    let committing = Arc::clone(&shared);
    let commit = tokio::spawn(async move {
        let config = &committing.config;
        if !config.commit_delay.is_zero() {
            tokio::time::sleep(config.commit_delay).await;
        }
        let listed_from = Instant::now()
            .checked_add(config.list_lag)
            .unwrap_or_else(Instant::now);
        let mut store = lock(&committing.store);
        store.insert(&caller.org, &caller.sandbox, item, listed_from);
        persist(&committing, &store);
    });
    if commit.await.is_err() {
        return problem::gateway(500, "500000", "Internal server error");
    }
    if lock(&shared.dice).random::<f64>() < shared.config.drop_after_commit_rate {
        tracing::debug!(id = %created.id, "emulator drops the answer to a committed create");
        let mut severed = Response::new(super::severed::severed_body());
        *severed.status_mut() = StatusCode::CREATED;
        return severed;
    }
    let location = format!("/data/foundation/flowservice/connections/{}", created.id);
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(created),
    )
        .into_response()
}

pub(super) async fn get_one(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let mut store = lock(&shared.store);
    match store.get(&caller.org, &caller.sandbox, &id) {
        Some(item) => Json(json!({"items": [with_actors(item)]})).into_response(),
        None => problem::not_found(&id),
    }
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Response {
    let (listing, offset) = match listing::resolve(
        &shared,
        query.as_deref(),
        Some(&listing::CONNECTION_FILTERS[..]),
    ) {
        Ok(resolved) => resolved,
        Err(answer) => return answer,
    };
    let (items, end, total) = {
        let mut store = lock(&shared.store);
        let selected = listing.select(store.listed(&caller.org, &caller.sandbox));
        if listing.count {
            return Json(json!({"count": selected.len()})).into_response();
        }
        let end = offset.saturating_add(listing.limit).min(selected.len());
        let items: Vec<Value> = selected
            .get(offset..end)
            .unwrap_or_default()
            .iter()
            .map(|i| with_actors(i))
            .collect();
        (items, end, selected.len())
    };
    let links = (end < total).then(|| PageLinks {
        next: Some(PageLink {
            href: listing.next_href(&listing::continuation_token(&shared, &listing, end)),
        }),
    });
    match links {
        Some(links) => Json(json!({"items": items, "_links": links})).into_response(),
        None => Json(json!({"items": items})).into_response(),
    }
}

/// A connection as answered: the stored item plus `createdBy`,
/// `updatedBy` and `sandboxId`, which Adobe's file documents on every item.
fn with_actors(item: &ConnectionItem) -> Value {
    let mut value = serde_json::to_value(item).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        let by = |client: &str| json!(format!("{client}@AdobeID"));
        map.insert("createdBy".into(), by(&item.created_client));
        map.insert("updatedBy".into(), by(&item.updated_client));
        map.insert(
            "sandboxId".into(),
            json!(super::objects::sandbox_id(&item.sandbox_name)),
        );
    }
    value
}

/// With `--explore live`, keeps the password (or connection string) of
/// connection `id` in memory, the only place it is kept.
fn keep_secret(shared: &Shared, id: &str, params: Option<&Value>) {
    if shared.config.explore != super::ExploreSource::Live {
        return;
    }
    let Some(params) = params else { return };
    let secret = ["password", "connectionString"]
        .iter()
        .find_map(|key| params.get(*key).and_then(Value::as_str));
    if let Some(secret) = secret {
        lock(&shared.secrets).insert(id.to_owned(), crate::secret::Secret::new(secret));
    }
}

pub(super) async fn patch(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(if_match) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return problem::flow(
            400,
            "1403-400",
            "Bad Request",
            "header `If-Match` is required",
        );
    };
    let ops: Vec<PatchOp> = match super::json_patch::parse_ops(&body) {
        Ok(ops) => ops,
        Err(answer) => return answer,
    };
    let mut store = lock(&shared.store);
    let Some(item) = store.get_mut(&caller.org, &caller.sandbox, &id) else {
        return problem::not_found(&id);
    };
    if named(&shared.config.not_patchable, &item.name) {
        let detail = format!("PATCH is not enabled for connection `{id}`");
        return problem::flow(400, "1445-400", "Bad Request", &detail);
    }
    if if_match.trim().trim_matches('"') != item.etag.trim_matches('"') {
        let detail = format!(
            "etag `{}` does not match the current version of `{id}`",
            if_match.trim()
        );
        return problem::flow(412, "1404-412", "Precondition Failed", &detail);
    }
    let mut edited = item.clone();
    let auth = edited.auth.get_or_insert_with(|| ItemAuth {
        spec_name: String::new(),
        params: Default::default(),
    });
    let target = Editable {
        name: &mut edited.name,
        description: &mut edited.description,
        params: &mut auth.params,
    };
    if let Err(answer) = body_rules::apply_patch(&ops, target) {
        return answer;
    }
    if named(&shared.config.ignore_rename, &item.name) {
        edited.name.clone_from(&item.name);
    }
    for op in &ops {
        match op.path.as_str() {
            "/auth/params" => keep_secret(&shared, &id, op.value.as_ref()),
            "/auth/params/password" | "/auth/params/connectionString" => {
                let field = op.path.rsplit('/').next().unwrap_or("");
                let one = op.value.clone().map(|v| json!({field: v}));
                keep_secret(&shared, &id, one.as_ref());
            }
            _ => {}
        }
    }
    edited.etag = new_etag();
    edited.updated_at = now_ms().max(item.updated_at);
    edited.updated_client = caller.client_id;
    edited.version = Some(json!(edited.etag));
    let answer = IdEtag {
        id: edited.id.clone(),
        etag: edited.etag.clone(),
    };
    *item = edited;
    persist(&shared, &store);
    Json(answer).into_response()
}

pub(super) async fn delete(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let config = &shared.config;
    let flows = flows_using_base(&shared, &caller, &id);
    if !flows.is_empty() {
        let detail = format!(
            "connection `{id}` is used by the flow `{}`: delete the flow first",
            flows.join("`, `")
        );
        return problem::flow(400, "1418-400", "Bad Request", &detail);
    }
    let mut store = lock(&shared.store);
    let in_use = store
        .get(&caller.org, &caller.sandbox, &id)
        .is_some_and(|item| named(&config.in_use, &item.name));
    if in_use {
        let detail = format!("connection `{id}` is used by a dataflow: delete the dataflow first");
        return problem::flow(400, "1418-400", "Bad Request", &detail);
    }
    let gone_at = (!config.delete_linger.is_zero())
        .then(|| Instant::now().checked_add(config.delete_linger))
        .flatten();
    if !store.remove(&caller.org, &caller.sandbox, &id, gone_at) {
        return problem::not_found(&id);
    }
    persist(&shared, &store);
    StatusCode::NO_CONTENT.into_response()
}

/// The flows whose source connections read from base connection `id`.
fn flows_using_base(shared: &Shared, caller: &Caller, id: &str) -> Vec<String> {
    let mut objects = lock(&shared.objects);
    let scope = objects.scope(caller);
    scope
        .sources
        .iter()
        .filter(|s| s.get("baseConnectionId").and_then(Value::as_str) == Some(id))
        .flat_map(|s| scope.flows_using(super::objects::id_of(s)))
        .collect()
}

/// Whether `name` starts with one of `prefixes`.
fn named(prefixes: &[String], name: &str) -> bool {
    prefixes.iter().any(|p| name.starts_with(p.as_str()))
}
