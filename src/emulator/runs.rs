//! `/runs`: simulated flow runs, shaped like Adobe's monitoring tutorial
//! (help/sources/tutorials/api/monitor.md). A flow gets one run for each
//! time it is enabled (at creation or by `op=ENABLE`), made when runs are
//! next read and only if the flow is still enabled then: a disabled flow
//! gets none. Outcomes (succeeded, partially succeeded, failed) come from
//! the seed, the flow's creation order and its run number, so they repeat.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::gateway::Caller;
use super::objects::{self, id_of};
use super::{Shared, collections, listing, lock, problem};

/// Per flow: its creation order, whether a run is due, runs made so far.
#[derive(Debug, Default)]
pub(crate) struct RunBook {
    flows: HashMap<String, FlowRuns>,
    created: u64,
}

#[derive(Debug)]
struct FlowRuns {
    ordinal: u64,
    due: bool,
    made: u64,
}

/// A flow was created or changed state: enabling makes a run due,
/// disabling cancels one not yet made.
pub(crate) fn state_changed(shared: &Shared, flow_id: &str, enabled: bool) {
    let mut book = lock(&shared.runs);
    let next = book.created;
    let entry = book.flows.entry(flow_id.to_owned()).or_insert(FlowRuns {
        ordinal: next,
        due: false,
        made: 0,
    });
    entry.due = enabled;
    if entry.ordinal == next {
        book.created = next.saturating_add(1);
    }
}

/// The outcome of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Succeeded,
    PartiallySucceeded,
    Failed,
}

fn dice(seed: u64, ordinal: u64, run: u64) -> StdRng {
    let mixed = seed
        ^ ordinal.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ run.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    StdRng::seed_from_u64(mixed)
}

/// Makes the runs that are due for the caller's enabled flows.
pub(crate) fn materialize(shared: &Shared, caller: &Caller) {
    let mut objects = lock(&shared.objects);
    let scope = objects.scope(caller);
    let mut book = lock(&shared.runs);
    let mut made = Vec::new();
    for flow in &scope.flows {
        if flow.get("state").and_then(Value::as_str) != Some("enabled") {
            continue;
        }
        let Some(runs) = book.flows.get_mut(id_of(flow)) else {
            continue;
        };
        if !runs.due {
            continue;
        }
        runs.due = false;
        let mut rng = dice(shared.config.seed, runs.ordinal, runs.made);
        runs.made = runs.made.saturating_add(1);
        made.push(run(flow, caller, &mut rng));
    }
    let changed = !made.is_empty();
    scope.runs.extend(made);
    drop(book);
    drop(objects);
    if changed {
        objects::save(shared);
    }
}

fn run(flow: &Value, caller: &Caller, rng: &mut StdRng) -> Value {
    let roll: f64 = rng.random();
    let outcome = if roll < 0.6 {
        Outcome::Succeeded
    } else if roll < 0.85 {
        Outcome::PartiallySucceeded
    } else {
        Outcome::Failed
    };
    let input: u64 = rng.random_range(10..=1000);
    let (output, failed, status, errors) = match outcome {
        Outcome::Succeeded => (input, 0, "success", json!([])),
        Outcome::PartiallySucceeded => {
            let failed = rng.random_range(1..input);
            (
                input - failed,
                failed,
                "success",
                json!([{"code": "CONNECTOR-2001-500", "message": "Error occurred at promotion activity."}]),
            )
        }
        Outcome::Failed => (
            0,
            input,
            "failed",
            json!([{"code": "CONNECTOR-1001-500", "message": "Error occurred at copy activity."}]),
        ),
    };
    let bytes = input.saturating_mul(240);
    let id = uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string();
    let etag = format!(
        "\"{}\"",
        uuid::Builder::from_random_bytes(rng.random()).into_uuid()
    );
    let now = objects::now_ms();
    let started = now.saturating_sub(60_000);
    let row_errors = match outcome {
        Outcome::PartiallySucceeded => json!([
            {"code": "INGEST-1212-400", "message": format!("Encountered {failed} errors in the data. Successfully ingested {output} rows. Review the associated diagnostic files for additional details.")},
            {"code": "MAPPER-3700-400", "recordCount": failed, "message": "Mapper Transform Error"}
        ]),
        _ => json!([]),
    };
    let mut item = serde_json::Map::new();
    objects::stamp_new(&mut item, caller, &id, &etag);
    item.remove("version");
    item.insert("flowId".into(), json!(id_of(flow)));
    item.insert(
        "flowSpec".into(),
        flow.get("flowSpec").cloned().unwrap_or(Value::Null),
    );
    item.insert(
        "metrics".into(),
        json!({
            "durationSummary": {"startedAtUTC": started, "completedAtUTC": now},
            "sizeSummary": {"inputBytes": bytes, "outputBytes": output.saturating_mul(170)},
            "recordSummary": {"inputRecordCount": input, "outputRecordCount": output, "failedRecordCount": failed},
            "fileSummary": {"inputFileCount": 1, "outputFileCount": u64::from(output > 0), "activityRefs": ["promotionActivity"]},
            "statusSummary": {"status": status, "errors": errors, "activityRefs": ["promotionActivity"]}
        }),
    );
    item.insert(
        "activities".into(),
        json!([
            {"id": "copyActivity", "updatedAtUTC": now,
             "durationSummary": {"startedAtUTC": started, "completedAtUTC": now},
             "sizeSummary": {"inputBytes": bytes, "outputBytes": bytes},
             "recordSummary": {},
             "statusSummary": {"status": if outcome == Outcome::Failed { "failed" } else { "success" }}},
            {"id": "promotionActivity", "updatedAtUTC": now,
             "durationSummary": {"startedAtUTC": started, "completedAtUTC": now},
             "recordSummary": {"inputRecordCount": input, "outputRecordCount": output, "failedRecordCount": failed},
             "statusSummary": {"status": status, "errors": errors, "extensions": {"errors": row_errors}}}
        ]),
    );
    Value::Object(item)
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Response {
    let (listing, offset) = match listing::resolve(&shared, query.as_deref(), None) {
        Ok(resolved) => resolved,
        Err(answer) => return answer,
    };
    materialize(&shared, &caller);
    let runs = lock(&shared.objects).scope(&caller).runs.clone();
    collections::page(&shared, &listing, "/runs", &runs, offset)
}

pub(super) async fn get_one(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    materialize(&shared, &caller);
    let mut objects = lock(&shared.objects);
    match objects.scope(&caller).runs.iter().find(|r| id_of(r) == id) {
        Some(run) => Json(json!({"items": [run]})).into_response(),
        None => {
            let detail = format!("run `{id}` not found");
            problem::flow(404, "1439-404", "Not Found", &detail)
        }
    }
}
