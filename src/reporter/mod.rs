//! Renderers of a run's events, one per output format: the library emits
//! events, these turn them into lines on the terminal (the only writers
//! besides the commands and `lib::run`).

mod apply_json;
mod apply_text;
mod dataflow_doc;
mod import_doc;
mod schema;
mod smoke_doc;
mod state_doc;
mod validate_doc;

pub(crate) use apply_json::ApplyJson;
pub(crate) use apply_text::{ApplyText, diagnostic_line};
pub(crate) use import_doc::ImportDocument;
pub(crate) use smoke_doc::SmokeDocument;
pub(crate) use state_doc::{StateList, StateShow};

use serde::Serialize;

use crate::check::CheckDocument;
use crate::plan::Plan;

/// A JSON document as printed: pretty, with a trailing newline, and safe
/// for a terminal (see [`crate::escape::json_safe`]).
pub(crate) fn json_document<T: Serialize>(document: &T) -> String {
    let text = serde_json::to_string_pretty(document).unwrap_or_default();
    crate::escape::json_safe(&text).into_owned() + "\n"
}

/// Every JSON output's schema: (file name, committed text).
pub(crate) fn output_schemas() -> Vec<(&'static str, String)> {
    vec![
        (
            apply_json::APPLY_EVENTS_SCHEMA_FILE,
            schema::text(&apply_json::apply_events_schema()),
        ),
        (
            "check.schema.json",
            schema::text(&schema::generate::<CheckDocument>(
                "urn:provision:schema:check",
                "`provision check --format json`: each connection's probe and the counts. \
                 When the config is invalid nothing is probed, and the document is `validate`'s.",
            )),
        ),
        (
            "env-list.schema.json",
            schema::text(&schema::generate::<crate::workspace::EnvList>(
                "urn:provision:schema:env-list",
                "`provision env list --format json`: the environments of the settings, in order.",
            )),
        ),
        (
            "import.schema.json",
            schema::text(&schema::generate::<ImportDocument>(
                "urn:provision:schema:import",
                "`provision import --format json` (with or without `--dry-run`).",
            )),
        ),
        (
            "plan.schema.json",
            schema::text(&schema::generate::<Plan>(
                "urn:provision:schema:plan",
                "`provision plan --format json` and the plan file `plan --out` saves (no secret in it).",
            )),
        ),
        (
            "plan-all-envs.schema.json",
            schema::text(&schema::generate::<crate::plan::environments::AllEnvsPlan>(
                "urn:provision:schema:plan-all-envs",
                "`provision plan --all-envs --format json`: each environment's plan (or error), in settings order.",
            )),
        ),
        (
            "smoke.schema.json",
            schema::text(&schema::generate::<SmokeDocument>(
                "urn:provision:schema:smoke",
                "`provision smoke --format json`: each step, observed against assumed.",
            )),
        ),
        (
            "state-list.schema.json",
            schema::text(&schema::generate::<StateList>(
                "urn:provision:schema:state-list",
                "`provision state list --format json`: the recorded connections, pending creates and dataflows.",
            )),
        ),
        (
            "state-show.schema.json",
            schema::text(&schema::generate::<StateShow>(
                "urn:provision:schema:state-show",
                "`provision state show --format json`: one recorded connection, pending create or dataflow.",
            )),
        ),
        (
            "validate.schema.json",
            schema::text(&schema::generate::<validate_doc::ValidateDocument>(
                "urn:provision:schema:validate",
                "`provision validate --format json` (and `check --format json` on an invalid config).",
            )),
        ),
    ]
}
