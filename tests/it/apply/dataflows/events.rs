//! The JSON outputs with dataflows in them: every `apply --format json`
//! line of a create, an update, a replace and a prune validates against
//! `schema/apply-events.schema.json`, and `plan --format json` of each
//! against `schema/plan.schema.json`.

on_both_backends!(dataflow_json_outputs_validate_against_the_published_schemas);

use provision::emulator::EmulatorConfig;
use serde_json::Value;

use super::{Flow, base, world};
use crate::output_schemas::assert_valid;
use crate::support::world::{Backend, World};

/// `plan --format json` with `extra`, checked against the plan schema;
/// its dataflow steps by key.
fn plan(world: &World, extra: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["plan", "--format", "json"];
    args.extend_from_slice(extra);
    let run = world.run(&args).expect_code(0);
    let plan = run.json();
    assert_valid("plan.schema.json", &plan);
    plan["dataflows"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .map(|s| {
                    (
                        s["key"].as_str().unwrap().to_owned(),
                        s["action"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `apply --format json` with `extra`: every line checked against the
/// events schema; `key`'s planned change and finished events.
fn apply(world: &World, extra: &[&str], key: &str) -> Vec<String> {
    let mut args = vec!["apply", "--format", "json"];
    args.extend_from_slice(extra);
    let run = world.run(&args).expect_code(0);
    let lines: Vec<Value> = run
        .stdout()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    for line in &lines {
        assert_valid("apply-events.schema.json", line);
    }
    let text = run.stdout();
    assert!(text.contains(key), "{text}");
    // The plan is announced before it is carried out, dataflows included.
    let planned = lines
        .iter()
        .position(|l| l["type"] == "planned_change" && l["change"]["key"] == key);
    let started = lines
        .iter()
        .position(|l| l["type"] == "apply_start" && l["key"] == key);
    assert!(
        planned.is_some() && planned < started,
        "no planned_change for {key} before its start:\n{text}"
    );
    lines
        .iter()
        .filter(|l| {
            l.to_string().contains(key)
                && (l["type"] == "apply_complete" || l["type"] == "planned_change")
        })
        .map(|l| l.to_string())
        .collect()
}

fn dataflow_json_outputs_validate_against_the_published_schemas(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.write(&world);
    let key = flow.key();
    let step = |steps: Vec<(String, String)>| {
        steps
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, action)| action)
    };

    assert_eq!(step(plan(&world, &[])).as_deref(), Some("create"));
    let done = apply(&world, &[], &key);
    assert!(done.iter().any(|l| l.contains("\"created\"")), "{done:#?}");

    flow.description = Some("described again".into());
    flow.enabled = false;
    flow.mapping.push(("updated_at", "_acme.updatedAt"));
    flow.write(&world);
    assert_eq!(step(plan(&world, &[])).as_deref(), Some("update"));
    let done = apply(&world, &[], &key);
    assert!(done.iter().any(|l| l.contains("\"updated\"")), "{done:#?}");
    assert!(
        done.iter()
            .any(|l| l.contains("planned_change") && l.contains("\"field\":\"description\"")),
        "{done:#?}"
    );

    flow.table = "public.invoices".into();
    flow.columns = Some(vec!["invoice_id", "customer_name", "updated_at"]);
    flow.mapping = vec![("invoice_id", "_id")];
    flow.write(&world);
    assert_eq!(step(plan(&world, &[])).as_deref(), Some("replace"));
    let done = apply(&world, &[], &key);
    assert!(done.iter().any(|l| l.contains("\"replaced\"")), "{done:#?}");

    world.remove("connections/flows/orders-to-lake.yaml");
    assert_eq!(step(plan(&world, &["--prune"])).as_deref(), Some("delete"));
    let done = apply(&world, &["--prune"], &key);
    assert!(done.iter().any(|l| l.contains("\"deleted\"")), "{done:#?}");
    assert_eq!(step(plan(&world, &[])), None);
}
