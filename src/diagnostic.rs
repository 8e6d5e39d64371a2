//! Diagnostics: every problem found in the user's files, with a stable code,
//! a severity and the exact source position, rendered as text (rustc-style),
//! JSON or GitHub annotations.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub const START: Position = Position { line: 1, column: 1 };

    pub fn new(line: u32, column: u32) -> Self {
        Position {
            line: line.max(1),
            column: column.max(1),
        }
    }

    /// The position just after `prefix` (a prefix of the file's text).
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() as u32 + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
        Position::new(line, column)
    }
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Stable diagnostic codes. The string form is public: users grep for it and
/// pipelines may filter on it, so never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// The file could not be read.
    Io,
    /// The file is larger than connection files can be.
    FileTooLarge,
    /// The file is not UTF-8.
    NotUtf8,
    /// The YAML does not parse.
    YamlSyntax,
    /// A mapping has the same key twice.
    DuplicateKey,
    /// Alias expansion or nesting beyond the budget.
    YamlBudget,
    /// The file holds no document.
    EmptyFile,
    /// A document is not a mapping.
    NotAMapping,
    /// A key the schema does not know.
    UnknownKey,
    /// A required key is missing.
    MissingKey,
    /// A value of the wrong type.
    WrongType,
    /// A value outside the allowed set.
    InvalidValue,
    /// A number outside its range.
    OutOfRange,
    /// A string of the wrong length or shape.
    InvalidString,
    /// Any other schema rule.
    Schema,
    /// A malformed connection string.
    ConnectionString,
    /// Two documents describe the same (cloud, sandbox, name).
    DuplicateConnection,
    /// A secret written in plain text.
    PlaintextSecret,
    /// A malformed `${VAR}` reference.
    Interpolation,
    /// A PostgreSQL connection on MySQL's port.
    SuspiciousPort,
    /// A path given on the command line does not exist or holds no YAML.
    NoInput,
    /// A `${VAR}` whose variable is not set (plan/apply/check).
    MissingVariable,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "P001",
            Code::FileTooLarge => "P002",
            Code::NotUtf8 => "P003",
            Code::YamlSyntax => "P004",
            Code::DuplicateKey => "P005",
            Code::YamlBudget => "P006",
            Code::EmptyFile => "P007",
            Code::NotAMapping => "P008",
            Code::NoInput => "P009",
            Code::UnknownKey => "S101",
            Code::MissingKey => "S102",
            Code::WrongType => "S103",
            Code::InvalidValue => "S104",
            Code::OutOfRange => "S105",
            Code::InvalidString => "S106",
            Code::Schema => "S199",
            Code::ConnectionString => "V201",
            Code::DuplicateConnection => "V202",
            Code::PlaintextSecret => "V203",
            Code::Interpolation => "V204",
            Code::SuspiciousPort => "V205",
            Code::MissingVariable => "V206",
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One problem at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    /// JSON pointer of the offending node inside its document ("" = whole document).
    pub pointer: String,
    /// Index of the document in its file (0-based), when it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The source line would show a secret: render it masked.
    #[serde(skip)]
    pub secret: bool,
}

impl Diagnostic {
    pub fn new(
        code: Code,
        severity: Severity,
        file: &Path,
        pos: Position,
        message: String,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            file: file.to_owned(),
            line: pos.line,
            column: pos.column,
            pointer: String::new(),
            document: None,
            message,
            help: None,
            secret: false,
        }
    }

    pub fn error(code: Code, file: &Path, pos: Position, message: String) -> Self {
        Self::new(code, Severity::Error, file, pos, message)
    }

    pub fn warning(code: Code, file: &Path, pos: Position, message: String) -> Self {
        Self::new(code, Severity::Warning, file, pos, message)
    }

    pub fn in_document(mut self, index: usize, pointer: impl Into<String>) -> Self {
        self.document = Some(index);
        self.pointer = pointer.into();
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    pub fn position(&self) -> Position {
        Position::new(self.line, self.column)
    }
}

/// Source texts by file, for snippets.
pub type Sources = HashMap<PathBuf, String>;

/// Reads the files `diags` point into, for their snippets.
pub fn read_sources(diags: &[Diagnostic]) -> Sources {
    let mut sources = Sources::new();
    for d in diags {
        if !sources.contains_key(&d.file)
            && let Ok(text) = std::fs::read_to_string(&d.file)
        {
            sources.insert(d.file.clone(), text);
        }
    }
    sources
}

