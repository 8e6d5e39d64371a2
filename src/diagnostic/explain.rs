//! What `provision explain` prints and the generated codes reference page:
//! both read the one table in `code.rs`, so the terminal, SARIF viewers and
//! the docs say the same thing about every code.

use std::fmt::Write as _;

use super::{Code, Severity};

/// Where the generated reference lives, relative to the repository root;
/// SARIF rules link to `{REFERENCE_PATH}#{anchor}`.
pub(crate) const REFERENCE_PATH: &str = "docs/reference/codes.md";

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The title line, the summary and the long explanation of one code.
pub(crate) fn explain(code: Code) -> String {
    format!(
        "{} {} ({} by default)\n{}\n\n{}",
        code.as_str(),
        code.name(),
        severity_word(code.default_severity()),
        code.summary(),
        code.explanation()
    )
}

/// One line per code: code, severity, name and summary, in columns.
pub(crate) fn list_codes() -> String {
    let width = Code::ALL.iter().map(|c| c.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for code in Code::ALL {
        let _ = writeln!(
            out,
            "{}  {:<7}  {:<width$}  {}",
            code.as_str(),
            severity_word(code.default_severity()),
            code.name(),
            code.summary()
        );
    }
    out.push_str("\nRun `provision explain CODE` for what a code means and how to fix it.\n");
    out
}

/// Reads a code as `provision explain` takes it (any case). An unknown code
/// is refused naming the nearest one, matched on codes and rule names.
pub(crate) fn parse_code(text: &str) -> Result<Code, String> {
    if let Some(code) = Code::parse(text) {
        return Ok(code);
    }
    let wanted = text.trim().to_ascii_lowercase();
    let score = |code: &Code| {
        let by_code = strsim::jaro_winkler(&wanted, &code.anchor());
        let by_name = strsim::jaro_winkler(&wanted, code.name());
        by_code.max(by_name)
    };
    let nearest = Code::ALL
        .iter()
        .max_by(|a, b| score(a).total_cmp(&score(b)))
        .map_or("P001", |code| code.as_str());
    Err(format!(
        "unknown diagnostic code `{text}`: did you mean `{nearest}`? (`provision explain` lists every code)"
    ))
}

/// The codes reference page, `docs/reference/codes.md`: a summary table,
/// then one section per code with an anchor that is its lowercase code.
/// A test in `tests/it` keeps the committed page equal to this.
#[doc(hidden)]
pub fn codes_reference() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         <!-- Generated from the code table in src/diagnostic/code.rs and \
         src/diagnostic/explain/*.md. Do not edit: run \
         `PROVISION_UPDATE_DOCS=1 cargo test --test it codes` to rewrite it. -->\n\n\
         Every problem `provision` reports carries one of these codes, a \
         severity and a source position. `provision explain CODE` prints a \
         code's section in the terminal (`provision explain v203` works too), \
         and `provision explain` lists them all. Options can change a \
         severity: `--allow-plaintext-secrets` makes V203 a warning, \
         `--warnings-as-errors` fails a run on warnings.\n\n\
         SARIF output (`provision validate --format sarif`) carries each \
         code's explanation as the rule's `help`, with a link to its section \
         here (for V203, the anchor `#v203` of this page). It sets no `helpUri`: SARIF \
         2.1.0 requires an absolute URI there, and these pages have no \
         hosted address.\n\n\
         | code | name | severity | summary |\n| --- | --- | --- | --- |\n",
    );
    for code in Code::ALL {
        let _ = writeln!(
            out,
            "| [{}](#{}) | `{}` | {} | {} |",
            code.as_str(),
            code.anchor(),
            code.name(),
            severity_word(code.default_severity()),
            code.summary().replace('|', "\\|")
        );
    }
    for code in Code::ALL {
        let _ = write!(
            out,
            "\n<a id=\"{}\"></a>\n\n## {} {}\n\nSeverity: {}. {}\n\n{}",
            code.anchor(),
            code.as_str(),
            code.name(),
            severity_word(code.default_severity()),
            code.summary(),
            code.explanation()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Code, codes_reference, explain, list_codes, parse_code};

    #[test]
    fn an_explanation_opens_with_code_name_and_severity() {
        let text = explain(Code::PlaintextSecret);
        assert!(
            text.starts_with("V203 plaintext-secret (error by default)\n"),
            "{text}"
        );
        assert!(text.contains("### Fix"), "{text}");
    }

    #[test]
    fn the_list_has_one_line_per_code() {
        let list = list_codes();
        for code in Code::ALL {
            let line = list.lines().find(|l| l.starts_with(code.as_str()));
            assert!(
                line.is_some_and(|l| l.contains(code.name()) && l.ends_with(code.summary())),
                "{}: {list}",
                code.as_str()
            );
        }
    }

    #[test]
    fn unknown_codes_name_the_nearest_one() {
        assert_eq!(parse_code("v203"), Ok(Code::PlaintextSecret));
        let err = parse_code("V2033").unwrap_err();
        assert!(err.contains("`V2033`") && err.contains("`V203`"), "{err}");
        let err = parse_code("plaintext-secrets").unwrap_err();
        assert!(err.contains("`V203`"), "{err}");
        assert!(parse_code("").is_err());
    }

    #[test]
    fn the_reference_has_a_section_and_a_table_row_per_code() {
        let page = codes_reference();
        for code in Code::ALL {
            let anchor = format!("<a id=\"{}\"></a>", code.anchor());
            let heading = format!("\n## {} {}\n", code.as_str(), code.name());
            let row = format!("| [{}](#{}) |", code.as_str(), code.anchor());
            assert!(
                page.contains(&anchor) && page.contains(&heading) && page.contains(&row),
                "{}",
                code.as_str()
            );
        }
    }
}
