//! The default backend: a JSON snapshot (`.provision/state.json`, written
//! atomically) plus a journal beside it that each change is appended to,
//! locked through `state.json.lock`; every write is checked against the
//! lock file and the serial it expects.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::lock::{self, FileLock, identity};
use super::{
    Change, FORMAT_VERSION, LockInfo, OLDEST_READABLE, State, StateBackend, StateError, StateLock,
    journal,
};

/// The journal is folded into the snapshot once it is larger than this or
/// than the snapshot, so a write stays cheap and a load stays linear.
const FOLD_AT_LEAST: u64 = 64 * 1024;

/// State in a local JSON file.
#[derive(Debug, Clone)]
pub struct FileBackend {
    path: PathBuf,
    shared: Arc<Shared>,
}

/// What every clone of one backend shares: the lock it holds and what it
/// last saw on disk.
#[derive(Debug, Default)]
struct Shared {
    held: Mutex<Option<FileLock>>,
    seen: Mutex<Option<Seen>>,
}

impl std::fmt::Debug for FileLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileLock")
    }
}

/// The files as this backend last read or wrote them, and the serial they
/// hold: while they look the same, no one else wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    disk: Disk,
    serial: u64,
    version: u32,
    snapshot_len: u64,
}

/// The state's two files as `stat` sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Disk {
    snapshot: Option<(u64, u64, u64, Option<std::time::SystemTime>)>,
    journal: Option<(u64, u64, u64)>,
}

fn stat(path: &Path) -> Option<std::fs::Metadata> {
    std::fs::metadata(path).ok()
}

/// `path` with its symlinks resolved (the link's target, however many
/// links deep, in its real folder), so a run through a link and a run
/// through its target share one lock, and the atomic rename replaces the
/// target instead of the link.
fn resolve(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => match std::fs::read_link(&path) {
                Ok(target) => {
                    path = match path.parent() {
                        Some(dir) => dir.join(target),
                        None => target,
                    };
                }
                Err(_) => break,
            },
            _ => break,
        }
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (dir.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path,
    }
}

/// `path` with `suffix` added to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    path.with_file_name(name)
}

/// A held file lock as the trait hands it out: dropping it folds the
/// journal (while still locked) and then releases the lock.
struct Release {
    backend: FileBackend,
}

impl Drop for Release {
    fn drop(&mut self) {
        if let Err(err) = self.backend.fold() {
            tracing::warn!("folding the state journal: {err}");
        }
        let held = self.backend.shared.held.lock().map(|mut h| h.take());
        drop(held);
    }
}

impl FileBackend {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileBackend {
            path: path.into(),
            shared: Arc::default(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_error(&self, source: std::io::Error) -> StateError {
        StateError::Write {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn disk(real: &Path) -> Disk {
        Disk {
            snapshot: stat(real).map(|m| {
                let (dev, ino) = identity(&m);
                (dev, ino, m.len(), m.modified().ok())
            }),
            journal: stat(&beside(real, ".journal")).map(|m| {
                let (dev, ino) = identity(&m);
                (dev, ino, m.len())
            }),
        }
    }

    /// Writes the whole state atomically and drops the journal it folds in.
    pub fn save(&self, state: &State) -> Result<(), StateError> {
        let real = resolve(&self.path);
        self.save_at(&real, state)
    }

    fn save_at(&self, real: &Path, state: &State) -> Result<(), StateError> {
        let dir = real
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.write_error(e))?;
        let head = Head {
            version: FORMAT_VERSION,
            lineage: &state.lineage,
            serial: state.serial,
        };
        let mut text = serde_json::to_vec_pretty(&Snapshot {
            head: &head,
            connections: &state.connections,
            pending: &state.pending,
        })
        .map_err(|e| StateError::Backend(e.to_string()))?;
        text.push(b'\n');
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.write_error(e))?;
        tmp.write_all(&text).map_err(|e| self.write_error(e))?;
        tmp.as_file().sync_all().map_err(|e| self.write_error(e))?;
        tmp.persist(real).map_err(|e| self.write_error(e.error))?;
        // Only once the snapshot is in place: a run that dies in between
        // leaves journal lines the snapshot already holds, skipped on load.
        match std::fs::remove_file(beside(real, ".journal")) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(self.write_error(e)),
        }
        // The rename is durable only once the folder entry is.
        if let Ok(folder) = std::fs::File::open(dir) {
            let _ = folder.sync_all();
        }
        self.remember(real, state.serial, FORMAT_VERSION, text.len() as u64);
        Ok(())
    }

