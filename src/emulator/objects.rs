//! The ingestion objects the emulator keeps beside base connections (source
//! and target connections, flows, runs, mapping sets), per (org, sandbox),
//! and the one commit path every create goes through, so the faults that
//! apply to connections (slow commits, lost answers, lagging lists) apply here too.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::gateway::Caller;
use super::{Shared, lock, problem};

/// One mapping set: every version as stored (the last is current).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct MappingSet {
    pub id: String,
    pub versions: Vec<Value>,
}

impl MappingSet {
    pub(crate) fn current(&self) -> Option<&Value> {
        self.versions.last()
    }

    pub(crate) fn name(&self) -> &str {
        self.current()
            .and_then(|v| v.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// A Flow Service collection of the ingestion path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Source,
    Target,
    Flow,
}

impl Kind {
    /// The collection's path under the Flow Service root.
    pub(crate) fn collection(self) -> &'static str {
        match self {
            Kind::Source => "/sourceConnections",
            Kind::Target => "/targetConnections",
            Kind::Flow => "/flows",
        }
    }

    /// The noun error messages use.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Source => "source connection",
            Kind::Target => "target connection",
            Kind::Flow => "flow",
        }
    }
}

/// One (org, sandbox)'s objects, each list in creation order.
#[derive(Debug, Default)]
pub(crate) struct Collections {
    pub sources: Vec<Value>,
    pub targets: Vec<Value>,
    pub flows: Vec<Value>,
    pub runs: Vec<Value>,
    pub mapping_sets: Vec<MappingSet>,
}

impl Collections {
    pub(crate) fn of(&self, kind: Kind) -> &Vec<Value> {
        match kind {
            Kind::Source => &self.sources,
            Kind::Target => &self.targets,
            Kind::Flow => &self.flows,
        }
    }

    pub(crate) fn of_mut(&mut self, kind: Kind) -> &mut Vec<Value> {
        match kind {
            Kind::Source => &mut self.sources,
            Kind::Target => &mut self.targets,
            Kind::Flow => &mut self.flows,
        }
    }

    pub(crate) fn find(&self, kind: Kind, id: &str) -> Option<&Value> {
        self.of(kind).iter().find(|item| id_of(item) == id)
    }

    pub(crate) fn find_mut(&mut self, kind: Kind, id: &str) -> Option<&mut Value> {
        self.of_mut(kind).iter_mut().find(|item| id_of(item) == id)
    }

    /// The flows that name `id` among their source or target connections.
    pub(crate) fn flows_using(&self, id: &str) -> Vec<String> {
        self.flows
            .iter()
            .filter(|flow| {
                ["sourceConnectionIds", "targetConnectionIds"]
                    .iter()
                    .any(|key| {
                        flow.get(*key)
                            .and_then(Value::as_array)
                            .is_some_and(|ids| ids.iter().any(|v| v.as_str() == Some(id)))
                    })
            })
            .map(|flow| id_of(flow).to_owned())
            .collect()
    }
}

/// Everything of the ingestion path the emulator knows, with listing lag.
#[derive(Debug, Default)]
pub(crate) struct Objects {
    scopes: BTreeMap<(String, String), Collections>,
    /// id -> when listings start to show it.
    listed_from: HashMap<String, Instant>,
}

/// One (org, sandbox)'s objects as the data file keeps them.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedScope {
    org: String,
    sandbox: String,
    source_connections: Vec<Value>,
    target_connections: Vec<Value>,
    flows: Vec<Value>,
    runs: Vec<Value>,
    mapping_sets: Vec<MappingSet>,
}

impl Objects {
    /// The objects a data file held (`null`: none); unreadable parts are dropped with a log line.
    pub(crate) fn restore(saved: Value) -> Objects {
        let mut objects = Objects::default();
        if saved.is_null() {
            return objects;
        }
        match serde_json::from_value::<Vec<SavedScope>>(saved) {
            Ok(scopes) => {
                for scope in scopes {
                    objects.scopes.insert(
                        (scope.org, scope.sandbox),
                        Collections {
                            sources: scope.source_connections,
                            targets: scope.target_connections,
                            flows: scope.flows,
                            runs: scope.runs,
                            mapping_sets: scope.mapping_sets,
                        },
                    );
                }
            }
            Err(err) => {
                tracing::error!(error = %err, "emulator ignores the unreadable ingestion part of its data file")
            }
        }
        objects
    }

    fn saved(&self) -> Value {
        let scopes: Vec<SavedScope> = self
            .scopes
            .iter()
            .map(|((org, sandbox), c)| SavedScope {
                org: org.clone(),
                sandbox: sandbox.clone(),
                source_connections: c.sources.clone(),
                target_connections: c.targets.clone(),
                flows: c.flows.clone(),
                runs: c.runs.clone(),
                mapping_sets: c.mapping_sets.clone(),
            })
            .collect();
        serde_json::to_value(scopes).unwrap_or(Value::Null)
    }

    pub(crate) fn scope(&mut self, caller: &Caller) -> &mut Collections {
        self.scopes
            .entry((caller.org.clone(), caller.sandbox.clone()))
            .or_default()
    }

