//! `provision init`: the files a new config repository starts with. Nothing
//! existing is ever overwritten; only `.gitignore` is appended to, so a
//! project can adopt provision without losing its own ignore rules.

use std::path::{Path, PathBuf};

use crate::config::schema::{self, Kind};

/// The GitHub Actions pipeline (also shipped under `examples/ci/`).
pub(crate) const GITHUB_ACTIONS: &str = include_str!("../examples/ci/github-actions.yml");
/// The GitLab CI pipeline (also shipped under `examples/ci/`).
pub(crate) const GITLAB_CI: &str = include_str!("../examples/ci/gitlab-ci.yml");
const SETTINGS: &str = include_str!("../examples/init/provision.yaml");
const EXAMPLE: &str = include_str!("../examples/init/orders-db.yaml");
/// What `.gitignore` must hold: local state and emulator data.
pub(crate) const IGNORE_ENTRY: &str = ".provision/";

/// What `init` did to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wrote {
    Created,
    /// `.gitignore` existed: its entry was added at the end.
    Appended,
}

/// Why the project could not be scaffolded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InitError {
    #[error("{} file(s) already exist, nothing was written: {}", .0.len(), list(.0))]
    Exists(Vec<PathBuf>),
    #[error("cannot write `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The pipeline `init` writes, if any (`--ci`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum Ci {
    /// GitHub Actions: `.github/workflows/provision.yml`
    Github,
    /// GitLab CI: `.gitlab-ci.yml`
    Gitlab,
    /// no pipeline
    #[default]
    None,
}

impl Ci {
    /// The pipeline's file and text.
    fn pipeline(self) -> Option<(&'static str, &'static str)> {
        match self {
            Ci::Github => Some((".github/workflows/provision.yml", GITHUB_ACTIONS)),
            Ci::Gitlab => Some((".gitlab-ci.yml", GITLAB_CI)),
            Ci::None => None,
        }
    }
}

/// Every file `init` creates with `ci`'s pipeline, relative to the project folder.
pub(crate) fn files(ci: Ci) -> Vec<(PathBuf, String)> {
    [
        ("provision.yaml", SETTINGS.to_owned()),
        ("connections/dev/orders-db.yaml", EXAMPLE.to_owned()),
        (
            "schema/connection.schema.json",
            schema::schema_text(Kind::Connection),
        ),
        (
            "schema/dataflow.schema.json",
            schema::schema_text(Kind::Dataflow),
        ),
        (
            "schema/provision.schema.json",
            schema::schema_text(Kind::Settings),
        ),
    ]
    .into_iter()
    .chain(ci.pipeline().map(|(path, text)| (path, text.to_owned())))
    .map(|(path, text)| (PathBuf::from(path), text))
    .collect()
}

/// Writes the scaffold into `dir`; returns what was created or changed
/// (paths within `dir`). Refuses, writing nothing, when any file exists.
pub(crate) fn init(dir: &Path, ci: Ci) -> Result<Vec<(PathBuf, Wrote)>, InitError> {
    // `./provision.yaml` reads worse than `provision.yaml`.
    let dir = if dir == Path::new(".") {
        Path::new("")
    } else {
        dir
    };
    let files = files(ci);
    let existing: Vec<PathBuf> = files
        .iter()
        .map(|(rel, _)| dir.join(rel))
        .filter(|path| path.exists())
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    let mut created = Vec::new();
    for (rel, text) in files {
        let path = dir.join(&rel);
        write_new(&path, &text)?;
        created.push((path, Wrote::Created));
    }
    if let Some(written) = ignore_local_state(dir)? {
        created.push(written);
    }
    Ok(created)
}

fn write_new(path: &Path, text: &str) -> Result<(), InitError> {
    let io = |source| InitError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)
}

/// Adds `.provision/` to `.gitignore` unless an entry covers it already.
fn ignore_local_state(dir: &Path) -> Result<Option<(PathBuf, Wrote)>, InitError> {
    let path = dir.join(".gitignore");
    let mut wrote = Wrote::Appended;
    let current = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            wrote = Wrote::Created;
            String::new()
        }
        Err(source) => return Err(InitError::Io { path, source }),
    };
    let covered = current.lines().map(str::trim).any(|l| {
        matches!(
            l,
            ".provision" | ".provision/" | "/.provision" | "/.provision/"
        )
    });
    if covered {
        return Ok(None);
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# provision: local state and emulator data\n");
    text.push_str(IGNORE_ENTRY);
    text.push('\n');
    std::fs::write(&path, text).map_err(|source| InitError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(Some((path, wrote)))
}
