//! The default backend: a JSON snapshot (`.provision/state.json`, written
//! atomically) plus a journal beside it that each change is appended to,
//! locked through `state.json.lock`; every write is checked against the
//! lock file and the serial it expects.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::disk::{Head, Seen, Snapshot, beside, disk, resolve, stat};
use super::lock::{self, FileLock};
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
            environment: state.environment.as_deref(),
        };
        let mut text = serde_json::to_vec_pretty(&Snapshot {
            head: &head,
            connections: &state.connections,
            pending: &state.pending,
            dataflows: &state.dataflows,
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
                disk: disk(real),
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
        let before = disk(real);
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
        let seen = (disk(real) == before).then_some(Seen {
            disk: before,
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
        if let Some(seen) = known.filter(|s| s.serial == expected && s.disk == disk(real)) {
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
    fn append(&self, real: &Path, line: &[u8], seen: &Seen, serial: u64) -> Result<(), StateError> {
        let path = beside(real, ".journal");
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| self.write_error(e))?;
        file.write_all(line).map_err(|e| self.write_error(e))?;
        file.sync_data().map_err(|e| self.write_error(e))?;
        // A new journal's folder entry must be durable too.
        if seen.disk.journal.is_none()
            && let Some(dir) = path.parent()
            && let Ok(folder) = std::fs::File::open(dir)
        {
            let _ = folder.sync_all();
        }
        if let Ok(mut slot) = self.shared.seen.lock() {
            *slot = Some(Seen {
                disk: disk(real),
                serial,
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
            self.append(&real, &journal::line(state, changes)?, seen, state.serial)
        } else {
            self.save_at(&real, state)
        }
    }
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
#[path = "file_tests.rs"]
mod tests;
