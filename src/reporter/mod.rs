//! Renderers of a run's events, one per output format: the library emits
//! events, these turn them into lines on the terminal (the only writers
//! besides the commands and `lib::run`).

mod apply_json;
mod apply_text;
mod schema;

pub(crate) use apply_json::ApplyJson;
pub(crate) use apply_text::ApplyText;
pub(crate) use schema::outputs as output_schemas;
