//! Dataflow documents take literal values: they hold no secret (the base
//! connection they read holds the credentials), and every value is part of
//! what the platform is asked to build, so `${VAR}` is not interpolated in
//! them. A `${` anywhere in one is an error rather than text sent as is.

use std::path::Path;

use super::position_in_scalar;
use crate::config::load::{Node, NodeValue};
use crate::diagnostic::{Code, Diagnostic};

/// One V227 per string value of `doc` that holds `${`, at the `${`.
pub(super) fn check_literal(
    path: &Path,
    index: usize,
    doc: &Node,
    text: &str,
    out: &mut Vec<Diagnostic>,
) {
    walk(path, index, doc, &mut String::new(), text, out);
}

fn walk(
    path: &Path,
    index: usize,
    node: &Node,
    pointer: &mut String,
    text: &str,
    out: &mut Vec<Diagnostic>,
) {
    match &node.value {
        NodeValue::String(s) => {
            let Some(offset) = s.find("${") else { return };
            let end = s[offset..].find('}').map_or(s.len(), |e| offset + e + 1);
            // A list item is named by its list: `columns`, not `1`.
            let field = pointer
                .rsplit('/')
                .find(|step| !step.bytes().all(|b| b.is_ascii_digit()))
                .unwrap_or_default();
            out.push(
                Diagnostic::error(
                    Code::LiteralDataflow,
                    path,
                    position_in_scalar(text, node, s, offset),
                    format!(
                        "`{}` in `{field}`: dataflow documents take literal values, `${{VAR}}` is not interpolated in them",
                        &s[offset..end]
                    ),
                )
                .in_document(index, pointer.as_str())
                .with_help(
                    "write the value itself; a dataflow holds no secret (its base connection holds the credentials)",
                ),
            );
        }
        NodeValue::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                walk(path, index, item, pointer, text, out);
                pointer.truncate(len);
            }
        }
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                let len = pointer.len();
                let step = key.scalar_text().unwrap_or_default();
                pointer.push('/');
                pointer.push_str(&step.replace('~', "~0").replace('/', "~1"));
                walk(path, index, value, pointer, text, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}
