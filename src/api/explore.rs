//! A dataflow's columns as the platform has them: its table explored
//! through the base connection and narrowed to the listed columns, with
//! the closest table named when explore does not know the one asked for.
//! Shared by `plan` (which checks before any write) and `apply`.

use super::Scope;
use super::discovery::{MissingColumns, quoted, select_columns};
use super::error::ApiError;
use super::ingestion::Column;
use super::service::FlowService;
use crate::config::Dataflow;

/// Why a dataflow's columns could not be had from explore.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    #[error("table `{table}` is not one base connection `{connection}` lists (explore){hint}")]
    NotATable {
        table: String,
        connection: String,
        /// ": did you mean `x`?" when a listed table is close.
        hint: String,
    },
    #[error(transparent)]
    Columns(#[from] MissingColumns),
    /// A mapping `source` or the delta column is not a column read (the
    /// document lists none, so validation could not tell).
    #[error(
        "{what} `{name}` is not a column of table `{table}`{hint}: expected one of {}",
        quoted(available)
    )]
    NotAColumn {
        /// `mapping source` or `delta column`.
        what: &'static str,
        name: String,
        table: String,
        hint: String,
        available: Vec<String>,
    },
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// The columns a document reads by name beside `source.columns`: each
/// mapping `source` and the delta column.
fn named_columns(doc: &Dataflow) -> Vec<(&'static str, &str)> {
    let mapped = doc
        .mapping
        .iter()
        .filter_map(|m| m.source.as_deref())
        .map(|name| ("mapping source", name));
    let delta = doc
        .delta
        .iter()
        .map(|d| ("delta column", d.column.as_str()));
    mapped.chain(delta).collect()
}

/// The first name `doc` reads that `columns` lacks, as an error.
fn unread(doc: &Dataflow, columns: &[Column]) -> Option<ExploreError> {
    let available: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let (what, name) = named_columns(doc)
        .into_iter()
        .find(|(_, name)| !available.iter().any(|c| c == name))?;
    let names: Vec<&str> = available.iter().map(String::as_str).collect();
    Some(ExploreError::NotAColumn {
        what,
        name: name.to_owned(),
        table: doc.source.table.clone(),
        hint: crate::suggest::closest(name, &names)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default(),
        available,
    })
}

/// The columns `doc` reads from its table through base connection `base`
/// (named `connection`): explored, narrowed to `source.columns`, and
/// holding every mapping source and the delta column. A table explore
/// refuses (404, or 400 as the service answers an unknown object) and the
/// connection's tables do not list is `NotATable`, with the closest one
/// listed.
pub async fn explore_columns<F: FlowService>(
    api: &F,
    scope: &Scope,
    (base, connection): (&str, &str),
    doc: &Dataflow,
) -> Result<Vec<Column>, ExploreError> {
    let table = doc.source.table.as_str();
    match api.explore_table(scope, base, table).await {
        Ok(explored) => {
            let columns = select_columns(table, &explored, doc.source.columns.as_deref())?;
            match unread(doc, &columns) {
                Some(problem) => Err(problem),
                None => Ok(columns),
            }
        }
        Err(err @ (ApiError::NotFound { .. } | ApiError::Service { status: 400, .. })) => {
            let tables = api.list_tables(scope, base).await?;
            if tables.iter().any(|t| t.path == table) {
                return Err(err.into());
            }
            let paths: Vec<&str> = tables.iter().map(|t| t.path.as_str()).collect();
            Err(ExploreError::NotATable {
                table: table.to_owned(),
                connection: connection.to_owned(),
                hint: crate::suggest::closest(table, &paths)
                    .map(|p| format!(": did you mean `{p}`?"))
                    .unwrap_or_default(),
            })
        }
        Err(err) => Err(err.into()),
    }
}
