//! action.yml, run step by step the way a GitHub runner runs a composite
//! action: `${{ }}` expressions filled in, each `run:` script under bash
//! with GITHUB_OUTPUT/GITHUB_PATH files, `if:` conditions honoured. The
//! download goes to a release server on 127.0.0.1 through
//! PROVISION_DOWNLOAD_BASE; `uses:` steps (actions/cache) cannot run here
//! and are only recorded with their inputs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{
    Sums, available, bash, expected_version, host_asset, release_server, streams, tag, yaml,
};
use crate::support::util::root;

/// One run of the action.
struct Run {
    /// Output of each step that ran, in order, as `id or name: streams`.
    log: Vec<String>,
    /// Whether every step succeeded.
    ok: bool,
    /// `steps.<id>.outputs.<name>`.
    outputs: HashMap<String, HashMap<String, String>>,
    /// Folders the action added to PATH.
    path: Vec<String>,
    /// `uses:` steps skipped, with their `with:` inputs filled in.
    skipped: Vec<(String, HashMap<String, String>)>,
}

/// Runs action.yml with `inputs`, used at `action_ref`, on a runner whose
/// tool cache is `tool_cache` and whose releases are at `base`.
fn run_action(
    inputs: &[(&str, &str)],
    action_ref: &str,
    tool_cache: &Path,
    base: &str,
    cwd: &Path,
) -> Run {
    let action = yaml("action.yml");
    let mut context: HashMap<String, String> = HashMap::new();
    for (name, spec) in action["inputs"].as_object().unwrap() {
        let default = spec["default"].as_str().unwrap_or("").to_owned();
        context.insert(format!("inputs.{name}"), default);
    }
    for (name, value) in inputs {
        context.insert(format!("inputs.{name}"), (*value).to_owned());
    }
    let runner = [
        ("github.action_ref", action_ref.to_owned()),
        ("github.action_path", root().display().to_string()),
        ("github.action_repository", "OWNER/provision".to_owned()),
        ("github.repository", "someone/config".to_owned()),
        ("runner.tool_cache", tool_cache.display().to_string()),
        ("runner.os", "Linux".to_owned()),
        ("runner.arch", "X64".to_owned()),
    ];
    context.extend(runner.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));

    let work = tempfile::tempdir().unwrap();
    let github_path = work.path().join("path");
    std::fs::write(&github_path, "").unwrap();
    let mut run = Run {
        log: Vec::new(),
        ok: true,
        outputs: HashMap::new(),
        path: Vec::new(),
        skipped: Vec::new(),
    };
    for (index, step) in action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        // What `${{ }}` can name at this step: inputs, runner facts, and
        // the outputs of the steps before it.
        let mut values = context.clone();
        for (id, outputs) in &run.outputs {
            for (name, value) in outputs {
                values.insert(format!("steps.{id}.outputs.{name}"), value.clone());
            }
        }
        if let Some(condition) = step["if"].as_str()
            && !condition_holds(condition, &values)
        {
            continue;
        }
        let name = step["id"]
            .as_str()
            .or(step["name"].as_str())
            .unwrap_or("step")
            .to_owned();
        if let Some(uses) = step["uses"].as_str() {
            let with = step["with"]
                .as_object()
                .map(|w| {
                    w.iter()
                        .map(|(k, v)| (k.clone(), fill(v.as_str().unwrap(), &values)))
                        .collect()
                })
                .unwrap_or_default();
            run.skipped.push((uses.to_owned(), with));
            continue;
        }
        assert_eq!(
            step["shell"], "bash",
            "step {name}: composite steps say their shell"
        );
        let script = step["run"].as_str().unwrap();
        let output_file = work.path().join(format!("output-{index}"));
        std::fs::write(&output_file, "").unwrap();
        let mut env: Vec<(&str, String)> = vec![
            ("GITHUB_OUTPUT", output_file.display().to_string()),
            ("GITHUB_PATH", github_path.display().to_string()),
            ("GITHUB_ACTION_PATH", root().display().to_string()),
            ("RUNNER_TOOL_CACHE", tool_cache.display().to_string()),
            ("RUNNER_ARCH", "X64".to_owned()),
            ("RUNNER_OS", "Linux".to_owned()),
            ("PROVISION_DOWNLOAD_BASE", base.to_owned()),
        ];
        let system_path = std::env::var("PATH").unwrap_or_default();
        let path: Vec<String> = run
            .path
            .iter()
            .rev()
            .cloned()
            .chain([system_path])
            .collect();
        env.push(("PATH", path.join(":")));
        let step_env: Vec<(String, String)> = step["env"]
            .as_object()
            .map(|e| {
                e.iter()
                    .map(|(k, v)| (k.clone(), fill(v.as_str().unwrap(), &values)))
                    .collect()
            })
            .unwrap_or_default();
        env.extend(step_env.iter().map(|(k, v)| (k.as_str(), v.clone())));
        assert!(
            !script.contains("${{"),
            "step {name}: expressions go through env, not into the script"
        );
        let out = bash(script, cwd, &env);
        run.log.push(format!("{name}: {}", streams(&out)));
        let text = std::fs::read_to_string(&output_file).unwrap();
        let outputs = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        if let Some(id) = step["id"].as_str() {
            run.outputs.insert(id.to_owned(), outputs);
        }
        run.path = std::fs::read_to_string(&github_path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        if !out.status.success() {
            run.ok = false;
            break;
        }
    }
    run
}

