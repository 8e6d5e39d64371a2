//! Where the secrets of a YAML text are, as byte spans, for masking
//! snippets (`diagnostic::Source`). Keys are compared after the parser has
//! decoded quoting and escapes (`"pass\u0077ord"` is `password`), so no
//! spelling of a key hides its value. Parsing is this module's own pass over
//! the parser's events: it runs only for files that have diagnostics, and it
//! goes on past what the node builder refuses (duplicate keys, budgets),
//! stopping only where the text itself stops being YAML.

use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Parser, ScalarStyle, Span};

use crate::diagnostic::{
    MIN_REPEATED, Secrets, connection_string_secrets, is_connection_string_key, is_secret_key,
    url_secrets,
};
use crate::secret::is_only_references;

/// What the value under a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    /// A secret: all of it.
    Secret,
    /// A connection string: its password part.
    ConnectionString,
    /// Exactly `connection` (a dataflow's base connection, by name): shown,
    /// unless it holds a connection string (`Server=…;Password=…` written
    /// under a misspelt key), which is masked as one.
    ConnectionName,
    /// The settings' `credentials`: a secret if written as one value, a
    /// block of named fields (each judged by its own key) otherwise.
    Credentials,
}

#[derive(Debug)]
struct Frame {
    /// Everything inside is secret.
    secret: bool,
    /// A mapping: whether the next node is a key, and what the current
    /// key's value holds. `None` for a sequence.
    map: Option<(bool, Kind)>,
    anchor: usize,
    start: usize,
    /// Anchors aliased inside, for masking an anchor transitively.
    aliases: Vec<usize>,
}

#[derive(Default)]
struct Walk<'t> {
    text: &'t str,
    stack: Vec<Frame>,
    /// Anchor id -> its text and the anchors it aliases.
    anchors: HashMap<usize, (Range<usize>, Vec<usize>)>,
    spans: Vec<Range<usize>>,
    values: Vec<String>,
}

/// The byte spans of every secret value in `text`, and where parsing
/// stopped if it did not reach the end.
pub(crate) fn secret_spans(text: &str) -> Secrets {
    let mut walk = Walk {
        text,
        ..Walk::default()
    };
    let mut parsed_to = 0;
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else {
            return walk.stopped(parsed_to);
        };
        let range = span.byte_range().unwrap_or(parsed_to..parsed_to);
        parsed_to = parsed_to.max(range.end);
        walk.event(event, &span, range);
    }
    Secrets {
        spans: walk.spans,
        unparsed_from: None,
        values: walk.values,
    }
}

