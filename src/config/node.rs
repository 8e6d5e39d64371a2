//! A parsed YAML node with its source position: what the loader builds from
//! the parser's events and every rule reads, so any problem can name its
//! line and column.

use serde_json::Value;

use crate::diagnostic::Position;

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
