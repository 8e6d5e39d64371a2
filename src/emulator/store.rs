//! The emulator's connections, kept per (org, sandbox) in creation order,
//! optionally persisted to a JSON file with atomic writes (temp file in the
//! same folder, fsync, rename) so a restart keeps them. Also when each is
//! visible to listings (`--list-lag-ms`) and which are being deleted
//! (`--delete-linger-ms`): that timing is not persisted.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::api::wire::ConnectionItem;

/// The state a deleted connection is listed with until it is gone.
pub(crate) const DELETING: &str = "deleting";

/// Everything the emulator knows. Secrets are masked before they get here.
#[derive(Debug, Default)]
pub(crate) struct Store {
    scopes: BTreeMap<(String, String), Vec<ConnectionItem>>,
    file: Option<PathBuf>,
    /// id -> when listings start to show it.
    listed_from: HashMap<String, Instant>,
    /// id -> when a connection being deleted disappears.
    gone_at: HashMap<String, Instant>,
    /// The ingestion objects as the data file held them, until taken.
    ingestion: serde_json::Value,
}

/// The data file's shape.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    scopes: Vec<ScopeData>,
    /// Source and target connections, flows, runs and mapping sets
    /// (absent from files written before they existed).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    ingestion: serde_json::Value,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScopeData {
    org: String,
    sandbox: String,
    items: Vec<ConnectionItem>,
}

impl Store {
    /// An empty store, or the one saved in `file` when it exists.
    pub(crate) fn open(file: Option<&Path>) -> std::io::Result<Store> {
        let mut store = Store {
            file: file.map(Path::to_path_buf),
            ..Store::default()
        };
        let Some(path) = file else { return Ok(store) };
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(store),
            Err(e) => return Err(e),
        };
        let snapshot: Snapshot = serde_json::from_slice(&text).map_err(std::io::Error::other)?;
        store.ingestion = snapshot.ingestion;
        for scope in snapshot.scopes {
            let items = scope
                .items
                .into_iter()
                .filter(|i| i.state != DELETING)
                .collect();
            store.scopes.insert((scope.org, scope.sandbox), items);
        }
        Ok(store)
    }

    /// Forgets connections whose deletion has finished.
    fn purge(&mut self) {
        let now = Instant::now();
        let done: Vec<String> = self
            .gone_at
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        if done.is_empty() {
            return;
        }
        for items in self.scopes.values_mut() {
            items.retain(|item| !done.contains(&item.id));
        }
        for id in done {
            self.gone_at.remove(&id);
            self.listed_from.remove(&id);
        }
    }

    /// What a listing shows now: committed long enough ago, deleting ones
    /// included. Borrowed: a page clones only its own items, so reading a
    /// scope page by page costs what it reads, not pages times the scope.
    pub(crate) fn listed(&mut self, org: &str, sandbox: &str) -> Vec<&ConnectionItem> {
        self.purge();
        let now = Instant::now();
        // Lags that have passed are forgotten, so a listing without a
        // pending lag looks nothing up.
        self.listed_from.retain(|_, at| *at > now);
        let lagging = &self.listed_from;
        self.scopes
            .get(&(org.to_owned(), sandbox.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|item| lagging.is_empty() || !lagging.contains_key(&item.id))
            .collect()
    }

    fn scope(&self, org: &str, sandbox: &str) -> &[ConnectionItem] {
        self.scopes
            .get(&(org.to_owned(), sandbox.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// A connection by id, unless it is being deleted.
    pub(crate) fn get(&mut self, org: &str, sandbox: &str, id: &str) -> Option<&ConnectionItem> {
        self.purge();
        self.scope(org, sandbox)
            .iter()
            .find(|item| item.id == id && item.state != DELETING)
    }

    pub(crate) fn get_mut(
        &mut self,
        org: &str,
        sandbox: &str,
        id: &str,
    ) -> Option<&mut ConnectionItem> {
        self.purge();
        self.scopes
            .get_mut(&(org.to_owned(), sandbox.to_owned()))?
            .iter_mut()
            .find(|item| item.id == id && item.state != DELETING)
    }

    /// Adds a connection that listings show from `listed_from` on.
    pub(crate) fn insert(
        &mut self,
        org: &str,
        sandbox: &str,
        item: ConnectionItem,
        listed_from: Instant,
    ) {
        if listed_from > Instant::now() {
            self.listed_from.insert(item.id.clone(), listed_from);
        }
        self.scopes
            .entry((org.to_owned(), sandbox.to_owned()))
            .or_default()
            .push(item);
    }

    /// Deletes a connection: at once, or listed as `deleting` until
    /// `gone_at`. False when there was none (or it is already being deleted).
    pub(crate) fn remove(
        &mut self,
        org: &str,
        sandbox: &str,
        id: &str,
        gone_at: Option<Instant>,
    ) -> bool {
        self.purge();
        let Some(items) = self.scopes.get_mut(&(org.to_owned(), sandbox.to_owned())) else {
            return false;
        };
        let Some(at) = items.iter().position(|i| i.id == id && i.state != DELETING) else {
            return false;
        };
        match gone_at {
            Some(when) => {
                if let Some(item) = items.get_mut(at) {
                    item.state = DELETING.into();
                }
                self.gone_at.insert(id.to_owned(), when);
            }
            None => {
                items.remove(at);
                self.listed_from.remove(id);
            }
        }
        true
    }

    /// The ingestion objects the data file held (once).
    pub(crate) fn take_ingestion(&mut self) -> serde_json::Value {
        std::mem::take(&mut self.ingestion)
    }

    /// Whether there is a data file to write.
    pub(crate) fn persists(&self) -> bool {
        self.file.is_some()
    }

    /// Writes the data file, if there is one, atomically, with the
    /// ingestion objects as given.
    pub(crate) fn save(&self, ingestion: serde_json::Value) -> std::io::Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let snapshot = Snapshot {
            ingestion,
            scopes: self
                .scopes
                .iter()
                .map(|((org, sandbox), items)| ScopeData {
                    org: org.clone(),
                    sandbox: sandbox.clone(),
                    items: items
                        .iter()
                        .filter(|i| i.state != DELETING)
                        .cloned()
                        .collect(),
                })
                .collect(),
        };
        let text = serde_json::to_vec_pretty(&snapshot).map_err(std::io::Error::other)?;
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = folder.join(format!(".{name}.{}.tmp", std::process::id()));
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(&text)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    }
}
