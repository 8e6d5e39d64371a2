//! The result of a check run as a value: one outcome per connection and per
//! dataflow, rendered as text lines or one JSON document. Rendering returns
//! strings and values; printing them is the commands' and the reporter's job.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use super::dataflow::{DataflowOutcome, DataflowStatus};
use super::outcome::{Columns, Outcome, escape_data, escape_property};
use crate::config::ConnectionKey;

impl DataflowOutcome {
    /// Its text: a line with status, key, table and connection, then one
    /// indented `file:line: message` line per problem (no final newline).
    pub(crate) fn text_lines(&self, columns: &Columns) -> String {
        let status = match self.status {
            DataflowStatus::Ok => "ok",
            DataflowStatus::Failed => "FAIL",
            DataflowStatus::NotChecked => "skip",
        };
        let width = columns.key;
        let mut out = format!(
            "{status:<4}  {:<width$}  {} through {}",
            self.key.to_string(),
            self.table,
            self.connection
        );
        if let Some(reason) = &self.reason {
            let _ = write!(out, "  not checked: {reason}");
        }
        for p in &self.problems {
            let _ = write!(out, "\n      {}:{}: {}", p.file, p.line, p.message);
        }
        out
    }

    /// GitHub Actions lines: an `::error` annotation per problem at its
    /// file and line, a `::notice` for a dataflow not checked.
    pub(crate) fn github_lines(&self, columns: &Columns) -> String {
        if self.problems.is_empty() {
            let line = self.text_lines(columns);
            return match &self.reason {
                Some(reason) => format!(
                    "{line}\n::notice file={},title={}::{}",
                    escape_property(&self.file),
                    escape_property("provision check: dataflow not checked"),
                    escape_data(&format!("{}: {reason}", self.key))
                ),
                None => line,
            };
        }
        self.problems
            .iter()
            .map(|p| {
                format!(
                    "::error file={},line={},title={}::{}",
                    escape_property(&p.file),
                    p.line,
                    escape_property("provision check: dataflow"),
                    escape_data(&format!("{}: {}", self.key, p.message))
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// One line of a run as it becomes known: a connection's, or a dataflow's.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Line<'a> {
    Connection(&'a Outcome),
    Dataflow(&'a DataflowOutcome),
}

impl Line<'_> {
    /// Its text (the dataflow's problems on lines of their own).
    pub(crate) fn text(&self, columns: &Columns) -> String {
        match self {
            Line::Connection(outcome) => outcome.text_line(columns),
            Line::Dataflow(outcome) => outcome.text_lines(columns),
        }
    }

    /// Its GitHub Actions lines; `places` says where each connection is
    /// written.
    pub(crate) fn github(&self, columns: &Columns, places: &Places) -> String {
        match self {
            Line::Connection(outcome) => {
                let place = places.get(&outcome.key).map(|(f, l)| (f.as_path(), *l));
                outcome.github_line(columns, place)
            }
            Line::Dataflow(outcome) => outcome.github_lines(columns),
        }
    }
}

/// Where each connection is written (file, line of its document).
pub(crate) type Places = HashMap<ConnectionKey, (PathBuf, u32)>;

/// Every outcome of a run, in key order.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct CheckReport {
    pub outcomes: Vec<Outcome>,
    pub dataflows: Vec<DataflowOutcome>,
}

/// `check --format json`: every outcome in key order and the counts.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CheckDocument<'a> {
    /// The version of this document's format (1 had no such field and
    /// named fields in camelCase).
    format_version: u32,
    results: &'a [Outcome],
    /// One per dataflow: its table looked at through its base connection.
    dataflows: &'a [DataflowOutcome],
    summary: Summary,
    /// What a check proves and what it cannot (see [`REACH_NOTE`]).
    note: &'static str,
}

/// How many connections answered, and how many did not.
#[derive(Debug, Serialize, JsonSchema)]
struct Summary {
    ok: usize,
    failed: usize,
    /// Connections whose password was offered without TLS.
    #[serde(default)]
    unencrypted: usize,
    /// The dataflows' outcomes.
    dataflows: DataflowSummary,
}

/// How many dataflows' tables were as described, how many were not, and
/// how many could not be looked at.
#[derive(Debug, Serialize, JsonSchema)]
struct DataflowSummary {
    ok: usize,
    failed: usize,
    not_checked: usize,
}

/// What a check proves, and what it cannot: it connects from where it runs,
/// the platform from Adobe's addresses.
pub(crate) const REACH_NOTE: &str = "checked from this machine: this proves the servers accept these credentials from here, not that Experience Platform can reach them; the platform connects from Adobe's addresses, which each server's firewall must allow (Adobe's \"IP address allow list\" page for source connectors: https://experienceleague.adobe.com/en/docs/experience-platform/sources/ip-address-allow-list)";

/// The format version of `check --format json`.
const FORMAT_VERSION: u32 = 2;

impl CheckReport {
    pub(crate) fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| !o.is_ok()).count()
    }

    pub(crate) fn passed(&self) -> usize {
        self.outcomes.len() - self.failed()
    }

    /// Dataflows with `status`.
    pub(crate) fn dataflows_with(&self, status: DataflowStatus) -> usize {
        self.dataflows.iter().filter(|d| d.status == status).count()
    }

    /// Whether anything failed: a connection or a dataflow's table.
    pub(crate) fn any_failed(&self) -> bool {
        self.failed() > 0 || self.dataflows_with(DataflowStatus::Failed) > 0
    }

    /// Outcomes whose password was offered without TLS.
    pub(crate) fn unencrypted(&self) -> usize {
        self.outcomes.iter().filter(|o| o.warning.is_some()).count()
    }

    /// `Check complete: 2 ok, 1 failed.`, and a loud line when a password
    /// crossed the network without TLS.
    pub(crate) fn summary_line(&self) -> String {
        let mut line = format!(
            "Check complete: {} ok, {} failed.",
            self.passed(),
            self.failed()
        );
        if !self.dataflows.is_empty() {
            line.pop();
            let _ = write!(
                line,
                "; dataflows: {} ok, {} failed, {} not checked.",
                self.dataflows_with(DataflowStatus::Ok),
                self.dataflows_with(DataflowStatus::Failed),
                self.dataflows_with(DataflowStatus::NotChecked)
            );
        }
        let unencrypted = self.unencrypted();
        if unencrypted > 0 {
            let _ = write!(
                line,
                "\nWARNING: {unencrypted} connection(s) offered the password without TLS (see the lines above)."
            );
        }
        line
    }

    /// What the check cannot prove, the last line of a text report.
    pub(crate) fn note_line(&self) -> String {
        format!("Note: {REACH_NOTE}.")
    }

    /// One line per connection: status, key, endpoint, TLS policy, time, and
    /// for a failure `category: message`.
    pub(crate) fn render_text(&self) -> String {
        let keys = self.dataflows.iter().map(|d| d.key.to_string().len());
        let columns = Columns::of(&[], &self.outcomes).with_keys(keys);
        self.outcomes
            .iter()
            .map(|o| o.text_line(&columns) + "\n")
            .chain(self.dataflows.iter().map(|d| d.text_lines(&columns) + "\n"))
            .collect()
    }

    /// The failures again, in key order, after a run whose lines came in
    /// completion order; empty when none failed or there was one line.
    pub(crate) fn failures_in_order(&self) -> String {
        let failed: Vec<&Outcome> = self.outcomes.iter().filter(|o| !o.is_ok()).collect();
        let failed_flows: Vec<&DataflowOutcome> =
            self.dataflows.iter().filter(|d| d.is_failed()).collect();
        if (failed.is_empty() && failed_flows.is_empty())
            || self.outcomes.len() + self.dataflows.len() < 2
        {
            return String::new();
        }
        let width = failed
            .iter()
            .map(|o| o.key.to_string().len())
            .chain(failed_flows.iter().map(|d| d.key.to_string().len()))
            .max()
            .unwrap_or(0);
        let mut out = String::from("Failed, in key order:\n");
        for o in failed {
            if let (Some(category), Some(message)) = (o.category, &o.message) {
                let _ = writeln!(
                    out,
                    "  {:<width$}  {category}: {message}",
                    o.key.to_string()
                );
            }
        }
        for d in failed_flows {
            for p in &d.problems {
                let _ = writeln!(
                    out,
                    "  {:<width$}  {}:{}: {}",
                    d.key.to_string(),
                    p.file,
                    p.line,
                    p.message
                );
            }
        }
        out
    }

    /// `{"format_version": 2, "results": [...], "summary": {"ok": n, "failed": n}}`,
    /// for the reporter to print.
    pub(crate) fn document(&self) -> CheckDocument<'_> {
        CheckDocument {
            format_version: FORMAT_VERSION,
            results: &self.outcomes,
            dataflows: &self.dataflows,
            summary: Summary {
                ok: self.passed(),
                failed: self.failed(),
                unencrypted: self.unencrypted(),
                dataflows: DataflowSummary {
                    ok: self.dataflows_with(DataflowStatus::Ok),
                    failed: self.dataflows_with(DataflowStatus::Failed),
                    not_checked: self.dataflows_with(DataflowStatus::NotChecked),
                },
            },
            note: REACH_NOTE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::failure::{Category, Failure};
    use super::*;

    fn outcome(key: &str, failure: Option<Failure>) -> Outcome {
        Outcome {
            key: key.parse().unwrap(),
            endpoint: "127.0.0.1:5432/orders".into(),
            tls: "verify-full".into(),
            status: if failure.is_some() { "failed" } else { "ok" },
            category: failure.as_ref().map(|f| f.category),
            message: failure.map(|f| f.message),
            elapsed_ms: 12,
            warning: None,
        }
    }

    #[test]
    fn renders_text_and_json() {
        let report = CheckReport {
            outcomes: vec![
                outcome("azure/dev/a", None),
                outcome(
                    "azure/dev/bb",
                    Some(Failure::new(
                        Category::Auth,
                        "password authentication failed",
                    )),
                ),
            ],
            dataflows: Vec::new(),
        };
        let text = report.render_text();
        assert!(text.starts_with("ok    azure/dev/a "), "{text}");
        assert!(text.contains("FAIL  azure/dev/bb  127.0.0.1:5432/orders  tls=verify-full"));
        assert!(text.contains("12 ms  auth: password authentication failed\n"));
        assert_eq!(report.summary_line(), "Check complete: 1 ok, 1 failed.");
        assert!(
            report
                .note_line()
                .starts_with("Note: checked from this machine")
        );
        let json = serde_json::to_value(report.document()).unwrap();
        assert_eq!(json["format_version"], 2);
        assert_eq!(json["summary"]["failed"], 1);
        assert_eq!(json["results"][1]["category"], "auth");
        assert_eq!(json["results"][0]["elapsed_ms"], 12);
    }
}
