//! Before anything is sent: the table and columns of each dataflow the
//! plan creates or replaces are explored through its base connection when
//! that connection exists already, so a typo is a plan error at the
//! document's line, with "did you mean", not a failed apply.

use futures_util::stream::{self, StreamExt};

use super::Error;
use super::connect::Connected;
use crate::api::{ExploreError, Scope, explore_columns};
use crate::desired::dataflow::DesiredDataflow;

/// One dataflow to look at, and the id of the base connection it reads
/// through.
pub(crate) struct TableCheck<'a> {
    pub dataflow: &'a DesiredDataflow,
    pub base: String,
}

impl Connected {
    /// Explores each check's table (`parallelism` at once): every table or
    /// column the connection lacks, one per line, is a plan error; an
    /// explore that fails otherwise (the database unreachable from the
    /// platform, say) is a warning, as apply explores again.
    pub(crate) async fn check_tables(
        &self,
        checks: &[TableCheck<'_>],
        parallelism: usize,
    ) -> Result<Vec<String>, Error> {
        let found: Vec<Result<Option<String>, String>> = stream::iter(checks)
            .map(|check| self.check_table(check))
            .buffered(parallelism.max(1))
            .collect()
            .await;
        let mut problems = Vec::new();
        let mut unchecked = Vec::new();
        for result in found {
            match result {
                Ok(Some(problem)) => problems.push(problem),
                Ok(None) => {}
                Err(why) => unchecked.push(why),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Failed(problems.join("\n")));
        }
        // One warning, however many explores failed (an unreachable
        // service fails them all alike).
        Ok(match unchecked.as_slice() {
            [] => Vec::new(),
            [one] => vec![one.clone()],
            [first, rest @ ..] => vec![format!(
                "{first} (and {} more dataflow(s) not checked)",
                rest.len()
            )],
        })
    }

    /// What is wrong with one check's table or columns, if anything; `Err`
    /// says why it could not be told.
    async fn check_table(&self, check: &TableCheck<'_>) -> Result<Option<String>, String> {
        let d = check.dataflow;
        let scope = Scope::new(&d.org, d.key.sandbox());
        let explored = explore_columns(
            self.api.as_ref(),
            &scope,
            (&check.base, &d.connection.name),
            &d.doc,
        )
        .await;
        match explored {
            Ok(_) => Ok(None),
            Err(ExploreError::Api(err)) => Err(format!(
                "dataflow `{}`: could not explore table `{}` through base connection `{}` to check it before apply: {err}",
                d.key, d.doc.source.table, d.connection.name
            )),
            Err(problem) => Ok(d
                .explore_problem_at(&problem)
                .map(|at| format!("{at}: dataflow `{}`: {problem}", d.key))),
        }
    }
}
