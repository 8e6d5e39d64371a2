//! `apply`'s text rendering: the plan's summary line and progress on
//! stderr, one result line per action on stdout as it completes, a live
//! bar on a terminal, and the summary; each failure is shown once.

use indicatif::{ProgressBar, ProgressStyle};

use crate::apply::{Event, Reporter};
use crate::diagnostic::Diagnostic;
use crate::output;
use crate::plan::{Plan, render};

/// Renders an apply for people.
pub(crate) struct ApplyText {
    /// Live on a terminal, hidden otherwise (the lines are printed either way).
    bar: ProgressBar,
    quiet: bool,
}

impl ApplyText {
    pub(crate) fn new(quiet: bool) -> Self {
        let bar = if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} applying [{bar:30}] {pos}/{len} ({elapsed})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        };
        ApplyText { bar, quiet }
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
            Event::Started(_) => {}
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
