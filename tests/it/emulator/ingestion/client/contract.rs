//! Adobe's three OpenAPI files judge every exchange of the client's walk
//! over the ingestion path (as `tests/it/emulator/openapi.rs` does for a
//! full run over base connections).

use std::process::Command;

use provision::emulator::Exchange;

use super::super::config;
use super::{delete_chain, walk};
use crate::support::api::{self as support, client, scope};
use crate::support::util::{root, say_on_terminal};

/// Adobe's three OpenAPI files judge `exchanges` (openapi-core, by
/// `tests/contract/openapi_check.py`); `None` when python3 lacks it (a
/// failure under `CI=true`).
fn judge(exchanges: &[Exchange]) -> Option<(bool, String)> {
    let probe = Command::new("python3")
        .args(["-c", "import openapi_core, yaml, werkzeug"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        let why = "python3 with openapi-core is not installed (pip install openapi-core pyyaml)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{why}, and CI=true requires it"
        );
        say_on_terminal(&format!("SKIPPED the client's contract check: {why}"));
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("client.jsonl");
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
    Some((out.status.success(), text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exchange_of_the_clients_ingestion_calls_matches_adobes_openapi() {
    let emulator = support::start(config()).await;
    let client = client(&emulator);
    let prod = scope("prod");
    let chain = walk(&client, &prod).await;
    delete_chain(&client, &prod, &chain).await;
    let exchanges = emulator.exchanges();
    for path in [
        "/sourceConnections",
        "/targetConnections",
        "/flows",
        "/action",
        "/flowSpecs",
        "/explore",
        "/mappingSets",
        "/dataSets",
    ] {
        assert!(
            exchanges.iter().any(|e| e.path.contains(path)),
            "no exchange with {path}"
        );
    }
    let methods: std::collections::BTreeSet<&str> =
        exchanges.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(
        methods.into_iter().collect::<Vec<_>>(),
        ["DELETE", "GET", "PATCH", "POST", "PUT"]
    );
    let Some((ok, report)) = tokio::task::spawn_blocking(move || judge(&exchanges))
        .await
        .unwrap()
    else {
        return;
    };
    assert!(ok, "{report}");
    say_on_terminal(&format!("client: {}", report.trim()));
    for file in ["flow-service", "data-prep", "catalog"] {
        assert!(
            report.contains(&format!("{file}.openapi.yaml")),
            "{file} judged nothing: {report}"
        );
    }
}
