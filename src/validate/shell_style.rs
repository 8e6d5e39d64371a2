//! A password written shell style, `$NAME`: provision interpolates only
//! `${NAME}`, so it is still a plain-text value (V203); whether to show it
//! and suggest the braces depends on the whole project and the environment.

use std::collections::HashSet;

use crate::config::load::{Node, NodeValue};
use crate::diagnostic::{Code, Diagnostic};

/// The help of a `$NAME` password that may be a real password.
pub(super) const MAYBE_VARIABLE: &str =
    "if this is a variable, write it as `${...}`: provision reads only the braced form";

/// `NAME` when `value` is `$NAME` (a shell variable's shape).
pub(super) fn shell_name(value: &str) -> Option<&str> {
    let name = value.strip_prefix('$')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some(name)
}

/// The V203 (among `diagnostics`, by index) of a document whose password
/// is `$NAME`, and the name.
pub(super) fn find(doc: &Node, diagnostics: &[Diagnostic]) -> Option<(usize, String)> {
    let node = doc.get("auth")?.get("password")?;
    let NodeValue::String(password) = &node.value else {
        return None;
    };
    let name = shell_name(password)?;
    let at = diagnostics
        .iter()
        .position(|d| d.code == Code::PlaintextSecret && d.pointer == "/auth/password")?;
    Some((at, name.to_owned()))
}

/// NAME is set in the environment or referenced as `${NAME}` elsewhere:
/// the value is a variable's name, not a secret, and is quoted.
pub(super) fn known_variable(d: &mut Diagnostic, name: &str) {
    d.secret = false;
    d.message = format!(
        "`password` is `${name}`, a shell-style reference: provision does not interpolate it, so it would be sent as the password"
    );
    d.help = Some(format!("write `${{{name}}}`"));
}

/// Names referenced as `${NAME}` anywhere in `text`.
pub(super) fn references(text: &str) -> HashSet<String> {
    let mut names = HashSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let body = &rest[start + 2..];
        match body.find('}') {
            Some(end) => {
                let name = &body[..end];
                if shell_name(&format!("${name}")).is_some() {
                    names.insert(name.to_owned());
                }
                rest = &body[end + 1..];
            }
            None => break,
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_shell_shape_only() {
        assert_eq!(shell_name("$CLICKS_PASSWORD"), Some("CLICKS_PASSWORD"));
        assert_eq!(shell_name("$_x1"), Some("_x1"));
        assert_eq!(shell_name("$1abc"), None);
        assert_eq!(shell_name("$ecret!"), None);
        assert_eq!(shell_name("${X}"), None);
        assert_eq!(shell_name("plain"), None);
    }

    #[test]
    fn collects_braced_references() {
        let names = references("a: ${ONE}\nb: x${TWO}y ${bad-name} ${THREE");
        assert_eq!(names.len(), 2);
        assert!(names.contains("ONE") && names.contains("TWO"));
    }
}
