//! GitOps fit: `init` scaffolds a project that validates and writes the CI
//! templates, which `rehearsal` runs job by job against the emulator; a
//! drifted template line is a usage error.

use std::path::Path;

use serde_json::Value;

use crate::support::util::{provision, root};
use crate::support::world::World;

/// A template parsed with the project's own YAML loader.
pub(super) fn template(name: &str) -> Value {
    let path = root().join("examples/ci").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let docs = provision::config::load::load_str(&path, &text)
        .unwrap_or_else(|d| panic!("{name} is not YAML: {}", d.message));
    docs[0].to_json()
}

/// The arguments of a shell line, without redirections and what follows
/// `||`, `&&`, `|` or `;` (the templates quote nothing in these lines).
pub(super) fn arguments(line: &str) -> Vec<String> {
    let end = line.find(['>', '|', '&', ';']).unwrap_or(line.len());
    line[..end]
        .split_whitespace()
        .skip(1)
        .map(|w| w.trim_matches(['"', '\'']).to_owned())
        .collect()
}

#[test]
fn a_drifted_template_line_fails_the_rehearsal() {
    let world = World::new(Default::default());
    world.connections(1);
    let run = world.run(
        &arguments("provision plan --fromat markdown > plan.md")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(run.code(), 64, "an unknown flag is a usage error");
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn init_scaffolds_a_project_that_validates_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "target/").unwrap();
    let run = provision()
        .current_dir(dir.path())
        .args(["init", ".", "--ci", "github"])
        .run()
        .expect_code(0);
    assert!(
        run.stdout().contains("created `provision.yaml`"),
        "{}",
        run.stdout()
    );
    assert_eq!(
        files_under(dir.path()),
        [
            ".github/workflows/provision.yml",
            ".gitignore",
            "connections/dev/orders-db.yaml",
            "provision.yaml",
            "schema/connection.schema.json",
            "schema/dataflow.schema.json",
            "schema/provision.schema.json",
        ]
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
        "target/\n# provision: local state and emulator data\n.provision/\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".github/workflows/provision.yml")).unwrap(),
        std::fs::read_to_string(root().join("examples/ci/github-actions.yml")).unwrap()
    );
    provision()
        .current_dir(dir.path())
        .args(["validate", "--warnings-as-errors"])
        .run()
        .expect_code(0);
    provision()
        .current_dir(dir.path())
        .args(["schema", "--check"])
        .run()
        .expect_code(0);
    // The example plans against an emulator with the placeholder org.
    provision()
        .current_dir(dir.path())
        .args(["plan", "--emulator"])
        .run()
        .expect_code(0);

    std::fs::write(dir.path().join("provision.yaml"), "parallelism: 3\n").unwrap();
    std::fs::write(dir.path().join(".gitlab-ci.yml"), "stages: []\n").unwrap();
    let again = provision()
        .current_dir(dir.path())
        .args(["init", "--ci", "gitlab"])
        .run()
        .expect_code(1);
    assert!(
        again.stderr().contains("provision.yaml"),
        "{}",
        again.stderr()
    );
    assert!(
        again.stderr().contains(".gitlab-ci.yml"),
        "{}",
        again.stderr()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("provision.yaml")).unwrap(),
        "parallelism: 3\n"
    );
}

#[test]
fn init_writes_one_pipeline_only_when_asked_and_every_setting() {
    let dir = tempfile::tempdir().unwrap();
    let run = provision()
        .current_dir(dir.path())
        .args(["init"])
        .run()
        .expect_code(0);
    insta::assert_snapshot!("init_default", run.stdout());
    let files = files_under(dir.path());
    assert!(
        !files
            .iter()
            .any(|f| f.contains("gitlab") || f.contains(".github")),
        "{files:?}"
    );
    assert!(run.stdout().contains("`provision validate`"));
    assert!(run.stdout().contains("--emulator"));
    let gitlab = tempfile::tempdir().unwrap();
    provision()
        .current_dir(gitlab.path())
        .args(["init", "--ci", "gitlab"])
        .run()
        .expect_code(0);
    assert!(gitlab.path().join(".gitlab-ci.yml").is_file());
    assert!(!gitlab.path().join(".github").exists());
    // Every setting the schema knows is in the file, set or commented.
    let settings = std::fs::read_to_string(dir.path().join("provision.yaml")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/provision.schema.json")).unwrap(),
    )
    .unwrap();
    let mut names = Vec::new();
    collect_properties(&schema, &mut names);
    assert!(names.len() > 15, "{names:?}");
    for name in names {
        assert!(
            settings.contains(&format!("{name}:")) || settings.contains(&format!("{{ {name}:")),
            "`{name}` is not in init's provision.yaml"
        );
    }
}

fn collect_properties(schema: &serde_json::Value, out: &mut Vec<String>) {
    match schema {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                for name in props.keys() {
                    if name != "$schema" && !out.contains(name) {
                        out.push(name.clone());
                    }
                }
            }
            for value in map.values() {
                collect_properties(value, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_properties(v, out)),
        _ => {}
    }
}

#[test]
fn man_pages_are_generated_from_the_cli() {
    let page = provision().args(["man"]).run().expect_code(0).stdout();
    assert!(page.contains(".TH provision"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    provision()
        .args(["man", "--out"])
        .arg(dir.path())
        .run()
        .expect_code(0);
    for page in [
        "provision.1",
        "provision-import.1",
        "provision-state-list.1",
    ] {
        assert!(dir.path().join(page).is_file(), "{page} missing");
    }
}
