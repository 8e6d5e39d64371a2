//! What the file backend's files look like on disk: the state path with
//! its symlinks resolved, the files beside it, the `stat` fingerprint the
//! compare-and-swap trusts while nothing moved, and the snapshot's shape.

use std::path::{Path, PathBuf};

use super::lock::identity;

/// The files as this backend last read or wrote them, and the serial they
/// hold: while they look the same, no one else wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Seen {
    pub(super) disk: Disk,
    pub(super) serial: u64,
    pub(super) version: u32,
    pub(super) snapshot_len: u64,
}

/// The state's two files as `stat` sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Disk {
    pub(super) snapshot: Option<(u64, u64, u64, Option<std::time::SystemTime>)>,
    pub(super) journal: Option<(u64, u64, u64)>,
}

pub(super) fn stat(path: &Path) -> Option<std::fs::Metadata> {
    std::fs::metadata(path).ok()
}

/// `path` with its symlinks resolved (the link's target, however many
/// links deep, in its real folder), so a run through a link and a run
/// through its target share one lock, and the atomic rename replaces the
/// target instead of the link.
pub(super) fn resolve(path: &Path) -> PathBuf {
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
pub(super) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    path.with_file_name(name)
}

/// The state's two files beside `real` as they are now.
pub(super) fn disk(real: &Path) -> Disk {
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

/// The snapshot as written: the state's own fields, without copying it.
#[derive(serde::Serialize)]
pub(super) struct Snapshot<'a> {
    #[serde(flatten)]
    pub(super) head: &'a Head<'a>,
    pub(super) connections:
        &'a std::collections::BTreeMap<crate::config::ConnectionKey, super::Record>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(super) pending:
        &'a std::collections::BTreeMap<crate::config::ConnectionKey, super::Pending>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(super) dataflows:
        &'a std::collections::BTreeMap<crate::config::DataflowKey, super::DataflowRecord>,
}

/// A state's format, identity and counter.
#[derive(serde::Serialize)]
pub(super) struct Head<'a> {
    pub(super) version: u32,
    pub(super) lineage: &'a str,
    pub(super) serial: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) environment: Option<&'a str>,
}
