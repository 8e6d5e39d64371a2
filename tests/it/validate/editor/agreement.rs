//! The real editor backend, yaml-language-server (VS Code's YAML extension,
//! Neovim, Helix, Zed, …), against `provision validate` on the same text:
//! every schema rule marked at the same line and column (a missing key on
//! its parent key), nothing on valid files, exactly the documents without a
//! modeline left unchecked, and `sslMode` completion by cloud.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::lsp::{Editor, Mark, locate};
use super::{MODELINE, Workspace, modeline_for, readme_connection_examples, validate_json};
use crate::support::util::{provision, root};
use crate::validate::rules::rule_fixtures;

pub(in crate::validate) fn start(test: &str) -> Option<Editor> {
    locate(test).map(|server| Editor::start(&server))
}

/// Diagnostics of `validate_json` grouped by file.
fn by_file(diags: Vec<Value>) -> BTreeMap<PathBuf, Vec<Value>> {
    let mut files: BTreeMap<PathBuf, Vec<Value>> = BTreeMap::new();
    for d in diags {
        let file = PathBuf::from(d["file"].as_str().unwrap_or_default());
        files.entry(file).or_default().push(d);
    }
    files
}

fn position(d: &Value) -> (u32, u32) {
    let n = |key: &str| d[key].as_u64().unwrap_or(0) as u32;
    (n("line"), n("column"))
}

/// Line and column of the key holding the mapping at `pointer` (block
/// style, as the fixtures are written); `None` for the document itself.
fn key_of(text: &str, pointer: &str) -> Option<(u32, u32)> {
    let mut found = None;
    let mut from = 0;
    let mut indent = -1_i64;
    for segment in pointer.split('/').skip(1) {
        let (index, line) = text
            .lines()
            .enumerate()
            .skip(from)
            .find(|(_, line)| {
                let trimmed = line.trim_start();
                (line.len() - trimmed.len()) as i64 > indent
                    && trimmed.starts_with(&format!("{segment}:"))
            })
            .unwrap_or_else(|| panic!("no key `{segment}` of `{pointer}` in\n{text}"));
        indent = (line.len() - line.trim_start().len()) as i64;
        from = index + 1;
        found = Some((index as u32 + 1, indent as u32 + 1));
    }
    found
}

/// Where the editor should mark provision's schema errors: at the same
/// spot, but a missing key on the key of the mapping that lacks it (the
/// one known difference; provision points into the mapping itself).
fn expected_marks(text: &str, diags: &[Value]) -> BTreeSet<(u32, u32)> {
    diags
        .iter()
        .filter(|d| d["code"].as_str().is_some_and(|c| c.starts_with('S')))
        .map(|d| {
            let pointer = d["pointer"].as_str().unwrap_or_default();
            let parent = &pointer[..pointer.rfind('/').unwrap_or(0)];
            match d["code"].as_str() {
                Some("S102") => key_of(text, parent).unwrap_or_else(|| position(d)),
                _ => position(d),
            }
        })
        .collect()
}

fn positions(marks: &[Mark]) -> BTreeSet<(u32, u32)> {
    marks.iter().map(|m| (m.line, m.column)).collect()
}