/// `${{ a || b }}` and `${{ a }}` in `text`, from `values`; an expression
/// this runner does not know fails the test (teach it, rather than guess).
fn fill(text: &str, values: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").unwrap() + start;
        let expr = rest[start + 3..end].trim();
        let value = expr
            .split("||")
            .map(|alt| {
                values.get(alt.trim()).unwrap_or_else(|| {
                    panic!("expression `{}` is unknown to this test", alt.trim())
                })
            })
            .find(|v| !v.is_empty())
            .cloned()
            .unwrap_or_default();
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// `X != 'lit'` and `X == 'lit'`, the conditions action.yml uses.
fn condition_holds(condition: &str, values: &HashMap<String, String>) -> bool {
    let (left, right, equal) = match condition.split_once("!=") {
        Some((l, r)) => (l, r, false),
        None => {
            let (l, r) = condition
                .split_once("==")
                .unwrap_or_else(|| panic!("condition `{condition}` is unknown to this test"));
            (l, r, true)
        }
    };
    let value = fill(&format!("${{{{ {} }}}}", left.trim()), values);
    (value == right.trim().trim_matches('\'')) == equal
}

fn installed(run: &Run) -> PathBuf {
    PathBuf::from(&run.outputs["resolve"]["dir"])
}

/// `provision --version` found on the PATH the action set up.
fn version_on_path(run: &Run) -> String {
    let path = format!("{}:{}", run.path.join(":"), std::env::var("PATH").unwrap());
    let out = bash(
        "command -v provision\nprovision --version",
        &root(),
        &[("PATH", path)],
    );
    assert!(out.status.success(), "{}", streams(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn action_installs_the_verified_release_binary_on_path_and_caches_it() {
    let Some(asset) = host_asset() else { return };
    if !available("action install", &["bash", "curl", "sha256sum"]) {
        return;
    }
    let version = env!("CARGO_PKG_VERSION");
    let (server, _sums) = release_server(version, &asset, Sums::Right);
    let cache = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();

    // Used at its own release tag, with args: installs, then runs them
    // (quoted words stay one argument).
    let run = run_action(
        &[("args", "schema --out 'generated schemas'")],
        &tag(),
        cache.path(),
        &server.url(),
        cwd.path(),
    );
    assert!(run.ok, "{}", run.log.join("\n"));
    assert_eq!(run.outputs["resolve"]["version"], version);
    let dir = installed(&run);
    assert!(dir.starts_with(cache.path()), "{}", dir.display());
    assert_eq!(run.path, [dir.display().to_string()]);
    let shown = version_on_path(&run);
    assert!(
        shown.starts_with(&dir.join("provision").display().to_string()),
        "{shown}"
    );
    assert!(shown.contains(&expected_version()), "{shown}");
    assert!(
        cwd.path()
            .join("generated schemas/connection.schema.json")
            .is_file(),
        "args ran: {}",
        run.log.join("\n")
    );
    // actions/cache keeps exactly the folder installed into, per version.
    let (uses, with) = &run.skipped[0];
    assert!(uses.starts_with("actions/cache@"), "{uses}");
    assert_eq!(with["path"], dir.display().to_string());
    assert!(with["key"].contains(version), "{}", with["key"]);
    let downloads = server.requests().len();
    assert_eq!(downloads, 2, "SHA256SUMS and the binary");

    // A second job with the cache restored: nothing downloaded, still
    // verified; a cached copy that no longer matches is downloaded again.
    let again = run_action(&[], &tag(), cache.path(), &server.url(), cwd.path());
    assert!(again.ok, "{}", again.log.join("\n"));
    assert_eq!(
        server.requests().len(),
        downloads,
        "the cached copy is used"
    );
    assert!(
        again.log.join("\n").contains("verified copy"),
        "{}",
        again.log.join("\n")
    );
    std::fs::write(dir.join("provision"), "#!/bin/sh\necho tampered\n").unwrap();
    let repaired = run_action(&[], &tag(), cache.path(), &server.url(), cwd.path());
    assert!(repaired.ok, "{}", repaired.log.join("\n"));
    assert_eq!(server.requests().len(), downloads + 2);
    assert!(version_on_path(&repaired).contains(&expected_version()));
}

#[test]
fn action_refuses_a_binary_whose_checksum_does_not_match() {
    let Some(asset) = host_asset() else { return };
    if !available("action checksum", &["bash", "curl", "sha256sum"]) {
        return;
    }
    let (server, _sums) = release_server(env!("CARGO_PKG_VERSION"), &asset, Sums::Wrong);
    let cache = tempfile::tempdir().unwrap();
    let run = run_action(
        &[("args", "--version")],
        &tag(),
        cache.path(),
        &server.url(),
        cache.path(),
    );
    assert!(!run.ok, "a wrong checksum must fail the action");
    let log = run.log.join("\n");
    assert!(log.contains("checksum mismatch"), "{log}");
    assert!(!log.contains("(commit"), "provision never ran: {log}");
    assert!(run.path.is_empty(), "nothing put on PATH");
    assert!(
        !installed(&run).join("provision").exists(),
        "nothing installed"
    );
}

#[test]
fn action_version_defaults_to_its_tag_else_its_cargo_toml() {
    let Some(asset) = host_asset() else { return };
    if !available("action version", &["bash", "curl", "sha256sum"]) {
        return;
    }
    let version = env!("CARGO_PKG_VERSION");
    let (server, _sums) = release_server(version, &asset, Sums::Right);
    // Used at a branch or a major tag: the version of that revision's Cargo.toml.
    for action_ref in ["main", "v1"] {
        let cache = tempfile::tempdir().unwrap();
        let run = run_action(&[], action_ref, cache.path(), &server.url(), cache.path());
        assert!(run.ok, "{action_ref}: {}", run.log.join("\n"));
        assert_eq!(run.outputs["resolve"]["version"], version, "{action_ref}");
    }
    // An explicit version wins over the tag; `v` is optional.
    let cache = tempfile::tempdir().unwrap();
    let run = run_action(
        &[("version", "v9.8.7")],
        &tag(),
        cache.path(),
        &server.url(),
        cache.path(),
    );
    assert_eq!(run.outputs["resolve"]["version"], "9.8.7");
    assert!(!run.ok, "no such release here");
    assert!(
        run.log.join("\n").contains("/download/v9.8.7/"),
        "{}",
        run.log.join("\n")
    );
    // Not a version at all: refused before any download.
    let run = run_action(
        &[("version", "1.0; rm -rf /")],
        &tag(),
        cache.path(),
        &server.url(),
        cache.path(),
    );
    assert!(!run.ok);
    assert!(
        run.log.join("\n").contains("is not a release version"),
        "{}",
        run.log.join("\n")
    );
}
