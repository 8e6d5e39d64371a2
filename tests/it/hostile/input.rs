//! Hostile input: every case ends in a clear diagnostic and exit 1 (or a
//! warning), never a panic, never unbounded time or memory.

use crate::support::util::provision;

fn check(name: &str, content: &[u8], code: &str, line: u64, column: u64) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join(name);
    std::fs::write(&file, content).unwrap_or_else(|e| panic!("{e}"));
    let run = provision()
        .args(["validate", "--format", "json"])
        .arg(&file)
        .run();
    assert!(
        !run.stderr().contains("panicked"),
        "{name}: panic\n{}",
        run.stderr()
    );
    let report = run.json();
    let d = &report["diagnostics"][0];
    assert_eq!(
        (d["code"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some(code), Some(line), Some(column)),
        "{name}: {report:#}"
    );
    let expected_exit = if d["severity"] == "warning" { 0 } else { 1 };
    assert_eq!(run.code(), expected_exit, "{name}");
}

#[test]
fn syntax_error() {
    check(
        "syntax.yaml",
        b"name: [orders\nsandbox: prod\n",
        "P004",
        2,
        8,
    );
    check("unclosed.yaml", b"name: [orders\n", "P004", 1, 7);
}

#[test]
fn tab_indentation_points_at_the_tab() {
    check("tabs.yaml", b"name: a\n\tsandbox: prod\n", "P004", 2, 1);
}

#[test]
fn duplicate_mapping_keys() {
    check(
        "dup.yaml",
        // A whole document otherwise: the repeat is its only problem (the
        // rest of a file with a repeated key is still checked).
        b"name: a\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: h\n  port: 5432\n  database: d\n  username: u\n  password: ${P}\nname: b\n",
        "P005",
        11,
        1,
    );
}

#[test]
fn non_utf8_bytes() {
    check("latin1.yaml", b"name: a\nsandbox: pr\xe9d\n", "P003", 2, 12);
}

#[test]
fn top_level_list() {
    check("list.yaml", b"- name: a\n- name: b\n", "P008", 1, 1);
}

#[test]
fn empty_file_is_a_warning() {
    check("empty.yaml", b"", "P007", 1, 1);
    check("only-comments.yaml", b"# nothing here\n---\n", "P007", 1, 1);
}

#[test]
fn fifty_megabyte_file_is_refused_without_reading_it() {
    let big = vec![b'a'; 50 * 1024 * 1024];
    check("big.yaml", &big, "P002", 1, 1);
}

#[test]
fn billion_laughs_is_stopped_by_the_alias_budget() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    check("bomb.yaml", bomb.as_bytes(), "P006", 5, 8);
}

#[test]
fn yaml_1_2_no_is_a_string_and_the_message_says_write_false() {
    let doc = "name: e\nsandbox: prod\ncloud: aws\nauth:\n  type: basic\n  server: s\n  port: 5432\n  database: d\n  username: u\n  password: ${P}\n  sslMode: no\n";
    check("no.yaml", doc.as_bytes(), "S103", 11, 12);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("no.yaml");
    std::fs::write(&file, doc).unwrap_or_else(|e| panic!("{e}"));
    let run = provision().arg("validate").arg(&file).run();
    assert!(run.stdout().contains("write `false`"), "{}", run.stdout());
}

#[test]
fn complex_mapping_keys_are_rejected() {
    check("key.yaml", b"? [a, b]\n: c\n", "P004", 1, 3);
}

#[test]
fn a_hundred_thousand_unknown_keys_are_reported_briefly() {
    let text: String = (0..100_000).map(|i| format!("k{i}: v\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.yaml");
    std::fs::write(&file, text).unwrap();
    let run = provision()
        .args(["validate", "--format", "json"])
        .arg(&file)
        .run()
        .expect_code(1);
    let count = run.json()["diagnostics"].as_array().map_or(0, Vec::len);
    assert!((50..=60).contains(&count), "{count} diagnostics");
}

#[test]
fn integral_floats_and_tagged_integers_are_ports() {
    let doc = "name: e\nsandbox: prod\ncloud: aws\nauth:\n  type: basic\n  server: s\n  port: PORT\n  database: d\n  username: u\n  password: ${P}\n";
    let dir = tempfile::tempdir().unwrap();
    for port in ["5432.0", "1e3", "!!int \"5432\""] {
        let file = dir.path().join("p.yaml");
        std::fs::write(&file, doc.replace("PORT", port)).unwrap();
        provision().arg("validate").arg(&file).run().expect_code(0);
    }
}
