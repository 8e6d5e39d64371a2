//! The rustc-style text renderer: header, location, the source line with
//! its secrets masked, and a caret under the offending token.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use super::mask::{mask_secrets, mask_value};
use super::{Diagnostic, Severity, Sources};

/// Renders diagnostics in rustc style: header, location, source line, caret.
pub(crate) fn render_text(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut out = String::new();
    // Split each file into lines once, not once per diagnostic.
    let mut lines: HashMap<&Path, Vec<&str>> = HashMap::new();
    for d in diags {
        let file_lines = lines.entry(d.file.as_path()).or_insert_with(|| {
            sources
                .get(&d.file)
                .map(|t| t.lines().collect())
                .unwrap_or_default()
        });
        render_one(
            &mut out,
            d,
            file_lines.get(d.line as usize - 1).copied(),
            color,
        );
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

fn render_one(out: &mut String, d: &Diagnostic, source_line: Option<&str>, color: bool) {
    let (label, colour) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let _ = writeln!(
        out,
        "{}: {}",
        paint(color, colour, &format!("{label}[{}]", d.code.as_str())),
        paint(color, "1", &d.message)
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
        let (line, shift) = mask_secrets(line, d.column as usize - 1);
        let col = (d.column as usize - 1).saturating_add_signed(shift);
        let line = if d.secret && !d.pointer.ends_with("/connectionString") {
            mask_value(&line, col as u32 + 1)
        } else {
            line
        };
        let line = line.replace('\t', " ");
        let bar = paint(color, "1;34", "|");
        let _ = writeln!(out, "{gutter} {bar}");
        let _ = writeln!(out, "{} {bar} {line}", paint(color, "1;34", &line_no));
        let width = token_width(&line, col);
        let _ = writeln!(
            out,
            "{gutter} {bar} {}{}",
            " ".repeat(col),
            paint(color, colour, &"^".repeat(width))
        );
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{gutter} = help: {help}");
    }
}

/// Width of the token starting at `col` (in characters), at least 1.
fn token_width(line: &str, col: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(col).collect();
    let quoted = matches!(rest.first(), Some('"' | '\''));
    let width = if quoted {
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
        // separator or a comment, less trailing blanks.
        let end = rest
            .iter()
            .position(|c| matches!(c, ':' | ',' | '#' | ';'))
            .unwrap_or(rest.len());
        rest[..end]
            .iter()
            .rposition(|c| !c.is_whitespace())
            .map_or(0, |i| i + 1)
    };
    width.max(1)
}
