//! Blocks that are checked rather than run: transcripts are what the
//! program prints, every transcript command parses, excerpts are the files
//! they quote; and across every page, links, anchors and named files exist
//! and nothing points outside the repository.

use std::path::{Component, Path, PathBuf};

use super::{Shell, blocks, blocks_at, page, pages, replace, repository_copy};
use crate::support::util::root;

/// The example connections with `sslMode` broken as the transcripts show.
fn broken_copy() -> tempfile::TempDir {
    let dir = repository_copy();
    let orders = dir.path().join("connections/prod/orders.yaml");
    let text = std::fs::read_to_string(&orders).unwrap();
    std::fs::write(
        &orders,
        replace(&text, "sslMode: Verify Full", "sslMode: verify-full"),
    )
    .unwrap();
    dir
}

#[test]
fn validate_transcripts_are_what_validate_prints() {
    let dir = broken_copy();
    for (file, heading) in [
        (
            "docs/reference/commands/validate.md",
            "# provision validate",
        ),
        ("README.md", "### Break something"),
    ] {
        let block = &blocks_at(file, heading, "console")[0];
        let (command, shown) = block.text.split_once('\n').unwrap();
        let command = command.strip_prefix("$ ").unwrap();
        assert!(command.starts_with("provision validate"), "{command}");
        let out = Shell::new().run(command, dir.path(), &[]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), shown, "{file}");
    }
}

#[test]
fn validate_json_example_is_what_validate_prints() {
    let block = &blocks_at(
        "docs/reference/output-formats.md",
        "## Diagnostics: `validate --format json`",
        "json",
    )[0];
    let shown: serde_json::Value = serde_json::from_str(&block.text).unwrap();
    let out = Shell::new().run(
        "provision validate --format json",
        broken_copy().path(),
        &[],
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown, printed);
}

#[test]
fn create_body_example_is_json_for_the_postgres_spec() {
    let block = &blocks_at(
        "docs/contract/platform-api.md",
        "## Create: `POST /connections`",
        "json",
    )[0];
    let body: serde_json::Value = serde_json::from_str(&block.text).unwrap();
    assert_eq!(
        body["connectionSpec"]["id"],
        provision::api::wire::POSTGRES_SPEC_ID
    );
    assert!(
        body["auth"]["params"]["port"].is_string(),
        "params are strings"
    );
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
                "{}:{}: `provision {command}` is not a valid command line: {}",
                block.file,
                block.line,
                String::from_utf8_lossy(&out.stderr)
            );
            seen += 1;
        }
    }
    assert!(seen >= 12, "{seen} transcript commands");
}

#[test]
fn github_actions_excerpt_is_the_template() {
    let block = &blocks_at(
        "docs/guides/ci.md",
        "## GitHub Actions (`examples/ci/github-actions.yml`)",
        "yaml",
    )[0];
    let template = std::fs::read_to_string(root().join("examples/ci/github-actions.yml")).unwrap();
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        squeeze(&template).contains(&squeeze(&block.text)),
        "the excerpt in docs/guides/ci.md is not in examples/ci/github-actions.yml:\n{}",
        block.text
    );
}

#[test]
fn dataflows_guide_example_is_the_repositorys_example() {
    let block = &blocks_at("docs/guides/dataflows-as-code.md", "## A dataflow document", "yaml")[0];
    let example =
        std::fs::read_to_string(root().join("connections/prod/orders-to-lake.yaml")).unwrap();
    assert_eq!(
        block.text.trim(),
        example.trim(),
        "the dataflows guide's example is not connections/prod/orders-to-lake.yaml"
    );
}

