//! The default backend: one JSON file (`.provision/state.json`), rewritten
//! atomically on every change (temp file in the same folder, fsync, rename,
//! fsync the folder), locked through `state.json.lock`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{
    Change, FORMAT_VERSION, LockInfo, OLDEST_FORMAT, State, StateBackend, StateError, StateLock,
    lock,
};

/// State in a local JSON file.
#[derive(Debug, Clone)]
pub struct FileBackend {
    path: PathBuf,
}

impl FileBackend {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileBackend { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_owned();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    fn write_error(&self, source: std::io::Error) -> StateError {
        StateError::Write {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Writes the whole state atomically.
    pub fn save(&self, state: &State) -> Result<(), StateError> {
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.write_error(e))?;
        let mut text =
            serde_json::to_vec_pretty(state).map_err(|e| StateError::Backend(e.to_string()))?;
        text.push(b'\n');
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.write_error(e))?;
        tmp.write_all(&text).map_err(|e| self.write_error(e))?;
        tmp.as_file().sync_all().map_err(|e| self.write_error(e))?;
        tmp.persist(&self.path)
            .map_err(|e| self.write_error(e.error))?;
        // The rename is durable only once the folder entry is.
        if let Ok(folder) = std::fs::File::open(dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    }
}

impl StateBackend for FileBackend {
    fn describe(&self) -> String {
        format!("file `{}`", self.path.display())
    }

    fn load_unchecked(&self) -> Result<State, StateError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::new()),
            Err(source) => {
                return Err(StateError::Read {
                    path: self.path.display().to_string(),
                    source,
                });
            }
        };
        let corrupt = |message: String| StateError::Corrupt {
            path: self.path.display().to_string(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        let mut value = value;
        match value.get("version") {
            Some(v) if v.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
            Some(v)
                if v.as_u64().is_some_and(|v| {
                    (u64::from(OLDEST_FORMAT)..u64::from(FORMAT_VERSION)).contains(&v)
                }) =>
            {
                // Upgraded as read: the new fields are optional.
                value["version"] = serde_json::Value::from(FORMAT_VERSION);
            }
            Some(v) if v.is_u64() => {
                return Err(StateError::Version {
                    path: self.path.display().to_string(),
                    found: v.as_u64().unwrap_or_default(),
                });
            }
            Some(v) => {
                return Err(corrupt(format!(
                    "`version` is `{v}`: expected the format version, {FORMAT_VERSION}"
                )));
            }
            None => {
                return Err(corrupt(format!(
                    "it has no `version`: expected the format version, {FORMAT_VERSION}"
                )));
            }
        }
        serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))
    }

    fn lock(&self, command: &str, timeout: Duration) -> Result<StateLock, StateError> {
        lock::acquire(&self.lock_path(), command, timeout)
    }

    fn record(&self, state: &mut State, changes: &[Change]) -> Result<(), StateError> {
        let mut after = state.clone();
        after.apply(changes)?;
        self.save(&after)?;
        *state = after;
        Ok(())
    }

    fn unlock(&self) -> Result<Option<LockInfo>, StateError> {
        lock::clear_stale(&self.lock_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Pending, Record};

    fn record(id: &str) -> Record {
        Record {
            id: id.into(),
            etag: "\"1\"".into(),
            org: "O@AdobeOrg".into(),
            fingerprint: "f".into(),
            secret_hmac: None,
            created_at: "t".into(),
            updated_at: "t".into(),
            source: None,
            secret_version: None,
            connection_string_parts: None,
        }
    }

    #[test]
    fn records_survive_a_reload_and_count_serials() {
        let dir = tempfile::tempdir().unwrap();
        let backend = FileBackend::new(dir.path().join("nested/state.json"));
        let mut state = backend.load().unwrap();
        assert_eq!(state.serial, 0);
        let pending = Pending {
            org: "O@AdobeOrg".into(),
            started_at: "t".into(),
        };
        let a: crate::config::ConnectionKey = "azure/dev/a".parse().unwrap();
        backend
            .record(&mut state, &[Change::Pending(a.clone(), pending)])
            .unwrap();
        backend
            .record(&mut state, &[Change::Upsert(a.clone(), record("1"))])
            .unwrap();
        let loaded = backend.load().unwrap();
        assert_eq!(loaded, state);
        assert_eq!(loaded.serial, 2);
        assert!(loaded.pending.is_empty());
        assert_eq!(loaded.connections[&a].id, "1");
    }

    #[test]
    fn a_second_lock_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let backend = FileBackend::new(dir.path().join("state.json"));
        let held = backend.lock("provision apply", Duration::ZERO).unwrap();
        match backend.lock("provision apply", Duration::from_millis(200)) {
            Err(StateError::Locked(info)) => {
                assert_eq!(info.pid, std::process::id());
                assert_eq!(info.command, "provision apply");
            }
            other => panic!("expected a lock error, got {:?}", other.err()),
        }
        drop(held);
        backend.lock("provision apply", Duration::ZERO).unwrap();
    }

    #[test]
    fn a_malformed_key_in_state_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(
            &path,
            r#"{"version": 1, "lineage": "x", "serial": 1, "connections": {"orders-db": {"id": "1", "etag": "e", "org": "O", "fingerprint": "f", "createdAt": "t", "updatedAt": "t"}}}"#,
        )
        .unwrap();
        let err = FileBackend::new(&path).load().unwrap_err();
        assert!(err.to_string().contains("`orders-db`"), "{err}");
    }

    #[test]
    fn unreadable_or_future_state_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(
            FileBackend::new(&path).load(),
            Err(StateError::Corrupt { .. })
        ));
        std::fs::write(&path, r#"{"version": 9, "lineage": "x", "serial": 1}"#).unwrap();
        assert!(matches!(
            FileBackend::new(&path).load(),
            Err(StateError::Version { found: 9, .. })
        ));
    }
}
