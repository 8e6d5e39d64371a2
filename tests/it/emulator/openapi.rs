//! Adobe's OpenAPI files as the judge: every request the client sends in a
//! full run and every answer the emulator gives are recorded by the
//! emulator and checked by openapi-core (PyPI), a validator that is not
//! ours, through `tests/contract/openapi_check.py`, which picks Flow
//! Service's, Data Prep's or Catalog's file by path and whose commented
//! `EXCEPTIONS` list where a file is wrong or silent. Under
//! `PROVISION_CONTRACT_LOG=DIR` every emulator of the suite records too, and
//! `.ci/run` checks the whole suite's exchanges the same way.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use provision::api::wire::PatchOp;
use provision::api::{FlowService, ListQuery, Scope};
use provision::emulator::{EmulatorConfig, Exchange};
use serde_json::json;

use crate::support::util::root;
use crate::support::world::{ORG_AZURE, World};

/// The folder of Adobe's three files the suite checks against.
pub fn openapi_files() -> PathBuf {
    root().join("tests/contract")
}

/// `EmulatorConfig` that also appends its exchanges to a file in
/// `PROVISION_CONTRACT_LOG`, when that is set (`.ci/run` sets it).
pub fn journaled(mut config: EmulatorConfig) -> EmulatorConfig {
    if let Some(dir) = std::env::var_os("PROVISION_CONTRACT_LOG") {
        let dir = PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        let name = format!(
            "{}-{}.jsonl",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        config.exchange_log = Some(dir.join(name));
    }
    config
}

/// `python3` with openapi-core, or `None` with the reason on the terminal
/// past the harness's capture (a failure under `CI=true`).
fn validator(test: &str) -> Option<Command> {
    let probe = Command::new("python3")
        .args(["-c", "import openapi_core, yaml, werkzeug"])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        return Some(Command::new("python3"));
    }
    let why = format!(
        "{test}: python3 with openapi-core is not installed (pip install openapi-core pyyaml; .ci/run does it)"
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{why}, and CI=true requires it"
    );
    crate::support::util::say_on_terminal(&format!("SKIPPED {why}"));
    None
}

/// Another `python3` for a further check, once `validator` has found it.
fn python_again() -> Command {
    Command::new("python3")
}

