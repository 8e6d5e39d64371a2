//! Loading YAML text into a tree of nodes that remember where they came
//! from, so every later check can point at file:line:column. This is the only
//! module that knows about the YAML parser.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::{DuplicateKeyPolicy, Options, Spanned};

use crate::diagnostic::{Code, Diagnostic, Position};

/// Larger files are refused before parsing: a connection file is a few
/// hundred bytes, and the cap bounds time and memory on hostile input.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Alias expansion budget: generous for real files, fatal to alias bombs.
const MAX_REPLAYED_EVENTS: usize = 10_000;

/// A YAML node with its 1-based source position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    pub pos: Position,
}

/// The YAML value of a node. Mapping entries keep their key nodes, so an
/// unknown key can be pointed at rather than its value.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The node at a JSON pointer, or the deepest existing node on the way
    /// there (for a missing key, that is the enclosing mapping).
    pub fn at(&self, pointer: &str) -> &Node {
        let mut node = self;
        for raw in pointer.split('/').skip(1) {
            let step = raw.replace("~1", "/").replace("~0", "~");
            match node.child(&step) {
                Some(child) => node = child,
                None => break,
            }
        }
        node
    }

    /// The key node of `key` in the mapping at `pointer`, if both exist.
    pub fn key_at(&self, pointer: &str, key: &str) -> Option<&Node> {
        self.at(pointer).entry(key).map(|(k, _)| k)
    }

    /// The value node of `key` when this node is a mapping holding it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|(k, _)| k.key_is(key)),
            _ => None,
        }
    }

    fn key_is(&self, key: &str) -> bool {
        match &self.value {
            NodeValue::String(s) => s == key,
            _ => self.scalar_text().as_deref() == Some(key),
        }
    }

    fn child(&self, step: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(_) => self.get(step),
            NodeValue::Seq(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
    }

    /// The text of a scalar as a JSON object key would hold it.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            NodeValue::String(s) => Some(s.clone()),
            NodeValue::Bool(b) => Some(b.to_string()),
            NodeValue::Int(i) => Some(i.to_string()),
            NodeValue::UInt(u) => Some(u.to_string()),
            NodeValue::Float(f) => Some(f.to_string()),
            NodeValue::Null => Some("null".into()),
            NodeValue::Seq(_) | NodeValue::Map(_) => None,
        }
    }

    /// What kind of YAML value this is, for messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) | NodeValue::UInt(_) => "an integer",
            NodeValue::Float(_) => "a number",
            NodeValue::String(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }

    /// The JSON value the schema validates. Non-scalar keys cannot occur:
    /// [`load_str`] rejects them while parsing.
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::UInt(u) => Value::from(*u),
            NodeValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(f.to_string())),
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.scalar_text().unwrap_or_default(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<NodeValue>::deserialize(deserializer)?;
        let loc = spanned.referenced;
        Ok(Node {
            value: spanned.value,
            pos: Position::new(loc.line() as u32, loc.column() as u32),
        })
    }
}

