//! Secrets never reach a snippet. A file's text is turned into the lines a
//! snippet may show once, before any renderer sees it: every byte span the
//! YAML parser gave for a secret value (found by its decoded key, after
//! quoting and escapes) is replaced by `********`. Where a document did not
//! parse, the lines from where parsing stopped are masked conservatively:
//! everything from a secret-looking word to the end of the line.

use std::ops::Range;

/// What replaces a secret in a snippet.
const MASK: &str = "********";

/// Key names that hold secrets, matched loosely (lowercase substring), so
/// typos (`Passwrd`, `accessTokn`) are masked too.
const SECRET_HINTS: [&str; 6] = ["pass", "pwd", "secret", "token", "credential", "apikey"];

/// Where the secrets of one text are, as byte offsets into it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Secrets {
    /// Byte spans of secret values.
    pub spans: Vec<Range<usize>>,
    /// Where parsing stopped, when the text did not parse: lines from here
    /// on are masked by the conservative rule.
    pub unparsed_from: Option<usize>,
    /// The secret values themselves (decoded, at least [`MIN_REPEATED`]
    /// characters): masked wherever else they appear in the text, e.g. a
    /// password pasted again on a stray line or into a comment.
    pub values: Vec<String>,
}

/// Shorter secret values are masked where they are written, not searched
/// for elsewhere (every `a` of a file would go).
pub(crate) const MIN_REPEATED: usize = 4;

/// A key whose value is a secret: the secret fields of any spelling close
/// to them, and anything named like a password, secret or token.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.trim().to_ascii_lowercase();
    SECRET_HINTS.iter().any(|hint| key.contains(hint))
        || crate::secret::SECRET_FIELDS
            .iter()
            .filter(|name| **name != "connectionString")
            .any(|name| strsim::jaro_winkler(&key, &name.to_ascii_lowercase()) >= 0.85)
}

/// A key whose value is a connection string (its `Password` part is secret).
pub(crate) fn is_connection_string_key(key: &str) -> bool {
    let key = key.trim().to_ascii_lowercase();
    key.contains("connection") || strsim::jaro_winkler(&key, "connectionstring") >= 0.85
}

/// The parts of a connection string to hide: a literal `Password` value,
/// and what follows it up to the next known key (a password may hold `;`);
/// any part whose key looks secret (`Pwd=`). A `Password` that is only
/// `${VAR}` references hides nothing, and the parts after it are shown.
pub(crate) fn connection_string_secrets(value: &str) -> Vec<Range<usize>> {
    const VISIBLE: [&str; 6] = [
        "server",
        "database",
        "port",
        "uid",
        "encryptionmethod",
        "validateservercertificate",
    ];
    let mut ranges = Vec::new();
    let mut offset = 0;
    let mut after_literal_password = false;
    for part in value.split(';') {
        let start = offset;
        offset += part.len() + 1;
        let (key, value_at) = match part.find('=') {
            Some(eq) => (part[..eq].trim(), start + eq + 1),
            None => ("", start),
        };
        let text = &value[value_at..start + part.len()];
        let hide = if VISIBLE.iter().any(|k| key.eq_ignore_ascii_case(k)) {
            after_literal_password = false;
            false
        } else if key.eq_ignore_ascii_case("password") {
            after_literal_password = !crate::secret::is_only_references(text);
            after_literal_password
        } else {
            after_literal_password || key.is_empty() || is_secret_key(key)
        };
        if hide && value_at < start + part.len() {
            ranges.push(value_at..start + part.len());
        }
    }
    ranges
}

/// The password of a URL (`scheme://user:PASSWORD@host`, `?password=…`).
pub(crate) fn url_secrets(value: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let Some(scheme_end) = value.find("://") else {
        return ranges;
    };
    let authority_start = scheme_end + 3;
    let authority_end = value[authority_start..]
        .find(['/', '?', '#'])
        .map_or(value.len(), |i| authority_start + i);
    let authority = &value[authority_start..authority_end];
    if let Some(at) = authority.rfind('@')
        && let Some(colon) = authority[..at].find(':')
    {
        ranges.push(authority_start + colon + 1..authority_start + at);
    }
    if let Some(q) = value.find('?') {
        let mut offset = q + 1;
        for pair in value[q + 1..].split(['&', '#']) {
            let (key, _) = pair.split_once('=').unwrap_or((pair, ""));
            if is_secret_key(key) && pair.len() > key.len() + 1 {
                ranges.push(offset + key.len() + 1..offset + pair.len());
            }
            offset += pair.len() + 1;
        }
    }
    ranges
}

/// One line of a file as a snippet shows it, and where its masks are.
#[derive(Debug, Clone, Default)]
pub(crate) struct Line {
    /// The shown text: secrets masked, tabs and control characters each
    /// replaced by one character, so columns stay put.
    pub text: String,
    /// Masked ranges in characters of the original line, and the mask's width.
    edits: Vec<(Range<usize>, usize)>,
}

