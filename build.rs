//! Stamps the binary with the commit it was built from, so `provision
//! --version` says exactly which source a downloaded binary came from. Builds
//! without git (a crates tarball, a vendored copy, a container with no git)
//! say `commit unknown` instead of failing.

// Cargo reads a build script's instructions from its stdout.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Set by release pipelines whose build runs where git cannot see the
/// repository (cross's containers): the commit to stamp, as 40 or 12 hex.
const COMMIT_OVERRIDE: &str = "PROVISION_BUILD_COMMIT";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={COMMIT_OVERRIDE}");
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();

    let commit = match std::env::var(COMMIT_OVERRIDE) {
        Ok(value) if !value.trim().is_empty() => Some(short(value.trim())),
        _ => git_commit(&manifest_dir),
    };
    let commit = commit.unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=PROVISION_VERSION_LONG={version} (commit {commit})");
}

/// The first 12 characters of a hex commit id; anything else as given.
fn short(commit: &str) -> String {
    if commit.len() > 12 && commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        commit[..12].to_owned()
    } else {
        commit.to_owned()
    }
}

/// `git rev-parse HEAD` of the repository whose top level is the crate root,
/// and the files to watch so a new commit or checkout stamps again. `None`
/// when git is missing, fails, or the crate sits inside someone else's
/// repository (vendored): that repository's commit would be a lie.
fn git_commit(manifest_dir: &Path) -> Option<String> {
    let top = git(manifest_dir, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), manifest_dir) {
        return None;
    }
    let commit = git(manifest_dir, &["rev-parse", "HEAD"])?;
    if commit.is_empty() || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }

    // HEAD moves on checkout; the branch's ref (loose, or in packed-refs)
    // moves on commit. Only existing files are named: a missing one would
    // make cargo rerun this script on every build. Worktrees keep HEAD and
    // refs in different folders, hence `--git-path` for each.
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(reference) = git(manifest_dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(reference);
    }
    for name in watched {
        if let Some(path) = git(manifest_dir, &["rev-parse", "--git-path", &name]) {
            let path = manifest_dir.join(path);
            if path.is_file() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    Some(short(&commit))
}

/// One git command's trimmed stdout, `None` on any failure.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).ok()?.trim().to_owned())
}
