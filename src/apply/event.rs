//! What an apply tells the one who renders it, as it goes: events in,
//! rendering out. The run itself never writes to the terminal; a text or a
//! JSON renderer turns each event into what the user sees.

use super::{ApplyReport, Outcome};
use crate::check::CheckReport;
use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::plan::dataflow::DataflowAction;
use crate::plan::{Action, Plan, Scene};

/// One thing that happened during an apply.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// The state is locked and loaded: where the run acts.
    Began(&'a Scene),
    /// Something the user should know that does not stop the run.
    Warning(&'a str),
    /// A warning about a place in the config (validation found no error).
    Diagnostic(&'a Diagnostic),
    /// `--preflight` probed every described server.
    Preflight(&'a CheckReport),
    /// The plan is made and not empty; `total` actions will run.
    Planned { plan: &'a Plan, total: usize },
    /// One action started.
    Started(&'a Action),
    /// One dataflow's step started.
    DataflowStarted(&'a DataflowAction),
    /// One action finished (in completion order).
    Finished(&'a Outcome),
    /// SIGINT or SIGTERM: the first stops new actions, `again` exits at once.
    Interrupted { again: bool },
    /// The run ended: the plan it carried out and what happened.
    Ended {
        plan: &'a Plan,
        report: &'a ApplyReport,
    },
    /// An error ended the run after it began.
    Stopped(&'a Error),
}

/// Who hears the events of a run.
pub(crate) trait Reporter: Sync {
    fn event(&self, event: Event<'_>);

    /// Shows `plan` and the question whether to carry it out (the answer
    /// is read from the terminal by the run). Called only when the run was
    /// asked to confirm: a terminal, no `--auto-approve`.
    fn ask_approval(&self, plan: &Plan) {
        let _ = plan;
    }
}