/// Renders diagnostics in rustc style: header, location, source line, caret.
pub fn render_text(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut out = String::new();
    // Split each file into lines once, not once per diagnostic.
    let mut lines: HashMap<&Path, Vec<&str>> = HashMap::new();
    for d in diags {
        let file_lines = lines.entry(d.file.as_path()).or_insert_with(|| {
            sources
                .get(&d.file)
                .map(|t| t.lines().collect())
                .unwrap_or_default()
        });
        render_one(
            &mut out,
            d,
            file_lines.get(d.line as usize - 1).copied(),
            color,
        );
        out.push('\n');
    }
    out
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn render_one(out: &mut String, d: &Diagnostic, source_line: Option<&str>, color: bool) {
    let (label, colour) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let _ = writeln!(
        out,
        "{}: {}",
        paint(color, colour, &format!("{label}[{}]", d.code.as_str())),
        paint(color, "1", &d.message)
    );
    let line_no = d.line.to_string();
    let gutter = " ".repeat(line_no.len());
    let _ = writeln!(
        out,
        "{gutter}{} {}:{}:{}",
        paint(color, "1;34", "-->"),
        d.file.display(),
        d.line,
        d.column
    );
    if let Some(line) = source_line {
        let (line, shift) = mask_secrets(line, d.column as usize - 1);
        let col = (d.column as usize - 1).saturating_add_signed(shift);
        let line = if d.secret && !d.pointer.ends_with("/connectionString") {
            mask_value(&line, col as u32 + 1)
        } else {
            line
        };
        let line = line.replace('\t', " ");
        let bar = paint(color, "1;34", "|");
        let _ = writeln!(out, "{gutter} {bar}");
        let _ = writeln!(out, "{} {bar} {line}", paint(color, "1;34", &line_no));
        let width = token_width(&line, col);
        let _ = writeln!(
            out,
            "{gutter} {bar} {}{}",
            " ".repeat(col),
            paint(color, colour, &"^".repeat(width))
        );
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{gutter} = help: {help}");
    }
}

/// Width of the token starting at `col` (in characters), at least 1.
fn token_width(line: &str, col: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(col).collect();
    let quoted = matches!(rest.first(), Some('"' | '\''));
    let width = if quoted {
        let q = rest[0];
        rest.iter()
            .skip(1)
            .position(|c| *c == q)
            .map_or(rest.len(), |i| i + 2)
    } else {
        rest.iter()
            .position(|c| c.is_whitespace() || matches!(c, ':' | ',' | '#' | ';'))
            .unwrap_or(rest.len())
    };
    width.max(1)
}

/// Key names that hold secrets, matched loosely (lowercase substring), so
/// typos (`Passwrd`, `accessTokn`) and flow mappings are masked too.
const SECRET_HINTS: [&str; 6] = ["pass", "pwd", "secret", "token", "credential", "apikey"];

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_HINTS.iter().any(|hint| key.contains(hint))
        || ["password", "clientsecret", "accesstoken"]
            .iter()
            .any(|name| strsim::jaro_winkler(&key, name) >= 0.85)
}

fn known_key_follows(rest: &[char]) -> bool {
    let rest: String = rest
        .iter()
        .collect::<String>()
        .trim_start()
        .to_ascii_lowercase();
    crate::connection_string::KEYS.iter().any(|key| {
        rest.strip_prefix(&key.to_ascii_lowercase())
            .is_some_and(|after| after.trim_start().starts_with('='))
    })
}