fn check(python: Command, exchanges: &[Exchange]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("exchanges.jsonl");
    let lines: Vec<String> = exchanges
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let mut python = python;
    let out = python
        .arg(root().join("tests/contract/openapi_check.py"))
        .arg(openapi_files())
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

/// Every kind of call apply, plan, refresh, prune and adoption make, plus
/// the error answers the client meets (404, 412, 401 renewal, 5xx faults).
fn full_run() -> Vec<Exchange> {
    let world = World::new(EmulatorConfig {
        record_exchanges: true,
        ..EmulatorConfig::default()
    });
    world.connections(6);
    world.run(&["apply"]).expect_code(0);
    world.write(
        "connections/c0000.yaml",
        &crate::support::world::connection_yaml(0, "changed"),
    );
    world.write(
        "connections/c0001.yaml",
        &crate::support::world::connection_yaml(1, "generated").replace("5432", "5433"),
    );
    world.run(&["apply"]).expect_code(0);
    world.run(&["plan", "--refresh"]).expect_code(0);
    world.remove("connections/c0005.yaml");
    world.run(&["apply", "--prune"]).expect_code(0);
    world.lose_state();
    world.run(&["apply"]).expect_code(0);
    let client = world.client();
    let scope = Scope::new(ORG_AZURE, "prod");
    world.runtime.block_on(async {
        let _ = client.get(&scope, "no-such-id").await;
        let item = client
            .list(&scope, &ListQuery::new().page_size(1))
            .await
            .unwrap();
        let first = &item[0];
        let rename = [PatchOp::replace("/name", json!(first.name))];
        let _ = client.patch(&scope, &first.id, "\"stale\"", &rename).await;
        if let Some(emulator) = &world.emulator {
            emulator.revoke_tokens();
        }
        client.list(&scope, &ListQuery::new()).await.unwrap();
    });
    let mut all = world.emulator.as_ref().unwrap().exchanges();
    all.extend(faulty_run());
    all
}

/// Injected 5xx, 429 and dropped answers.
fn faulty_run() -> Vec<Exchange> {
    let world = World::new(EmulatorConfig {
        record_exchanges: true,
        fail_rate: 0.3,
        drop_after_commit_rate: 0.3,
        rate_limit: Some(30),
        seed: 11,
        ..EmulatorConfig::default()
    });
    world.connections(6);
    world.apply_until_done(&[], 6);
    world.wait(Duration::from_millis(10));
    world.emulator.as_ref().unwrap().exchanges()
}

#[test]
fn every_request_and_answer_of_a_full_run_matches_adobes_openapi() {
    let Some(python) = validator("every_request_and_answer_of_a_full_run_matches_adobes_openapi")
    else {
        return;
    };
    let exchanges = full_run();
    let methods: std::collections::BTreeSet<&str> =
        exchanges.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(
        methods.into_iter().collect::<Vec<_>>(),
        ["DELETE", "GET", "PATCH", "POST"]
    );
    for status in [200, 201, 204, 401, 404, 412] {
        assert!(
            exchanges.iter().any(|e| e.status == status),
            "no {status} in the run"
        );
    }
    let (ok, report) = check(python, &exchanges);
    assert!(ok, "{report}");
    assert!(
        report.contains(&format!("{} exchanges checked", exchanges.len())),
        "{report}"
    );
    eprintln!("{}", report.trim());
}

#[test]
fn the_contract_check_is_not_vacuous() {
    let Some(python) = validator("the_contract_check_is_not_vacuous") else {
        return;
    };
    let world = World::new(EmulatorConfig {
        record_exchanges: true,
        ..EmulatorConfig::default()
    });
    world.connections(1);
    world.run(&["apply"]).expect_code(0);
    world.run(&["plan", "--refresh"]).expect_code(0);
    let good = world.emulator.as_ref().unwrap().exchanges();
    let (ok, report) = check(python_again(), &good);
    assert!(ok, "{report}");
    let break_one = |f: &dyn Fn(&mut Exchange)| {
        let mut broken = good.clone();
        for e in broken.iter_mut() {
            f(e);
        }
        broken
    };
    let cases: [(&str, Vec<Exchange>); 3] = [
        (
            "x-api-key",
            break_one(&|e| e.request_headers.retain(|(n, _)| n != "x-api-key")),
        ),
        (
            "connectionSpec",
            break_one(&|e| {
                if e.method == "POST" {
                    e.request_body = Some(r#"{"name":"x"}"#.into());
                }
            }),
        ),
        (
            "is not of type 'integer'",
            break_one(&|e| {
                if let Some(body) = &e.response_body {
                    e.response_body =
                        Some(body.replace("\"createdAt\":", "\"createdAt\":\"soon\",\"was\":"));
                }
            }),
        ),
    ];
    let _ = python;
    for (expected, broken) in cases {
        let (ok, report) = check(python_again(), &broken);
        assert!(!ok && report.contains(expected), "{expected}: {report}");
    }
}

/// Each vendored OpenAPI file is byte for byte the one its row in
/// `tests/contract/SOURCES.md` names: the recorded SHA-256 must match.
#[test]
fn the_vendored_openapi_files_are_adobes() {
    use sha2::{Digest, Sha256};
    let sources = std::fs::read_to_string(root().join("tests/contract/SOURCES.md")).unwrap();
    let rows: Vec<(&str, &str)> = sources
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let file = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let hash = cells.get(3)?.strip_prefix('`')?.strip_suffix('`')?;
            file.ends_with(".openapi.yaml").then_some((file, hash))
        })
        .collect();
    assert_eq!(rows.len(), 3, "SOURCES.md lists the three files: {rows:?}");
    for (file, recorded) in rows {
        let bytes = std::fs::read(root().join("tests/contract").join(file)).unwrap();
        let actual: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            actual, recorded,
            "tests/contract/{file} differs from the recorded copy"
        );
    }
}
