//! Adobe's own Python client (aepp, pinned in `.ci/run`) walks Adobe's
//! database tutorial against the emulator (`aepp_tutorial.py` beside this
//! file), reading back everything it writes; then Adobe's three OpenAPI
//! files judge every exchange of that walk. Without aepp the test is a
//! visible skip locally and a failure under `CI=true`.

use std::process::Command;

use provision::emulator::Exchange;

use super::*;
use crate::support::util::{root, say_on_terminal, skip_reason};

/// The aepp version `.ci/run` installs.
const AEPP: &str = "0.6.0";

/// `python3` with aepp (and, for the judging, openapi-core), or `None`
/// after saying why.
fn python(with_openapi: bool) -> Option<()> {
    let mut probe = format!("import aepp; assert aepp.__version__ == '{AEPP}', aepp.__version__");
    if with_openapi {
        probe.push_str("; import openapi_core, yaml, werkzeug");
    }
    let ok = Command::new("python3")
        .args(["-c", &probe])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(());
    }
    let missing = if with_openapi {
        format!("aepp {AEPP} with openapi-core")
    } else {
        format!("aepp {AEPP}")
    };
    let ci = std::env::var("CI").as_deref() == Ok("true");
    match skip_reason("aepp walks the tutorial", &[&missing], ci) {
        Ok(Some(reason)) => {
            say_on_terminal(&reason);
            None
        }
        Ok(None) => Some(()),
        Err(failure) => panic!("{failure}"),
    }
}

fn judge(exchanges: &[Exchange]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("aepp.jsonl");
    let lines: Vec<String> = exchanges
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let out = Command::new("python3")
        .arg(root().join("tests/contract/openapi_check.py"))
        .arg(root().join("tests/contract"))
        .arg(&log)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adobes_client_walks_the_database_tutorial_and_reads_back_what_it_wrote() {
    if python(true).is_none() {
        return;
    }
    let (emulator, api) = Api::start(config()).await;
    let url = api.url.clone();
    let script = root().join("tests/it/emulator/ingestion/aepp_tutorial.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .args([&url, support::ORG, "Orders", SCHEMA, "public.orders"])
            .env("AEPP_CLIENT_SECRET", support::CANARY)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("AEPP-TUTORIAL "))
        .unwrap_or_else(|| panic!("no result line\n{stdout}\n{stderr}"));
    let result: Value = serde_json::from_str(line).unwrap();
    let checks = result["checks"].as_array().unwrap();
    let failed: Vec<&Value> = checks.iter().filter(|c| c["ok"] != true).collect();
    assert!(failed.is_empty(), "{failed:#?}\n{stderr}");
    assert!(checks.len() >= 40, "the walk stopped early: {checks:#?}");
    let exchanges = emulator.exchanges();
    for path in [
        "/sourceConnections",
        "/targetConnections",
        "/flows",
        "/runs",
        "/explore",
        "/mappingSets",
        "/dataSets",
    ] {
        assert!(
            exchanges.iter().any(|e| e.path.contains(path)),
            "no exchange with {path}"
        );
    }
    let (ok, report) = judge(&exchanges);
    assert!(ok, "{report}");
    for file in ["flow-service", "data-prep", "catalog"] {
        assert!(
            report.contains(&format!("{file}.openapi.yaml")),
            "{file} judged nothing: {report}"
        );
    }
    say_on_terminal(&format!(
        "aepp {AEPP}: {} checks passed; {}",
        checks.len(),
        report.trim()
    ));
}

#[test]
fn the_judge_catches_a_broken_ingestion_answer() {
    if python(true).is_none() {
        return;
    }
    let broken = |path: &str, status: u16, body: &str| Exchange {
        method: "GET".into(),
        path: path.into(),
        query: None,
        request_headers: vec![
            ("user-agent".into(), "provision/test".into()),
            ("authorization".into(), "Bearer x".into()),
            ("x-api-key".into(), "k".into()),
            ("x-gw-ims-org-id".into(), "o".into()),
            ("x-sandbox-name".into(), "prod".into()),
        ],
        request_body: None,
        status,
        response_headers: vec![("content-type".into(), "application/json".into())],
        response_body: Some(body.into()),
    };
    let cases = [
        (
            broken(
                &format!("{FLOW}/flows"),
                200,
                r#"{"items":[{"createdAt":"soon"}]}"#,
            ),
            "flows",
        ),
        (
            broken(&format!("{PREP}/mappingSets"), 200, r#"{"data":"none"}"#),
            "mappingSets",
        ),
        (
            broken(
                &format!("{CATALOG}/dataSets"),
                200,
                r#"{"a":{"created":"soon"}}"#,
            ),
            "dataSets",
        ),
        (
            broken(
                &format!("{FLOW}/connections/x/explore"),
                200,
                r#"{"format":"flat"}"#,
            ),
            "explore",
        ),
        (
            broken(&format!("{FLOW}/nowhere"), 200, "{}"),
            "not an operation",
        ),
    ];
    for (exchange, expected) in cases {
        let (ok, report) = judge(&[exchange]);
        assert!(!ok && report.contains(expected), "{expected}: {report}");
    }
}