#[test]
fn the_editor_marks_every_schema_rule_where_provision_does() {
    let Some(mut editor) = start("editor agreement on rule fixtures") else {
        return;
    };
    let ws = Workspace::new();
    // Each fixture with its `# expect:` line swapped for the modeline: the
    // same lines, and both tools read the very same file.
    let files: Vec<(PathBuf, String)> = rule_fixtures()
        .iter()
        .map(|fixture| {
            let text = std::fs::read_to_string(fixture).unwrap();
            let (_, rest) = text.split_once('\n').unwrap();
            let text = format!("{}\n{rest}", modeline_for(rest));
            let name = fixture.file_name().unwrap().to_string_lossy();
            (ws.write("rules", &name, &text), text)
        })
        .collect();
    let ours = by_file(validate_json(&[&ws.group("rules")]));
    let mut disagreements = Vec::new();
    let mut flagged = 0;
    for (file, text) in &files {
        let diags = ours.get(file).map(Vec::as_slice).unwrap_or_default();
        let want = expected_marks(text, diags);
        let marks = editor.diagnostics(file, text);
        flagged += usize::from(!marks.is_empty());
        if positions(&marks) != want {
            disagreements.push(format!(
                "{}: provision's schema errors {want:?} (from {:?}), the editor's {marks:?}",
                file.file_name().unwrap().to_string_lossy(),
                diags.iter().map(|d| &d["message"]).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "yaml-language-server {} disagrees:\n{}",
        editor.version,
        disagreements.join("\n")
    );
    // Not vacuous: the editor read the schema and found the schema rules.
    assert!(flagged >= 20, "the editor flagged only {flagged} fixtures");
}

/// A broken copy: every document's `name` key misspelt, so each document
/// has an error the editor shows only if it checks that document.
fn misspell_names(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("name:") {
            Some(rest) => format!("nmae:{rest}\n"),
            None => format!("{line}\n"),
        })
        .collect()
}

/// The 1-based line ranges of the documents of `text` (split at `---`).
fn document_lines(text: &str) -> Vec<(u32, u32)> {
    let mut ranges = vec![(1, 1)];
    for (index, line) in text.lines().enumerate() {
        let n = index as u32 + 1;
        if line == "---" {
            ranges.push((n, n));
        } else {
            ranges.last_mut().unwrap().1 = n;
        }
    }
    ranges
}

/// Nothing marked in `text`, and every document marked in its broken copy.
pub(in crate::validate) fn check_valid(
    editor: &mut Editor,
    path: &Path,
    text: &str,
    problems: &mut Vec<String>,
) {
    let marks = editor.diagnostics(path, text);
    if !marks.is_empty() {
        problems.push(format!("{}: {marks:?}", path.display()));
    }
    let broken = misspell_names(text);
    let twin = path.with_file_name(format!(
        "broken-{}",
        path.file_name().unwrap().to_string_lossy()
    ));
    let marks = editor.diagnostics(&twin, &broken);
    for (first, last) in document_lines(&broken) {
        if !marks.iter().any(|m| (first..=last).contains(&m.line)) {
            problems.push(format!(
                "{}: lines {first}-{last} are not checked by the editor (no modeline?)",
                path.display()
            ));
        }
    }
}

#[test]
fn the_editor_finds_nothing_in_valid_files_and_checks_each_of_their_documents() {
    let Some(mut editor) = start("editor agreement on valid files") else {
        return;
    };
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut read = |path: PathBuf| {
        let text = std::fs::read_to_string(&path).unwrap();
        files.push((path, text));
    };
    for fixture in rule_fixtures() {
        if fixture
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ok-")
        {
            read(fixture);
        }
    }
    for file in super::walkdir(&root().join("connections")) {
        read(file);
    }
    let init = tempfile::tempdir().unwrap();
    provision()
        .arg("init")
        .arg(init.path())
        .run()
        .expect_code(0);
    for file in super::walkdir(&init.path().join("connections")) {
        read(file);
    }
    let ws = Workspace::new();
    for (index, example) in readme_connection_examples().iter().enumerate() {
        read(ws.write("readme", &format!("example-{index}.yaml"), example));
    }
    let mut problems = Vec::new();
    for (path, text) in &files {
        // Fixtures name no schema; give them the modeline (same line count).
        let text = match text.split_once('\n') {
            Some((first, rest)) if first.starts_with("# expect:") => {
                let depth = match super::is_dataflow(rest) {
                    true => "../../../schema/dataflow.schema.json",
                    false => "../../../schema/connection.schema.json",
                };
                format!("# yaml-language-server: $schema={depth}\n{rest}")
            }
            _ => text.clone(),
        };
        check_valid(&mut editor, path, &text, &mut problems);
    }
    assert!(files.len() >= 15, "valid files missing: {}", files.len());
    assert!(
        problems.is_empty(),
        "yaml-language-server {}:\n{}",
        editor.version,
        problems.join("\n")
    );
}

/// Layouts of a three-document file, each document with `port: 0`: which
/// of them the editor checks must be exactly those provision does not warn
/// about (P014).
fn modeline_layouts() -> Vec<(&'static str, String)> {
    let doc = "name: {n}\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: s\n  port: 0\n  database: d\n  username: u\n  password: ${P}\n";
    let [a, b, c] = ["a", "b", "c"].map(|n| doc.replace("{n}", n));
    let m = MODELINE;
    vec![
        ("first only", format!("{m}\n{a}---\n{b}---\n{c}")),
        (
            "every document",
            format!("{m}\n{a}---\n{m}\n{b}---\n{m}\n{c}"),
        ),
        (
            "on the --- line",
            format!("{m}\n{a}--- {m}\n{b}--- {m}\n{c}"),
        ),
        (
            "above the ---",
            format!("{m}\n{a}{m}\n---\n{b}---\n{m}\n{c}"),
        ),
        (
            "after an end marker",
            format!("{m}\n{a}...\n{m}\n---\n{b}---\n{c}"),
        ),
        (
            "below other comments",
            format!("{m}\n{a}---\n# b\n\n  {m}\n{b}---\n{c}"),
        ),
        (
            "inside the document",
            format!("{m}\n{a}---\nname: b\n{m}\n{}---\n{m}\n{c}", &b[8..]),
        ),
        (
            "at the end of the file",
            format!("{m}\n{a}---\n{m}\n{b}---\n{c}{m}\n"),
        ),
        (
            "first behind a ---",
            format!("{m}\n---\n{a}---\n{m}\n{b}---\n{c}"),
        ),
        ("first has none", format!("{a}---\n{m}\n{b}---\n{c}")),
        (
            "CRLF",
            format!("{m}\n{a}---\n{m}\n{b}---\n{c}").replace('\n', "\r\n"),
        ),
    ]
}

#[test]
fn the_editor_skips_exactly_the_documents_provision_warns_about() {
    let Some(mut editor) = start("editor agreement on modelines") else {
        return;
    };
    let ws = Workspace::new();
    let layouts = modeline_layouts();
    let files: Vec<PathBuf> = (0..layouts.len())
        .map(|i| ws.write("layouts", &format!("layout-{i}.yaml"), &layouts[i].1))
        .collect();
    let ours = by_file(validate_json(&[&ws.group("layouts")]));
    let mut problems = Vec::new();
    let mut outcomes = BTreeSet::new();
    for ((name, text), file) in layouts.iter().zip(&files) {
        let diags = &ours[file];
        let marks = positions(&editor.diagnostics(file, text));
        let document = |d: &Value| d["document"].as_u64().unwrap_or(99);
        let checked: BTreeSet<u64> = diags
            .iter()
            .filter(|d| d["code"] == "S105" && marks.contains(&position(d)))
            .map(document)
            .collect();
        let warned: BTreeSet<u64> = diags
            .iter()
            .filter(|d| d["code"] == "P014")
            .map(document)
            .collect();
        let agrees = if checked.contains(&0) {
            (1..3).all(|i| checked.contains(&i) != warned.contains(&i))
        } else {
            warned.is_empty()
        };
        outcomes.insert(warned.len());
        if !agrees {
            problems.push(format!(
                "{name}: the editor checks documents {checked:?}, provision warns about {warned:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        outcomes.len() >= 3,
        "layouts cover 0, 1 and 2 warnings: {outcomes:?}"
    );
}

#[test]
fn ssl_mode_completion_and_messages_follow_the_cloud() {
    let Some(mut editor) = start("editor sslMode by cloud") else {
        return;
    };
    let ws = Workspace::new();
    let doc = |cloud: &str, ssl: &str| {
        format!(
            "{MODELINE}\nname: a\nsandbox: prod\ncloud: {cloud}\nauth:\n  type: basic\n  server: s\n  port: 5432\n  database: d\n  username: u\n  password: ${{P}}\n  sslMode: {ssl}\n"
        )
    };
    let path = |name: &str| ws.group("ssl").join(name);
    let offered = editor.completion(&path("aws-complete.yaml"), &doc("aws", ""), 12, 12);
    assert_eq!(offered, ["false", "true"], "aws");
    let offered = editor.completion(&path("azure-complete.yaml"), &doc("azure", ""), 12, 12);
    assert_eq!(
        offered,
        ["Allow", "Disable", "Prefer", "Verify Ca", "Verify Full"],
        "azure"
    );
    // One mistake, one precise message, in the editor and in provision.
    let cases = [
        ("aws", "~", "boolean"),
        ("aws", "no", "boolean"),
        ("aws", "Verify Full", "boolean"),
        ("azure", "~", "Verify Full"),
        ("azure", "true", "Verify Full"),
    ];
    for (index, (cloud, ssl, says)) in cases.into_iter().enumerate() {
        let text = doc(cloud, ssl);
        let file = ws.write("ssl", &format!("case-{index}.yaml"), &text);
        let marks = editor.diagnostics(&file, &text);
        assert!(
            marks.len() == 1 && marks[0].line == 12 && marks[0].message.contains(says),
            "{cloud} sslMode {ssl}: editor {marks:?}"
        );
        let ours = validate_json(&[&file]);
        assert!(
            ours.len() == 1 && position(&ours[0]) == (12, 12),
            "{cloud} sslMode {ssl}: provision {ours:?}"
        );
    }
}
