//! The emulator's seeding from the command line: `--dataset`, `--fixtures`
//! and `--explore FILE` on `provision emulator`, and the project's
//! `emulator.yaml` for in-process `--emulator` runs.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use super::*;
use crate::support::util::{provision, root};

const FIXTURES: &str = "datasets:\n  - name: Orders\n    schema: https://ns.adobe.com/acme/schemas/orders\nexplore:\n  tables:\n    - path: public.orders\n      columns:\n        - { name: order_id, type: integer }\n";

/// A running `provision emulator` and its base URL; killed on drop.
struct Running(Child, String);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn emulator(args: &[&str]) -> Running {
    let mut child = provision()
        .args([
            "emulator",
            "--port",
            "0",
            "--client-secret",
            support::CANARY,
        ])
        .args(args)
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Running(child, line.trim().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_command_seeds_datasets_and_explore_from_flags_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("fixtures.yaml");
    std::fs::write(&fixtures, FIXTURES).unwrap();
    let tables = dir.path().join("tables.yaml");
    std::fs::write(&tables, "explore:\n  tables:\n    - path: sales.invoices\n").unwrap();
    let running = emulator(&[
        "--fixtures",
        fixtures.to_str().unwrap(),
        "--dataset",
        "Invoices=https://ns.adobe.com/acme/schemas/invoices",
        "--explore",
        tables.to_str().unwrap(),
    ]);
    let api = Api {
        url: running.1.clone(),
        headers: headers(&support::token(&running.1).await, "prod"),
    };
    let (_, all) = api
        .get(&format!("{CATALOG}/dataSets?properties=name"))
        .await;
    let mut names: Vec<&str> = all
        .as_object()
        .unwrap()
        .values()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Invoices", "Orders"]);
    let (base, _) = api
        .create(&format!("{FLOW}/connections"), base_body("db"))
        .await;
    let (_, root) = api
        .get(&format!(
            "{FLOW}/connections/{base}/explore?objectType=root"
        ))
        .await;
    assert_eq!(
        root[0]["path"], "sales.invoices",
        "--explore FILE wins over --fixtures' tables"
    );
}

#[test]
fn a_bad_fixture_file_stops_the_emulator_with_its_name_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "datasets:\n  - name: Orders\n    shema: s\n").unwrap();
    let out = provision()
        .args(["emulator", "--port", "0", "--fixtures"])
        .arg(&bad)
        .run();
    assert_ne!(out.code(), 0);
    assert!(
        out.stderr().contains("bad.yaml") && out.stderr().contains("shema"),
        "{}",
        out.stderr()
    );
    let out = provision()
        .args(["emulator", "--port", "0", "--dataset", "no-equals-sign"])
        .run();
    assert_ne!(out.code(), 0);
    assert!(out.stderr().contains("NAME=SCHEMA_ID"), "{}", out.stderr());
}

#[test]
fn in_process_runs_read_the_projects_emulator_yaml() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("connections"), &dir.path().join("connections"));
    std::fs::write(dir.path().join("emulator.yaml"), FIXTURES).unwrap();
    provision()
        .current_dir(dir.path())
        .args(["plan", "connections/", "--emulator"])
        .run()
        .expect_code(0);
    std::fs::write(dir.path().join("emulator.yaml"), "datasets: {}\n").unwrap();
    let out = provision()
        .current_dir(dir.path())
        .args(["plan", "connections/", "--emulator"])
        .run();
    assert_ne!(out.code(), 0);
    assert!(out.stderr().contains("emulator.yaml"), "{}", out.stderr());
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The example in docs/reference/emulator-fixtures.md is a valid fixture
/// file, and every flag the page names exists.
#[test]
fn the_documented_fixture_example_is_valid_and_its_flags_exist() {
    let page = std::fs::read_to_string(root().join("docs/reference/emulator-fixtures.md")).unwrap();
    let block = page
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let fixtures = provision::emulator::Fixtures::parse(block).unwrap();
    assert_eq!(fixtures.datasets[0].name, "Orders");
    assert_eq!(fixtures.explore.unwrap().tables[0].columns.len(), 3);
    let help = provision()
        .args(["emulator", "--help"])
        .run()
        .expect_code(0)
        .stdout();
    for flag in [
        "--fixtures",
        "--dataset",
        "--explore",
        "--data",
        "--seed",
        "--list-lag-ms",
    ] {
        assert!(page.contains(flag) && help.contains(flag), "{flag}");
    }
}
