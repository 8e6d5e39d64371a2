//! Editors agree with `provision validate`: the schema says each rule the
//! way JavaScript validators read it too, every file provision writes or
//! shows carries the schema modeline in each document, and a later document
//! without one is a P014 warning. `editor/agreement.rs` proves it with the
//! real editor backend, yaml-language-server, driven over LSP.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::util::{provision, root};

pub(super) mod agreement;
mod imported;
pub(super) mod lsp;

/// The modeline of a file in `connections/<folder>/`.
pub const MODELINE: &str = "# yaml-language-server: $schema=../../schema/connection.schema.json";
/// The modeline of a dataflow document in `connections/<folder>/`.
pub const DATAFLOW_MODELINE: &str =
    "# yaml-language-server: $schema=../../schema/dataflow.schema.json";

/// Whether a one-document text is a dataflow (`kind: dataflow`).
pub fn is_dataflow(text: &str) -> bool {
    text.lines()
        .any(|l| l == "kind: dataflow" || l.starts_with("kind: dataflow "))
}

/// The modeline a one-document text takes, by its kind.
pub fn modeline_for(text: &str) -> &'static str {
    if is_dataflow(text) {
        DATAFLOW_MODELINE
    } else {
        MODELINE
    }
}

/// A project folder with the committed connection and dataflow schemas in
/// `schema/`, where test files go under `connections/<group>/`.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("schema")).unwrap();
        for file in ["connection.schema.json", "dataflow.schema.json"] {
            std::fs::copy(
                root().join("schema").join(file),
                dir.path().join("schema").join(file),
            )
            .unwrap();
        }
        Workspace { dir }
    }

    /// Writes `connections/<group>/<name>` and returns its path.
    pub fn write(&self, group: &str, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join("connections").join(group).join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn group(&self, group: &str) -> PathBuf {
        self.dir.path().join("connections").join(group)
    }
}

/// `provision validate --format json` over `paths`: its diagnostics.
pub fn validate_json(paths: &[&Path]) -> Vec<Value> {
    let report = provision()
        .args(["validate", "--format", "json"])
        .args(paths)
        .run()
        .json();
    report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The connection examples of the file format page (docs/reference/file-format.md).
pub fn readme_connection_examples() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("docs/reference/file-format.md")).unwrap();
    let section = readme
        .split("\n## A connection document\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/reference/file-format.md has a `## A connection document` section");
    section
        .split("```yaml\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter(|block| block.lines().any(|l| l.starts_with("cloud:")))
        .map(str::to_owned)
        .collect()
}

/// The leading comment lines of each document of `text` (after its
/// `---`), for checking that each starts with the modeline.
fn document_heads(text: &str) -> Vec<Vec<&str>> {
    let mut heads = vec![Vec::new()];
    let mut in_head = true;
    for line in text.lines() {
        if line == "---" {
            heads.push(Vec::new());
            in_head = true;
        } else if in_head && line.starts_with('#') {
            heads.last_mut().unwrap().push(line);
        } else {
            in_head = false;
        }
    }
    heads
}

#[test]
fn a_later_document_without_the_modeline_is_a_warning_with_the_fix() {
    let ws = Workspace::new();
    let doc = "name: {n}\nsandbox: prod\ncloud: aws\nauth:\n  type: basic\n  server: s\n  port: 5432\n  database: d\n  username: u\n  password: ${P}\n";
    let text = format!(
        "{MODELINE}\n{}---\n{MODELINE}\n{}---\n{}",
        doc.replace("{n}", "a"),
        doc.replace("{n}", "b"),
        doc.replace("{n}", "c")
    );
    let file = ws.write("prod", "three.yaml", &text);
    let run = provision().arg("validate").arg(&file).run().expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains("warning[P014]: document 3 has no schema modeline, unlike the first document: editors do not check it against the schema"),
        "{out}"
    );
    assert!(out.contains(":24:1"), "points at the third `---`\n{out}");
    assert!(
        out.contains(&format!(
            "help: editors read the modeline per document: repeat `{MODELINE}` after this `---`"
        )),
        "{out}"
    );
    assert!(out.contains("0 errors, 1 warning"), "{out}");
    provision()
        .args(["validate", "--warnings-as-errors"])
        .arg(&file)
        .run()
        .expect_code(1);
    let diags = validate_json(&[&file]);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "P014");
    assert_eq!(diags[0]["severity"], "warning");
    assert_eq!(diags[0]["document"], 2);
    // With the modeline repeated (as the committed examples do), no warning.
    let fixed = text.replace("---\nname: c", &format!("---\n{MODELINE}\nname: c"));
    let diags = validate_json(&[&ws.write("prod", "fixed.yaml", &fixed)]);
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn every_connection_file_init_writes_has_the_modeline_in_each_document() {
    let dir = tempfile::tempdir().unwrap();
    provision().arg("init").arg(dir.path()).run().expect_code(0);
    let connections = dir.path().join("connections");
    let mut files = Vec::new();
    for entry in walkdir(&connections) {
        let text = std::fs::read_to_string(&entry).unwrap();
        for head in document_heads(&text) {
            assert!(
                head.contains(&MODELINE),
                "{}: a document without `{MODELINE}` in its leading comments",
                entry.display()
            );
        }
        files.push(entry);
    }
    assert!(!files.is_empty(), "init wrote no connection file");
    let run = provision()
        .arg("validate")
        .arg(&connections)
        .run()
        .expect_code(0);
    assert!(
        run.stdout().contains("0 errors, 0 warnings"),
        "{}",
        run.stdout()
    );
}