    /// Whether a listing made now shows the object `id`.
    pub(crate) fn is_listed(&self, id: &str) -> bool {
        self.listed_from
            .get(id)
            .is_none_or(|at| *at <= Instant::now())
    }

    pub(crate) fn list_from(&mut self, id: &str, at: Instant) {
        self.listed_from.insert(id.to_owned(), at);
    }
}

/// Writes the data file (connections and ingestion objects), if there is
/// one. Takes the store lock, then the objects lock: call it holding neither.
pub(crate) fn save(shared: &Shared) {
    let store = lock(&shared.store);
    save_locked(shared, &store);
}

/// [`save`] for a caller that holds the store lock (never the objects lock).
pub(crate) fn save_locked(shared: &Shared, store: &super::store::Store) {
    if !store.persists() {
        return;
    }
    let ingestion = lock(&shared.objects).saved();
    if let Err(err) = store.save(ingestion) {
        tracing::error!(error = %err, "emulator cannot write its data file");
    }
}

pub(crate) fn id_of(item: &Value) -> &str {
    item.get("id").and_then(Value::as_str).unwrap_or("")
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

pub(crate) fn new_etag() -> String {
    format!("\"{}\"", uuid::Uuid::new_v4())
}

/// Who made a change, as items show it (`createdBy`, `updatedBy`): decided,
/// the technical account of the calling client.
pub(crate) fn actor(caller: &Caller) -> String {
    format!("{}@AdobeID", caller.client_id)
}

/// A stable id for a sandbox name (items carry `sandboxId`).
pub(crate) fn sandbox_id(sandbox: &str) -> String {
    let digest = Sha256::digest(sandbox.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The fields every Flow Service item carries, set on a new one.
pub(crate) fn stamp_new(item: &mut Map<String, Value>, caller: &Caller, id: &str, etag: &str) {
    let now = now_ms();
    let fields = [
        ("id", json!(id)),
        ("createdAt", json!(now)),
        ("updatedAt", json!(now)),
        ("createdBy", json!(actor(caller))),
        ("updatedBy", json!(actor(caller))),
        ("createdClient", json!(caller.client_id)),
        ("updatedClient", json!(caller.client_id)),
        ("sandboxId", json!(sandbox_id(&caller.sandbox))),
        ("sandboxName", json!(caller.sandbox)),
        ("imsOrgId", json!(caller.org)),
        ("version", json!(etag)),
        ("etag", json!(etag)),
    ];
    for (key, value) in fields {
        item.insert(key.into(), value);
    }
}

/// Marks an item changed: new etag, `updatedAt`, `updatedBy`. Returns the etag.
pub(crate) fn stamp_update(item: &mut Value, caller: &Caller) -> String {
    let etag = new_etag();
    if let Some(map) = item.as_object_mut() {
        let before = map.get("updatedAt").and_then(Value::as_i64).unwrap_or(0);
        map.insert("updatedAt".into(), json!(now_ms().max(before)));
        map.insert("updatedBy".into(), json!(actor(caller)));
        map.insert("updatedClient".into(), json!(caller.client_id));
        map.insert("version".into(), json!(etag));
        map.insert("etag".into(), json!(etag));
    }
    etag
}

/// Commits a create the way `/connections` does: after `commit_delay`, on
/// its own task (a client that stops waiting does not stop it), listed
/// after `list_lag`; then answers `status` with `body`, or, by the dice,
/// drops the answer. `insert` runs under the store locks.
pub(crate) async fn commit<F>(
    shared: &Arc<Shared>,
    insert: F,
    status: StatusCode,
    location: Option<String>,
    body: Value,
) -> Response
where
    F: FnOnce(&Shared, Instant) + Send + 'static,
{
    let committing = Arc::clone(shared);
    let task = tokio::spawn(async move {
        let config = &committing.config;
        if !config.commit_delay.is_zero() {
            tokio::time::sleep(config.commit_delay).await;
        }
        let listed_from = Instant::now()
            .checked_add(config.list_lag)
            .unwrap_or_else(Instant::now);
        insert(&committing, listed_from);
    });
    if task.await.is_err() {
        return problem::gateway(500, "500000", "Internal server error");
    }
    if lock(&shared.dice).random::<f64>() < shared.config.drop_after_commit_rate {
        tracing::debug!("emulator drops the answer to a committed create");
        let mut severed = Response::new(super::severed::severed_body());
        *severed.status_mut() = status;
        return severed;
    }
    match location {
        Some(location) => (status, [(header::LOCATION, location)], Json(body)).into_response(),
        None => (status, Json(body)).into_response(),
    }
}

/// An object's 404 in Flow Service's shape.
pub(crate) fn not_found(kind: Kind, id: &str) -> Response {
    let detail = format!("{} `{id}` not found", kind.noun());
    problem::flow(404, "1439-404", "Not Found", &detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_ids_are_stable_and_shaped_like_uuids() {
        assert_eq!(sandbox_id("prod"), sandbox_id("prod"));
        assert_ne!(sandbox_id("prod"), sandbox_id("dev"));
        assert!(uuid::Uuid::parse_str(&sandbox_id("prod")).is_ok());
    }
}
