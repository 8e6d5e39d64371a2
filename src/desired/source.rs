//! Where a connection is written: its file as state records it (relative to
//! the project folder, `/`-separated, so runs from anywhere agree), whether
//! that file lies under the paths a run was given, and which keys the files
//! on disk describe. `--prune` and `import` decide by these, never by names.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::config::load::{self, Node, NodeValue};
use crate::config::{ConnectionKey, walk};

/// The project folder: the settings file's folder, made absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Project {
    root: PathBuf,
    /// The current folder, read once: relative files are taken from it.
    cwd: PathBuf,
}

impl Project {
    /// The project of the settings file `settings` (`provision.yaml` in the
    /// current folder unless `--config` names another).
    pub(crate) fn of_settings(settings: &Path) -> Self {
        let cwd = std::env::current_dir().unwrap_or_default();
        let folder = settings.parent().unwrap_or(Path::new(""));
        Project {
            root: normalise(&cwd.join(folder)),
            cwd,
        }
    }

    /// The project's default folder of connection files.
    pub(crate) fn connections_folder(&self) -> PathBuf {
        self.root.join("connections")
    }

    /// `file` as state records it: relative to the project folder when it
    /// lies inside, else absolute; `.` and `..` resolved, `/`-separated.
    pub(crate) fn source(&self, file: &Path) -> String {
        let absolute = normalise(&self.cwd.join(file));
        let shown = absolute.strip_prefix(&self.root).unwrap_or(&absolute);
        let parts: Vec<String> = shown
            .components()
            .map(|part| match part {
                // `/a/b` joins as `` + `a` + `b`.
                Component::RootDir => String::new(),
                other => other.as_os_str().to_string_lossy().into_owned(),
            })
            .collect();
        parts.join("/")
    }
}

/// Removes `.` and resolves `..` without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// True when the recorded `source` is the file `scope` or lies in the
/// folder `scope` (both as [`Project::source`] writes them).
pub(crate) fn lies_under(source: &str, scope: &str) -> bool {
    let scope = scope.trim_end_matches('/');
    scope.is_empty()
        || source == scope
        || source
            .strip_prefix(scope)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The keys the YAML files under `paths` describe, with the first file
/// describing each. Read leniently: a document with a literal `name`,
/// `sandbox` and `cloud` describes its key even when the rest is invalid.
pub(crate) fn described_keys(paths: &[PathBuf]) -> BTreeMap<ConnectionKey, PathBuf> {
    let existing: Vec<PathBuf> = paths.iter().filter(|p| p.exists()).cloned().collect();
    let (files, _) = walk::collect(&existing);
    let mut keys = BTreeMap::new();
    // A document's `renamedFrom` describes its earlier keys too, after any
    // document that has one as its `name`.
    let mut earlier_keys = BTreeMap::new();
    for file in files {
        let Ok(source) = load::load_file(&file) else {
            continue;
        };
        for doc in &source.documents {
            if let Some((key, earlier)) = key_of(doc) {
                keys.entry(key).or_insert_with(|| file.clone());
                for old in earlier {
                    earlier_keys.entry(old).or_insert_with(|| file.clone());
                }
            }
        }
    }
    for (old, file) in earlier_keys {
        keys.entry(old).or_insert(file);
    }
    keys
}

/// A document's key and the keys of its `renamedFrom` names.
fn key_of(doc: &Node) -> Option<(ConnectionKey, Vec<ConnectionKey>)> {
    let text = |field: &str| match doc.get(field).map(|n| &n.value) {
        Some(NodeValue::String(s)) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    };
    let cloud = text("cloud")?.parse().ok()?;
    let sandbox = text("sandbox")?;
    let earlier = match doc.get("renamedFrom").map(|n| &n.value) {
        Some(NodeValue::String(name)) => vec![name.as_str()],
        Some(NodeValue::Seq(names)) => names
            .iter()
            .filter_map(|n| match &n.value {
                NodeValue::String(name) => Some(name.as_str()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let earlier = earlier
        .into_iter()
        .filter(|name| !name.is_empty())
        .map(|name| ConnectionKey::new(cloud, sandbox, name))
        .collect();
    Some((ConnectionKey::new(cloud, sandbox, text("name")?), earlier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_relative_to_the_project_and_normalised() {
        let cwd = std::env::current_dir().unwrap();
        let here = Project::of_settings(Path::new("provision.yaml"));
        assert_eq!(
            here.source(Path::new("./connections/prod/../prod/a.yaml")),
            "connections/prod/a.yaml"
        );
        assert_eq!(
            here.source(&cwd.join("connections/a.yaml")),
            "connections/a.yaml"
        );
        let sub = Project::of_settings(Path::new("repo/provision.yaml"));
        assert_eq!(
            sub.source(Path::new("repo/connections/a.yaml")),
            "connections/a.yaml"
        );
        assert!(sub.source(Path::new("elsewhere/a.yaml")).starts_with('/'));
    }

    #[test]
    fn a_source_lies_under_its_folders_only() {
        assert!(lies_under("connections/prod/a.yaml", "connections/prod"));
        assert!(lies_under("connections/prod/a.yaml", "connections/prod/"));
        assert!(lies_under(
            "connections/prod/a.yaml",
            "connections/prod/a.yaml"
        ));
        assert!(lies_under("connections/prod/a.yaml", ""));
        assert!(!lies_under(
            "connections/production/a.yaml",
            "connections/prod"
        ));
        assert!(!lies_under("connections/dev/a.yaml", "connections/prod"));
    }
}