#[test]
fn readme_connection_examples_carry_the_modeline_in_each_document() {
    let examples = readme_connection_examples();
    assert!(examples.len() >= 3, "README examples missing: {examples:?}");
    assert!(
        examples.iter().any(|e| e.contains("\n---\n")),
        "one README example shows several documents in a file"
    );
    let ws = Workspace::new();
    for (index, example) in examples.iter().enumerate() {
        for head in document_heads(example) {
            assert!(
                head.contains(&MODELINE),
                "README example {} has a document without `{MODELINE}`:\n{example}",
                index + 1
            );
        }
        ws.write("readme", &format!("example-{index}.yaml"), example);
    }
    let run = provision()
        .arg("validate")
        .arg(ws.group("readme"))
        .run()
        .expect_code(0);
    assert!(
        run.stdout().contains("0 errors, 0 warnings"),
        "{}",
        run.stdout()
    );
}

#[test]
fn name_messages_say_which_rule_broke() {
    let ws = Workspace::new();
    let elephant = "\u{1F418}";
    let cases = [
        ("\"\"", "`name` is empty: expected a non-empty string"),
        (
            &elephant.repeat(257),
            "`name` is too long: expected at most 256 characters, found 257",
        ),
        (
            "\"orders\\u0085db\"",
            "`name` holds the control character U+0085: expected none (U+0000 to U+001F, U+007F to U+009F)",
        ),
        (&elephant.repeat(256), ""),
    ];
    for (name, want) in cases {
        let text = format!(
            "{MODELINE}\nname: {name}\nsandbox: prod\ncloud: aws\nauth:\n  type: basic\n  server: s\n  port: 5432\n  database: d\n  username: u\n  password: ${{P}}\n"
        );
        let file = ws.write("names", "name.yaml", &text);
        let diags = validate_json(&[&file]);
        let messages: Vec<&str> = diags.iter().filter_map(|d| d["message"].as_str()).collect();
        let want: Vec<&str> = [want].into_iter().filter(|w| !w.is_empty()).collect();
        assert_eq!(messages, want, "name {name}");
    }
}

#[test]
fn ssl_mode_is_typed_only_by_the_cloud_branches() {
    let text = std::fs::read_to_string(root().join("schema/connection.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let basic = &schema["$defs"]["Auth"]["allOf"][0]["then"]["properties"]["sslMode"];
    let keys: Vec<&String> = basic
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["description"], "auth's sslMode: {basic}");
    let by_cloud: Vec<&Value> = schema["allOf"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| &rule["then"]["properties"]["auth"]["properties"]["sslMode"])
        .collect();
    assert_eq!(by_cloud[0]["type"], "boolean", "aws: {}", by_cloud[0]);
    assert_eq!(
        by_cloud[1]["enum"],
        serde_json::json!(["Disable", "Allow", "Prefer", "Verify Ca", "Verify Full"])
    );
}

/// Every `*.yaml` under `dir`, sorted.
fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn the_docs_name_the_editor_tests_that_exist() {
    let readme = std::fs::read_to_string(root().join("docs/reference/file-format.md")).unwrap();
    let section = readme
        .split("\n## Editors\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/reference/file-format.md has an `## Editors` section");
    let mut named = 0;
    for name in section
        .split('`')
        .filter(|s| s.starts_with("validate::editor::"))
    {
        let Some((module, function)) = name.rsplit_once("::") else {
            continue;
        };
        let file = root()
            .join("tests/it")
            .join(format!("{}.rs", module.replace("::", "/")));
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            text.contains(&format!("#[test]\nfn {function}()")),
            "the file-format page names `{name}`, which is no test in {}",
            file.display()
        );
        named += 1;
    }
    assert!(
        named >= 5,
        "the file-format page's editor section names {named} tests"
    );
}