    fn remember(&self, real: &Path, serial: u64, version: u32, snapshot_len: u64) {
        if let Ok(mut seen) = self.shared.seen.lock() {
            *seen = Some(Seen {
                disk: Self::disk(real),
                serial,
                version,
                snapshot_len,
            });
        }
    }

    /// Reads the snapshot and replays the journal; notes what it saw (when
    /// nothing changed while it read). Also returns the length of the
    /// journal's torn tail.
    fn read(&self, real: &Path) -> Result<(State, u64, Option<Seen>), StateError> {
        let disk = Self::disk(real);
        let (mut state, snapshot_len) = match std::fs::read(real) {
            Ok(text) => (self.parse(&text)?, text.len() as u64),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (State::new(), 0),
            Err(source) => {
                return Err(StateError::Read {
                    path: self.path.display().to_string(),
                    source,
                });
            }
        };
        let version = state.version;
        let journal_path = beside(real, ".journal");
        let good = match std::fs::read(&journal_path) {
            Ok(text) => {
                let good = journal::replay(&mut state, &text, &journal_path.display().to_string())?;
                Some((good, text.len() as u64))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(StateError::Read {
                    path: journal_path.display().to_string(),
                    source,
                });
            }
        };
        let seen = (Self::disk(real) == disk).then(|| Seen {
            disk,
            serial: state.serial,
            version,
            snapshot_len,
        });
        if let (Some(seen), Ok(mut slot)) = (&seen, self.shared.seen.lock()) {
            *slot = Some(seen.clone());
        }
        let torn = good.map_or(0, |(good, len)| len.saturating_sub(good));
        Ok((state, torn, seen))
    }

    fn parse(&self, text: &[u8]) -> Result<State, StateError> {
        let corrupt = |message: String| StateError::Corrupt {
            path: self.path.display().to_string(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_slice(text).map_err(|e| corrupt(e.to_string()))?;
        match value.get("version") {
            Some(v)
                if v.as_u64().is_some_and(|v| {
                    (u64::from(OLDEST_READABLE)..=u64::from(FORMAT_VERSION)).contains(&v)
                }) => {}
            Some(v) if v.is_u64() => {
                return Err(StateError::Version {
                    path: self.path.display().to_string(),
                    found: v.as_u64().unwrap_or_default(),
                });
            }
            Some(v) => {
                return Err(corrupt(format!(
                    "`version` is `{v}`: expected the format version, {OLDEST_READABLE} to {FORMAT_VERSION}"
                )));
            }
            None => {
                return Err(corrupt(format!(
                    "it has no `version`: expected the format version, {OLDEST_READABLE} to {FORMAT_VERSION}"
                )));
            }
        }
        serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))
    }

    /// Fails unless this backend's lock (when it holds one) is still the
    /// file at the lock's path.
    fn check_lock(&self) -> Result<(), StateError> {
        let held = self
            .shared
            .held
            .lock()
            .map_err(|_| StateError::Backend("the state lock's guard was poisoned".into()))?;
        match held.as_ref().map(FileLock::check) {
            Some(Err(why)) => Err(StateError::LockLost {
                state: self.describe(),
                why,
            }),
            _ => Ok(()),
        }
    }

    /// Compare-and-swap by serial: the files still hold serial `expected`.
    /// Cheap while they look as this backend left them; otherwise they are
    /// read again. Returns what is known about them.
    fn check_serial(&self, real: &Path, expected: u64) -> Result<Seen, StateError> {
        let known = self.shared.seen.lock().ok().and_then(|s| s.clone());
        if let Some(seen) = known.filter(|s| s.serial == expected && s.disk == Self::disk(real)) {
            return Ok(seen);
        }
        let (on_disk, torn, mut seen) = self.read(real)?;
        if on_disk.serial != expected {
            return Err(StateError::Moved {
                state: self.describe(),
                expected,
                found: on_disk.serial,
            });
        }
        if torn > 0 {
            let journal = beside(real, ".journal");
            let file = OpenOptions::new()
                .write(true)
                .open(&journal)
                .map_err(|e| self.write_error(e))?;
            let len = file.metadata().map_err(|e| self.write_error(e))?.len();
            file.set_len(len - torn).map_err(|e| self.write_error(e))?;
            file.sync_all().map_err(|e| self.write_error(e))?;
            let (state, _, again) = self.read(real)?;
            if state.serial != expected {
                return Err(StateError::Moved {
                    state: self.describe(),
                    expected,
                    found: state.serial,
                });
            }
            seen = again;
        }
        seen.ok_or_else(|| StateError::Backend("the state files kept changing while read".into()))
    }

