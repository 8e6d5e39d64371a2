//! `provision --version` names the commit it was built from. build.rs is
//! compiled on its own and run in folders with and without git, as cargo
//! would run it, to show the commit, the override and the `unknown` fallback.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{available, expected_version};
use crate::support::util::{provision, root};

#[test]
fn version_shows_the_version_and_the_commit() {
    for flag in ["--version", "-V"] {
        let out = provision().arg(flag).run().expect_code(0).stdout();
        assert_eq!(out.trim(), expected_version(), "{flag}");
    }
}

/// build.rs compiled once into a standalone program.
fn build_script() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("provision-build-script");
        let out = Command::new("rustc")
            .args(["--edition", "2024", "-o"])
            .arg(&bin)
            .arg(root().join("build.rs"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        bin
    })
}

/// Runs build.rs as cargo does for a crate in `dir`; returns its stdout.
fn stamp(dir: &Path, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(build_script());
    cmd.current_dir(dir)
        .env("CARGO_MANIFEST_DIR", dir)
        .env("CARGO_PKG_VERSION", "9.8.7")
        .env_remove("PROVISION_BUILD_COMMIT");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("GIT_")) {
        cmd.env_remove(key);
    }
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "build.rs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn watched(stdout: &str) -> Vec<PathBuf> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("cargo:rerun-if-changed="))
        .map(PathBuf::from)
        .collect()
}

#[test]
fn build_script_stamps_the_commit_and_watches_head_and_the_branch() {
    if !available("build.rs stamp", &["rustc", "git"]) {
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["commit", "-q", "--allow-empty", "-m", "one"]);
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let out = stamp(repo.path(), &[]);
    assert!(
        out.contains(&format!(
            "cargo:rustc-env=PROVISION_VERSION_LONG=9.8.7 (commit {})\n",
            &head[..12]
        )),
        "{out}"
    );
    let files = watched(&out);
    for want in [".git/HEAD", ".git/refs/heads/main"] {
        assert!(
            files.iter().any(|f| f.ends_with(want)),
            "{want} not watched: {out}"
        );
    }
    assert!(
        files.iter().all(|f| f.is_file() || f.ends_with("build.rs")),
        "only existing files: {out}"
    );

    // A new commit changes what is stamped.
    git(repo.path(), &["commit", "-q", "--allow-empty", "-m", "two"]);
    let next = git(repo.path(), &["rev-parse", "HEAD"]);
    assert!(stamp(repo.path(), &[]).contains(&format!("(commit {})", &next[..12])));

    // A release pipeline's override wins, shortened to 12 hex digits.
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let out = stamp(repo.path(), &[("PROVISION_BUILD_COMMIT", sha)]);
    assert!(out.contains("=9.8.7 (commit 0123456789ab)\n"), "{out}");
}

#[test]
fn build_script_says_unknown_without_git() {
    if !available("build.rs stamp", &["rustc", "git"]) {
        return;
    }
    // A crates tarball: no .git at all.
    let plain = tempfile::tempdir().unwrap();
    let out = stamp(plain.path(), &[]);
    assert!(out.contains("=9.8.7 (commit unknown)\n"), "{out}");
    assert_eq!(watched(&out), [PathBuf::from("build.rs")], "{out}");

    // Vendored inside another project's repository: that commit is not ours.
    let outer = tempfile::tempdir().unwrap();
    git(outer.path(), &["init", "-q"]);
    git(
        outer.path(),
        &["commit", "-q", "--allow-empty", "-m", "outer"],
    );
    let vendored = outer.path().join("vendor/provision");
    std::fs::create_dir_all(&vendored).unwrap();
    assert!(stamp(&vendored, &[]).contains("(commit unknown)"));

    // No git program at all.
    assert!(stamp(outer.path(), &[("PATH", "")]).contains("(commit unknown)"));
}

#[test]
fn readme_shows_what_version_prints() {
    let readme = std::fs::read_to_string(root().join("docs/install.md")).unwrap();
    let block = readme
        .split_once("## Which build is this?\n")
        .expect("docs/install.md explains --version")
        .1;
    let shown = block
        .lines()
        .skip_while(|l| *l != "$ provision --version")
        .nth(1)
        .expect("a `$ provision --version` console line and its output");
    let ours = expected_version();
    let (name_version, commit) = shown.split_once(" (commit ").unwrap();
    assert_eq!(
        name_version,
        ours.split_once(" (commit ").unwrap().0,
        "{shown}"
    );
    let hex = commit.strip_suffix(')').unwrap();
    assert!(
        hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{shown}"
    );
}
