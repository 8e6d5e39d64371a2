//! SARIF 2.1.0 output of `validate`, for GitHub code scanning and other
//! SARIF viewers: one rule per diagnostic code, one result per diagnostic,
//! locations as URIs relative to the folder `provision` ran in.

use std::path::Path;

use serde_json::{Value, json};

use crate::diagnostic::{Code, Diagnostic, REFERENCE_PATH, Severity};

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

/// One rule per code, at the code's index in [`Code::ALL`]. `help` holds
/// the code's explanation and a link to its section of the codes reference.
/// No `helpUri`: SARIF 2.1.0 wants an absolute URI there (its schema says
/// `"format": "uri"`), and the reference has no hosted address, only its
/// path in the repository, which viewers resolve against the checkout.
fn rule(code: Code) -> Value {
    let anchor = format!("{REFERENCE_PATH}#{}", code.anchor());
    let see = format!("run `provision explain {}` or see", code.as_str());
    let first_paragraph = code.explanation().split("\n\n").next().unwrap_or_default();
    json!({
        "id": code.as_str(),
        "name": code.name(),
        "shortDescription": { "text": code.summary() },
        "fullDescription": { "text": first_paragraph.replace('\n', " ") },
        "help": {
            "text": format!("{}\nMore: {see} {anchor}.", code.explanation()),
            "markdown": format!("{}\nMore: {see} [{anchor}]({anchor}).", code.explanation()),
        },
        "defaultConfiguration": { "level": level(code.default_severity()) },
    })
}

/// The SARIF log for `diags`; `base` is the folder relative URIs start from.
pub(crate) fn render(diags: &[Diagnostic], base: &Path) -> String {
    let rules: Vec<Value> = Code::ALL.iter().map(|code| rule(*code)).collect();
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
                "ruleIndex": d.code.index(),
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
            // Columns count Unicode code points (characters), as the YAML
            // parser and the text renderer do.
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "uri": root_uri } },
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}
