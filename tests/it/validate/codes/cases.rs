//! Fixture folders for codes one connection file cannot show: a settings
//! file, a plan, a FIFO, a link, a large file. Each folder's `case.txt`
//! says what to set up and run, and which diagnostics must come out.

use std::path::{Path, PathBuf};

use crate::support::util::{fixtures, provision};

/// A folder of `tests/fixtures/rules/` whose `case.txt` says what to run.
/// `# expect:` lists diagnostics as `CODE FILE:LINE:COL[ warning]`, joined
/// by ` | `; a last `...` allows more than those listed. `# run:` is the
/// command line, run in a copy of the folder; `# setup:` makes what git
/// cannot hold (`symlink PATH -> TARGET`, `fifo PATH`, `big PATH BYTES`);
/// `# env:` sets `NAME=VALUE` and clears `-NAME`.
pub struct Case {
    dir: PathBuf,
    expect: Vec<String>,
    open: bool,
    run: Vec<String>,
    setup: Vec<String>,
    env: Vec<String>,
}

pub fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

pub fn parse_case(dir: &Path) -> Case {
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
pub fn diagnostics_in_text(text: &str) -> Vec<String> {
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
pub fn run_case(case: &Case) -> Result<Vec<String>, String> {
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

pub fn code_of(item: &str) -> String {
    item.split(' ').next().unwrap_or_default().to_owned()
}

#[test]
fn the_text_parser_of_the_cases_reads_headers_and_places() {
    let text = "error[V203]: plain\n  --> a.yaml:11:13\n   |\nwarning[P013]: link\n --> c/l:1:1\nerror: 1 problem(s)\n";
    assert_eq!(
        diagnostics_in_text(text),
        ["V203 a.yaml:11:13", "P013 c/l:1:1 warning"]
    );
}
