//! The terminal writer, the only place that writes to stdout and stderr:
//! results to stdout, errors and progress to stderr. A write that fails (a
//! closed pipe, a full disk) never panics: it is remembered, and the run
//! exits non-zero once the command is done.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

// The renderers of diagnostics reach the escaping through here.
use crate::escape::escape_controls;

/// The first failed write to stdout, if any.
static STDOUT_FAILURE: Mutex<Option<std::io::Error>> = Mutex::new(None);

/// Writes bytes to stdout; after a failure nothing more is attempted.
fn write_stdout(bytes: &[u8]) {
    let Ok(mut failure) = STDOUT_FAILURE.lock() else {
        return;
    };
    if failure.is_some() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(err) = out.write_all(bytes).and_then(|()| out.flush()) {
        *failure = Some(err);
    }
}

/// Writes to stderr; a failure there has nowhere left to be reported.
fn write_stderr(bytes: &[u8]) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(bytes).and_then(|()| err.flush());
}

/// Why stdout could not be written, when it could not: `Some(None)` for a
/// closed pipe (`provision state list | head -1`), which ends quietly as
/// `head` users expect; `Some(Some(message))` for anything else.
pub(crate) fn stdout_failure() -> Option<Option<String>> {
    let failure = STDOUT_FAILURE.lock().ok()?;
    let err = failure.as_ref()?;
    Some(match err.kind() {
        std::io::ErrorKind::BrokenPipe => None,
        _ => Some(format!("cannot write the results to stdout: {err}")),
    })
}

/// Writes a block of result text to stdout as is.
pub(crate) fn result(text: &str) {
    write_stdout(text.as_bytes());
}

/// Writes one result line to stdout (its control characters escaped: a
/// line may quote a name or id a server sent).
pub(crate) fn result_line(line: &str) {
    write_stdout(format!("{}\n", escape_controls(line)).as_bytes());
}

/// Writes an error to stderr, `error: …` style.
pub(crate) fn error(message: &str) {
    let message = escape_controls(message);
    if use_color() {
        write_stderr(format!("\x1b[1;31merror\x1b[0m: {message}\n").as_bytes());
    } else {
        write_stderr(format!("error: {message}\n").as_bytes());
    }
}

/// Writes a warning to stderr.
pub(crate) fn warning(message: &str) {
    let message = escape_controls(message);
    if use_color() {
        write_stderr(format!("\x1b[1;33mwarning\x1b[0m: {message}\n").as_bytes());
    } else {
        write_stderr(format!("warning: {message}\n").as_bytes());
    }
}

/// Writes progress or log text to stderr.
pub(crate) fn progress(text: &str) {
    write_stderr(text.as_bytes());
}

/// Colours only on a terminal, and never with `NO_COLOR` set.
pub(crate) fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Colours on stdout: only on a terminal, and never with `NO_COLOR` set.
pub(crate) fn use_color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// One line typed on stdin, without its line ending (`None` at end of
/// input or on a read error): the answer to a question asked on stderr.
pub(crate) fn read_answer() -> Option<String> {
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_owned()),
    }
}

/// Whether stdin and stderr are a terminal: someone is there to ask (the
/// question is on stderr, the answer on stdin; stdout may be piped, as
/// `provision apply | tee apply.log`, and the question is still asked).
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}
