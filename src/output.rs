//! The only place that writes to stdout and stderr: results to stdout,
//! errors and progress to stderr (cli.md). A write that fails (a closed
//! pipe, a full disk) never panics: it is remembered, and the run exits
//! non-zero once the command is done (cli.md, "Transport rules").

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

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

/// Colours only on a terminal, and never with `NO_COLOR` set (cli.md).
pub(crate) fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Colours on stdout: only on a terminal, and never with `NO_COLOR` set.
pub(crate) fn use_color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// A string from elsewhere (a server, a file name) made safe for a
/// terminal: control characters other than line breaks and tabs become
/// `\u{…}` escapes, so no escape sequence (ESC, CSI, a carriage return
/// that overwrites the line) reaches the terminal from it.
pub(crate) fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Escapes every control character, line breaks and tabs included: for one
/// quoted value that must stay on its line.
pub(crate) fn escape_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// C0 and C1 controls (ESC and CSI start terminal sequences), DEL, and the
/// bidirectional overrides that reorder what a terminal shows.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("plain `x`"), "plain `x`");
        assert_eq!(
            escape_controls("a\x1b[2Jb\rc\u{9b}d\ne"),
            "a\\u{1b}[2Jb\\u{d}c\\u{9b}d\ne"
        );
        assert_eq!(escape_value("a\nb\tc\u{202e}"), "a\\u{a}b\\u{9}c\\u{202e}");
    }
}
