//! scripts/lint-ci.sh, the check .ci/run makes of every pipeline file: the
//! files pass it, a deliberately broken copy of each fails it with the tool
//! that should catch the break, and a missing tool fails it under CI=true.

use std::path::Path;
use std::process::{Command, Output};

use super::{available, streams};
use crate::support::util::root;

/// The files lint-ci.sh checks, relative to the repository root.
const FILES: [&str; 6] = [
    ".github/workflows/release.yml",
    ".github/workflows/ci.yml",
    "examples/ci/github-actions.yml",
    "action.yml",
    "examples/ci/gitlab-ci.yml",
    "scripts/install.sh",
];

const TOOLS: [&str; 5] = [
    "bash",
    "actionlint",
    "shellcheck",
    "check-jsonschema",
    "pyyaml",
];

fn lint(tree: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("scripts/lint-ci.sh")).arg(tree);
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.output().unwrap()
}

/// A copy of the pipeline files laid out like the repository.
fn copy_tree() -> tempfile::TempDir {
    let tree = tempfile::tempdir().unwrap();
    for file in FILES {
        let to = tree.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root().join(file), to).unwrap();
    }
    tree
}

#[test]
fn pipeline_files_pass_their_platform_linters() {
    if !available("pipeline lint", &TOOLS) {
        return;
    }
    let out = lint(&root(), &[]);
    assert!(out.status.success(), "{}", streams(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for check in [
        "ok: actionlint",
        "action-steps.yml",
        "vendor.github-workflows",
        "vendor.github-actions",
        "vendor.gitlab-ci",
        "ok: shellcheck --shell=sh",
        "scripts/install.sh",
    ] {
        assert!(stderr.contains(check), "`{check}` was not run:\n{stderr}");
    }
    for file in FILES
        .iter()
        .filter(|f| f.ends_with(".yml") && !f.contains("gitlab") && **f != "action.yml")
    {
        assert!(stderr.contains(file), "{file} was not linted:\n{stderr}");
    }
}

#[test]
fn a_broken_copy_of_each_pipeline_file_fails_its_linters() {
    if !available("pipeline lint", &TOOLS) {
        return;
    }
    // (file, text, broken text, the tool that must catch it)
    let breaks = [
        (
            ".github/workflows/release.yml",
            "needs: version",
            "needs: versoin",
            "actionlint",
        ),
        (
            ".github/workflows/release.yml",
            "timeout-minutes: 45",
            "timeout-minutes: soon",
            "check-jsonschema",
        ),
        (
            ".github/workflows/ci.yml",
            "runs-on: ubuntu-24.04",
            "runs-on: ubuntu-24.4",
            "actionlint",
        ),
        (
            ".github/workflows/ci.yml",
            "cancel-in-progress: true",
            "cancel-in-progress: sometimes",
            "check-jsonschema",
        ),
        (
            "examples/ci/github-actions.yml",
            "secrets.DEV_AEP_CLIENT_ID",
            "secret.DEV_AEP_CLIENT_ID",
            "actionlint",
        ),
        (
            "examples/ci/github-actions.yml",
            "cancel-in-progress: false",
            "cancel-in-progress: maybe",
            "check-jsonschema",
        ),
        // action.yml: an unknown input in an expression, an unquoted
        // variable in a step's script (shellcheck through actionlint), a
        // wrong `using`.
        (
            "action.yml",
            "${{ inputs.version }}",
            "${{ inputs.versoin }}",
            "actionlint",
        ),
        (
            "action.yml",
            "\"$VERSION\" \"$DIR\"",
            "\"$VERSION\" $DIR",
            "actionlint",
        ),
        (
            "action.yml",
            "using: composite",
            "using: compositee",
            "check-jsonschema",
        ),
        (
            "examples/ci/gitlab-ci.yml",
            "when: always",
            "when: sometimes",
            "check-jsonschema",
        ),
        (
            "examples/ci/gitlab-ci.yml",
            "|| exit 1\n",
            "\n",
            "shellcheck",
        ),
        (
            "scripts/install.sh",
            "\"$dir/$bin\" --version",
            "$dir/$bin --version",
            "shellcheck",
        ),
    ];
    for (file, good, bad, tool) in breaks {
        let tree = copy_tree();
        let path = tree.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(good),
            "{file} no longer contains `{good}`: update this test"
        );
        std::fs::write(&path, text.replacen(good, bad, 1)).unwrap();
        let out = lint(tree.path(), &[]);
        assert!(
            !out.status.success(),
            "{file} with `{bad}` passed:\n{}",
            streams(&out)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("FAIL: {tool}"))),
            "{file} with `{bad}`: {tool} did not fail:\n{stderr}"
        );
    }
}

#[test]
fn a_missing_linter_fails_under_ci_and_is_skipped_with_a_reason_otherwise() {
    if !available("pipeline lint", &["bash", "python3"]) {
        return;
    }
    // A PATH with everything on this one except the three linters.
    let bin = tempfile::tempdir().unwrap();
    let hidden = ["actionlint", "shellcheck", "check-jsonschema"];
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap()) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let link = bin.path().join(&name);
            if hidden.iter().any(|h| name == *h) || link.exists() {
                continue;
            }
            let _ = std::os::unix::fs::symlink(entry.path(), link);
        }
    }
    let path = bin.path().display().to_string();
    let tree = copy_tree();

    let strict = lint(tree.path(), &[("PATH", &path), ("CI", "true")]);
    assert!(!strict.status.success(), "{}", streams(&strict));
    let stderr = String::from_utf8_lossy(&strict.stderr);
    for tool in hidden {
        assert!(
            stderr.contains(&format!("FAIL: {tool} is not installed")),
            "{stderr}"
        );
    }

    let local = lint(tree.path(), &[("PATH", &path), ("CI", "")]);
    assert!(local.status.success(), "{}", streams(&local));
    let stderr = String::from_utf8_lossy(&local.stderr);
    for tool in hidden {
        assert!(
            stderr.contains(&format!("skipped the {tool} checks")),
            "{stderr}"
        );
    }
}
