//! The install instructions people copy: the README's prebuilt-binary
//! snippet and the GitLab template's install script, each run as written
//! with only the release host swapped for the server on 127.0.0.1; and the
//! templates pin the release of this version.

use std::path::Path;

use super::{
    Sums, available, bash, expected_version, host_asset, release_server, sh, streams, yaml,
};
use crate::support::util::{fixtures, root};

/// Where the README and the GitLab template say releases are.
const RELEASES: &str = "https://github.com/OWNER/provision/releases";

/// The first ```sh block after the `heading` line of docs/install.md.
fn readme_block(heading: &str) -> String {
    let readme = std::fs::read_to_string(root().join("docs/install.md")).unwrap();
    let after = readme
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("docs/install.md has no `{heading}` heading"))
        .1;
    let start = after.find("```sh\n").expect("a ```sh block") + "```sh\n".len();
    let end = after[start..].find("```").unwrap() + start;
    after[start..end].to_owned()
}

fn run_readme_install(home: &Path, base: &str) -> std::process::Output {
    let snippet = readme_block("## Prebuilt binaries (from the first release on)");
    assert!(
        snippet.contains(RELEASES),
        "the snippet downloads from {RELEASES}:\n{snippet}"
    );
    let snippet = snippet.replace(RELEASES, base);
    let path = format!(
        "{}/.local/bin:{}",
        home.display(),
        std::env::var("PATH").unwrap()
    );
    bash(
        &snippet,
        home,
        &[("HOME", home.display().to_string()), ("PATH", path)],
    )
}

#[test]
fn readme_install_snippet_installs_a_verified_binary() {
    let Some(asset) = host_asset() else { return };
    if !cfg!(target_os = "linux") || !available("README install", &["bash", "curl", "sha256sum"]) {
        return;
    }
    let (server, _sums) = release_server(env!("CARGO_PKG_VERSION"), &asset, Sums::Right);
    let home = tempfile::tempdir().unwrap();
    let out = run_readme_install(home.path(), &server.url());
    assert!(out.status.success(), "{}", streams(&out));
    assert!(home.path().join(".local/bin/provision").is_file());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&expected_version()), "{}", streams(&out));
    assert!(
        stdout.contains(": OK"),
        "sha256sum checked it: {}",
        streams(&out)
    );
}

#[test]
fn readme_install_snippet_refuses_a_wrong_checksum() {
    let Some(asset) = host_asset() else { return };
    if !cfg!(target_os = "linux") || !available("README install", &["bash", "curl", "sha256sum"]) {
        return;
    }
    let (server, _sums) = release_server(env!("CARGO_PKG_VERSION"), &asset, Sums::Wrong);
    let home = tempfile::tempdir().unwrap();
    let out = run_readme_install(home.path(), &server.url());
    assert!(!out.status.success(), "{}", streams(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("FAILED"),
        "{}",
        streams(&out)
    );
    assert!(
        !home.path().join(".local/bin/provision").exists(),
        "nothing installed"
    );
}

/// The GitLab template's install script (the `before_script` item that
/// checks SHA256SUMS), then the template's validate job, in a project
/// folder with one connection.
fn run_gitlab_install(project: &Path, base: &str) -> std::process::Output {
    let pipeline = yaml("examples/ci/gitlab-ci.yml");
    let install = pipeline["default"]["before_script"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item.as_str())
        .find(|item| item.contains("SHA256SUMS"))
        .expect("an install step that checks SHA256SUMS")
        .to_owned();
    let validate: Vec<&str> = pipeline["validate"]["script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap())
        .collect();
    let version = pipeline["variables"]["PROVISION_VERSION"].as_str().unwrap();
    assert_eq!(pipeline["variables"]["PROVISION_RELEASES"], RELEASES);
    let script = format!("{install}\n{}\n", validate.join("\n"));
    sh(
        &script,
        project,
        &[
            ("CI_PROJECT_DIR", project.display().to_string()),
            ("PROVISION_VERSION", version.to_owned()),
            ("PROVISION_RELEASES", base.to_owned()),
        ],
    )
}

fn project_with_one_connection() -> tempfile::TempDir {
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(project.path().join("connections/dev")).unwrap();
    std::fs::copy(
        fixtures("rules/ok-azure-basic.yaml"),
        project.path().join("connections/dev/orders.yaml"),
    )
    .unwrap();
    project
}

#[test]
fn gitlab_template_installs_the_verified_release_binary_and_validates() {
    let Some(asset) = host_asset() else { return };
    if !cfg!(target_os = "linux") || !available("GitLab install", &["sh", "curl", "sha256sum"]) {
        return;
    }
    let (server, _sums) = release_server(env!("CARGO_PKG_VERSION"), &asset, Sums::Right);
    let project = project_with_one_connection();
    let out = run_gitlab_install(project.path(), &server.url());
    assert!(out.status.success(), "{}", streams(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&expected_version()), "{}", streams(&out));
    assert!(
        project.path().join("validate.json").is_file(),
        "the validate job ran"
    );
}

#[test]
fn gitlab_template_refuses_a_wrong_checksum() {
    let Some(asset) = host_asset() else { return };
    if !cfg!(target_os = "linux") || !available("GitLab install", &["sh", "curl", "sha256sum"]) {
        return;
    }
    let (server, _sums) = release_server(env!("CARGO_PKG_VERSION"), &asset, Sums::Wrong);
    let project = project_with_one_connection();
    let out = run_gitlab_install(project.path(), &server.url());
    assert!(!out.status.success(), "{}", streams(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("checksum mismatch"),
        "{}",
        streams(&out)
    );
    assert!(
        !project.path().join("validate.json").exists(),
        "provision never ran"
    );
}

#[test]
fn templates_pin_the_release_of_this_version() {
    let version = env!("CARGO_PKG_VERSION");
    let workflow = yaml("examples/ci/github-actions.yml");
    let jobs = workflow["jobs"].as_object().unwrap();
    assert!(jobs.len() >= 5, "{jobs:?}");
    for (job, spec) in jobs {
        let steps = spec["steps"].as_array().unwrap();
        let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
        assert!(
            uses.contains(&format!("OWNER/provision@v{version}").as_str()),
            "{job} installs provision with its action at v{version}: {uses:?}"
        );
        assert!(
            !steps.iter().any(|s| s["run"]
                .as_str()
                .is_some_and(|r| r.contains("cargo install"))),
            "{job} does not compile provision"
        );
    }
    let text = std::fs::read_to_string(root().join("examples/ci/github-actions.yml")).unwrap();
    assert!(
        text.contains(&format!("--tag v{version} provision")),
        "the commented fallback pins v{version}"
    );
    assert!(
        text.contains("path: ~/.cargo/bin/provision"),
        "the fallback caches ~/.cargo/bin"
    );

    let pipeline = yaml("examples/ci/gitlab-ci.yml");
    assert_eq!(pipeline["variables"]["PROVISION_VERSION"], version);
    let text = std::fs::read_to_string(root().join("examples/ci/gitlab-ci.yml")).unwrap();
    assert!(
        text.contains("key: provision-cargo-$PROVISION_VERSION"),
        "the fallback's cache is keyed by version"
    );
}
