//! Loading files into a tree of nodes that remember where they came from,
//! so every later check can point at file:line:column.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Position};

/// Larger files are refused before parsing: a connection file is a few
/// hundred bytes, and the cap bounds time and memory on hostile input.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

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

    /// True when this (key) node's text is `key`, without allocating for strings.
    pub fn key_is(&self, key: &str) -> bool {
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
            // JSON Schema counts 5432.0 as an integer; so do we.
            NodeValue::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(*f as i64),
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

/// A file read and parsed: its text (for snippets) and its documents.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub documents: Vec<Node>,
}

/// Reads and parses one file. On failure the diagnostic says why and where;
/// the text is still returned when it was readable, for the snippet.
pub fn load_file(path: &Path) -> Result<SourceFile, (Diagnostic, Option<String>)> {
    let fail = |code, pos, message: String| (Diagnostic::error(code, path, pos, message), None);
    let read_error =
        |e: std::io::Error| fail(Code::Io, Position::START, format!("cannot read file: {e}"));
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let len = file.metadata().map_err(read_error)?.len();
    if len > MAX_FILE_BYTES {
        return Err(fail(
            Code::FileTooLarge,
            Position::START,
            format!(
                "file is {len} bytes; connection files are limited to {MAX_FILE_BYTES} bytes (1 MiB)"
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // `take` keeps the cap even if the file grows while we read it.
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut file, MAX_FILE_BYTES + 1),
        &mut bytes,
    )
    .map_err(read_error)?;
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
    crate::config::yaml::parse(text).map_err(|err| err.into_diagnostic(path, text))
}