impl Line {
    /// Where original column `column` (0-based, characters) is shown.
    pub(crate) fn column(&self, column: usize) -> usize {
        let mut shift = 0isize;
        for (range, width) in &self.edits {
            if column < range.start {
                break;
            }
            if column < range.end {
                return range.start.saturating_add_signed(shift);
            }
            shift += *width as isize - range.len() as isize;
        }
        column.saturating_add_signed(shift)
    }
}

/// A file's lines as snippets may show them: no secret in any of them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Source {
    lines: Vec<Line>,
    /// The file's secret values, for redacting messages that quote them.
    values: Vec<String>,
}

impl Source {
    /// Masks `secrets` in `text`, split into lines the way YAML counts them
    /// (LF, CRLF and a lone CR each end a line).
    pub(crate) fn new(text: &str, secrets: &Secrets) -> Source {
        let lines = split_lines(text)
            .into_iter()
            .map(|range| {
                let mut masks = span_masks(text, &range, &secrets.spans);
                masks.extend(value_masks(&text[range.clone()], &secrets.values));
                if secrets.unparsed_from.is_some_and(|from| range.end >= from) {
                    masks.extend(conservative_masks(&text[range.clone()]));
                }
                masked_line(&text[range], masks)
            })
            .collect();
        Source {
            lines,
            values: secrets.values.clone(),
        }
    }

    /// `text` with every secret value of the file replaced by the mask: for
    /// a message that quotes a value which is also a secret (an alias of a
    /// password used as another field's value).
    pub(crate) fn redact(&self, text: &str) -> String {
        self.values.iter().fold(text.to_owned(), |text, value| {
            text.replace(value.as_str(), MASK)
        })
    }

    /// Line `line` (1-based), if the text has it.
    pub(crate) fn line(&self, line: u32) -> Option<&Line> {
        self.lines.get((line as usize).checked_sub(1)?)
    }
}

/// Byte ranges of the lines of `text`, without their line breaks.
fn split_lines(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(start..i);
                start = i + 1;
            }
            b'\r' => {
                lines.push(start..i);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push(start..bytes.len());
    lines
}

/// The parts of secret spans on one line, in characters of that line.
fn span_masks(text: &str, line: &Range<usize>, spans: &[Range<usize>]) -> Vec<Range<usize>> {
    let chars = |from: usize, to: usize| text.get(from..to).map_or(0, |s| s.chars().count());
    spans
        .iter()
        .filter(|s| s.start < line.end && s.end > line.start)
        .map(|s| {
            let (from, to) = (s.start.max(line.start), s.end.min(line.end));
            chars(line.start, from)..chars(line.start, to)
        })
        .collect()
}

/// Every place on `line` where a known secret value is written again.
fn value_masks(line: &str, values: &[String]) -> Vec<Range<usize>> {
    let mut masks = Vec::new();
    for value in values {
        for (at, _) in line.match_indices(value.as_str()) {
            let start = line[..at].chars().count();
            masks.push(start..start + value.chars().count());
        }
    }
    masks
}

/// Where parsing stopped nothing is known for sure: hide everything from
/// the first secret-looking word (escapes decoded: `pass\u0077ord`) or URL
/// authority to the end of the line.
fn conservative_masks(line: &str) -> Vec<Range<usize>> {
    let decoded = decode_escapes(line);
    let lower: String = decoded
        .iter()
        .map(|(c, _)| c.to_ascii_lowercase())
        .collect();
    let mut first: Option<usize> = None;
    let mut consider = |at_char: usize| {
        let original = decoded.get(at_char).map_or(0, |(_, i)| *i);
        first = Some(first.map_or(original, |f| f.min(original)));
    };
    for needle in SECRET_HINTS.iter().copied().chain(["://", "connection"]) {
        if let Some(byte) = lower.find(needle) {
            consider(lower[..byte].chars().count());
        }
    }
    let total = line.chars().count();
    first
        .map(|f| std::iter::once(f..total).collect())
        .unwrap_or_default()
}

/// The characters of `line` with `\xNN`, `\uNNNN` and `\UNNNNNNNN` escapes
/// decoded, each with the character index where it starts in `line`.
fn decode_escapes(line: &str) -> Vec<(char, usize)> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let width = match (chars[i], chars.get(i + 1)) {
            ('\\', Some('x')) => 2,
            ('\\', Some('u')) => 4,
            ('\\', Some('U')) => 8,
            _ => 0,
        };
        let digits: String = chars.iter().skip(i + 2).take(width).collect();
        let decoded = (width > 0 && digits.len() == width)
            .then(|| {
                u32::from_str_radix(&digits, 16)
                    .ok()
                    .and_then(char::from_u32)
            })
            .flatten();
        match decoded {
            Some(c) => {
                out.push((c, i));
                i += 2 + width;
            }
            None => {
                out.push((chars[i], i));
                i += 1;
            }
        }
    }
    out
}

