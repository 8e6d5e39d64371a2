//! The emulator's connections, kept per (org, sandbox) in creation order,
//! optionally persisted to a JSON file with atomic writes (temp file in the
//! same folder, fsync, rename) so a restart keeps them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::api::wire::ConnectionItem;

/// Everything the emulator knows. Secrets are masked before they get here.
#[derive(Debug, Default)]
pub(crate) struct Store {
    scopes: BTreeMap<(String, String), Vec<ConnectionItem>>,
    file: Option<PathBuf>,
}

/// The data file's shape.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    scopes: Vec<ScopeData>,
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
            scopes: BTreeMap::new(),
            file: file.map(Path::to_path_buf),
        };
        let Some(path) = file else { return Ok(store) };
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(store),
            Err(e) => return Err(e),
        };
        let snapshot: Snapshot = serde_json::from_slice(&text).map_err(std::io::Error::other)?;
        for scope in snapshot.scopes {
            store.scopes.insert((scope.org, scope.sandbox), scope.items);
        }
        Ok(store)
    }

    pub(crate) fn items(&self, org: &str, sandbox: &str) -> &[ConnectionItem] {
        self.scopes
            .get(&(org.to_owned(), sandbox.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub(crate) fn get_mut(
        &mut self,
        org: &str,
        sandbox: &str,
        id: &str,
    ) -> Option<&mut ConnectionItem> {
        self.scopes
            .get_mut(&(org.to_owned(), sandbox.to_owned()))?
            .iter_mut()
            .find(|item| item.id == id)
    }

    pub(crate) fn insert(&mut self, org: &str, sandbox: &str, item: ConnectionItem) {
        self.scopes
            .entry((org.to_owned(), sandbox.to_owned()))
            .or_default()
            .push(item);
    }

    /// Removes a connection; false when there was none.
    pub(crate) fn remove(&mut self, org: &str, sandbox: &str, id: &str) -> bool {
        let Some(items) = self.scopes.get_mut(&(org.to_owned(), sandbox.to_owned())) else {
            return false;
        };
        let before = items.len();
        items.retain(|item| item.id != id);
        items.len() != before
    }

    /// Writes the data file, if there is one, atomically.
    pub(crate) fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let snapshot = Snapshot {
            scopes: self
                .scopes
                .iter()
                .map(|((org, sandbox), items)| ScopeData {
                    org: org.clone(),
                    sandbox: sandbox.clone(),
                    items: items.clone(),
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