/// Masks the values of secret-looking keys on a source line, whatever the
/// diagnostic is about: `password: …` (block or flow style), a connection
/// string's `Password=…`, `clientSecret`, `accessToken`. Returns the line
/// and how far a caret at `column` (0-based, in characters) moves.
fn mask_secrets(line: &str, column: usize) -> (String, isize) {
    const MASK: &str = "********";
    let block_key = line.trim_start().split(':').next().unwrap_or("").trim();
    let chars: Vec<char> = line.chars().collect();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != ':' && chars[i] != '=' {
            i += 1;
            continue;
        }
        let mut k = i;
        while k > 0 && chars[k - 1] == ' ' {
            k -= 1;
        }
        let end_key = k;
        while k > 0
            && (chars[k - 1].is_alphanumeric() || matches!(chars[k - 1], '_' | '-' | '"' | '\''))
        {
            k -= 1;
        }
        let key: String = chars[k..end_key].iter().collect();
        if key.is_empty() || !is_secret_key(&key) {
            i += 1;
            continue;
        }
        let mut start = i + 1;
        while start < chars.len() && chars[start] == ' ' {
            start += 1;
        }
        let block =
            chars[i] == ':' && key.trim_matches(['"', '\'']) == block_key.trim_matches(['"', '\'']);
        let end = if block {
            chars.len()
        } else if chars[i] == '=' {
            // A connection-string value ends only where a known key follows:
            // a password may itself contain `;`.
            (start..chars.len())
                .find(|&j| {
                    matches!(chars[j], '"' | '\'')
                        || (chars[j] == ';' && known_key_follows(&chars[j + 1..]))
                })
                .unwrap_or(chars.len())
        } else {
            (start..chars.len())
                .find(|&j| matches!(chars[j], ',' | '}' | ']' | '"' | '\''))
                .unwrap_or(chars.len())
        };
        if end > start {
            spans.push((start, end));
        }
        i = end.max(i + 1);
    }
    let mut out = String::with_capacity(line.len());
    let mut shift = 0isize;
    let mut at = 0;
    for (start, end) in spans {
        out.extend(&chars[at..start]);
        out.push_str(MASK);
        if end <= column {
            shift += MASK.len() as isize - (end - start) as isize;
        }
        at = end;
    }
    out.extend(&chars[at..]);
    (out, shift)
}

/// Replaces everything from `column` on with a mask, so a snippet never shows
/// a secret value.
fn mask_value(line: &str, column: u32) -> String {
    let keep: String = line.chars().take(column as usize - 1).collect();
    format!("{keep}********")
}

/// One JSON document: `{"diagnostics": [...], "summary": {...}}`.
pub fn render_json(diags: &[Diagnostic], summary: &Summary) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        diagnostics: &'a [Diagnostic],
        summary: &'a Summary,
    }
    let doc = Doc {
        diagnostics: diags,
        summary,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// GitHub Actions annotations, one per line.
pub fn render_github(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push('\n');
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{kind} file={},line={},col={},title={}::{}",
            escape_property(&d.file.display().to_string()),
            d.line,
            d.column,
            escape_property(&format!("provision {}", d.code.as_str())),
            escape_data(&message)
        );
    }
    out
}

// https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Counts for the closing line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    pub connections: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn count(&mut self, diags: &[Diagnostic]) {
        for d in diags {
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
            }
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        write!(
            f,
            "{}, {}: {}, {}",
            plural(self.files, "file"),
            plural(self.connections, "connection"),
            plural(self.errors, "error"),
            plural(self.warnings, "warning")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::mask_secrets;

    #[test]
    fn masks_secret_values_in_every_spelling() {
        let cases = [
            ("  password: hunter2", "  password: ********"),
            (
                "auth: {type: basic, password: hunter2flow, sslMode: x}",
                "auth: {type: basic, password: ********, sslMode: x}",
            ),
            ("  Passwrd: typo-secret", "  Passwrd: ********"),
            ("  accessTokn: leak", "  accessTokn: ********"),
            (
                "  connectionString: Server=a;Password = hunter2;UID=u",
                "  connectionString: Server=a;Password = ********;UID=u",
            ),
            ("  clientSecret: \"abc\"", "  clientSecret: ********"),
            ("  server: db.example.com", "  server: db.example.com"),
            (
                "  connectionString: UID=u;Password=semi;colon;Port=5432",
                "  connectionString: UID=u;Password=********;Port=5432",
            ),
            (
                "  connectionString: UID=u;Password=semi;colon-tail",
                "  connectionString: UID=u;Password=********",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(mask_secrets(line, 0).0, want, "{line}");
        }
        // A caret after a masked value moves with it.
        let line = "x: Password=abc;EncryptionMethod=2";
        let (masked, shift) = mask_secrets(line, line.find("2").unwrap());
        assert_eq!(masked, "x: Password=********;EncryptionMethod=2");
        assert_eq!(shift, 5);
    }
}