/// The shown line: masks merged and applied, then every control character
/// replaced by one visible character (no terminal sequence from a file).
fn masked_line(original: &str, mut masks: Vec<Range<usize>>) -> Line {
    let chars: Vec<char> = original.chars().collect();
    // Blanks at a mask's ends stay: a mask covers what was written.
    for m in &mut masks {
        while m.start < m.end && chars.get(m.start).is_some_and(|c| c.is_whitespace()) {
            m.start += 1;
        }
        while m.end > m.start && chars.get(m.end - 1).is_some_and(|c| c.is_whitespace()) {
            m.end -= 1;
        }
    }
    masks.retain(|m| !m.is_empty());
    masks.sort_by_key(|m| m.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for m in masks {
        match merged.last_mut() {
            Some(last) if m.start <= last.end => last.end = last.end.max(m.end),
            _ => merged.push(m),
        }
    }
    let mut text = String::with_capacity(original.len());
    let mut at = 0;
    let mut edits = Vec::with_capacity(merged.len());
    for m in merged {
        text.extend(chars[at..m.start].iter().map(|c| shown(*c)));
        text.push_str(MASK);
        edits.push((m.clone(), MASK.len()));
        at = m.end;
    }
    text.extend(chars[at..].iter().map(|c| shown(*c)));
    Line { text, edits }
}

/// How a tab is shown in a snippet: visibly, one column wide, so a tab
/// in an indentation can be told from spaces.
pub(crate) const TAB: char = '\u{2192}';

fn shown(c: char) -> char {
    match c {
        '\t' => TAB,
        c if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') => {
            '\u{FFFD}'
        }
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown_lines(text: &str, secrets: &Secrets) -> Vec<String> {
        let source = Source::new(text, secrets);
        source.lines.iter().map(|l| l.text.clone()).collect()
    }

    #[test]
    fn masks_spans_on_every_line_they_touch_and_keeps_line_numbers() {
        let text = "a: 1\rpassword: \"one\r  two\"\r\nb: 2\n";
        let start = text.find("\"one").unwrap();
        let end = text.find("two\"").unwrap() + 4;
        let secrets = Secrets {
            spans: std::iter::once(start..end).collect(),
            ..Secrets::default()
        };
        assert_eq!(
            shown_lines(text, &secrets),
            ["a: 1", "password: ********", "  ********", "b: 2", ""]
        );
    }

    #[test]
    fn lines_after_a_parse_error_are_masked_from_a_secret_looking_word() {
        let text = "ok: \"pass\\u0077ord-is-fine\"\nx: \"Pass\\x77ord=hunter2\" {\n";
        let secrets = Secrets {
            unparsed_from: Some(text.find("x:").unwrap()),
            ..Secrets::default()
        };
        let lines = shown_lines(text, &secrets);
        assert_eq!(lines[0], "ok: \"pass\\u0077ord-is-fine\"");
        assert_eq!(lines[1], "x: \"********");
    }

    #[test]
    fn a_caret_moves_with_the_mask() {
        let text = "x: Password=abc;EncryptionMethod=2";
        let at = text.find("Password=").unwrap() + 9;
        let secrets = Secrets {
            spans: std::iter::once(at..at + 3).collect(),
            ..Secrets::default()
        };
        let source = Source::new(text, &secrets);
        let line = source.line(1).unwrap();
        assert_eq!(line.text, "x: Password=********;EncryptionMethod=2");
        let two = text.rfind('2').unwrap();
        assert_eq!(line.column(two), two + 5);
        assert_eq!(line.column(at + 1), at);
        assert_eq!(line.column(2), 2);
    }

    #[test]
    fn finds_the_secret_parts_of_connection_strings_and_urls() {
        let cs = "Server=h;Password=semi;colon;Port=5432;Pasword=typo";
        let parts: Vec<&str> = connection_string_secrets(cs)
            .into_iter()
            .map(|r| &cs[r])
            .collect();
        assert_eq!(parts, ["semi", "colon", "typo"]);
        let url = "postgres://u:p%40ss@db:5432/s?sslmode=require&password=x2";
        let parts: Vec<&str> = url_secrets(url).into_iter().map(|r| &url[r]).collect();
        assert_eq!(parts, ["p%40ss", "x2"]);
    }

    #[test]
    fn a_secret_written_again_elsewhere_is_masked_there_too() {
        let secrets = Secrets {
            values: vec!["hunter22".into()],
            ..Secrets::default()
        };
        let lines = shown_lines(
            "# old: hunter22
  hunter22x
",
            &secrets,
        );
        assert_eq!(lines, ["# old: ********", "  ********x", ""]);
    }

    #[test]
    fn control_characters_in_a_file_never_reach_the_terminal() {
        let lines = shown_lines("a: \u{1b}[2Jb\tc", &Secrets::default());
        assert_eq!(lines, ["a: \u{FFFD}[2Jb\u{2192}c"]);
    }
}
