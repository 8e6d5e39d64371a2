//! What `check` verifies of a dataflow, read from its document with the
//! line of each field (table, columns, mapping sources, delta column), and
//! what it found: one outcome per dataflow, beside the connections' lines.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use super::failure::Failure;
use crate::config::{ConnectionKey, DataflowKey};
use crate::validate::LocatedDataflow;

/// One value of the document to check against the database, and where it
/// is written.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub text: String,
    /// The JSON pointer of the field in its document (`/source/columns/1`).
    pub pointer: String,
    pub line: u32,
}

/// What one dataflow asks of its table.
#[derive(Debug, Clone)]
pub(crate) struct Wanted {
    pub key: DataflowKey,
    /// The base connection it reads through, in its cloud and sandbox.
    pub connection: ConnectionKey,
    pub file: PathBuf,
    /// `schema.table`.
    pub table: Field,
    /// `source.columns`, then the mapping's `source` columns not listed.
    pub columns: Vec<Field>,
    pub delta: Option<Field>,
    /// Whether `delta.dateFormat` is given (a text delta column needs it).
    pub date_format: bool,
}

impl Wanted {
    /// Reads a valid dataflow document (its sandbox already filled in).
    pub(crate) fn of(located: &LocatedDataflow) -> Self {
        let node = &located.node;
        let field = |text: &str, pointer: String| Field {
            text: text.to_owned(),
            line: node.at(&pointer).pos.line,
            pointer,
        };
        let dataflow = &located.dataflow;
        let listed = dataflow.source.columns.iter().flatten().enumerate();
        let mut columns: Vec<Field> = listed
            .map(|(i, c)| field(c, format!("/source/columns/{i}")))
            .collect();
        for (i, entry) in dataflow.mapping.iter().enumerate() {
            // A mapped column that is also listed is reported once, at
            // the list.
            if let (Some(source), None) = (&entry.source, &entry.expression)
                && !columns.iter().any(|c| &c.text == source)
            {
                columns.push(field(source, format!("/mapping/{i}/source")));
            }
        }
        Wanted {
            key: dataflow.key(),
            connection: ConnectionKey::new(
                dataflow.cloud,
                &dataflow.sandbox,
                &dataflow.source.connection,
            ),
            file: located.file.clone(),
            table: field(&dataflow.source.table, "/source/table".to_owned()),
            columns,
            delta: dataflow
                .delta
                .as_ref()
                .map(|d| field(&d.column, "/delta/column".to_owned())),
            date_format: dataflow
                .delta
                .as_ref()
                .is_some_and(|d| d.date_format.is_some()),
        }
    }

    /// A problem at `field`.
    pub(crate) fn problem(&self, field: &Field, message: String) -> Problem {
        Problem {
            file: self.file.display().to_string(),
            line: field.line,
            field: field.pointer.clone(),
            message,
        }
    }
}

/// One thing wrong with a dataflow's table, at the field that says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) struct Problem {
    /// The dataflow's file.
    pub file: String,
    /// The line of the field.
    pub line: u32,
    /// The field, as a JSON pointer into the document (`/source/columns/1`).
    pub field: String,
    pub message: String,
}

/// `ok`, `failed`, or `not_checked` (nothing to connect through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DataflowStatus {
    Ok,
    Failed,
    NotChecked,
}

/// What `check` found for one dataflow.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct DataflowOutcome {
    /// `dataflow/cloud/sandbox/name`.
    #[schemars(with = "String")]
    pub key: DataflowKey,
    /// The base connection it reads through (`cloud/sandbox/name`).
    #[schemars(with = "String")]
    pub connection: ConnectionKey,
    /// `schema.table`, as written.
    pub table: String,
    /// The file of the dataflow's document.
    pub file: String,
    pub status: DataflowStatus,
    /// Every problem found, each at its field (`failed` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// Why it was not checked (`not_checked` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl DataflowOutcome {
    /// The outcome of looking at the table: ok without problems.
    pub(crate) fn inspected(wanted: &Wanted, inspected: Result<Vec<Problem>, Failure>) -> Self {
        let problems = match inspected {
            Ok(problems) => problems,
            // The catalog could not be read: the whole dataflow fails, at
            // its table.
            Err(failure) => vec![wanted.problem(
                &wanted.table,
                format!(
                    "cannot read the catalog of the connection's database: {}: {}",
                    failure.category, failure.message
                ),
            )],
        };
        DataflowOutcome {
            key: wanted.key.clone(),
            connection: wanted.connection.clone(),
            table: wanted.table.text.clone(),
            file: wanted.file.display().to_string(),
            status: if problems.is_empty() {
                DataflowStatus::Ok
            } else {
                DataflowStatus::Failed
            },
            problems,
            reason: None,
        }
    }

    /// A dataflow that could not be checked, and why.
    pub(crate) fn not_checked(wanted: &Wanted, reason: String) -> Self {
        DataflowOutcome {
            key: wanted.key.clone(),
            connection: wanted.connection.clone(),
            table: wanted.table.text.clone(),
            file: wanted.file.display().to_string(),
            status: DataflowStatus::NotChecked,
            problems: Vec::new(),
            reason: Some(reason),
        }
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.status == DataflowStatus::Failed
    }
}
