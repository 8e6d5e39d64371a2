//! Editors (yaml-language-server) read the schema modeline
//! `# yaml-language-server: $schema=…` per YAML document, from the comments
//! that lead it: in a file of several documents, one without its own
//! modeline is not checked while you type, though `provision` checks it.
//! Warn when a later document lacks the modeline the first one has (naming
//! the schema of its own kind), and when a modeline names the schema of
//! the other kind (a dataflow checked as a connection).

use std::path::Path;

use crate::config::ResourceKind;
use crate::config::load::Node;
use crate::config::schema::{CONNECTION_SCHEMA_FILE, DATAFLOW_SCHEMA_FILE};
use crate::diagnostic::{Code, Diagnostic, Position};

/// One line of YAML text, as far as document boundaries and leading
/// comments are concerned (markers and directives sit at column 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line<'t> {
    Blank,
    /// A whole-line comment, from its `#`.
    Comment(&'t str),
    /// `---`, with the comment that may follow it on the same line.
    Start(Option<&'t str>),
    /// `...`: the document before it has ended.
    End,
    /// `%YAML …`, `%TAG …`.
    Directive,
    Content,
}

fn marker<'t>(line: &'t str, marker: &str) -> Option<&'t str> {
    let rest = line.strip_prefix(marker)?;
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then(|| rest.trim_start())
}

fn classify(line: &str) -> Line<'_> {
    if let Some(rest) = marker(line, "---") {
        return match rest {
            "" => Line::Start(None),
            comment if comment.starts_with('#') => Line::Start(Some(comment)),
            // `--- {name: …}`: the document starts on the marker's line.
            _ => Line::Content,
        };
    }
    if marker(line, "...").is_some() {
        return Line::End;
    }
    if line.starts_with('%') {
        return Line::Directive;
    }
    let text = line.trim_start();
    if text.is_empty() {
        Line::Blank
    } else if text.starts_with('#') {
        Line::Comment(text)
    } else {
        Line::Content
    }
}

/// yaml-language-server's test: `#`, whitespace, its name, a colon.
fn is_modeline(comment: &str) -> bool {
    comment
        .strip_prefix('#')
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .map(|rest| rest.trim_start())
        .and_then(|rest| rest.strip_prefix("yaml-language-server"))
        .is_some_and(|rest| rest.trim_start().starts_with(':'))
}

/// The schema a modeline names: the first `$schema=` followed by a word.
fn schema_of(modeline: &str) -> Option<&str> {
    modeline.match_indices("$schema=").find_map(|(at, key)| {
        let rest = &modeline[at + key.len()..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    })
}

/// Where a document begins: the `---` that opens it (if any) and the
/// modeline among its leading comments (the editor takes the first one).
struct Lead<'t> {
    start: Option<usize>,
    /// The modeline and its 0-based line.
    modeline: Option<(usize, &'t str)>,
}

/// The comments that lead the document whose content starts at `content`
/// (0-based line): those after its `---`, on the `---` line itself, and
/// those before the `---` when nothing but an end marker (`...`) or the
/// file's start precedes them. Comments just above a `---` otherwise
/// belong to the previous document, as in yaml-language-server.
fn lead<'t>(lines: &[Line<'t>], content: usize) -> Lead<'t> {
    let mut own = Vec::new();
    let mut above = Vec::new();
    let mut start = None;
    // Whether the comments above our `---` lead this document too.
    let mut above_is_ours = true;
    for index in (0..content.min(lines.len())).rev() {
        match lines[index] {
            Line::Blank | Line::Directive => {}
            Line::Comment(c) if start.is_none() => own.push((index, c)),
            Line::Comment(c) => above.push((index, c)),
            Line::Start(comment) if start.is_none() => {
                start = Some(index);
                own.extend(comment.map(|c| (index, c)));
            }
            Line::End => break,
            // The previous document's content, or a second `---` (an empty
            // document between): what is above is theirs.
            Line::Start(_) | Line::Content => {
                above_is_ours = false;
                break;
            }
        }
    }
    if above_is_ours {
        own.extend(above);
    }
    // Collected bottom-up; the editor takes the first modeline top-down.
    let modeline = own.into_iter().rev().find(|(_, c)| is_modeline(c));
    Lead {
        start,
        modeline: modeline.filter(|(_, m)| schema_of(m).is_some()),
    }
}

/// The 0-based line where a document's content starts.
fn content_line(lines: &[Line<'_>], doc: &Node) -> usize {
    let from = (doc.pos.line as usize).saturating_sub(1);
    (from..lines.len())
        .find(|&i| lines[i] == Line::Content)
        .unwrap_or(from)
}

/// The schema file of a document kind.
fn schema_file(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Connection => CONNECTION_SCHEMA_FILE,
        ResourceKind::Dataflow => DATAFLOW_SCHEMA_FILE,
    }
}

