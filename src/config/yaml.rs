//! The module that builds the tree from the YAML parser (the other reader
//! of its events is `secrets.rs`, which only finds secret spans for masking
//! snippets). It turns parser events into
//! [`Node`]s with positions, resolving plain scalars by the YAML 1.2 core
//! schema (`no` is a string), rejecting duplicate keys, and expanding aliases
//! within a budget so an alias bomb stops early.

use std::collections::HashMap;
use std::path::Path;

use granit_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use super::node::{Node, NodeValue};
use crate::diagnostic::{Code, Diagnostic, Position};

/// Nodes that alias expansion may add to one file: far beyond any real
/// connection file, far below what a billion-laughs document asks for.
pub const MAX_ALIAS_NODES: usize = 10_000;
/// Bytes of text that alias expansion may add to one file: counting nodes
/// alone lets a few aliases of one huge anchored scalar grow without bound.
pub const MAX_ALIAS_BYTES: usize = 1024 * 1024;
/// Nesting depth; deeper documents are not connection files, and the limit
/// keeps every recursive walk over nodes shallow.
pub const MAX_DEPTH: usize = 64;

/// Why a file did not parse, and where.
#[derive(Debug)]
pub struct YamlError {
    pub code: Code,
    pub pos: Position,
    pub message: String,
    pub help: Option<&'static str>,
    /// For a repeated key: where the key first appears.
    pub first: Option<Position>,
}

impl YamlError {
    fn new(code: Code, pos: Position, message: String) -> Self {
        YamlError {
            code,
            pos,
            message,
            help: None,
            first: None,
        }
    }

    pub fn into_diagnostic(self, path: &Path, _text: &str) -> Diagnostic {
        let d = Diagnostic::error(self.code, path, self.pos, self.message);
        match (self.help, self.first) {
            (Some(help), _) => d.with_help(help),
            (None, Some(first)) => d.with_help(format!(
                "first defined at {}:{}:{}; remove one of them",
                path.display(),
                first.line,
                first.column
            )),
            (None, None) => d,
        }
    }
}

fn position(span: &Span) -> Position {
    Position::new(span.start.line() as u32, span.start.col() as u32 + 1)
}

fn scan_error(err: &ScanError, text: &str) -> YamlError {
    let mark = err.marker();
    let mut pos = Position::new(mark.line() as u32, mark.col() as u32 + 1);
    let info = err.info();
    let tab = info.to_ascii_lowercase().contains("tab");
    if tab {
        // The scanner reports where a token began, which may be past the
        // tab (the next line); point at the first tab of an indentation up
        // to the reported line, else the first tab after the mark.
        let start = mark.byte_offset().unwrap_or(0);
        let found = first_indent_tab(text, pos.line)
            .or_else(|| text.get(start..)?.find('\t').map(|i| start + i));
        if let Some(offset) = found {
            pos = Position::of_offset(text, offset);
        }
    }
    let mut e = YamlError::new(Code::YamlSyntax, pos, format!("invalid YAML: {info}"));
    if tab {
        e.help = Some("YAML does not allow tabs for indentation: indent with spaces");
    }
    e
}

/// Byte offset of the first tab in the leading whitespace of a line at or
/// before line `last` (1-based), counting lines as YAML does.
fn first_indent_tab(text: &str, last: u32) -> Option<usize> {
    let mut line = 1u32;
    let mut indent = true;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'\n' | b'\r' => {
                // CRLF ends one line, not two.
                if !(*b == b'\n' && i > 0 && bytes[i - 1] == b'\r') {
                    line += 1;
                }
                if line > last {
                    return None;
                }
                indent = true;
            }
            b'\t' if indent => return Some(i),
            b' ' => {}
            _ => indent = false,
        }
    }
    None
}

enum Frame {
    Seq {
        pos: Position,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Position,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        /// Keys seen and where, once the mapping is large enough that
        /// scanning `entries` for duplicates would go quadratic.
        seen: Option<HashMap<String, Position>>,
        /// The key just read repeats an earlier one: its value is dropped.
        skip: bool,
    },
}

/// Up to this many keys a linear duplicate scan beats hashing.
const LINEAR_KEYS: usize = 16;

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    alias_bytes: usize,
    root: Option<Node>,
    /// Repeated keys of the current document: reported, and parsing goes on
    /// with the first value so the file's other problems are found too.
    duplicates: Vec<YamlError>,
}

impl Builder {
    fn open(&mut self, frame: Frame, pos: Position) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError::new(
                Code::YamlBudget,
                pos,
                format!(
                    "nesting deeper than {MAX_DEPTH} levels: a connection file is a few levels deep"
                ),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self) -> Result<(), YamlError> {
        let (node, anchor) = match self.stack.pop() {
            Some(Frame::Seq { pos, anchor, items }) => (
                Node {
                    value: NodeValue::Seq(items),
                    pos,
                },
                anchor,
            ),
            Some(Frame::Map {
                pos,
                anchor,
                entries,
                ..
            }) => (
                Node {
                    value: NodeValue::Map(entries),
                    pos,
                },
                anchor,
            ),
            None => return Ok(()),
        };
        self.complete(node, anchor)
    }

