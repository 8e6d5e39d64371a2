//! The release workflow's promises, read from the file: it runs on `v*`
//! tags, refuses a tag that differs from Cargo.toml's version before
//! building, builds the five targets (Linux static with musl), and publishes
//! them with SHA256SUMS under the names the installers download.

use std::process::Command;

use super::{streams, tag, yaml};
use crate::support::util::root;

fn release_version(tag: &str) -> std::process::Output {
    Command::new("bash")
        .arg(root().join("scripts/release-version.sh"))
        .arg(tag)
        .output()
        .unwrap()
}

#[test]
fn release_tag_must_equal_the_cargo_toml_version() {
    let out = release_version(&tag());
    assert!(out.status.success(), "{}", streams(&out));
    for wrong in ["v9.9.9", env!("CARGO_PKG_VERSION"), "v0.1", "main"] {
        let out = release_version(wrong);
        assert_eq!(out.status.code(), Some(1), "{wrong}: {}", streams(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("expected tag `{}`", tag())),
            "{stderr}"
        );
    }
}

#[test]
fn release_workflow_builds_five_targets_after_the_version_check_and_publishes_sums() {
    let workflow = yaml(".github/workflows/release.yml");
    assert_eq!(workflow["on"]["push"]["tags"][0], "v*");
    assert_eq!(
        workflow["permissions"]["contents"], "read",
        "write only where publishing"
    );

    let version_job = workflow["jobs"]["version"]["steps"].to_string();
    assert!(
        version_job.contains("scripts/release-version.sh \\\"$GITHUB_REF_NAME\\\""),
        "{version_job}"
    );
    let build = &workflow["jobs"]["build"];
    assert_eq!(
        build["needs"], "version",
        "nothing is built for a wrong tag"
    );

    let mut targets: Vec<(String, bool)> = build["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["target"].as_str().unwrap().to_owned(), t["cross"] == true))
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            ("aarch64-apple-darwin".to_owned(), false),
            ("aarch64-unknown-linux-musl".to_owned(), true),
            ("x86_64-apple-darwin".to_owned(), false),
            ("x86_64-pc-windows-msvc".to_owned(), false),
            ("x86_64-unknown-linux-musl".to_owned(), true),
        ]
    );
    let steps = build["steps"].to_string();
    for promise in [
        "--locked",
        "statically linked|static-pie linked",
        "(commit ${GITHUB_SHA:0:12})",
        "dist/provision-$TARGET$exe",
    ] {
        assert!(
            steps.contains(promise),
            "build steps lack `{promise}`: {steps}"
        );
    }
    assert_eq!(
        workflow["env"]["PROVISION_BUILD_COMMIT"],
        "${{ github.sha }}"
    );

    let publish = &workflow["jobs"]["publish"];
    assert_eq!(publish["needs"], "build");
    assert_eq!(publish["permissions"]["contents"], "write");
    let steps = publish["steps"].to_string();
    assert!(
        steps.contains("sha256sum provision-* > SHA256SUMS"),
        "{steps}"
    );
    assert!(steps.contains("gh release create"), "{steps}");
}
