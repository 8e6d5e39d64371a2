//! The only place that writes to stdout and stderr: results to stdout,
//! errors and progress to stderr (cli.md).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

/// Writes a block of result text to stdout as is.
pub(crate) fn result(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Writes one result line to stdout.
pub(crate) fn result_line(line: &str) {
    println!("{line}");
}

/// Writes an error to stderr, `error: …` style.
pub(crate) fn error(message: &str) {
    if use_color() {
        eprintln!("\x1b[1;31merror\x1b[0m: {message}");
    } else {
        eprintln!("error: {message}");
    }
}

/// Writes a warning to stderr.
pub(crate) fn warning(message: &str) {
    if use_color() {
        eprintln!("\x1b[1;33mwarning\x1b[0m: {message}");
    } else {
        eprintln!("warning: {message}");
    }
}

/// Writes progress or log text to stderr.
pub(crate) fn progress(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

/// Colours only on a terminal, and never with `NO_COLOR` set (cli.md).
pub(crate) fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Colours on stdout: only on a terminal, and never with `NO_COLOR` set.
pub(crate) fn use_color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}