    /// Appends one write to the journal, durably.
    fn append(&self, real: &Path, line: &[u8], seen: &Seen) -> Result<(), StateError> {
        let path = beside(real, ".journal");
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| self.write_error(e))?;
        file.write_all(line).map_err(|e| self.write_error(e))?;
        file.sync_data().map_err(|e| self.write_error(e))?;
        if seen.disk.journal.is_none() {
            if let Some(dir) = path.parent() {
                if let Ok(folder) = std::fs::File::open(dir) {
                    let _ = folder.sync_all();
                }
            }
        }
        if let Ok(mut slot) = self.shared.seen.lock() {
            *slot = Some(Seen {
                disk: Self::disk(real),
                ..seen.clone()
            });
        }
        Ok(())
    }

    /// Folds the journal into the snapshot (end of a run, under the lock).
    fn fold(&self) -> Result<(), StateError> {
        let real = resolve(&self.path);
        if stat(&beside(&real, ".journal")).is_none() {
            return Ok(());
        }
        self.check_lock()?;
        let (state, _, _) = self.read(&real)?;
        self.save_at(&real, &state)
    }

    fn persist(&self, state: &State, changes: &[Change], seen: &Seen) -> Result<(), StateError> {
        let real = resolve(&self.path);
        let locked = self.shared.held.lock().is_ok_and(|h| h.is_some());
        let journal_len = seen.disk.journal.map_or(0, |j| j.2);
        // Start a journal only beside a current snapshot: a provision that
        // reads only version 1 must refuse the file rather than miss the
        // journal's writes.
        let journaled = locked && seen.disk.snapshot.is_some() && seen.version == FORMAT_VERSION;
        if journaled && journal_len <= seen.snapshot_len.max(FOLD_AT_LEAST) {
            self.append(&real, &journal::line(state, changes)?, seen)
        } else {
            self.save_at(&real, state)
        }
    }
}

/// The snapshot as written: the state's own fields, without copying it.
#[derive(serde::Serialize)]
struct Snapshot<'a> {
    #[serde(flatten)]
    head: &'a Head<'a>,
    connections: &'a std::collections::BTreeMap<crate::config::ConnectionKey, super::Record>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pending: &'a std::collections::BTreeMap<crate::config::ConnectionKey, super::Pending>,
}

/// A state's format, identity and counter.
#[derive(serde::Serialize)]
struct Head<'a> {
    version: u32,
    lineage: &'a str,
    serial: u64,
}

impl StateBackend for FileBackend {
    fn describe(&self) -> String {
        format!("file `{}`", self.path.display())
    }

    fn load_unchecked(&self) -> Result<State, StateError> {
        self.read(&resolve(&self.path)).map(|(state, _, _)| state)
    }

    fn lock(&self, command: &str, timeout: Duration) -> Result<StateLock, StateError> {
        let held = lock::acquire(&beside(&resolve(&self.path), ".lock"), command, timeout)?;
        let mut slot = self
            .shared
            .held
            .lock()
            .map_err(|_| StateError::Backend("the state lock's guard was poisoned".into()))?;
        *slot = Some(held);
        Ok(StateLock::new(Release {
            backend: self.clone(),
        }))
    }

    fn record(&self, state: &mut State, changes: &[Change]) -> Result<(), StateError> {
        self.check_lock()?;
        let real = resolve(&self.path);
        let seen = self.check_serial(&real, state.serial)?;
        let undo = state.apply_undoable(changes)?;
        match self.persist(state, changes, &seen) {
            Ok(()) => Ok(()),
            Err(err) => {
                undo.revert(state);
                Err(err)
            }
        }
    }

    fn unlock(&self) -> Result<Option<LockInfo>, StateError> {
        lock::clear_stale(&beside(&resolve(&self.path), ".lock"))
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
