//! `apply`'s text rendering: the plan's summary line and progress on
//! stderr, one result line per action on stdout as it completes, a live
//! bar on a terminal once the first action starts, and the summary; each
//! failure is shown once.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::{Event, Reporter};
use crate::diagnostic::Diagnostic;
use crate::output;
use crate::plan::{Plan, render};

/// Renders an apply for people.
pub(crate) struct ApplyText {
    /// Hidden until the first action starts (never drawn while the
    /// approval question waits); then live on a terminal. The lines are
    /// printed either way.
    bar: ProgressBar,
    /// Whether the bar goes live when actions start (a terminal, no `-q`).
    live: bool,
    quiet: bool,
}

impl ApplyText {
    pub(crate) fn new(quiet: bool) -> Self {
        let live = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        if live
            && let Ok(style) = ProgressStyle::with_template(
                "{spinner} applying [{bar:30}] {pos}/{len} ({elapsed})",
            )
        {
            bar.set_style(style.progress_chars("=> "));
        }
        ApplyText { bar, live, quiet }
    }

    /// Draws the bar from now on: actions are running (approved, if asked).
    fn go_live(&self) {
        if self.live && self.bar.is_hidden() && !self.bar.is_finished() {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

/// A warning about a place in the config, on one line:
/// `file:line:column: message [code]`.
pub(crate) fn diagnostic_line(d: &Diagnostic) -> String {
    format!(
        "{}:{}:{}: {} [{}]",
        d.file.display(),
        d.line,
        d.column,
        d.message,
        d.code.as_str()
    )
}

/// What the first interrupt means for the run.
const INTERRUPTED: &str = "\ninterrupted: no new action starts; the requests in flight finish or time out and are recorded (interrupt again to exit at once)\n";

/// The question before an apply on a terminal.
pub(crate) const APPROVAL_PROMPT: &str =
    "\nDo you want to carry out these actions? Only `yes` is accepted.\n  Enter a value: ";

impl Reporter for ApplyText {
    fn ask_approval(&self, plan: &Plan) {
        self.bar.suspend(|| {
            output::result(&render::text(plan, false));
            output::progress(APPROVAL_PROMPT);
        });
    }

    fn event(&self, event: Event<'_>) {
        match event {
            // Where the run acts: first, on stderr, kept under `-q`.
            Event::Began(scene) => output::progress(&scene.text()),
            Event::Started(_) | Event::DataflowStarted(_) => self.go_live(),
            Event::Warning(message) => self.bar.suspend(|| output::warning(message)),
            Event::Diagnostic(d) => self.bar.suspend(|| output::warning(&diagnostic_line(d))),
            Event::Preflight(report) if report.failed() == 0 => {
                output::progress(&format!("preflight: {}\n", report.summary_line()));
            }
            Event::Preflight(report) => output::progress(&report.render_text()),
            Event::Planned { plan, total } => {
                if !self.quiet {
                    output::progress(&format!("{}\n", render::summary_line(&plan.summary)));
                }
                self.bar.set_length(total as u64);
            }
            Event::Finished(outcome) => {
                self.go_live();
                self.bar.suspend(|| output::result_line(&outcome.line()));
                self.bar.inc(1);
            }
            Event::Interrupted { again: false } => {
                self.bar.suspend(|| output::progress(INTERRUPTED));
            }
            Event::Interrupted { again: true } => {
                self.bar.finish_and_clear();
                output::progress("interrupted again: exiting now\n");
            }
            Event::Ended { plan, report } => {
                self.bar.finish_and_clear();
                if plan.is_empty() {
                    output::result_line(&render::no_changes_line(&plan.summary));
                } else {
                    output::result_line(&report.summary());
                }
            }
            // `lib::run` prints the error that ended the run.
            Event::Stopped(_) => self.bar.finish_and_clear(),
        }
    }
}
