//! Finding the project from anywhere inside it, as cargo and git find
//! theirs: `provision.yaml` in the current folder or the nearest parent (not
//! above the git repository's root); a run then works from that folder.

use std::path::{Component, Path, PathBuf};

/// The settings file's name, looked for upward.
pub(crate) const SETTINGS_FILE: &str = "provision.yaml";

/// Where a run works from, and how it got there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Root {
    /// The project root: the settings file's folder, or the current folder
    /// when there is none.
    pub dir: PathBuf,
    /// The current folder the command started in.
    pub cwd: PathBuf,
}

impl Root {
    /// The root for a run started in `cwd`: `--config`'s folder when given,
    /// else the nearest folder from `cwd` upward holding `provision.yaml`,
    /// stopping at the folder that holds `.git`; else `cwd`.
    pub(crate) fn find(cwd: &Path, config: Option<&Path>) -> Root {
        let dir = match config {
            Some(file) => clean(&cwd.join(file))
                .parent()
                .map_or_else(|| cwd.to_owned(), Path::to_path_buf),
            None => upward(cwd).unwrap_or_else(|| cwd.to_owned()),
        };
        Root {
            dir,
            cwd: cwd.to_owned(),
        }
    }

    /// Whether the run moves away from the current folder.
    pub(crate) fn moved(&self) -> bool {
        self.dir != self.cwd
    }

    /// `path`, given relative to the current folder, as seen from the root:
    /// relative to it when inside, else absolute.
    pub(crate) fn rebase(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            return path.to_owned();
        }
        let absolute = clean(&self.cwd.join(path));
        match absolute.strip_prefix(&self.dir) {
            Ok(inside) if inside.as_os_str().is_empty() => PathBuf::from("."),
            Ok(inside) => {
                // Keep a trailing `/` the user typed: messages echo it.
                let mut inside = inside.to_path_buf();
                if path.as_os_str().to_string_lossy().ends_with('/') {
                    inside.push("");
                }
                inside
            }
            Err(_) => absolute,
        }
    }
}

/// The nearest folder from `start` upward that holds `provision.yaml`, not
/// above the first folder holding `.git` (a repository's root).
fn upward(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(here) = dir {
        if here.join(SETTINGS_FILE).is_file() {
            return Some(here.to_owned());
        }
        if here.join(".git").exists() {
            return None;
        }
        dir = here.parent();
    }
    None
}

/// Removes `.` and resolves `..` without touching the file system.
fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_settings_not_above_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        std::fs::write(top.join(SETTINGS_FILE), "").unwrap();
        let repo = top.join("repo");
        let deep = repo.join("connections/prod");
        std::fs::create_dir_all(&deep).unwrap();
        // No `.git` anywhere: the settings above are found.
        assert_eq!(Root::find(&deep, None).dir, top);
        // A repository root in between stops the search there.
        std::fs::create_dir(repo.join(".git")).unwrap();
        assert_eq!(Root::find(&deep, None).dir, deep);
        std::fs::write(repo.join(SETTINGS_FILE), "").unwrap();
        let root = Root::find(&deep, None);
        assert_eq!(root.dir, repo);
        assert_eq!(
            root.rebase(Path::new("orders.yaml")),
            Path::new("connections/prod/orders.yaml")
        );
        assert_eq!(root.rebase(Path::new("../")), Path::new("connections/"));
        assert_eq!(root.rebase(Path::new("../../..")), top);
        // `--config` names the root.
        let named = Root::find(&deep, Some(Path::new("../../provision.yaml")));
        assert_eq!(named.dir, repo);
    }
}
