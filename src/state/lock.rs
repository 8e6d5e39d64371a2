//! The exclusive state lock: an OS file lock (released by the kernel when
//! the holder dies, so it can never be left behind) plus a small JSON file
//! naming the holder, so a second run can say who has it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::StateError;
use super::timestamp;

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub host: String,
    pub pid: u32,
    pub since: String,
    pub command: String,
}

impl LockInfo {
    /// This process, running `command`.
    pub fn current(command: &str) -> Self {
        LockInfo {
            host: hostname(),
            pid: std::process::id(),
            since: timestamp::now(),
            command: command.to_owned(),
        }
    }

    /// True when the holder ran on this host and its process is gone.
    pub fn is_dead_here(&self) -> bool {
        self.host == hostname() && !Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` (pid {} on host `{}`, since {})",
            self.command, self.pid, self.host, self.since
        )
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// A held lock; dropping it releases the lock.
pub struct StateLock {
    _guard: Box<dyn Send>,
}

impl StateLock {
    pub fn new(guard: impl Send + 'static) -> Self {
        StateLock {
            _guard: Box::new(guard),
        }
    }
}

/// A held file lock. The OS lock lives on the open file, not on its name:
/// a lock file deleted or replaced during the run lets another run lock the
/// new file at the same path, so writes check [`FileLock::check`] first.
pub(super) struct FileLock {
    file: File,
    path: PathBuf,
}

/// A file's identity: (device, inode) where the platform has them.
#[cfg(unix)]
pub(super) fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
pub(super) fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    (meta.len(), 0)
}

impl FileLock {
    /// Ok while the file at the lock's path is still the one locked; else
    /// why not.
    pub(super) fn check(&self) -> Result<(), String> {
        still_at(&self.file, &self.path)
    }
}

/// Ok while the file at `path` is `file`; else why not.
fn still_at(file: &File, path: &Path) -> Result<(), String> {
    {
        let held = file
            .metadata()
            .map_err(|e| format!("cannot read the held lock file: {e}"))?;
        match std::fs::metadata(path) {
            Ok(now) if identity(&now) == identity(&held) => Ok(()),
            Ok(_) => Err(format!("`{}` was replaced by another file", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(format!("`{}` was deleted", path.display()))
            }
            Err(e) => Err(format!("cannot read `{}`: {e}", path.display())),
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Empty means "free"; the OS lock goes with the file handle.
        let _ = self.file.set_len(0);
    }
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> StateError + '_ {
    move |source| StateError::Write {
        path: path.display().to_string(),
        source,
    }
}

fn read_info(path: &Path) -> Option<LockInfo> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

fn open_lock_file(lock: &Path) -> Result<File, StateError> {
    if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_error(dir))?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(lock)
        .map_err(write_error(lock))
}

/// Takes the lock at `lock`, waiting up to `timeout` while another run
/// holds it. The holder's details are written into the lock file itself.
pub(super) fn acquire(
    lock: &Path,
    command: &str,
    timeout: Duration,
) -> Result<FileLock, StateError> {
    let info = lock;
    let mut file = open_lock_file(lock)?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => {
                if still_at(&file, lock).is_ok() {
                    break;
                }
                // Deleted or replaced between the open and the lock: the
                // lock is on a file no other run opens. Lock the new one.
                file = open_lock_file(lock)?;
                if start.elapsed() >= timeout.max(Duration::from_secs(5)) {
                    return Err(write_error(lock)(std::io::Error::other(
                        "the lock file keeps being deleted or replaced",
                    )));
                }
            }
            Err(TryLockError::WouldBlock) => {
                if start.elapsed() >= timeout {
                    let holder = read_info(info).unwrap_or_else(|| LockInfo {
                        host: "unknown".into(),
                        pid: 0,
                        since: "unknown".into(),
                        command: "another provision run (its details are not written yet)".into(),
                    });
                    return Err(StateError::Locked(holder));
                }
                std::thread::sleep(Duration::from_millis(100).min(timeout));
            }
            Err(TryLockError::Error(e)) => return Err(write_error(lock)(e)),
        }
    }
    if let Some(stale) = read_info(info) {
        // The OS lock was free, so its holder is gone; say so plainly when
        // it ran here and its process no longer exists.
        let gone = if stale.is_dead_here() {
            " (its process no longer exists)"
        } else {
            ""
        };
        tracing::warn!(
            "a previous run {stale}{gone} ended without releasing the state lock; it is released now"
        );
    }
    let me = LockInfo::current(command);
    let text = serde_json::to_string_pretty(&me).unwrap_or_default();
    let mut file = file;
    file.set_len(0).map_err(write_error(lock))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(write_error(lock))?;
    Ok(FileLock {
        file,
        path: lock.to_owned(),
    })
}

/// `state unlock`: removes holder details left by a run that died. Refuses
/// while a live run holds the lock.
pub(super) fn clear_stale(lock: &Path) -> Result<Option<LockInfo>, StateError> {
    let info = lock;
    let file = open_lock_file(lock)?;
    match file.try_lock() {
        Ok(()) => {
            let stale = read_info(info);
            file.set_len(0).map_err(write_error(lock))?;
            Ok(stale)
        }
        Err(TryLockError::WouldBlock) => {
            Err(StateError::Locked(read_info(info).unwrap_or_else(|| {
                LockInfo {
                    host: "unknown".into(),
                    pid: 0,
                    since: "unknown".into(),
                    command: "another provision run (its details are not written yet)".into(),
                }
            })))
        }
        Err(TryLockError::Error(e)) => Err(write_error(lock)(e)),
    }
}
