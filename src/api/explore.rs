//! A dataflow's columns as the platform has them: its table explored
//! through the base connection and narrowed to the listed columns, with
//! the closest table named when explore does not know the one asked for.
//! Shared by `plan` (which checks before any write) and `apply`.

use super::Scope;
use super::discovery::{MissingColumns, select_columns};
use super::error::ApiError;
use super::ingestion::Column;
use super::service::FlowService;

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
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// The columns a dataflow reads from `table` through base connection
/// `base` (named `connection`): explored, then narrowed to `listed`. A
/// table explore refuses (404, or 400 as the service answers an unknown
/// object) and the connection's tables do not list is `NotATable`, with
/// the closest one listed.
pub async fn explore_columns<F: FlowService>(
    api: &F,
    scope: &Scope,
    (base, connection): (&str, &str),
    table: &str,
    listed: Option<&[String]>,
) -> Result<Vec<Column>, ExploreError> {
    match api.explore_table(scope, base, table).await {
        Ok(columns) => Ok(select_columns(table, &columns, listed)?),
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
