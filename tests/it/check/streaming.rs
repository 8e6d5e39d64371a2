//! `provision check` prints each result as it completes (a fast
//! failure is on screen long before a slow one times out), then the summary
//! and the failures in key order; `--format json` and `--format github`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::util::provision;

fn doc(name: &str, port: u16) -> String {
    format!(
        "name: {name}\nsandbox: dev\ncloud: azure\nauth:\n  type: basic\n  server: 127.0.0.1\n  port: {port}\n  database: app\n  username: aep\n  password: ${{CHECK_PASSWORD}}\n  sslMode: Disable\n"
    )
}

/// `a-slow` accepts and never answers; `b-closed` refuses at once.
struct Servers {
    _silent: std::net::TcpListener,
    dir: tempfile::TempDir,
}

fn servers() -> Servers {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("connections")).unwrap();
    let slow = doc("a-slow", silent.local_addr().unwrap().port());
    std::fs::write(dir.path().join("connections/a.yaml"), slow).unwrap();
    std::fs::write(
        dir.path().join("connections/b.yaml"),
        doc("b-closed", closed_port),
    )
    .unwrap();
    Servers {
        _silent: silent,
        dir,
    }
}

#[test]
fn results_stream_as_they_complete() {
    let servers = servers();
    let mut child = provision()
        .current_dir(servers.dir.path())
        .env("CHECK_PASSWORD", "pw")
        .args(["check", "--timeout", "3"])
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        lines.push((start.elapsed(), line.unwrap()));
    }
    assert_eq!(child.wait().unwrap().code(), Some(1));
    let (first_at, first) = &lines[0];
    assert!(first.starts_with("FAIL  azure/dev/b-closed "), "{lines:?}");
    assert!(first.contains("refused: "), "{first}");
    let (slow_at, slow) = &lines[1];
    assert!(slow.starts_with("FAIL  azure/dev/a-slow "), "{lines:?}");
    assert!(slow.contains("timeout: "), "{slow}");
    assert!(
        *first_at < Duration::from_millis(2500) && *slow_at >= Duration::from_secs(3),
        "the refused line came at {first_at:?}, the timeout at {slow_at:?}"
    );
    // Both lines line up, though printed apart.
    assert_eq!(first.find("127.0.0.1"), slow.find("127.0.0.1"));
    let tail: Vec<&str> = lines[2..].iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(tail[0], "Check complete: 0 ok, 2 failed.");
    assert_eq!(tail[1], "Failed, in key order:");
    assert!(
        tail[2].starts_with("  azure/dev/a-slow    timeout: "),
        "{tail:?}"
    );
    assert!(
        tail[3].starts_with("  azure/dev/b-closed  refused: "),
        "{tail:?}"
    );
}

#[test]
fn json_and_github_formats() {
    let servers = servers();
    let run = |format: &str| {
        provision()
            .current_dir(servers.dir.path())
            .env("CHECK_PASSWORD", "pw")
            .args(["check", "--timeout", "1", "--format", format])
            .run()
            .expect_code(1)
    };
    let json = run("json");
    let value = json.json();
    assert_eq!(value["results"][0]["key"], "azure/dev/a-slow");
    assert_eq!(value["results"][1]["category"], "refused");
    assert_eq!(value["summary"]["failed"], 2);
    assert_eq!(
        json.stderr()
            .lines()
            .filter(|l| l.starts_with("FAIL "))
            .count(),
        2,
        "{}",
        json.stderr()
    );

    let github = run("github");
    let out = github.stdout();
    assert!(
        out.lines().any(|l| l.starts_with("::error file=connections/b.yaml,line=1,title=provision check%3A refused::azure/dev/b-closed (127.0.0.1:")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("::error file=connections/a.yaml,line=1,title=provision check%3A timeout::azure/dev/a-slow")),
        "{out}"
    );
    assert!(out.contains("Check complete: 0 ok, 2 failed.\n"), "{out}");
    // Config problems are annotations too.
    std::fs::write(servers.dir.path().join("connections/c.yaml"), "name: c\n").unwrap();
    let invalid = run("github");
    assert!(
        invalid
            .stdout()
            .starts_with("::error file=connections/c.yaml,line=1,col=1,title=provision S102::"),
        "{}",
        invalid.stdout()
    );
}
