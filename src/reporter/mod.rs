//! Renderers of a run's events, one per output format: the library emits
//! events, these turn them into lines on the terminal (the only writers
//! besides the commands and `lib::run`).

mod apply_json;
mod apply_text;
mod schema;

pub(crate) use apply_json::ApplyJson;
pub(crate) use apply_text::ApplyText;

/// Every JSON output's schema: (file name, committed text).
pub(crate) fn output_schemas() -> Vec<(&'static str, String)> {
    vec![(
        apply_json::APPLY_EVENTS_SCHEMA_FILE,
        schema::text(&apply_json::apply_events_schema()),
    )]
}
