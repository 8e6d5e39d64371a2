//! Each diagnostic code is defined once (`provision::Code`): every code has
//! a fixture that really triggers it, `provision explain` prints its text,
//! and the committed codes reference is what the table generates.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use provision::Code;

use crate::util::{fixtures, provision, root};
use crate::validate::{expected, rule_fixtures, summarise};

/// A folder of `tests/fixtures/rules/` whose `case.txt` says what to run.
/// `# expect:` lists diagnostics as `CODE FILE:LINE:COL[ warning]`, joined
/// by ` | `; a last `...` allows more than those listed. `# run:` is the
/// command line, run in a copy of the folder; `# setup:` makes what git
/// cannot hold (`symlink PATH -> TARGET`, `fifo PATH`, `big PATH BYTES`);
/// `# env:` sets `NAME=VALUE` and clears `-NAME`.
struct Case {
    dir: PathBuf,
    expect: Vec<String>,
    open: bool,
    run: Vec<String>,
    setup: Vec<String>,
    env: Vec<String>,
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn parse_case(dir: &Path) -> Case {
    let text = std::fs::read_to_string(dir.join("case.txt"))
        .unwrap_or_else(|e| panic!("{}: no case.txt: {e}", dir.display()));
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("# {name}: ")))
            .map(str::to_owned)
    };
    let spec = field("expect").unwrap_or_else(|| panic!("{}: no `# expect:`", dir.display()));
    let mut expect: Vec<String> = spec.split(" | ").map(str::to_owned).collect();
    let open = expect.last().is_some_and(|last| last == "...");
    if open {
        expect.pop();
    }
    let words = |s: Option<String>| -> Vec<String> {
        s.unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    Case {
        dir: dir.to_owned(),
        expect,
        open,
        run: words(field("run")),
        setup: text
            .lines()
            .filter_map(|l| l.strip_prefix("# setup: "))
            .map(str::to_owned)
            .collect(),
        env: words(field("env")),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else if path.file_name().is_some_and(|n| n != "case.txt") {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn make(root: &Path, step: &str) {
    let words: Vec<&str> = step.split_whitespace().collect();
    let path = root.join(words.get(1).copied().unwrap_or_default());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    match words.as_slice() {
        ["symlink", _, "->", target] => std::os::unix::fs::symlink(target, &path).unwrap(),
        ["fifo", _] => {
            let made = std::process::Command::new("mkfifo")
                .arg(&path)
                .status()
                .unwrap();
            assert!(made.success(), "mkfifo {}", path.display());
        }
        ["big", _, bytes] => {
            let line = "# a comment line to make the file large\n";
            let n: usize = bytes.parse().unwrap();
            std::fs::write(&path, line.repeat(n / line.len() + 1)).unwrap();
        }
        _ => panic!("unknown setup step `{step}`"),
    }
}

/// Diagnostics of text output as `CODE FILE:LINE:COL[ warning]`: each
/// `error[CODE]:` / `warning[CODE]:` header with the `-->` line after it.
fn diagnostics_in_text(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some((severity, rest)) = line.split_once('[') else {
            continue;
        };
        let Some((code, _)) = rest.split_once("]: ") else {
            continue;
        };
        if severity != "error" && severity != "warning" {
            continue;
        }
        let place = lines.next().and_then(|l| l.split_once("--> "));
        let mut item = format!("{code} {}", place.map_or("?", |(_, p)| p.trim()));
        if severity == "warning" {
            item.push_str(" warning");
        }
        found.push(item);
    }
    found
}

/// Runs one case; the codes it triggered as expected, or why it failed.
fn run_case(case: &Case) -> Result<Vec<String>, String> {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&case.dir, dir.path());
    for step in &case.setup {
        make(dir.path(), step);
    }
    let mut run = provision().args(&case.run).current_dir(dir.path());
    for item in &case.env {
        run = match item.strip_prefix('-') {
            Some(name) => run.env_remove(name),
            None => {
                let (name, value) = item.split_once('=').unwrap();
                run.env(name, value)
            }
        };
    }
    let done = run.run();
    let got = diagnostics_in_text(&(done.stdout() + &done.stderr()));
    let matched = if case.open {
        let mut rest = got.clone();
        case.expect.iter().all(|want| {
            let at = rest.iter().position(|g| g == want);
            at.map(|i| rest.remove(i)).is_some()
        })
    } else {
        got == case.expect
    };
    let has_error = case.expect.iter().any(|w| !w.ends_with(" warning"));
    if matched && done.code() == i32::from(has_error) {
        return Ok(case.expect.iter().map(|w| code_of(w)).collect());
    }
    Err(format!(
        "{}: want {:?}{} (exit {}), got {got:?} (exit {})\n{}{}",
        case.dir.display(),
        case.expect,
        if case.open { " and more" } else { "" },
        i32::from(has_error),
        done.code(),
        done.stdout(),
        done.stderr()
    ))
}

fn code_of(item: &str) -> String {
    item.split(' ').next().unwrap_or_default().to_owned()
}

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
fn the_text_parser_of_the_cases_reads_headers_and_places() {
    let text = "error[V203]: plain\n  --> a.yaml:11:13\n   |\nwarning[P013]: link\n --> c/l:1:1\nerror: 1 problem(s)\n";
    assert_eq!(
        diagnostics_in_text(text),
        ["V203 a.yaml:11:13", "P013 c/l:1:1 warning"]
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

/// Codes whose example is the settings file, beside a valid connection.
const SETTINGS_EXAMPLES: [&str; 3] = ["P011", "S199", "V208"];
/// Codes only `plan` reports, with the variable their example needs.
const PLAN_EXAMPLES: [(&str, &str); 2] = [
    ("V206", "-ORDERS_DB_PASSWORD"),
    ("V207", "BILLING_DB_PASSWORD=semi;colon"),
];
/// Examples not run here, and why.
const EXCUSED_EXAMPLES: [(&str, &str); 7] = [
    (
        "P001",
        "a shell session removing a link's target: fixture p001-dangling-link",
    ),
    (
        "P002",
        "a shell session writing 2 MB: fixture p002-file-too-large",
    ),
    (
        "P003",
        "a shell session writing a Latin-1 byte: fixture p003-not-utf8",
    ),
    (
        "P009",
        "a shell session in another folder: fixture p009-no-input",
    ),
    (
        "P010",
        "abbreviated, 200 problems do not fit: fixture p010-too-many-problems",
    ),
    (
        "P012",
        "a shell session making a FIFO: fixture p012-not-a-regular-file",
    ),
    (
        "P013",
        "a shell session making a link: fixture p013-linked-folder",
    ),
];

/// The first fenced block under a code's `### Example`: (info, body).
fn example(code: Code) -> (String, String) {
    let text = code.explanation();
    let section = text.split("### Example").nth(1).unwrap();
    let section = section.split("### Fix").next().unwrap();
    let (_, fenced) = section.split_once("```").unwrap();
    let (info, rest) = fenced.split_once('\n').unwrap();
    let (body, _) = rest.split_once("```").unwrap();
    (info.to_owned(), body.to_owned())
}

/// The codes `provision` reports for one code's example, run as the
/// explanation says (a connection file, the settings file, or a plan).
fn codes_for_example(code: &str, yaml: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let connections = dir.path().join("connections");
    std::fs::create_dir_all(&connections).unwrap();
    let valid = std::fs::read_to_string(fixtures("rules/ok-azure-basic.yaml")).unwrap();
    let mut run = provision().current_dir(dir.path()).arg("validate");
    if SETTINGS_EXAMPLES.contains(&code) {
        std::fs::write(dir.path().join("provision.yaml"), yaml).unwrap();
        std::fs::write(connections.join("orders.yaml"), valid).unwrap();
    } else if let Some((_, variable)) = PLAN_EXAMPLES.iter().find(|(c, _)| *c == code) {
        let settings = "orgs:\n  azure: { imsOrg: \"ABC123@AdobeOrg\" }\ncredentials:\n  clientId: ${FIXTURE_CLIENT_ID}\n  clientSecret: ${FIXTURE_CLIENT_SECRET}\n";
        std::fs::write(dir.path().join("provision.yaml"), settings).unwrap();
        std::fs::write(connections.join("example.yaml"), yaml).unwrap();
        run = provision()
            .current_dir(dir.path())
            .args(["plan", "--endpoint", "http://127.0.0.1:9"])
            .args(["--ims", "http://127.0.0.1:9"])
            .env("FIXTURE_CLIENT_ID", "fixture-id")
            .env("FIXTURE_CLIENT_SECRET", "fixture-secret");
        run = match variable.strip_prefix('-') {
            Some(name) => run.env_remove(name),
            None => {
                let (name, value) = variable.split_once('=').unwrap();
                run.env(name, value)
            }
        };
    } else {
        std::fs::write(connections.join("example.yaml"), yaml).unwrap();
    }
    let done = run.run();
    diagnostics_in_text(&(done.stdout() + &done.stderr()))
        .iter()
        .map(|d| code_of(d))
        .collect()
}

/// Docs are tested like code: each explanation's YAML example reports its
/// code; shell-session examples are excused, each with its fixture.
#[test]
fn every_yaml_example_reports_its_code() {
    let mut failures = Vec::new();
    for code in Code::ALL {
        let (info, body) = example(*code);
        let excused = EXCUSED_EXAMPLES.iter().any(|(c, _)| *c == code.as_str());
        match info.as_str() {
            _ if excused => continue,
            "yaml" => {
                let got = codes_for_example(code.as_str(), &body);
                if !got.iter().any(|c| c == code.as_str()) {
                    failures.push(format!("{}: the example reports {got:?}", code.as_str()));
                }
            }
            other => failures.push(format!(
                "{}: a ```{other} example, neither run nor excused",
                code.as_str()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
