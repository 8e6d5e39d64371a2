//! Editors and dataflow documents: the modeline of `dataflow.schema.json`
//! makes yaml-language-server check each dataflow document of a mixed
//! file against the dataflow schema (nothing marked on valid ones, every
//! document of a broken copy marked), offers the frequencies, and a
//! dataflow under the connection schema's modeline is what V228 warns of.

use super::{CONNECTION, DATAFLOW};
use crate::support::util::provision;
use crate::validate::editor::Workspace;
use crate::validate::editor::agreement::{check_valid, start};

pub use crate::validate::editor::modeline_for;

#[test]
fn the_editor_checks_dataflows_against_the_dataflow_schema() {
    let Some(mut editor) = start("editor on dataflow documents") else {
        return;
    };
    let ws = Workspace::new();
    let example = &crate::docs::blocks_at(
        "docs/reference/file-format.md",
        "## Dataflow documents",
        "yaml",
    )[0]
    .text;
    let files = [
        ("mixed.yaml", format!("{CONNECTION}---\n{DATAFLOW}")),
        ("flows-first.yaml", format!("{DATAFLOW}---\n{CONNECTION}")),
        ("file-format.yaml", example.clone()),
    ];
    let mut problems = Vec::new();
    for (name, text) in &files {
        let path = ws.write("mixed", name, text);
        check_valid(&mut editor, &path, text, &mut problems);
        // provision agrees: nothing to say about the file.
        provision()
            .args(["validate", "--warnings-as-errors"])
            .arg(&path)
            .run()
            .expect_code(0);
    }
    assert!(
        problems.is_empty(),
        "yaml-language-server {}:\n{}",
        editor.version,
        problems.join("\n")
    );
}

#[test]
fn the_editor_offers_the_frequencies_and_marks_a_bad_one_where_provision_does() {
    let Some(mut editor) = start("editor dataflow frequency") else {
        return;
    };
    let ws = Workspace::new();
    let line = DATAFLOW
        .lines()
        .position(|l| l == "  frequency: hour")
        .unwrap() as u32
        + 1;
    let open = DATAFLOW.replace("  frequency: hour", "  frequency: ");
    let offered = editor.completion(&ws.group("freq").join("complete.yaml"), &open, line, 14);
    assert_eq!(offered, ["day", "hour", "minute", "once", "week"]);
    let text = DATAFLOW.replace("  frequency: hour", "  frequency: hourly");
    let file = ws.write("freq", "hourly.yaml", &text);
    let marks = editor.diagnostics(&file, &text);
    assert!(
        marks.len() == 1 && marks[0].line == line && marks[0].column == 14,
        "{marks:?}"
    );
    let ours = super::super::editor::validate_json(&[&file]);
    let places: Vec<(u64, u64, &str)> = ours
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        places.contains(&(u64::from(line), 14, "S104")),
        "{places:?}"
    );
}

#[test]
fn a_dataflow_under_the_connection_schema_is_marked_by_the_editor_and_warned_by_provision() {
    let text = DATAFLOW.replace("dataflow.schema.json", "connection.schema.json");
    let ws = Workspace::new();
    let file = ws.write("wrong", "flow.yaml", &format!("{CONNECTION}---\n{text}"));
    let run = provision().arg("validate").arg(&file).run().expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains("warning[V228]: document 2 is a dataflow, but its modeline names `../../schema/connection.schema.json`, the connection schema: editors check it against the wrong schema"),
        "{out}"
    );
    assert!(out.contains(":13:1\n"), "points at the modeline\n{out}");
    assert!(
        out.contains(
            "help: write `# yaml-language-server: $schema=../../schema/dataflow.schema.json`"
        ),
        "{out}"
    );
    // Why it matters: the editor marks the valid dataflow as broken.
    let Some(mut editor) = start("editor on a dataflow under the connection schema") else {
        return;
    };
    let marks = editor.diagnostics(&file, &format!("{CONNECTION}---\n{text}"));
    assert!(
        marks.iter().any(|m| m.message.contains("auth")),
        "{marks:?}"
    );
}

#[test]
fn a_later_dataflow_without_a_modeline_is_told_the_dataflow_schema() {
    let flow = DATAFLOW.lines().skip(1).collect::<Vec<_>>().join("\n") + "\n";
    let ws = Workspace::new();
    let file = ws.write("missing", "mixed.yaml", &format!("{CONNECTION}---\n{flow}"));
    let out = provision()
        .arg("validate")
        .arg(&file)
        .run()
        .expect_code(0)
        .stdout();
    assert!(
        out.contains("warning[P014]: document 2 has no schema modeline"),
        "{out}"
    );
    assert!(
        out.contains("help: editors read the modeline per document: repeat `# yaml-language-server: $schema=../../schema/dataflow.schema.json` after this `---`"),
        "{out}"
    );
}
