//! Each diagnostic code is defined once (`provision::Code`): every code has
//! a fixture that really triggers it, `provision explain` prints its text,
//! and the committed codes reference is what the table generates.

mod cases;
mod examples;

use std::collections::BTreeSet;

use provision::Code;

use crate::support::util::{fixtures, provision, root};
use crate::validate::rules::{expected, rule_fixtures, summarise};
use cases::{case_dirs, code_of, diagnostics_in_text, parse_case, run_case};

#[test]
fn every_code_has_a_fixture_that_triggers_it() {
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    for file in rule_fixtures() {
        let run = provision()
            .args(["validate", "--format", "json"])
            .arg(&file)
            .run();
        let want = expected(&file);
        if summarise(&run.json()) == want {
            seen.extend(want.iter().map(|w| code_of(w)));
        } else {
            failures.push(format!("{}: see the validate tests", file.display()));
        }
    }
    let cases = case_dirs();
    assert!(cases.len() >= 19, "fixture folders missing");
    for dir in &cases {
        match run_case(&parse_case(dir)) {
            Ok(codes) => seen.extend(codes),
            Err(failure) => failures.push(failure),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|code| code.as_str())
        .filter(|code| !seen.contains(*code))
        .collect();
    assert!(
        missing.is_empty(),
        "codes no fixture triggers: {missing:?}; add a file, or a folder with a `case.txt`, under tests/fixtures/rules/"
    );
}

#[test]
fn explain_prints_the_title_then_the_explanation() {
    let run = provision().args(["explain", "v203"]).run().expect_code(0);
    let out = run.stdout();
    assert!(
        out.starts_with("V203 plaintext-secret (error by default)\n"),
        "{out}"
    );
    for part in ["### Example", "password: hunter2", "### Fix"] {
        assert!(out.contains(part), "{out}");
    }
}

#[test]
fn explain_without_a_code_lists_every_code() {
    let out = provision().arg("explain").run().expect_code(0).stdout();
    for code in Code::ALL {
        let line = out.lines().find(|l| l.starts_with(code.as_str()));
        assert!(
            line.is_some_and(|l| l.contains(code.name()) && l.ends_with(code.summary())),
            "{}:\n{out}",
            code.as_str()
        );
    }
}

#[test]
fn an_unknown_code_is_a_usage_error_naming_the_nearest_code() {
    let run = provision().args(["explain", "V2033"]).run().expect_code(64);
    assert!(
        run.stderr()
            .contains("unknown diagnostic code `V2033`: did you mean `V203`?"),
        "{}",
        run.stderr()
    );
    assert!(run.stdout().is_empty());
}

#[test]
fn every_text_diagnostic_ends_with_where_it_is_explained() {
    let out = provision()
        .args(["validate", "mixed.yaml"])
        .current_dir(fixtures("snapshot"))
        .run()
        .expect_code(1)
        .stdout();
    let headers = diagnostics_in_text(&out);
    let sees: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once("= see: provision explain "))
        .map(|(_, code)| code)
        .collect();
    assert!(headers.len() >= 2, "{out}");
    let codes: Vec<String> = headers.iter().map(|h| code_of(h)).collect();
    assert_eq!(codes, sees, "{out}");
}

/// `docs/reference/codes.md` is generated; `PROVISION_UPDATE_DOCS=1`
/// rewrites it instead of failing.
#[test]
fn the_codes_reference_is_current() {
    let path = root().join("docs/reference/codes.md");
    let want = provision::codes_reference();
    if std::env::var_os("PROVISION_UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `PROVISION_UPDATE_DOCS=1 cargo test --test it codes` and commit it",
        path.display()
    );
}
