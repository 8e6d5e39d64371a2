//! The rustc-style text renderer: header, location, the source line with
//! its secrets masked, a caret under the offending token, and where the
//! code is explained.

use std::fmt::Write as _;

use super::mask::{Line, TAB};
use super::{Diagnostic, Severity, Sources};
use crate::escape::escape_controls;

/// Renders diagnostics in rustc style: header, location, source line, caret.
/// The lines come from [`Sources`], where every secret is already masked.
pub(crate) fn render_text(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut out = String::new();
    for d in diags {
        let line = sources.get(&d.file).and_then(|s| s.line(d.line));
        render_one(&mut out, d, line, color);
        out.push('\n');
    }
    out
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn render_one(out: &mut String, d: &Diagnostic, source_line: Option<&Line>, color: bool) {
    let (label, colour) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let _ = writeln!(
        out,
        "{}: {}",
        paint(color, colour, &format!("{label}[{}]", d.code.as_str())),
        paint(color, "1", &escape_controls(&d.message))
    );
    let line_no = d.line.to_string();
    let gutter = " ".repeat(line_no.len());
    let _ = writeln!(
        out,
        "{gutter}{} {}:{}:{}",
        paint(color, "1;34", "-->"),
        d.file.display(),
        d.line,
        d.column
    );
    if let Some(line) = source_line {
        // The caret goes where the column is shown once secrets are masked.
        let col = line.column(d.column as usize - 1);
        let bar = paint(color, "1;34", "|");
        let _ = writeln!(out, "{gutter} {bar}");
        let _ = writeln!(
            out,
            "{} {bar} {}",
            paint(color, "1;34", &line_no),
            line.text
        );
        let width = token_width(&line.text, col);
        let _ = writeln!(
            out,
            "{gutter} {bar} {}{}",
            " ".repeat(col),
            paint(color, colour, &"^".repeat(width))
        );
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{gutter} = help: {}", escape_controls(help));
    }
    // Every code has a long explanation; say where, as rustc's `= note:`.
    let _ = writeln!(out, "{gutter} = see: provision explain {}", d.code.as_str());
}

/// Width of the token starting at `col` (in characters), at least 1.
fn token_width(line: &str, col: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(col).collect();
    let quoted = matches!(rest.first(), Some('"' | '\''));
    let width = if rest.first() == Some(&TAB) {
        // A tab is pointed at by itself (a run of them as one).
        rest.iter().take_while(|c| **c == TAB).count()
    } else if quoted {
        let q = rest[0];
        rest.iter()
            .skip(1)
            .position(|c| *c == q)
            .map_or(rest.len(), |i| i + 2)
    } else if rest.starts_with(&['$', '{']) {
        // A `${VAR}` reference, up to its `}`.
        rest.iter()
            .position(|c| *c == '}')
            .map_or(rest.len(), |i| i + 1)
    } else {
        // A plain value may hold spaces (`verify full`): it ends at a
        // separator, a comment or a flow collection's closing bracket, less
        // trailing blanks.
        let end = rest
            .iter()
            .position(|c| matches!(c, ':' | ',' | '#' | ';' | '}' | ']'))
            .unwrap_or(rest.len());
        rest[..end]
            .iter()
            .rposition(|c| !c.is_whitespace())
            .map_or(0, |i| i + 1)
    };
    width.max(1)
}