impl Walk<'_> {
    /// Parsing stopped at `at`: what was found, plus everything after `at`
    /// when the node being read there is a secret's.
    fn stopped(mut self, at: usize) -> Secrets {
        let pending = self.stack.iter().any(|f| f.secret)
            || self
                .stack
                .last()
                .and_then(|f| f.map)
                .is_some_and(|(key_next, kind)| !key_next && kind != Kind::Plain);
        if pending {
            self.spans.push(at..self.text.len());
        }
        Secrets {
            spans: self.spans,
            unparsed_from: Some(at),
            values: self.values,
        }
    }

    /// The context of the next node: (inside a secret, kind of its key's
    /// value, it is a key).
    fn context(&self) -> (bool, Kind, bool) {
        match self.stack.last() {
            None => (false, Kind::Plain, false),
            Some(f) => match f.map {
                Some((true, _)) => (f.secret, Kind::Plain, true),
                Some((false, kind)) => (f.secret, kind, false),
                None => (f.secret, Kind::Plain, false),
            },
        }
    }

    /// A node finished: in a mapping, a key is followed by its value.
    fn completed(&mut self, key_kind: Option<Kind>) {
        if let Some(Frame {
            map: Some((key_next, kind)),
            ..
        }) = self.stack.last_mut()
        {
            if *key_next {
                *key_next = false;
                *kind = key_kind.unwrap_or(Kind::Plain);
            } else {
                *key_next = true;
                *kind = Kind::Plain;
            }
        }
    }

    fn event(&mut self, event: Event<'_>, span: &Span, range: Range<usize>) {
        match event {
            Event::Scalar(value, style, anchor, _) => {
                self.scalar(&value, style, range.clone());
                if anchor != 0 {
                    self.anchors.insert(anchor, (range, Vec::new()));
                }
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                let (inside, kind, _) = self.context();
                let is_map = matches!(event, Event::MappingStart(..));
                self.stack.push(Frame {
                    secret: inside || !matches!(kind, Kind::Plain | Kind::Credentials),
                    map: is_map.then_some((true, Kind::Plain)),
                    anchor,
                    start: span.byte_range().map_or(range.start, |r| r.start),
                    aliases: Vec::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    if frame.anchor != 0 {
                        let text = frame.start..range.end.max(frame.start);
                        self.anchors
                            .insert(frame.anchor, (text, frame.aliases.clone()));
                    }
                    if let Some(parent) = self.stack.last_mut() {
                        parent.aliases.extend(frame.aliases);
                    }
                }
                self.completed(None);
            }
            Event::Alias(id) => {
                let (inside, kind, _) = self.context();
                if inside || kind != Kind::Plain {
                    self.mask_anchor(id);
                }
                if let Some(frame) = self.stack.last_mut() {
                    frame.aliases.push(id);
                }
                self.completed(None);
            }
            _ => {}
        }
    }

    fn scalar(&mut self, value: &str, style: ScalarStyle, range: Range<usize>) {
        let (inside, kind, is_key) = self.context();
        if is_key {
            if inside {
                self.spans.push(range);
            }
            let kind = if value.eq_ignore_ascii_case("credentials") {
                Kind::Credentials
            } else if is_secret_key(value) {
                Kind::Secret
            } else if value == "connection" {
                Kind::ConnectionName
            } else if is_connection_string_key(value) {
                Kind::ConnectionString
            } else {
                Kind::Plain
            };
            return self.completed(Some(kind));
        }
        let parts = match kind {
            _ if inside => std::iter::once(0..value.len()).collect(),
            Kind::Secret | Kind::Credentials if is_only_references(value) => Vec::new(),
            Kind::Secret | Kind::Credentials => std::iter::once(0..value.len()).collect(),
            Kind::ConnectionString => connection_string_secrets(value),
            Kind::ConnectionName if value.contains('=') => connection_string_secrets(value),
            Kind::ConnectionName | Kind::Plain => url_secrets(value),
        };
        let parts: Vec<Range<usize>> = parts
            .into_iter()
            .filter(|r| !is_only_references(&value[r.clone()]) || inside)
            .collect();
        if !parts.is_empty() {
            self.values.extend(
                parts
                    .iter()
                    .filter_map(|p| value.get(p.clone()))
                    .filter(|v| v.chars().count() >= MIN_REPEATED)
                    .map(str::to_owned),
            );
            self.mask_parts(value, style, range, &parts);
        }
        self.completed(None);
    }

    /// Masks `parts` of a scalar's value where they sit in the text when the
    /// text holds the value verbatim; otherwise the whole scalar.
    fn mask_parts(
        &mut self,
        value: &str,
        style: ScalarStyle,
        range: Range<usize>,
        parts: &[Range<usize>],
    ) {
        let written = self.text.get(range.clone()).unwrap_or("");
        let quote = usize::from(matches!(
            style,
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
        ));
        let verbatim = matches!(
            style,
            ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
        ) && written.get(quote..quote + value.len()) == Some(value)
            && written.len() == value.len() + 2 * quote;
        if verbatim && parts.iter().all(|p| p.end <= value.len()) {
            let base = range.start + quote;
            self.spans
                .extend(parts.iter().map(|p| base + p.start..base + p.end));
        } else {
            // Written another way than it reads (escapes, folding): a copy of
            // the written text elsewhere in the file is masked too.
            self.values.extend(
                written
                    .split(['\n', '\r'])
                    .map(|piece| piece.trim())
                    .filter(|piece| piece.chars().count() >= MIN_REPEATED)
                    .map(str::to_owned),
            );
            self.spans.push(range);
        }
    }

    /// An alias used where a secret goes: the anchored text is a secret too,
    /// and so is every anchor it aliases in turn.
    fn mask_anchor(&mut self, id: usize) {
        let mut todo = vec![id];
        let mut done = std::collections::HashSet::new();
        while let Some(id) = todo.pop() {
            if !done.insert(id) {
                continue;
            }
            if let Some((range, inner)) = self.anchors.get(&id) {
                self.spans.push(range.clone());
                todo.extend(inner.iter().copied());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> Vec<&str> {
        let secrets = secret_spans(text);
        secrets.spans.iter().map(|r| &text[r.clone()]).collect()
    }

    #[test]
    fn finds_secret_values_in_every_style() {
        assert_eq!(masked("password: hunter2\nserver: s\n"), ["hunter2"]);
        assert_eq!(masked("password: ${PW}\n"), Vec::<&str>::new());
        assert_eq!(masked("a: {password: 'x y', b: c}\n"), ["x y"]);
        assert_eq!(masked("\"pass\\u0077ord\": \"q\\x41\"\n"), ["\"q\\x41\""]);
        assert_eq!(masked("password: |\n  lit\n"), ["lit\n"]);
        assert_eq!(
            masked("clientSecret: >-\n  folded\n  more\n"),
            ["folded\n  more\n"]
        );
        assert_eq!(masked("Passwrd: typo\n"), ["typo"]);
        assert_eq!(masked("password: [a, {b: c}]\n"), ["a", "b", "c"]);
        assert_eq!(
            masked("credentials:\n  clientId: id\n  clientSecret: s3\n"),
            // `clientId` is close enough to `clientSecret` to be masked too.
            ["id", "s3"]
        );
    }

    #[test]
    fn a_dataflows_connection_is_a_name_unless_it_holds_a_connection_string() {
        assert_eq!(
            masked(
                "source: { connection: orders-db }
"
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            masked(
                "connection: Server=h;Password=pw;Port=1
"
            ),
            ["pw"]
        );
        assert_eq!(
            masked(
                "connections: orders-db
"
            ),
            ["orders-db"]
        );
    }

    #[test]
    fn masks_only_the_password_of_a_verbatim_connection_string() {
        let text = "connectionString: Server=h;Password=pw;x;Port=1\n";
        assert_eq!(masked(text), ["pw", "x"]);
        let escaped = "connectionString: \"Server=h;Pass\\x77ord=pw\"\n";
        assert_eq!(masked(escaped), ["\"Server=h;Pass\\x77ord=pw\""]);
        assert_eq!(masked("url: 'postgres://u:pw@h/db'\n"), ["pw"]);
    }

    #[test]
    fn an_aliased_secret_is_masked_where_it_was_anchored() {
        let text = "x: &a [&b pw1, q]\ny: &c pw2\nauth:\n  password: *a\n";
        let found = masked(text);
        assert!(found.contains(&"[&b pw1, q]"), "{found:?}");
        assert!(!found.contains(&"pw2"), "{found:?}");
    }

    #[test]
    fn a_document_that_stops_parsing_inside_a_secret_masks_the_rest() {
        let text = "a: 1\npassword: \"canary\n  rest\n";
        let secrets = secret_spans(text);
        assert!(secrets.unparsed_from.is_some());
        assert!(
            secrets
                .spans
                .iter()
                .any(|r| r.end == text.len() && r.start <= text.find("canary").unwrap())
        );
    }
}
