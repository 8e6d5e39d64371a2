//! Writes an imported dataflow as YAML in the style of the project's own
//! example: the schema modeline, a provenance comment, flow mappings for
//! short entries, and scalars that read back as exactly the strings read.

use std::fmt::Write as _;

use super::render::scalar;
use crate::config::{Dataflow, DatasetRef};

/// `[a, b]` of scalars.
fn flow_list(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| scalar(v)).collect();
    format!("[{}]", items.join(", "))
}

/// The whole file. Dataflow documents are not interpolated, so values are
/// written as they are (no `$${` escape).
pub(crate) fn dataflow_yaml(doc: &Dataflow, modeline: &str, flow_id: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# yaml-language-server: $schema={modeline}");
    let safe_id: String = flow_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let _ = writeln!(out, "# imported by `provision import` from flow {safe_id}");
    out.push_str("kind: dataflow\n");
    let _ = writeln!(out, "name: {}", scalar(&doc.name));
    if let Some(description) = &doc.description {
        let _ = writeln!(out, "description: {}", scalar(description));
    }
    if !doc.sandbox.is_empty() {
        let _ = writeln!(out, "sandbox: {}", scalar(&doc.sandbox));
    }
    let _ = writeln!(out, "cloud: {}", doc.cloud);
    if let Some(environments) = &doc.environments {
        let _ = writeln!(out, "environments: {}", flow_list(environments));
    }
    out.push_str("source:\n");
    let _ = writeln!(out, "  connection: {}", scalar(&doc.source.connection));
    let _ = writeln!(out, "  table: {}", scalar(&doc.source.table));
    if let Some(columns) = &doc.source.columns {
        let _ = writeln!(out, "  columns: {}", flow_list(columns));
    }
    out.push_str("target:\n");
    let _ = match &doc.target.dataset {
        DatasetRef::Name(name) => writeln!(out, "  dataset: {{ name: {} }}", scalar(name)),
        DatasetRef::Id(id) => writeln!(out, "  dataset: {{ id: {} }}", scalar(id)),
    };
    if let Some(schema) = &doc.target.schema {
        let _ = writeln!(out, "  schema: {}", scalar(schema));
    }
    out.push_str("mapping:\n");
    for entry in &doc.mapping {
        let (key, value) = match (&entry.source, &entry.expression) {
            (_, Some(expression)) => ("expression", expression),
            (Some(source), None) => ("source", source),
            (None, None) => continue,
        };
        let _ = writeln!(
            out,
            "  - {{ {key}: {}, destination: {} }}",
            scalar(value),
            scalar(&entry.destination)
        );
    }
    if let Some(delta) = &doc.delta {
        let mut fields = vec![format!("column: {}", scalar(&delta.column))];
        if let Some(format) = &delta.date_format {
            fields.push(format!("dateFormat: {}", scalar(format)));
        }
        if let Some(zone) = &delta.timezone {
            fields.push(format!("timezone: {}", scalar(zone)));
        }
        let _ = writeln!(out, "delta: {{ {} }}", fields.join(", "));
    }
    out.push_str("schedule:\n");
    let schedule = &doc.schedule;
    let _ = writeln!(out, "  frequency: {}", schedule.frequency.as_str());
    if let Some(interval) = schedule.interval {
        let _ = writeln!(out, "  interval: {interval}");
    }
    if let Some(start) = &schedule.start {
        // RFC 3339 from `format_unix`: a plain timestamp.
        let _ = writeln!(out, "  start: {start}");
    }
    if let Some(backfill) = schedule.backfill {
        let _ = writeln!(out, "  backfill: {backfill}");
    }
    if !doc.enabled {
        out.push_str("enabled: false\n");
    }
    out
}