impl<'de> Deserialize<'de> for NodeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<NodeValue, E> {
        Ok(NodeValue::UInt(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<NodeValue, E> {
        Ok(NodeValue::String(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<NodeValue, E> {
        Ok(NodeValue::String(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<NodeValue, E> {
        Ok(NodeValue::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<NodeValue, E> {
        Ok(NodeValue::String(v))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<NodeValue, E> {
        Err(E::custom("binary values are not supported"))
    }
    fn visit_unit<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_none<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeValue, D::Error> {
        NodeValue::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(NodeValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(key) = map.next_key::<Node>()? {
            if key.scalar_text().is_none() {
                return Err(de::Error::custom(format!(
                    "a mapping key must be a plain value, found {} at line {}",
                    key.kind(),
                    key.pos.line
                )));
            }
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(NodeValue::Map(entries))
    }
}

/// A file read and parsed: its text (for snippets) and its documents.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub documents: Vec<Node>,
}

fn yaml_options() -> Options {
    let mut options = Options::default();
    options.strict_booleans = true;
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.with_snippet = false;
    options.alias_limits.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    options.alias_limits.max_alias_expansions_per_anchor = 1_000;
    options
}

/// Reads and parses one file. On failure the diagnostic says why and where;
/// the text is still returned when it was readable, for the snippet.
pub fn load_file(path: &Path) -> Result<SourceFile, (Diagnostic, Option<String>)> {
    let fail = |code, pos, message: String| (Diagnostic::error(code, path, pos, message), None);
    let meta = std::fs::metadata(path)
        .map_err(|e| fail(Code::Io, Position::START, format!("cannot read file: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(
            Code::FileTooLarge,
            Position::START,
            format!(
                "file is {} bytes; connection files are limited to {} bytes (1 MiB)",
                meta.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| fail(Code::Io, Position::START, format!("cannot read file: {e}")))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
            let pos = Position::of_offset(&String::from_utf8_lossy(valid), valid.len());
            return Err(fail(
                Code::NotUtf8,
                pos,
                "file is not valid UTF-8: expected UTF-8 text".into(),
            ));
        }
    };
    match load_str(path, &text) {
        Ok(documents) => Ok(SourceFile {
            path: path.to_owned(),
            text,
            documents,
        }),
        Err(diag) => Err((diag, Some(text))),
    }
}

/// Parses YAML text (all documents) into nodes.
pub fn load_str(path: &Path, text: &str) -> Result<Vec<Node>, Diagnostic> {
    serde_saphyr::from_str_multiple_with_options::<Node, Vec<Node>>(text, yaml_options())
        .map_err(|err| syntax_diagnostic(path, text, &err))
}

fn syntax_diagnostic(path: &Path, text: &str, err: &serde_saphyr::Error) -> Diagnostic {
    let mut pos = err
        .location()
        .filter(|loc| loc.line() > 0)
        .map(|loc| Position::new(loc.line() as u32, loc.column().max(1) as u32))
        .unwrap_or(Position::START);
    let raw = err.to_string();
    let message = first_line(&raw);
    let lower = message.to_ascii_lowercase();
    let code = if lower.contains("duplicate") {
        Code::DuplicateKey
    } else if lower.contains("budget") || lower.contains("alias") || lower.contains("limit") {
        Code::YamlBudget
    } else {
        Code::YamlSyntax
    };
    if code == Code::YamlSyntax && (lower.contains(" tab") || lower.contains("\\t")) {
        // The scanner reports where the token began; point at the tab itself.
        let start = text
            .lines()
            .take(pos.line as usize - 1)
            .map(|l| l.len() + 1)
            .sum::<usize>();
        if let Some(i) = text.get(start..).and_then(|rest| rest.find('\t')) {
            pos = Position::of_offset(text, start + i);
        }
        return Diagnostic::error(code, path, pos, format!("invalid YAML: {message}"))
            .with_help("YAML does not allow tabs for indentation: indent with spaces");
    }
    let message = match code {
        Code::DuplicateKey => {
            let key = message
                .split_once(':')
                .map(|(_, rest)| rest.split(',').next().unwrap_or("").trim().to_owned())
                .unwrap_or_default();
            format!("duplicate key `{key}`: each key may appear once in a mapping")
        }
        Code::YamlBudget => format!(
            "{message}: the document expands beyond what a connection file needs (alias bomb?)"
        ),
        _ => format!("invalid YAML: {message}"),
    };
    Diagnostic::error(code, path, pos, message)
}

/// The parser's message without its own location suffix (we print ours).
fn first_line(raw: &str) -> String {
    let line = raw.lines().next().unwrap_or(raw).trim();
    let line = match line.find(" at line ") {
        Some(i) => &line[..i],
        None => line,
    };
    line.trim_end_matches('.').to_owned()
}
