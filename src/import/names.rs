//! Names `import` derives from a connection's name: its file name and the
//! environment variable its secret becomes. Derived, never guessed: clashes
//! are left for the caller to report.

use std::path::{Component, Path, PathBuf};

/// A file stem from a connection name: lowercase ASCII letters, digits, `-`
/// and `_`; anything else becomes `-`, runs collapse, ends are trimmed.
/// `None` when nothing usable is left (the caller reports it).
pub(crate) fn file_stem(name: &str) -> Option<String> {
    let mut stem = String::with_capacity(name.len());
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '_' {
            stem.push(c);
        } else if !stem.ends_with('-') {
            stem.push('-');
        }
    }
    let stem = stem.trim_matches(|c| c == '-' || c == '_');
    let stem: String = stem.chars().take(120).collect();
    (!stem.is_empty()).then_some(stem)
}

/// `orders-db` + `PASSWORD` -> `ORDERS_DB_PASSWORD` (shared with the
/// plaintext-secret help, which suggests the same name).
pub(crate) use crate::config::interpolate::variable_name as env_var;

/// Removes `.` and resolves `..` without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The path of `target` relative to the folder `from`, both taken relative
/// to `base` when not absolute: what a schema modeline needs.
pub(crate) fn relative(from: &Path, target: &Path, base: &Path) -> String {
    let from = normalise(&base.join(from));
    let target = normalise(&base.join(target));
    let from_parts: Vec<_> = from.components().collect();
    let target_parts: Vec<_> = target.components().collect();
    let common = from_parts
        .iter()
        .zip(&target_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut rel: Vec<String> = vec!["..".to_owned(); from_parts.len() - common];
    rel.extend(
        target_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    rel.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_sanitised() {
        assert_eq!(file_stem("orders-db").as_deref(), Some("orders-db"));
        assert_eq!(file_stem("Orders DB (EU)").as_deref(), Some("orders-db-eu"));
        assert_eq!(file_stem("../../etc/passwd").as_deref(), Some("etc-passwd"));
        assert_eq!(file_stem("é"), None);
    }

    #[test]
    fn variables_are_upper_snake_case() {
        assert_eq!(env_var("orders-db", "PASSWORD"), "ORDERS_DB_PASSWORD");
        assert_eq!(env_var("9 lives", "PASSWORD"), "_9_LIVES_PASSWORD");
        assert_eq!(env_var("---", "PASSWORD"), "CONNECTION_PASSWORD");
    }

    #[test]
    fn modeline_paths_are_relative() {
        let base = Path::new("/p");
        let schema = Path::new("schema/connection.schema.json");
        assert_eq!(
            relative(Path::new("connections/prod"), schema, base),
            "../../schema/connection.schema.json"
        );
        assert_eq!(
            relative(Path::new("./x/../c"), schema, base),
            "../schema/connection.schema.json"
        );
        assert_eq!(
            relative(Path::new("/elsewhere/c"), schema, base),
            "../../p/schema/connection.schema.json"
        );
    }
}
