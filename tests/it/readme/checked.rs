//! README blocks that are checked rather than run: the validate transcript
//! is what validate prints, every transcript command parses, excerpts are
//! the files they quote, and links and named files exist.

use super::{Shell, blocks, blocks_at, readme, replace, repository_copy};
use crate::support::util::root;

#[test]
fn validate_transcript_is_what_validate_prints() {
    let block = &blocks_at("### validate", "console")[0];
    let (command, shown) = block.text.split_once('\n').unwrap();
    assert_eq!(command, "$ provision validate connections/");
    let dir = repository_copy();
    let orders = dir.path().join("connections/prod/orders.yaml");
    let text = std::fs::read_to_string(&orders).unwrap();
    std::fs::write(
        &orders,
        replace(&text, "sslMode: Verify Full", "sslMode: verify-full"),
    )
    .unwrap();
    let out = Shell::new().run("provision validate connections/", dir.path(), &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), shown);
}

#[test]
fn transcript_commands_parse() {
    let shell = Shell::new();
    let dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for block in blocks().into_iter().filter(|b| b.lang == "console") {
        for line in block.text.lines() {
            let Some(command) = line.strip_prefix("$ provision ") else {
                continue;
            };
            let command = command.split(" #").next().unwrap().trim();
            // `--help` after the arguments: clap rejects an unknown flag first.
            let script = format!("provision {command} --help >/dev/null");
            let out = shell.run(&script, dir.path(), &[]);
            assert!(
                out.status.success(),
                "README.md:{}: `provision {command}` is not a valid command line: {}",
                block.line,
                String::from_utf8_lossy(&out.stderr)
            );
            seen += 1;
        }
    }
    assert!(seen >= 8, "{seen} transcript commands");
}

#[test]
fn github_actions_excerpt_is_the_template() {
    let block = &blocks_at(
        "### GitHub Actions (`examples/ci/github-actions.yml`)",
        "yaml",
    )[0];
    let template = std::fs::read_to_string(root().join("examples/ci/github-actions.yml")).unwrap();
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        squeeze(&template).contains(&squeeze(&block.text)),
        "the README's excerpt is not in examples/ci/github-actions.yml:\n{}",
        block.text
    );
}

#[test]
fn pre_commit_example_names_a_hook_that_exists() {
    let block = &blocks_at("### pre-commit", "yaml")[0];
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let id = block
        .text
        .split("id: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    assert!(
        hooks.contains(&format!("id: {id}")),
        "{id} is not in .pre-commit-hooks.yaml"
    );
}

/// Files the README names that `provision init` writes into a new project
/// (they are not in this repository).
const WRITTEN_BY_INIT: [&str; 2] = [".github/workflows/provision.yml", ".gitlab-ci.yml"];

#[test]
fn links_and_named_files_exist() {
    let text = readme();
    let mut missing = Vec::new();
    // Markdown links: files must exist, anchors must be headings.
    for (i, _) in text.match_indices("](") {
        let target = text[i + 2..].split(')').next().unwrap();
        if target.starts_with("http") {
            continue;
        }
        if let Some(anchor) = target.strip_prefix('#') {
            if !text
                .lines()
                .any(|l| l.starts_with('#') && slug(l) == anchor)
            {
                missing.push(format!("anchor #{anchor}"));
            }
        } else if !root().join(target).exists() {
            missing.push(target.to_owned());
        }
    }
    // Paths in code spans that name this repository's files.
    for span in text.split('`').skip(1).step_by(2) {
        let path = span.split_whitespace().next().unwrap_or("");
        let named = [
            "src/",
            "scripts/",
            "benches/",
            "examples/",
            "tests/",
            ".ci/",
            ".github/",
            "docs/",
            "schema/",
        ]
        .iter()
        .any(|p| path.starts_with(p))
            || path.ends_with(".md");
        if named
            && !path.contains(['*', '<', '{'])
            && !WRITTEN_BY_INIT.contains(&path)
            && !root().join(path).exists()
        {
            missing.push(path.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "the README names what is not here: {missing:?}"
    );
}

/// GitHub's heading anchor: lowercase, spaces to `-`, punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}