    /// A finished node goes into its parent (or becomes the document root).
    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                seen,
                skip,
                ..
            }) => match key.take() {
                Some(_) if *skip => *skip = false,
                Some(k) => entries.push((k, node)),
                None => {
                    let Some(text) = node.scalar_text() else {
                        return Err(YamlError::new(
                            Code::YamlSyntax,
                            node.pos,
                            format!(
                                "invalid YAML: a mapping key must be a plain value, found {}",
                                node.kind()
                            ),
                        ));
                    };
                    let first = match seen {
                        Some(map) => match map.get(&text) {
                            Some(pos) => Some(*pos),
                            None => {
                                map.insert(text.clone(), node.pos);
                                None
                            }
                        },
                        None => {
                            let found = entries
                                .iter()
                                .find(|(k, _)| k.key_is(&text))
                                .map(|(k, _)| k.pos);
                            if found.is_none() && entries.len() >= LINEAR_KEYS {
                                let mut map: HashMap<String, Position> = entries
                                    .iter()
                                    .filter_map(|(k, _)| Some((k.scalar_text()?, k.pos)))
                                    .collect();
                                map.insert(text.clone(), node.pos);
                                *seen = Some(map);
                            }
                            found
                        }
                    };
                    if let Some(first) = first {
                        let mut e = YamlError::new(
                            Code::DuplicateKey,
                            node.pos,
                            format!(
                                "duplicate key `{text}`: each key may appear once in a mapping"
                            ),
                        );
                        e.first = Some(first);
                        self.duplicates.push(e);
                        *skip = true;
                    }
                    *key = Some(node);
                }
            },
        }
        Ok(())
    }

    fn alias(&mut self, id: usize, pos: Position) -> Result<(), YamlError> {
        let Some(target) = self.anchors.get(&id) else {
            return Err(YamlError::new(
                Code::YamlSyntax,
                pos,
                "invalid YAML: alias to an unknown anchor".into(),
            ));
        };
        let (nodes, bytes) = weight(target);
        self.alias_nodes = self.alias_nodes.saturating_add(nodes);
        self.alias_bytes = self.alias_bytes.saturating_add(bytes);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(YamlError::new(
                Code::YamlBudget,
                pos,
                format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} nodes: the document expands beyond what a connection file needs (alias bomb?)"
                ),
            ));
        }
        if self.alias_bytes > MAX_ALIAS_BYTES {
            return Err(YamlError::new(
                Code::YamlBudget,
                pos,
                format!(
                    "aliases expand to more than {MAX_ALIAS_BYTES} bytes of text: the document expands beyond what a connection file needs (alias bomb?)"
                ),
            ));
        }
        let mut node = target.clone();
        node.pos = pos;
        self.complete(node, 0)
    }
}

/// Nodes and bytes of text in a tree: what one alias of it adds.
fn weight(node: &Node) -> (usize, usize) {
    let mut nodes = 0usize;
    let mut bytes = 0usize;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        nodes += 1;
        match &node.value {
            NodeValue::String(s) => bytes += s.len(),
            NodeValue::Seq(items) => stack.extend(items),
            NodeValue::Map(entries) => {
                for (k, v) in entries {
                    stack.push(k);
                    stack.push(v);
                }
            }
            _ => bytes += 8,
        }
    }
    (nodes, bytes)
}

/// Parses every document of a YAML stream. Empty documents are skipped.
/// A repeated key is an error here; [`parse_reporting_duplicates`] goes on.
pub fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    let parsed = parse_reporting_duplicates(text)?;
    match parsed.duplicates.into_iter().next() {
        Some((_, e)) => Err(e),
        None => Ok(parsed.documents),
    }
}

/// A YAML stream's documents and the keys they repeat.
#[derive(Debug, Default)]
pub struct Parsed {
    pub documents: Vec<Node>,
    /// Each repeated key with the index in `documents` of its document.
    pub duplicates: Vec<(usize, YamlError)>,
}

