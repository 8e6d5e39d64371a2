//! What a run did, as a value: one outcome per action (its line for
//! people), and the counts of a run, which the summary of every format
//! shows. A failed run still has its report.

use super::ActionError;
use crate::config::ResourceKey;
use crate::plan::ActionKind;

/// What happened to one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Done {
    Created(String),
    Adopted {
        id: String,
        updated: bool,
    },
    Updated(String),
    /// Renamed from the earlier name on the same id, state entry moved.
    Renamed {
        id: String,
        from: String,
    },
    Deleted(String),
    /// A dataflow's new chain (this flow id) made and the old one deleted.
    Replaced(String),
    /// A pending create without a document, never listed: record dropped.
    DroppedPending,
}

/// One action's outcome.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// A connection's key, or a dataflow's (`dataflow/...`).
    pub key: ResourceKey,
    pub kind: ActionKind,
    /// The connection's id as planned (recorded, or found for an adopt).
    pub planned_id: Option<String>,
    pub result: Result<Done, ActionError>,
}

impl Outcome {
    /// The line printed as it completes.
    pub(crate) fn line(&self) -> String {
        match &self.result {
            Ok(Done::Created(id)) => format!("+ {}: created (id {id})", self.key),
            Ok(Done::Adopted { id, updated: false }) => {
                format!("> {}: adopted (id {id})", self.key)
            }
            Ok(Done::Adopted { id, updated: true }) => {
                format!("> {}: adopted and updated (id {id})", self.key)
            }
            Ok(Done::Updated(id)) => format!("~ {}: updated (id {id})", self.key),
            Ok(Done::Renamed { id, from }) => {
                format!("~ {}: renamed from `{from}` (id {id})", self.key)
            }
            Ok(Done::Deleted(id)) => format!("- {}: deleted (id {id})", self.key),
            Ok(Done::Replaced(id)) => format!("-/+ {}: replaced (new flow id {id})", self.key),
            Ok(Done::DroppedPending) => format!(
                "- {}: stale pending create dropped from state (never listed)",
                self.key
            ),
            Err(ActionError::Interrupted) => format!("  {}: not started (interrupted)", self.key),
            Err(reason) => format!("! {}: failed: {reason}", self.key),
        }
    }
}

/// All outcomes of a run.
#[derive(Debug, Default)]
pub(crate) struct ApplyReport {
    pub outcomes: Vec<Outcome>,
    /// An interrupt stopped the run: actions not started are listed as such.
    pub interrupted: bool,
}

impl ApplyReport {
    fn count(&self, f: impl Fn(&Done) -> bool) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.result.as_ref().is_ok_and(&f))
            .count()
    }

    pub(crate) fn failed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| {
                o.result
                    .as_ref()
                    .is_err_and(|e| !matches!(e, ActionError::Interrupted))
            })
            .count()
    }

    /// How many actions ended which way.
    pub(crate) fn counts(&self) -> Counts {
        let done = self.count(|_| true);
        Counts {
            created: self.count(|d| matches!(d, Done::Created(_))),
            adopted: self.count(|d| matches!(d, Done::Adopted { .. })),
            updated: self.count(|d| {
                matches!(d, Done::Updated(_) | Done::Renamed { .. } | Done::Replaced(_))
            }),
            deleted: self.count(|d| matches!(d, Done::Deleted(_))),
            failed: self.failed(),
            not_started: self.outcomes.len() - done - self.failed(),
        }
    }

    /// `Apply complete: 3 created, 1 adopted, 0 updated, 0 deleted, 1 failed.`,
    /// or `Apply interrupted: …, 1 failed, 4 not started.`
    pub(crate) fn summary(&self) -> String {
        let c = self.counts();
        let counts = format!(
            "{} created, {} adopted, {} updated, {} deleted, {} failed",
            c.created, c.adopted, c.updated, c.deleted, c.failed
        );
        if self.interrupted {
            format!(
                "Apply interrupted: {counts}, {} not started.",
                c.not_started
            )
        } else {
            format!("Apply complete: {counts}.")
        }
    }
}

/// How many actions of a run ended which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub created: usize,
    pub adopted: usize,
    pub updated: usize,
    pub deleted: usize,
    pub failed: usize,
    /// Left out by an interrupt.
    pub not_started: usize,
}
