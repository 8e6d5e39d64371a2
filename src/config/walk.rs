//! Finding the connection files under the paths given on the command line:
//! folders are walked recursively for `*.yaml`/`*.yml`, hidden folders are
//! skipped, and the result is sorted so output is deterministic. Symbolic
//! links to folders inside a walked folder are not followed (a link to its
//! own ancestor would never end), and only regular files are read: a FIFO
//! named `x.yaml` would block the read forever.

use std::fs::FileType;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Position};

/// Files to read, or diagnostics for paths that do not exist or cannot be
/// read (and for folder links that were not followed).
pub fn collect(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut diags = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, &mut files, &mut diags),
            Ok(meta) if meta.is_file() => files.push(path.clone()),
            Ok(meta) => diags.push(not_regular(path, meta.file_type())),
            Err(err) => diags.push(
                Diagnostic::error(
                    Code::NoInput,
                    path,
                    Position::START,
                    format!(
                        "cannot read `{}`: {err}: expected a file or a folder of *.yaml files",
                        path.display()
                    ),
                )
                .with_help(match near_path(path) {
                    Some(near) => format!("did you mean `{}`?", near.display()),
                    None => "run provision from the project root (the folder with `provision.yaml` and `connections/`), or start a project with `provision init`".into(),
                }),
            ),
        }
    }
    // Byte order of the whole path: deterministic, and much cheaper than
    // `Path`'s component-wise comparison on 10,000 files.
    files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    files.dedup();
    (files, diags)
}

/// An existing sibling spelt like the missing `path` (`connection/` for
/// `connections/`), keeping the way the user wrote it (a trailing `/`).
fn near_path(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let entries = std::fs::read_dir(parent.unwrap_or(Path::new("."))).ok()?;
    let names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
    let best = crate::suggest::closest(name, &candidates)?;
    let mut near = parent
        .map_or_else(PathBuf::new, Path::to_path_buf)
        .join(best);
    if path.as_os_str().to_string_lossy().ends_with('/') {
        near.push("");
    }
    Some(near)
}

fn walk_dir(dir: &Path, files: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    let cannot = |err: std::io::Error| {
        Diagnostic::error(
            Code::Io,
            dir,
            Position::START,
            format!("cannot read folder: {err}"),
        )
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => return diags.push(cannot(err)),
    };
    for entry in entries {
        let (entry, kind) = match entry.and_then(|e| e.file_type().map(|k| (e, k))) {
            Ok(found) => found,
            Err(err) => {
                diags.push(cannot(err));
                continue;
            }
        };
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if kind.is_dir() {
            walk_dir(&path, files, diags);
        } else if kind.is_symlink() {
            linked(path, files, diags);
        } else if is_yaml(&path) {
            if kind.is_file() {
                files.push(path);
            } else {
                diags.push(not_regular(&path, kind));
            }
        }
    }
}

/// A symbolic link met while walking: a link to a regular YAML file is read,
/// a link to a folder is reported and not followed.
fn linked(path: PathBuf, files: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => diags.push(Diagnostic::warning(
            Code::LinkedFolder,
            &path,
            Position::START,
            format!(
                "`{}` is a symbolic link to a folder: not followed (a link may lead back to a folder above it); pass the folder itself to validate it",
                path.display()
            ),
        )),
        Ok(meta) if is_yaml(&path) && meta.is_file() => files.push(path),
        Ok(meta) if is_yaml(&path) => diags.push(not_regular(&path, meta.file_type())),
        // A link whose target is missing is read, and reported as unreadable.
        Err(_) if is_yaml(&path) => files.push(path),
        _ => {}
    }
}

/// A path that is not a regular file is never opened.
pub(crate) fn not_regular(path: &Path, kind: FileType) -> Diagnostic {
    Diagnostic::error(
        Code::NotRegularFile,
        path,
        Position::START,
        format!(
            "`{}` is {}, not a regular file: it was not read (expected a *.yaml file)",
            path.display(),
            describe(kind)
        ),
    )
}

#[cfg(unix)]
fn describe(kind: FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        describe_portable(kind)
    }
}

#[cfg(not(unix))]
fn describe(kind: FileType) -> &'static str {
    describe_portable(kind)
}

fn describe_portable(kind: FileType) -> &'static str {
    if kind.is_dir() {
        "a folder"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}
