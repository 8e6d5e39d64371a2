//! SARIF 2.1.0 output of `validate`, for GitHub code scanning and other
//! SARIF viewers: one rule per diagnostic code, one result per diagnostic,
//! locations as URIs relative to the folder `provision` ran in.

use std::path::Path;

use serde_json::{Value, json};

use crate::diagnostic::{Code, Diagnostic, Severity};

/// Every code, so viewers can describe rules that did not fire this time.
const ALL: [Code; 22] = [
    Code::Io,
    Code::FileTooLarge,
    Code::NotUtf8,
    Code::YamlSyntax,
    Code::DuplicateKey,
    Code::YamlBudget,
    Code::EmptyFile,
    Code::NotAMapping,
    Code::NoInput,
    Code::UnknownKey,
    Code::MissingKey,
    Code::WrongType,
    Code::InvalidValue,
    Code::OutOfRange,
    Code::InvalidString,
    Code::Schema,
    Code::ConnectionString,
    Code::DuplicateConnection,
    Code::PlaintextSecret,
    Code::Interpolation,
    Code::SuspiciousPort,
    Code::MissingVariable,
];

/// A rule's name and description. Exhaustive, so a new code needs one.
fn describe(code: Code) -> (&'static str, &'static str, Severity) {
    use Severity::{Error, Warning};
    match code {
        Code::Io => ("io", "The file could not be read.", Error),
        Code::FileTooLarge => (
            "file-too-large",
            "The file is larger than a connection file can be.",
            Error,
        ),
        Code::NotUtf8 => ("not-utf8", "The file is not UTF-8.", Error),
        Code::YamlSyntax => ("yaml-syntax", "The YAML does not parse.", Error),
        Code::DuplicateKey => ("duplicate-key", "A mapping has the same key twice.", Error),
        Code::YamlBudget => (
            "yaml-budget",
            "Alias expansion or nesting goes beyond the budget.",
            Error,
        ),
        Code::EmptyFile => ("empty-file", "The file holds no document.", Error),
        Code::NotAMapping => ("not-a-mapping", "A document is not a mapping.", Error),
        Code::NoInput => (
            "no-input",
            "A path given on the command line does not exist or holds no YAML.",
            Error,
        ),
        Code::UnknownKey => ("unknown-key", "A key the schema does not know.", Error),
        Code::MissingKey => ("missing-key", "A required key is missing.", Error),
        Code::WrongType => ("wrong-type", "A value has the wrong type.", Error),
        Code::InvalidValue => (
            "invalid-value",
            "A value is outside the allowed set.",
            Error,
        ),
        Code::OutOfRange => ("out-of-range", "A number is outside its range.", Error),
        Code::InvalidString => (
            "invalid-string",
            "A string has the wrong length or shape.",
            Error,
        ),
        Code::Schema => ("schema", "A value breaks another schema rule.", Error),
        Code::ConnectionString => (
            "connection-string",
            "A connection string is malformed.",
            Error,
        ),
        Code::DuplicateConnection => (
            "duplicate-connection",
            "Two documents describe the same (cloud, sandbox, name).",
            Error,
        ),
        Code::PlaintextSecret => (
            "plaintext-secret",
            "A secret is written in plain text instead of a ${VAR} reference.",
            Error,
        ),
        Code::Interpolation => ("interpolation", "A ${VAR} reference is malformed.", Error),
        Code::SuspiciousPort => (
            "suspicious-port",
            "A PostgreSQL connection uses MySQL's port 3306.",
            Warning,
        ),
        Code::MissingVariable => (
            "missing-variable",
            "A ${VAR} reference names an unset environment variable.",
            Error,
        ),
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A file path as a URI reference: relative to `base` when under it (with
/// `%SRCROOT%` as its base id), else a `file://` URI.
fn artifact(file: &Path, base: &Path) -> Value {
    let relative = if file.is_absolute() {
        file.strip_prefix(base).ok()
    } else {
        Some(file)
    };
    match relative {
        Some(rel) => {
            let parts: Vec<String> = rel
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .map(|c| encode(&c.as_os_str().to_string_lossy()))
                .collect();
            json!({ "uri": parts.join("/"), "uriBaseId": "%SRCROOT%" })
        }
        None => match url::Url::from_file_path(file) {
            Ok(url) => json!({ "uri": url.as_str() }),
            Err(()) => json!({ "uri": encode(&file.to_string_lossy()) }),
        },
    }
}

/// Percent-encodes all but RFC 3986 unreserved characters.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF log for `diags`; `base` is the folder relative URIs start from.
pub fn render(diags: &[Diagnostic], base: &Path) -> String {
    let mut codes: Vec<Code> = ALL.to_vec();
    for d in diags {
        if !codes.contains(&d.code) {
            codes.push(d.code);
        }
    }
    let rules: Vec<Value> = codes
        .iter()
        .map(|code| {
            let (name, description, severity) = describe(*code);
            json!({
                "id": code.as_str(),
                "name": name,
                "shortDescription": { "text": description },
                "fullDescription": { "text": description },
                "defaultConfiguration": { "level": level(severity) },
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": codes.iter().position(|c| *c == d.code).unwrap_or(0),
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact(&d.file, base),
                        "region": { "startLine": d.line.max(1), "startColumn": d.column.max(1) },
                    }
                }],
            })
        })
        .collect();
    let mut root_uri = url::Url::from_directory_path(base)
        .map(String::from)
        .unwrap_or_default();
    if root_uri.is_empty() {
        root_uri.push_str("file:///");
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "provision",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "uri": root_uri } },
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}