/// The kind whose committed schema `modeline` names, by file name.
fn kind_named(modeline: &str) -> Option<ResourceKind> {
    let schema = schema_of(modeline)?;
    let file = schema.rsplit(['/', '\\']).next()?;
    [ResourceKind::Connection, ResourceKind::Dataflow]
        .into_iter()
        .find(|kind| schema_file(*kind) == file)
}

/// `modeline` naming the schema of `kind` instead, when it names one of
/// the committed kinds' schemas (a path of another project stays as is).
fn for_kind(modeline: &str, kind: Option<ResourceKind>) -> String {
    match (kind_named(modeline), kind) {
        (Some(named), Some(kind)) if named != kind => {
            modeline.replacen(schema_file(named), schema_file(kind), 1)
        }
        _ => modeline.to_owned(),
    }
}

/// The modeline warnings of a file: P014 for every later document of a
/// multi-document file that lacks the modeline its first document has,
/// V228 for a document whose modeline names the other kind's schema.
pub(super) fn check_modelines(path: &Path, text: &str, documents: &[Node]) -> Vec<Diagnostic> {
    if documents.is_empty() || !text.contains("yaml-language-server") {
        return Vec::new();
    }
    let lines: Vec<Line<'_>> = text.lines().map(classify).collect();
    let kinds: Vec<Option<ResourceKind>> = documents.iter().map(super::kind::written).collect();
    let leads: Vec<Lead<'_>> = documents
        .iter()
        .map(|doc| lead(&lines, content_line(&lines, doc)))
        .collect();
    let mut diagnostics = Vec::new();
    for (index, found) in leads.iter().enumerate() {
        let (Some((line, modeline)), Some(kind)) = (found.modeline, kinds[index]) else {
            continue;
        };
        let Some(named) = kind_named(modeline).filter(|named| *named != kind) else {
            continue;
        };
        let column = text
            .lines()
            .nth(line)
            .and_then(|raw| raw.find(modeline).map(|at| raw[..at].chars().count()))
            .unwrap_or(0);
        diagnostics.push(
            Diagnostic::warning(
                Code::ModelineKind,
                path,
                Position::new(line as u32 + 1, column as u32 + 1),
                format!(
                    "document {} is a {}, but its modeline names `{}`, the {} schema: editors check it against the wrong schema",
                    index + 1,
                    kind.as_str(),
                    schema_of(modeline).unwrap_or_default(),
                    named.as_str()
                ),
            )
            .in_document(index, "")
            .with_help(format!("write `{}`", for_kind(modeline, Some(kind)))),
        );
    }
    if documents.len() < 2 {
        return diagnostics;
    }
    let Some((_, modeline)) = leads[0].modeline else {
        return diagnostics;
    };
    for (index, doc) in documents.iter().enumerate().skip(1) {
        let found = &leads[index];
        if found.modeline.is_some() {
            continue;
        }
        let (pos, place) = match found.start {
            Some(line) => (Position::new(line as u32 + 1, 1), "after this `---`"),
            None => (doc.pos, "above this document"),
        };
        diagnostics.push(
            Diagnostic::warning(
                Code::MissingModeline,
                path,
                pos,
                format!(
                    "document {} has no schema modeline, unlike the first document: editors do not check it against the schema",
                    index + 1
                ),
            )
            .in_document(index, "")
            .with_help(format!(
                "editors read the modeline per document: repeat `{}` {place}",
                for_kind(modeline, kinds[index])
            )),
        );
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;

    const ML: &str = "# yaml-language-server: $schema=../../schema/connection.schema.json";

    /// The document numbers (1-based) warned about, and the warnings' lines.
    fn warned(text: &str) -> Vec<(usize, u32)> {
        let docs = crate::config::yaml::parse(text).unwrap_or_else(|e| panic!("{}", e.message));
        check_modelines(Path::new("c.yaml"), text, &docs)
            .iter()
            .map(|d| (d.document.unwrap_or(99) + 1, d.line))
            .collect()
    }

    #[test]
    fn recognises_what_the_editor_recognises() {
        assert!(is_modeline(ML));
        assert!(is_modeline("#\tyaml-language-server : $schema=x"));
        assert!(!is_modeline("#yaml-language-server: $schema=x"));
        assert!(!is_modeline("# yaml-language-server $schema=x"));
        assert_eq!(schema_of(ML), Some("../../schema/connection.schema.json"));
        assert_eq!(schema_of("# yaml-language-server: $schema= x"), None);
    }

    #[test]
    fn later_documents_need_their_own_modeline() {
        let doc = "name: a\nsandbox: prod\n";
        assert_eq!(warned(&format!("{ML}\n{doc}---\n{doc}")), [(2, 4)]);
        assert_eq!(warned(&format!("{ML}\n{doc}---\n{ML}\n{doc}")), []);
        assert_eq!(warned(&format!("{ML}\n{doc}--- {ML}\n{doc}")), []);
        assert_eq!(
            warned(&format!("{ML}\n{doc}---\n\n# other\n  {ML}\n{doc}")),
            []
        );
        // Just above the `---` it belongs to the previous document...
        assert_eq!(warned(&format!("{ML}\n{doc}{ML}\n---\n{doc}")), [(2, 5)]);
        // ...unless that one ended with `...`.
        assert_eq!(warned(&format!("{ML}\n{doc}...\n{ML}\n---\n{doc}")), []);
        // Not leading: a trailing comment or one inside the document.
        assert_eq!(
            warned(&format!("{ML}\n{doc}---\nname: b\n{ML}\nsandbox: p\n")),
            [(2, 4)]
        );
        assert_eq!(
            warned(&format!("{ML}\n{doc}---\n{doc}---\n{ML}\n{doc}")),
            [(2, 4)]
        );
    }

    #[test]
    fn the_first_document_decides() {
        let doc = "name: a\nsandbox: prod\n";
        assert_eq!(warned(&format!("{doc}---\n{ML}\n{doc}")), []);
        assert_eq!(warned(&format!("{ML}\n---\n{doc}---\n{doc}")), [(2, 5)]);
        assert_eq!(
            warned(&format!("%YAML 1.2\n{ML}\n---\n{doc}---\n{doc}")),
            [(2, 6)]
        );
        assert_eq!(warned(&format!("{ML}\n{doc}")), []);
        // A modeline without `$schema=` names no schema: nothing to repeat.
        assert_eq!(
            warned(&format!("# yaml-language-server: off\n{doc}---\n{doc}")),
            []
        );
        // Empty documents are skipped, and their comments are theirs.
        assert_eq!(
            warned(&format!("{ML}\n{doc}---\n{ML}\n---\n{doc}")),
            [(2, 6)]
        );
    }

    #[test]
    fn each_kind_has_its_schema() {
        const DF: &str = "# yaml-language-server: $schema=../../schema/dataflow.schema.json";
        let conn = "name: a\nsandbox: prod\n";
        let flow = "kind: dataflow\nname: a\n";
        let found = |text: &str| {
            let docs = crate::config::yaml::parse(text).unwrap_or_else(|e| panic!("{}", e.message));
            check_modelines(Path::new("c.yaml"), text, &docs)
                .into_iter()
                .map(|d| (d.code, d.line, d.column, d.help.unwrap_or_default()))
                .collect::<Vec<_>>()
        };
        assert_eq!(found(&format!("{ML}\n{conn}---\n{DF}\n{flow}")), []);
        assert_eq!(found(&format!("{DF}\n{flow}---\n{ML}\n{conn}")), []);
        // A later dataflow without one is told the dataflow schema.
        let missing = found(&format!("{ML}\n{conn}---\n{flow}"));
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert_eq!(missing[0].0, Code::MissingModeline);
        assert!(
            missing[0]
                .3
                .ends_with(&format!("repeat `{DF}` after this `---`"))
        );
        // The other kind's schema, on the `---` line too.
        let wrong = found(&format!("{ML}\n{flow}---\n{DF}\n{conn}--- {ML}\n{flow}"));
        let places: Vec<(Code, u32, u32)> = wrong.iter().map(|w| (w.0, w.1, w.2)).collect();
        assert_eq!(
            places,
            [
                (Code::ModelineKind, 1, 1),
                (Code::ModelineKind, 5, 1),
                (Code::ModelineKind, 8, 5)
            ]
        );
        assert_eq!(wrong[0].3, format!("write `{DF}`"));
        assert_eq!(wrong[1].3, format!("write `{ML}`"));
        // Another project's schema is no kind's: left alone.
        let other = "# yaml-language-server: $schema=https://example.com/flow.json";
        assert_eq!(found(&format!("{other}\n{flow}")), []);
    }

    #[test]
    fn crlf_files_are_read_alike() {
        let text = format!("{ML}\nname: a\n---\n{ML}\nname: b\n").replace('\n', "\r\n");
        assert_eq!(warned(&text), []);
        let text = format!("{ML}\nname: a\n---\nname: b\n").replace('\n', "\r\n");
        assert_eq!(warned(&text), [(2, 3)]);
    }
}
