//! Writes an imported connection as YAML in the project's own style: the
//! schema modeline, plain scalars where they read back as the same string,
//! double quotes elsewhere, and literal `${` escaped so nothing is interpolated.

use std::fmt::Write as _;

use crate::config::{Auth, Connection, SslMode};

/// Words YAML 1.1 or 1.2 readers take for booleans or null.
const KEYWORDS: [&str; 11] = [
    "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "",
];

/// A literal value: `${` becomes `$${` so interpolation leaves it alone.
fn literal(value: &str) -> String {
    value.replace("${", "$${")
}

/// A string as a YAML scalar that reads back as exactly that string.
pub(crate) fn scalar(value: &str) -> String {
    let plain = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && !value.ends_with(' ')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.-/@()+$".contains(c))
        && !KEYWORDS.contains(&value.to_ascii_lowercase().as_str());
    if plain {
        value.to_owned()
    } else {
        double_quoted(value)
    }
}

/// A YAML double-quoted scalar holding exactly `value`: every character
/// YAML does not allow in a file as is (controls, U+FFFE/U+FFFF, a BOM,
/// surrogates cannot occur in a `str`) is written as an escape, so the file
/// reads back as the same string.
fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FEFE}' | '\u{FF00}'..='\u{FFFD}' => {
                out.push(c);
            }
            '\u{10000}'.. => out.push(c),
            _ if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            _ => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// The whole file: modeline, provenance comment, then the document. The
/// password must already be the `${VAR}` reference to write.
pub(crate) fn connection_yaml(connection: &Connection, modeline: &str, id: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# yaml-language-server: $schema={modeline}");
    let safe_id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let _ = writeln!(
        out,
        "# imported by `provision import` from connection {safe_id}"
    );
    let _ = writeln!(out, "name: {}", scalar(&literal(&connection.name)));
    if let Some(description) = connection.description.as_deref().filter(|d| !d.is_empty()) {
        let _ = writeln!(out, "description: {}", scalar(&literal(description)));
    }
    if !connection.sandbox.is_empty() {
        let _ = writeln!(out, "sandbox: {}", scalar(&connection.sandbox));
    }
    let _ = writeln!(out, "cloud: {}", connection.cloud);
    if let Some(environments) = &connection.environments {
        let listed: Vec<String> = environments.iter().map(|e| scalar(e)).collect();
        let _ = writeln!(out, "environments: [{}]", listed.join(", "));
    }
    out.push_str("auth:\n");
    match &connection.auth {
        Auth::Basic(basic) => {
            out.push_str("  type: basic\n");
            let _ = writeln!(out, "  server: {}", scalar(&literal(&basic.server)));
            let _ = writeln!(out, "  port: {}", basic.port);
            let _ = writeln!(out, "  database: {}", scalar(&literal(&basic.database)));
            let _ = writeln!(out, "  username: {}", scalar(&literal(&basic.username)));
            // A `${VAR}` reference made by `import`: a valid plain scalar.
            let _ = writeln!(out, "  password: {}", basic.password);
            match basic.ssl_mode {
                Some(SslMode::Azure(mode)) => {
                    let _ = writeln!(out, "  sslMode: {}", scalar(mode.as_str()));
                }
                Some(SslMode::Aws(on)) => {
                    let _ = writeln!(out, "  sslMode: {on}");
                }
                None => {}
            }
        }
        Auth::ConnectionString(cs) => {
            out.push_str("  type: connectionString\n");
            let _ = writeln!(out, "  connectionString: {}", scalar(&cs.connection_string));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_back_as_strings() {
        assert_eq!(scalar("orders-db"), "orders-db");
        assert_eq!(scalar("Verify Full"), "Verify Full");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("10.0.0.5"), "\"10.0.0.5\"");
        assert_eq!(scalar("a: b # c"), "\"a: b # c\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("${X}"), "\"${X}\"");
        assert_eq!(
            scalar("a\u{FFFF}b\u{FEFF}\u{1b}\"\\\té"),
            "\"a\\uFFFFb\\uFEFF\\x1B\\\"\\\\\\x09é\""
        );
    }

    #[test]
    fn every_character_reads_back_as_itself() {
        for c in [
            '\u{0}',
            '\u{7f}',
            '\u{85}',
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{FEFF}',
            '\u{2028}',
            '\u{10FFFF}',
        ] {
            let value = format!("x{c}y");
            let yaml = format!("k: {}\n", scalar(&value));
            let docs = crate::config::yaml::parse(&yaml).unwrap();
            assert_eq!(
                docs[0]
                    .get("k")
                    .and_then(crate::config::load::Node::scalar_text),
                Some(value),
                "{yaml}"
            );
        }
    }

    #[test]
    fn literal_references_are_escaped() {
        assert_eq!(literal("cost ${total}"), "cost $${total}");
    }
}