/// Parses every document, keeping the first value of a repeated key and
/// reporting the repeat, so the file's other problems are found too.
pub fn parse_reporting_duplicates(text: &str) -> Result<Parsed, YamlError> {
    let mut documents = Vec::new();
    let mut duplicates = Vec::new();
    let mut builder = Builder::default();
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| scan_error(&e, text))?;
        let pos = position(&span);
        match event {
            Event::DocumentStart(..) => {
                builder.anchors.clear();
                builder.root = None;
            }
            Event::DocumentEnd => {
                if let Some(root) = builder.root.take()
                    && root.value != NodeValue::Null
                {
                    let index = documents.len();
                    duplicates.extend(builder.duplicates.drain(..).map(|e| (index, e)));
                    documents.push(root);
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let core = |name: &str| {
                    tag.as_deref()
                        .is_some_and(|t| t.is_yaml_core_schema_tag(name))
                };
                // `!!int "5432"` is an integer whatever its quotes (YAML 1.2);
                // `!!str 5432` a string.
                let typed = ["int", "float", "bool", "null"].iter().any(|t| core(t));
                let value = if (style == ScalarStyle::Plain && !core("str")) || typed {
                    resolve_plain(&value)
                } else {
                    NodeValue::String(value.into_owned())
                };
                builder.complete(Node { value, pos }, anchor)?;
            }
            Event::SequenceStart(_, anchor, _) => {
                builder.open(
                    Frame::Seq {
                        pos,
                        anchor,
                        items: Vec::new(),
                    },
                    pos,
                )?;
            }
            Event::MappingStart(_, anchor, _) => {
                builder.open(
                    Frame::Map {
                        pos,
                        anchor,
                        entries: Vec::new(),
                        key: None,
                        seen: None,
                        skip: false,
                    },
                    pos,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => builder.close()?,
            Event::Alias(id) => builder.alias(id, pos)?,
            Event::UnresolvedAlias(name) => {
                return Err(YamlError::new(
                    Code::YamlSyntax,
                    pos,
                    format!("invalid YAML: alias `*{name}` has no anchor `&{name}` before it"),
                ));
            }
            _ => {}
        }
    }
    Ok(Parsed {
        documents,
        duplicates,
    })
}

/// YAML 1.2 core schema resolution of a plain scalar (section 10.3.2).
fn resolve_plain(text: &str) -> NodeValue {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "true" | "True" | "TRUE" => return NodeValue::Bool(true),
        "false" | "False" | "FALSE" => return NodeValue::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return NodeValue::Float(f64::NAN),
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        let inf = if text.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return NodeValue::Float(inf);
    }
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return NodeValue::Int(i);
        }
        if let Ok(u) = text.trim_start_matches('+').parse::<u64>() {
            return NodeValue::UInt(u);
        }
        return text
            .parse::<f64>()
            .map_or(NodeValue::String(text.to_owned()), NodeValue::Float);
    }
    if let Some(oct) = text.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return NodeValue::Int(i);
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return NodeValue::Int(i);
    }
    if is_core_float(unsigned)
        && let Ok(f) = text.parse::<f64>()
    {
        return NodeValue::Float(f);
    }
    NodeValue::String(text.to_owned())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` without the sign.
fn is_core_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> NodeValue {
        parse(text).unwrap().remove(0).value
    }

    #[test]
    fn resolves_scalars_by_the_yaml_1_2_core_schema() {
        assert_eq!(resolve_plain("no"), NodeValue::String("no".into()));
        assert_eq!(resolve_plain("yes"), NodeValue::String("yes".into()));
        assert_eq!(resolve_plain("True"), NodeValue::Bool(true));
        assert_eq!(resolve_plain("5432"), NodeValue::Int(5432));
        assert_eq!(resolve_plain("-7"), NodeValue::Int(-7));
        assert_eq!(resolve_plain("0x1F"), NodeValue::Int(31));
        assert_eq!(resolve_plain("0o17"), NodeValue::Int(15));
        assert_eq!(resolve_plain("1.5e3"), NodeValue::Float(1500.0));
        assert_eq!(resolve_plain("~"), NodeValue::Null);
        assert_eq!(resolve_plain("1.2.3"), NodeValue::String("1.2.3".into()));
        assert_eq!(resolve_plain("0777x"), NodeValue::String("0777x".into()));
        assert_eq!(
            one("a: '5432'"),
            NodeValue::Map(vec![(
                Node {
                    value: NodeValue::String("a".into()),
                    pos: Position::new(1, 1)
                },
                Node {
                    value: NodeValue::String("5432".into()),
                    pos: Position::new(1, 4)
                },
            )])
        );
        assert!(matches!(one("!!str 12"), NodeValue::String(s) if s == "12"));
        assert_eq!(one("!!int \"5432\""), NodeValue::Int(5432));
    }

    #[test]
    fn keeps_positions_of_keys_values_and_list_items() {
        let doc = parse("# c\na:\n  b: [x, {y: 1}]\n").unwrap().remove(0);
        assert_eq!(doc.at("/a/b").pos, Position::new(3, 6));
        assert_eq!(doc.at("/a/b/1/y").pos, Position::new(3, 14));
        assert_eq!(
            doc.key_at("/a", "b").map(|k| k.pos),
            Some(Position::new(3, 3))
        );
    }

    #[test]
    fn splits_documents_and_skips_empty_ones() {
        let docs = parse("a: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].pos.line, 4);
    }

    #[test]
    fn aliases_expand_within_budget() {
        let doc = parse("a: &x [1, 2]\nb: *x\n").unwrap().remove(0);
        assert_eq!(doc.at("/b/1").value, NodeValue::Int(2));
        assert_eq!(doc.at("/b").pos, Position::new(2, 4));
        let mut bomb = String::from("a: &a [1,1,1,1,1,1,1,1,1,1]\n");
        for (p, n) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")] {
            bomb.push_str(&format!(
                "{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
            ));
        }
        let err = parse(&bomb).unwrap_err();
        assert_eq!(err.code, Code::YamlBudget);
    }

    #[test]
    fn rejects_duplicate_keys_and_deep_nesting() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(
            (err.code, err.pos),
            (Code::DuplicateKey, Position::new(3, 1))
        );
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(parse(&deep).unwrap_err().code, Code::YamlBudget);
    }
}
