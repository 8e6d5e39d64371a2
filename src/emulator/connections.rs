//! The emulated `/connections` resource: create, read, list, patch and
//! delete within the caller's (org, sandbox), plus the lost-answer fault
//! (commit a create, then close the socket without a word).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};

use super::body_rules::{self, Editable};
use super::gateway::Caller;
use super::{Shared, listing, lock, problem};
use crate::api::wire::{
    ConnectionItem, ConnectionListResponse, IdEtag, ItemAuth, PageLink, PageLinks, PatchOp, SpecRef,
};

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
fn persist(store: &super::store::Store) {
    if let Err(err) = store.save() {
        tracing::error!(error = %err, "emulator cannot write its data file");
    }
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
    let item = ConnectionItem {
        id: uuid::Uuid::new_v4().to_string(),
        name: new.name,
        description: new.description,
        auth: Some(ItemAuth {
            spec_name: new.spec_name,
            params: new.params,
        }),
        connection_spec: SpecRef::postgres(),
        state: "enabled".into(),
        version: Some(json!(1)),
        etag: new_etag(),
        sandbox_name: caller.sandbox.clone(),
        ims_org_id: caller.org.clone(),
        created_at: now,
        updated_at: now,
        created_client: caller.client_id.clone(),
        updated_client: caller.client_id,
    };
    let created = IdEtag {
        id: item.id.clone(),
        etag: item.etag.clone(),
    };
    {
        let mut store = lock(&shared.store);
        store.insert(&caller.org, &caller.sandbox, item);
        persist(&store);
    }
    if lock(&shared.dice).random::<f64>() < shared.config.drop_after_commit_rate {
        tracing::debug!(id = %created.id, "emulator drops the answer to a committed create");
        let mut severed = Response::new(Body::new(Severed));
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
    let store = lock(&shared.store);
    match store
        .items(&caller.org, &caller.sandbox)
        .iter()
        .find(|item| item.id == id)
    {
        Some(item) => Json(ConnectionListResponse {
            items: vec![item.clone()],
            links: None,
        })
        .into_response(),
        None => problem::not_found(&id),
    }
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Response {
    let listing = match listing::parse(query.as_deref()) {
        Ok(listing) => listing,
        Err(detail) => return problem::bad_request(&detail),
    };
    let store = lock(&shared.store);
    let selected = listing.select(store.items(&caller.org, &caller.sandbox));
    if listing.count {
        return Json(json!({"count": selected.len()})).into_response();
    }
    let end = (listing.offset + listing.limit).min(selected.len());
    let items = selected
        .get(listing.offset..end)
        .unwrap_or_default()
        .iter()
        .map(|i| (*i).clone())
        .collect();
    let links = (end < selected.len()).then(|| PageLinks {
        next: Some(PageLink {
            href: listing.next_href(end),
        }),
    });
    Json(ConnectionListResponse { items, links }).into_response()
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
    let ops: Vec<PatchOp> = match parse_json(&body) {
        Ok(ops) => ops,
        Err(answer) => return answer,
    };
    let mut store = lock(&shared.store);
    let Some(item) = store.get_mut(&caller.org, &caller.sandbox, &id) else {
        return problem::not_found(&id);
    };
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
    edited.etag = new_etag();
    edited.updated_at = now_ms().max(item.updated_at);
    edited.updated_client = caller.client_id;
    edited.version = Some(json!(
        item.version.as_ref().and_then(Value::as_u64).unwrap_or(1) + 1
    ));
    let answer = IdEtag {
        id: edited.id.clone(),
        etag: edited.etag.clone(),
    };
    *item = edited;
    persist(&store);
    Json(answer).into_response()
}

pub(super) async fn delete(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let mut store = lock(&shared.store);
    if !store.remove(&caller.org, &caller.sandbox, &id) {
        return problem::not_found(&id);
    }
    persist(&store);
    StatusCode::NO_CONTENT.into_response()
}

/// A body that fails at once: hyper then closes the connection before the
/// buffered status line goes out, so the client gets no answer at all.
struct Severed;

impl http_body::Body for Severed {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(Err(io::Error::other(
            "answer dropped by fault injection",
        ))))
    }
}
