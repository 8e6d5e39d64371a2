//! Hostile files, flags and streams: huge durations, unwritable
//! or closed stdout, FIFOs and symlink loops among the connection files,
//! alias amplification, `plan --out` over a file that is not a plan. Each
//! ends in a clear message and a non-zero exit, never a panic or a hang.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::util::provision;

/// Waits for `child` at most `limit`; kills it and fails if it is still running.
fn finish_within(mut child: Child, limit: Duration) -> (i32, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                stderr.read_to_string(&mut err).unwrap();
            }
            return (status.code().unwrap_or(-1), err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
}

const GOOD: &str = "name: a\nsandbox: prod\ncloud: aws\nauth:\n  type: basic\n  server: s\n  port: 5432\n  database: d\n  username: u\n  password: ${P}\n";

#[test]
fn a_lock_timeout_beyond_any_clock_is_a_usage_error_not_a_panic() {
    for value in ["99999999999999999999s", "1e400s", "18446744073709551615h"] {
        let run = provision()
            .args(["apply", "--lock-timeout", value])
            .run()
            .expect_code(64);
        no_panic(&run.stderr());
        assert!(run.stderr().contains("--lock-timeout"), "{}", run.stderr());
    }
    let run = provision()
        .args(["apply", "--lock-timeout", "99999999999999999999s"])
        .run();
    assert!(run.stderr().contains("too long"), "{}", run.stderr());
}

#[test]
fn results_that_cannot_be_written_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), GOOD).unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let child = provision()
        .args(["validate", "--format", "json"])
        .arg(dir.path())
        .into_command()
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (code, stderr) = finish_within(child, Duration::from_secs(20));
    no_panic(&stderr);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("cannot write the results to stdout"),
        "{stderr}"
    );
}

/// A state file with `n` records, enough to fill any pipe buffer.
fn big_state(dir: &Path, n: usize) {
    let records: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "\"azure/prod/db-{i:05}\": {{\"id\": \"id-{i}\", \"etag\": \"e\", \"org\": \"O@AdobeOrg\", \"fingerprint\": \"f\", \"createdAt\": \"t\", \"updatedAt\": \"t\"}}"
            )
        })
        .collect();
    std::fs::create_dir_all(dir.join(".provision")).unwrap();
    std::fs::write(
        dir.join(".provision/state.json"),
        format!(
            "{{\"version\": 1, \"lineage\": \"l\", \"serial\": 1, \"connections\": {{{}}}}}",
            records.join(",")
        ),
    )
    .unwrap();
}

#[test]
fn a_closed_pipe_ends_state_list_quietly() {
    let dir = tempfile::tempdir().unwrap();
    big_state(dir.path(), 5000);
    let mut child = provision()
        .args(["state", "list"])
        .current_dir(dir.path())
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -1`: read one line, then close the pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    let _ = stdout.read(&mut first).unwrap();
    drop(stdout);
    let (code, stderr) = finish_within(child, Duration::from_secs(20));
    no_panic(&stderr);
    assert_ne!(code, 0, "a truncated listing is not a success");
    assert!(stderr.trim().is_empty(), "a closed pipe is quiet: {stderr}");
}

#[test]
fn a_fifo_named_yaml_is_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let connections = dir.path().join("connections");
    std::fs::create_dir_all(&connections).unwrap();
    std::fs::write(connections.join("a.yaml"), GOOD).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(connections.join("x.yaml"))
        .status()
        .unwrap();
    assert!(made.success());
    for target in [connections.clone(), connections.join("x.yaml")] {
        let out = dir.path().join("out.json");
        let child = provision()
            .args(["validate", "--format", "json"])
            .arg(&target)
            .into_command()
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (_, stderr) = finish_within(child, Duration::from_secs(20));
        no_panic(&stderr);
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let codes: Vec<&str> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["code"].as_str())
            .collect();
        assert_eq!(codes, ["P012"], "{report:#}");
        assert!(
            report["diagnostics"][0]["message"]
                .as_str()
                .unwrap()
                .contains("FIFO"),
            "{report:#}"
        );
    }
}

#[test]
fn symlink_loops_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let connections = dir.path().join("connections");
    std::fs::create_dir_all(connections.join("sub")).unwrap();
    std::fs::write(connections.join("sub/a.yaml"), GOOD).unwrap();
    std::os::unix::fs::symlink(".", connections.join("loop")).unwrap();
    std::os::unix::fs::symlink("..", connections.join("sub/up")).unwrap();
    let child = provision()
        .args(["validate", "--format", "json"])
        .arg(&connections)
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (code, stderr) = finish_within(child, Duration::from_secs(20));
    no_panic(&stderr);
    assert_eq!(code, 0, "{stderr}");
    let run = provision()
        .args(["validate", "--format", "json"])
        .arg(&connections)
        .run();
    let report = run.json();
    assert_eq!(report["summary"]["files"], 1, "{report:#}");
    let warned: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(warned, ["P013", "P013"], "{report:#}");
}

#[test]
fn aliases_of_a_huge_scalar_stop_at_the_byte_budget() {
    // Found in review: a 1 MiB file, a 1 MB anchored scalar and 9,000 aliases
    // took 2.8 GB. Now it stops at the second alias.
    let mut text = format!("a: &big \"{}\"\nb: [", "x".repeat(1_000_000));
    text.push_str(&vec!["*big"; 9_000].join(","));
    text.push_str("]\n");
    assert!(text.len() < 1024 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("amp.yaml");
    std::fs::write(&file, &text).unwrap();
    let child = provision()
        .args(["validate", "--format", "json"])
        .arg(&file)
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(20));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let d = &report["diagnostics"][0];
    assert_eq!(d["code"], "P006", "{report:#}");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(2), Some(10))
    );
    assert!(d["message"].as_str().unwrap().contains("bytes"), "{d:#}");
}

#[test]
fn sarif_columns_are_declared_as_code_points() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "näme: x\n").unwrap();
    let run = provision()
        .args(["validate", "--format", "sarif"])
        .arg(dir.path())
        .run();
    assert_eq!(run.json()["runs"][0]["columnKind"], "unicodeCodePoints");
}

#[test]
fn the_caret_lands_on_its_token_after_a_secret_on_the_line_is_masked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "name: a\nsandbox: prod\ncloud: azure\nauth: {type: basic, server: s, port: 5432, database: d, username: u, password: hunter2hunter2, sslMode: nope}\n",
    )
    .unwrap();
    let run = provision()
        .arg("validate")
        .arg(dir.path())
        .run()
        .expect_code(1);
    let out = run.stdout();
    assert!(!out.contains("hunter2"), "{out}");
    let block = out
        .split("\n\n")
        .find(|b| b.contains("error[S104]"))
        .unwrap_or_else(|| panic!("{out}"));
    let lines: Vec<&str> = block.lines().collect();
    let shown = lines.iter().find(|l| l.starts_with("4 |")).unwrap();
    let caret = lines.iter().find(|l| l.contains('^')).unwrap();
    let (at, width) = (caret.find('^').unwrap(), caret.matches('^').count());
    assert_eq!(&shown[at..at + width], "nope", "{block}");
}
