//! A dataflow's `schedule` beyond its schema: which keys each frequency
//! takes (`once` runs one time, so no `interval` and no `backfill`; every
//! other frequency needs an `interval`, at least 15 for `minute`) and a
//! `start` that is an RFC 3339 date-time. Read from the nodes, so the
//! rules report even when the schema failed elsewhere in the document.

use std::path::Path;

use crate::config::Frequency;
use crate::config::dataflow::parse_rfc3339;
use crate::config::load::{Node, NodeValue};
use crate::diagnostic::{Code, Diagnostic};

/// The frequency written, when it is one.
fn frequency(node: &Node) -> Option<Frequency> {
    let NodeValue::String(word) = &node.value else {
        return None;
    };
    [
        Frequency::Once,
        Frequency::Minute,
        Frequency::Hour,
        Frequency::Day,
        Frequency::Week,
    ]
    .into_iter()
    .find(|f| f.as_str() == word)
}

/// V219 and V220 for the document's `schedule`.
pub(super) fn check_schedule(path: &Path, index: usize, doc: &Node, out: &mut Vec<Diagnostic>) {
    let Some(schedule) = doc.get("schedule") else {
        return;
    };
    if let Some(start) = schedule.get("start") {
        check_start(path, index, start, out);
    }
    let Some(freq_node) = schedule.get("frequency") else {
        return;
    };
    let Some(freq) = frequency(freq_node) else {
        return;
    };
    let error = |node: &Node, key: &str, message: String, help: String| {
        Diagnostic::error(Code::Schedule, path, node.pos, message)
            .in_document(index, format!("/schedule/{key}"))
            .with_help(help)
    };
    let interval = schedule.get("interval");
    if freq == Frequency::Once {
        for key in ["interval", "backfill"] {
            if let Some(node) = schedule.get(key) {
                out.push(error(
                    node,
                    key,
                    format!("`{key}` is not allowed with `frequency: once`: a once flow runs one time, at `start`"),
                    format!("remove `{key}`, or choose a repeating `frequency` (minute, hour, day, week)"),
                ));
            }
        }
        return;
    }
    let unit = freq.as_str();
    let min = freq.min_interval();
    let Some(node) = interval else {
        out.push(error(
            freq_node,
            "interval",
            format!(
                "`frequency: {unit}` needs an `interval`: expected how many {unit}s between runs"
            ),
            format!(
                "add `interval: {min}` under `schedule` (every {min} {unit}{})",
                if min == 1 { "" } else { "s" }
            ),
        ));
        return;
    };
    // Below 1 is the schema's range error already (S105).
    let value = match node.value {
        NodeValue::Int(n) => n,
        NodeValue::UInt(n) => i64::try_from(n).unwrap_or(i64::MAX),
        // `15.0` is the integer 15 to the schema, as to YAML readers.
        NodeValue::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => f as i64,
        _ => return,
    };
    if (1..i64::from(min)).contains(&value) {
        out.push(error(
            node,
            "interval",
            format!(
                "`interval` {value} is too short for `frequency: {unit}`: expected at least {min}"
            ),
            format!(
                "the platform runs a flow at most every {min} {unit}s: write `interval: {min}` or more"
            ),
        ));
    }
}

/// V220: `start` is RFC 3339 with a time zone.
fn check_start(path: &Path, index: usize, node: &Node, out: &mut Vec<Diagnostic>) {
    let NodeValue::String(start) = &node.value else {
        return;
    };
    if let Err(why) = parse_rfc3339(start) {
        out.push(
            Diagnostic::error(
                Code::ScheduleStart,
                path,
                node.pos,
                format!(
                    "`start` `{}` is not an RFC 3339 date-time: {why}",
                    start.escape_debug()
                ),
            )
            .in_document(index, "/schedule/start")
            .with_help(
                "e.g. `start: 2026-12-01T00:00:00Z` (UTC) or `start: 2026-12-01T01:00:00+01:00`",
            ),
        );
    }
}
