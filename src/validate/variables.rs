//! The `${VAR}` syntax of every string in a document, and where inside a
//! scalar a problem sits.

use std::path::Path;

use crate::config::interpolate;
use crate::config::load::{Node, NodeValue};
use crate::diagnostic::{Code, Diagnostic, Position};
use crate::secret::is_secret_pointer;

/// `${VAR}` syntax in every string of a document. The JSON pointer is
/// only built for a string that has a problem: this runs on every node.
pub(super) fn check_strings<'a>(
    path: &Path,
    index: usize,
    node: &'a Node,
    trail: &mut Vec<std::borrow::Cow<'a, str>>,
    text: &str,
    out: &mut Vec<Diagnostic>,
) {
    match &node.value {
        NodeValue::String(s) => {
            if let Err(mut err) = interpolate::parse(s) {
                let pointer: String = trail
                    .iter()
                    .map(|step| format!("/{}", step.replace('~', "~0").replace('/', "~1")))
                    .collect();
                // A value that is only `${…}` (`${PW-3}`) is a mistyped
                // reference, not a secret: it is quoted and shown.
                let secret = is_secret_pointer(&pointer) && !crate::secret::is_only_references(s);
                if secret {
                    // The text after `${` may be part of a secret: never quote it.
                    err.message = "malformed `${…}` reference: expected `${NAME}` (letters, digits and `_`), or `$${` for a literal `${`".into();
                }
                let mut d = Diagnostic::error(
                    Code::Interpolation,
                    path,
                    position_in_scalar(text, node, s, err.offset),
                    err.message,
                )
                .in_document(index, pointer.as_str());
                if secret {
                    d = d.secret();
                }
                out.push(d);
            }
        }
        NodeValue::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                trail.push(i.to_string().into());
                check_strings(path, index, item, trail, text, out);
                trail.pop();
            }
        }
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                trail.push(match &key.value {
                    NodeValue::String(k) => k.as_str().into(),
                    _ => key.scalar_text().unwrap_or_default().into(),
                });
                check_strings(path, index, value, trail, text, out);
                trail.pop();
            }
        }
        _ => {}
    }
}

/// The position of byte `offset` inside a scalar's value, when the scalar is
/// written on one line (plain or quoted without escapes before the offset);
/// otherwise the scalar's own position.
pub fn position_in_scalar(text: &str, node: &Node, value: &str, offset: usize) -> Position {
    let Some(line) = text.lines().nth(node.pos.line as usize - 1) else {
        return node.pos;
    };
    let rest: String = line.chars().skip(node.pos.column as usize - 1).collect();
    let (body, shift) = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => (&rest[q.len_utf8()..], 1),
        _ => (rest.as_str(), 0),
    };
    let prefix = &value[..offset.min(value.len())];
    if body.starts_with(prefix) {
        Position::new(
            node.pos.line,
            node.pos.column + shift + prefix.chars().count() as u32,
        )
    } else {
        node.pos
    }
}