#[test]
fn pre_commit_example_names_a_hook_that_exists() {
    let block = &blocks_at("docs/guides/ci.md", "## pre-commit", "yaml")[0];
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

/// Files the docs name that `provision init` writes into a new project
/// (they are not in this repository).
const WRITTEN_BY_INIT: [&str; 2] = [".github/workflows/provision.yml", ".gitlab-ci.yml"];

/// Pages the book links to that another branch of the work adds. Once a
/// page exists, remove it here: its links are then checked like any other.
const PENDING_PAGES: [&str; 0] = [];

#[test]
fn pending_pages_are_still_pending() {
    for pending in PENDING_PAGES {
        assert!(
            !root().join(pending).exists(),
            "{pending} exists now: remove it from PENDING_PAGES in tests/it/docs/checked.rs"
        );
    }
}

/// The text of a page outside its fenced blocks.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The anchors of a page: its headings' GitHub slugs, and the explicit
/// `<a id="...">` anchors a generated page sets.
fn anchors(text: &str) -> Vec<String> {
    let prose = prose(text);
    let headings = prose.lines().filter(|l| l.starts_with('#')).map(slug);
    let explicit = prose
        .split("<a id=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(id, _)| id.to_owned()));
    headings.chain(explicit).collect()
}

/// `path` with `.` and `..` resolved, without touching the disk.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn links_and_named_files_exist() {
    let root = root();
    let mut missing = Vec::new();
    for file in pages() {
        let text = prose(&page(&file));
        let dir = Path::new(&file).parent().unwrap_or(Path::new(""));
        // Markdown links: files must exist inside the repository, anchors
        // must be headings of their page.
        for (i, _) in text.match_indices("](") {
            let target = text[i + 2..].split(')').next().unwrap();
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
            let linked = if path.is_empty() {
                PathBuf::from(&file)
            } else {
                normal(&dir.join(path))
            };
            let linked_name = linked.to_string_lossy().replace('\\', "/");
            if path.contains("..")
                && normal(&root.join(dir).join(path))
                    .strip_prefix(&root)
                    .is_err()
            {
                missing.push(format!("{file}: `{target}` points outside the repository"));
                continue;
            }
            if PENDING_PAGES.contains(&linked_name.as_str()) {
                continue;
            }
            if !root.join(&linked).exists() {
                missing.push(format!("{file}: `{target}`"));
            } else if !anchor.is_empty()
                && !anchors(&page(&linked_name)).iter().any(|a| a == anchor)
            {
                missing.push(format!("{file}: anchor `{target}`"));
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
                && !PENDING_PAGES.contains(&path)
                && !root.join(path).exists()
            {
                missing.push(format!("{file}: `{path}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the docs name what is not here: {missing:#?}"
    );
}

/// What a page may not point at: notes kept outside the repository, and
/// tracker numbers a reader of the repository cannot follow. Each name is
/// assembled here so that this list does not itself name what it bans.
const OUTSIDE: [&str; 8] = [
    concat!("..", "/", "shared"),
    concat!("shared", "/", "spec"),
    concat!("shared", "/", "reference"),
    concat!("cli", ".md"),
    concat!("flow-service", ".md"),
    concat!("config", ".md"),
    concat!("dataflows", ".md"),
    concat!("environments", ".md"),
];

/// Where `line` names something outside the repository: a note folder, a
/// contract kept elsewhere (as a whole file name: a longer name that ends
/// the same, such as one of Adobe's tutorial pages, is not one of ours), or
/// a tracker number.
fn outside_references(line: &str) -> Vec<String> {
    let lower = line.to_lowercase();
    let mut found = Vec::new();
    for outside in OUTSIDE {
        let whole = lower.match_indices(outside).any(|(at, _)| {
            !lower[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
        });
        if whole {
            found.push(outside.to_owned());
        }
    }
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("issue ") {
        rest = &rest[at + "issue ".len()..];
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            found.push(format!("issue {}", &rest[..1]));
        }
    }
    found
}

#[test]
fn no_page_points_outside_the_repository() {
    let mut found = Vec::new();
    for file in pages() {
        for (i, line) in page(&file).lines().enumerate() {
            for what in outside_references(line) {
                found.push(format!("{file}:{}: `{what}`", i + 1));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// The repository's own text beyond the docs: sources, tests, scripts,
/// pipeline files. Adobe's vendored files and this list's own file are not
/// ours to word.
fn repository_texts() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| {
                ["rs", "md", "py", "sh", "yml", "yaml", "toml", "json"]
                    .contains(&e.to_str().unwrap_or(""))
            }) {
                out.push(path);
            }
        }
    }
    let root = root();
    let mut out = vec![
        root.join(".ci/run"),
        root.join("action.yml"),
        root.join("Cargo.toml"),
        root.join("build.rs"),
    ];
    for dir in [
        "src",
        "tests",
        "scripts",
        "benches",
        "examples",
        "schema",
        ".github",
        "connections",
    ] {
        walk(&root.join(dir), &mut out);
    }
    out.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        !name.ends_with(".openapi.yaml")
            && !name.starts_with("LICENSE")
            && !p.starts_with(root.join("tests/fixtures"))
    });
    out
}

#[test]
fn no_source_test_or_script_points_outside_the_repository() {
    let root = root();
    let mut found = Vec::new();
    for path in repository_texts() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let name = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        for (i, line) in text.lines().enumerate() {
            for what in outside_references(line) {
                found.push(format!("{name}:{}: `{what}`", i + 1));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
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
