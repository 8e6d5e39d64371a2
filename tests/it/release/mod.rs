//! Installing `provision` from a release, tested without the internet: a
//! server on 127.0.0.1 plays GitHub releases (serving the binary under test
//! and its SHA256SUMS) and the GitLab API, and the real scripts run against
//! it: action.yml's steps, the README's install snippet, the GitLab
//! template's install and note scripts. The pipeline files are checked by
//! their platforms' linters, and broken copies must fail them.
//!
//! Tools these tests run (bash, curl, sha256sum, jq, actionlint, shellcheck,
//! check-jsonschema, git, rustc) are installed by .ci/run; a missing one
//! fails the test under CI=true and skips it with a note otherwise.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::support::util::root;

mod action;
mod completions;
mod gitlab_note;
mod http;
mod lint;
mod matrix_secrets;
mod pipelines;
mod rehearsal;
mod snippets;
mod stamp;
mod workflow;

use http::Server;

/// Whether every tool in `tools` runs here: [`crate::support::util::tools_available`].
pub fn available(test: &str, tools: &[&str]) -> bool {
    crate::support::util::tools_available(test, tools)
}

/// What `provision --version` of the binary under test prints: the package
/// version and the commit build.rs stamped (this checkout's HEAD).
pub fn expected_version() -> String {
    let commit = match option_env!("PROVISION_BUILD_COMMIT") {
        Some(commit) if !commit.is_empty() => commit.chars().take(12).collect(),
        _ => head_commit().unwrap_or_else(|| "unknown".to_owned()),
    };
    format!("provision {} (commit {commit})", env!("CARGO_PKG_VERSION"))
}

/// The first 12 hex digits of HEAD when the crate root is a git checkout's
/// top level (the same rule build.rs follows).
fn head_commit() -> Option<String> {
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(root())
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != root().canonicalize().ok()? {
        return None;
    }
    Some(git(&["rev-parse", "HEAD"])?.chars().take(12).collect())
}

/// The release asset name for this machine, as scripts/install.sh picks it;
/// `None` where no release binary is built (the test is then skipped).
pub fn host_asset() -> Option<String> {
    let os = match std::env::consts::OS {
        "linux" => "unknown-linux-musl",
        "macos" => "apple-darwin",
        _ => return None,
    };
    Some(format!("provision-{}-{os}", std::env::consts::ARCH))
}

/// The binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_provision"))
}

/// `sha256sum` of the binary under test, computed once.
fn binary_sha256() -> &'static str {
    static SUM: OnceLock<String> = OnceLock::new();
    SUM.get_or_init(|| {
        let out = Command::new("sha256sum").arg(binary()).output().unwrap();
        assert!(out.status.success(), "sha256sum failed");
        String::from_utf8(out.stdout).unwrap()[..64].to_owned()
    })
}

/// Whether the SHA256SUMS served lists the binary's true checksum.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sums {
    Right,
    Wrong,
}

/// A stand-in for the GitHub releases of `version`: the binary under test as
/// `asset`, under `/download/v{version}/` and `/latest/download/`, beside a
/// SHA256SUMS listing it (plus the other targets, as a real one does).
pub fn release_server(version: &str, asset: &str, sums: Sums) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut sum = binary_sha256().to_owned();
    if sums == Sums::Wrong {
        let first = if sum.starts_with('0') { "1" } else { "0" };
        sum.replace_range(..1, first);
    }
    let mut listing = String::new();
    for other in [
        "provision-aarch64-apple-darwin",
        "provision-x86_64-pc-windows-msvc.exe",
    ] {
        listing.push_str(&format!("{}  {other}\n", "ab".repeat(32)));
    }
    listing.push_str(&format!("{sum}  {asset}\n"));
    let sums_path = dir.path().join("SHA256SUMS");
    std::fs::write(&sums_path, listing).unwrap();
    let mut files = HashMap::new();
    for prefix in [
        format!("/download/v{version}"),
        "/latest/download".to_owned(),
    ] {
        files.insert(format!("{prefix}/{asset}"), binary());
        files.insert(format!("{prefix}/SHA256SUMS"), sums_path.clone());
    }
    (Server::files(files), dir)
}

/// Runs `script` with bash (errexit, pipefail, as GitHub's `shell: bash`
/// does) in `dir` with `env` added.
pub fn bash(script: &str, dir: &Path, env: &[(&str, String)]) -> Output {
    shell(
        "bash",
        &["--noprofile", "--norc", "-eo", "pipefail"],
        script,
        dir,
        env,
    )
}

/// Runs `script` with `sh -e`, as GitLab's runner runs a job on alpine.
pub fn sh(script: &str, dir: &Path, env: &[(&str, String)]) -> Output {
    shell("sh", &["-e"], script, dir, env)
}

fn shell(
    program: &str,
    flags: &[&str],
    script: &str,
    dir: &Path,
    env: &[(&str, String)],
) -> Output {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), script).unwrap();
    let mut cmd = Command::new(program);
    cmd.args(flags).arg(file.path()).current_dir(dir);
    cmd.env_remove("GITHUB_ACTIONS").env("NO_COLOR", "1");
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.output().unwrap()
}

/// stdout and stderr of a finished script, for assertion messages.
pub fn streams(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A YAML file of this repository as JSON, read with the project's loader.
pub fn yaml(rel: &str) -> serde_json::Value {
    let path = root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let docs = provision::config::load::load_str(&path, &text)
        .unwrap_or_else(|d| panic!("{rel} is not YAML: {}", d.message));
    docs[0].to_json()
}

/// The `[package]` version, with the leading `v` of a tag.
pub fn tag() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}
