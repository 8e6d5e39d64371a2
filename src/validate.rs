//! Validation of a whole config: every file parsed and checked against the
//! schema, then the semantic rules no schema can express (connection-string
//! grammar, uniqueness across files, secrets, `${VAR}` syntax). Every problem
//! is collected before anything is reported; the valid part becomes a
//! [`ValidConfig`] for planning.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::load::{self, Node, NodeValue};
use crate::config::{Connection, Settings, walk};
use crate::connection_string;
use crate::diagnostic::{Code, Diagnostic, Position, Severity, Sources, Summary};
use crate::interpolate;
use crate::schema::{self, Kind};
use crate::schema_messages::is_secret_pointer;

/// A file with more problems than this is not a connection file gone
/// slightly wrong; listing them all would only bury the first.
const MAX_DIAGNOSTICS_PER_FILE: usize = 200;

/// Knobs for the semantic rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Plaintext secrets are warnings rather than errors.
    pub allow_plaintext_secrets: bool,
    /// Only diagnostics are wanted (`validate`): valid connections are
    /// checked and counted but not kept for planning.
    pub diagnostics_only: bool,
}

/// Where a valid connection is defined: enough to report duplicates.
#[derive(Debug)]
struct Identity {
    key: String,
    file: PathBuf,
    document: usize,
    name: Position,
}

/// A connection that passed validation, with where it came from.
#[derive(Debug, Clone)]
pub struct Located {
    pub connection: Connection,
    pub file: PathBuf,
    pub document: usize,
    /// The parsed document, for pointing at values later (missing `${VAR}`).
    pub node: Node,
}

/// What planning works from: the connections (sorted by key) and settings.
#[derive(Debug, Clone, Default)]
pub struct ValidConfig {
    pub connections: Vec<Located>,
    pub settings: Settings,
}

/// Everything validation found.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Texts of the files that have diagnostics, for snippets.
    pub sources: Sources,
    pub summary: Summary,
    pub config: ValidConfig,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.summary.errors > 0
    }
}

struct FileResult {
    path: PathBuf,
    text: Option<String>,
    connections: Vec<Located>,
    identities: Vec<Identity>,
    diagnostics: Vec<Diagnostic>,
    documents: usize,
}

/// Validates the connection files under `paths` and, when it exists, the
/// settings file.
pub fn validate_paths(paths: &[PathBuf], settings_file: Option<&Path>, options: Options) -> Report {
    let (files, mut diagnostics) = walk::collect(paths);
    let results: Vec<FileResult> = files
        .par_iter()
        .map(|path| check_connection_file(path, options))
        .collect();

    let mut report = Report::default();
    report.summary.files = files.len();
    if files.is_empty() && diagnostics.is_empty() {
        for path in paths {
            diagnostics.push(Diagnostic::error(
                Code::NoInput,
                path,
                Position::START,
                format!("no *.yaml or *.yml files found under `{}`", path.display()),
            ));
        }
    }
    let mut connections = Vec::new();
    let mut identities = Vec::new();
    for result in results {
        report.summary.connections += result.documents;
        if !result.diagnostics.is_empty()
            && let Some(text) = result.text
        {
            report.sources.insert(result.path.clone(), text);
        }
        diagnostics.extend(result.diagnostics);
        connections.extend(result.connections);
        identities.extend(result.identities);
    }
    diagnostics.extend(duplicate_connections(&identities, &mut report.sources));

    if let Some(path) = settings_file {
        let (settings, diags, text) = check_settings_file(path, options);
        if !diags.is_empty()
            && let Some(text) = text
        {
            report.sources.insert(path.to_owned(), text);
        }
        diagnostics.extend(diags);
        report.config.settings = settings.unwrap_or_default();
    }

    diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code))
    });
    report.summary.count(&diagnostics);
    connections.sort_by_cached_key(|c| c.connection.key());
    report.config.connections = connections;
    report.diagnostics = diagnostics;
    report
}

fn check_connection_file(path: &Path, options: Options) -> FileResult {
    let source = match load::load_file(path) {
        Ok(source) => source,
        Err((diag, text)) => {
            return FileResult {
                path: path.to_owned(),
                text,
                connections: Vec::new(),
                identities: Vec::new(),
                diagnostics: vec![diag],
                documents: 0,
            };
        }
    };
    let mut diagnostics = Vec::new();
    let mut connections = Vec::new();
    let mut identities = Vec::new();
    if source.documents.is_empty() {
        diagnostics.push(Diagnostic::warning(
            Code::EmptyFile,
            path,
            Position::START,
            "file holds no connection: expected at least one YAML document".into(),
        ));
    }
    let documents = source.documents.len();
    for (index, owned) in source.documents.into_iter().enumerate() {
        let doc = &owned;
        let before = diagnostics.len();
        if !matches!(doc.value, NodeValue::Map(_)) {
            diagnostics.push(
                Diagnostic::error(
                    Code::NotAMapping,
                    path,
                    doc.pos,
                    format!(
                        "expected a mapping describing one connection, found {}",
                        doc.kind()
                    ),
                )
                .in_document(index, "")
                .with_help("separate several connections with `---`, not as a list"),
            );
            continue;
        }
        let value = doc.to_json();
        diagnostics.extend(schema::validate(Kind::Connection, path, index, doc, &value));
        check_strings(
            path,
            index,
            doc,
            &mut Vec::new(),
            &source.text,
            &mut diagnostics,
        );
        check_connection(path, index, doc, &source.text, options, &mut diagnostics);
        if diagnostics[before..]
            .iter()
            .any(|d| d.severity == Severity::Error)
        {
            continue;
        }
        match serde_json::from_value::<Connection>(value) {
            Ok(connection) => {
                identities.push(Identity {
                    key: connection.key(),
                    file: path.to_owned(),
                    document: index,
                    name: owned.at("/name").pos,
                });
                if !options.diagnostics_only {
                    connections.push(Located {
                        connection,
                        file: path.to_owned(),
                        document: index,
                        node: owned,
                    });
                }
            }
            // The schema accepted what serde rejects: report, don't panic.
            Err(err) => diagnostics.push(
                Diagnostic::error(
                    Code::Schema,
                    path,
                    doc.pos,
                    format!("invalid connection: {err}"),
                )
                .in_document(index, ""),
            ),
        }
    }
    if diagnostics.len() > MAX_DIAGNOSTICS_PER_FILE {
        let more = diagnostics.len() - MAX_DIAGNOSTICS_PER_FILE;
        diagnostics.truncate(MAX_DIAGNOSTICS_PER_FILE);
        diagnostics.push(Diagnostic::error(
            Code::Schema,
            path,
            Position::START,
            format!("{more} more problem(s) in this file are not shown: fix the ones above first"),
        ));
    }
    FileResult {
        path: path.to_owned(),
        text: Some(source.text),
        connections,
        identities,
        diagnostics,
        documents,
    }
}

/// `${VAR}` syntax in every string of a document. The JSON pointer is
/// only built for a string that has a problem: this runs on every node.
fn check_strings<'a>(
    path: &Path,
    index: usize,
    node: &'a Node,
    trail: &mut Vec<std::borrow::Cow<'a, str>>,
    text: &str,
    out: &mut Vec<Diagnostic>,
) {
    match &node.value {
        NodeValue::String(s) => {
            if let Err(mut err) = interpolate::parse(s) {
                let pointer: String = trail
                    .iter()
                    .map(|step| format!("/{}", step.replace('~', "~0").replace('/', "~1")))
                    .collect();
                let secret = is_secret_pointer(&pointer);
                if secret {
                    // The text after `${` may be part of a secret: never quote it.
                    err.message = "malformed `${…}` reference: expected `${NAME}` (letters, digits and `_`), or `$${` for a literal `${`".into();
                }
                let mut d = Diagnostic::error(
                    Code::Interpolation,
                    path,
                    position_in_scalar(text, node, s, err.offset),
                    err.message,
                )
                .in_document(index, pointer.as_str());
                if secret {
                    d = d.secret();
                }
                out.push(d);
            }
        }
        NodeValue::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                trail.push(i.to_string().into());
                check_strings(path, index, item, trail, text, out);
                trail.pop();
            }
        }
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                trail.push(match &key.value {
                    NodeValue::String(k) => k.as_str().into(),
                    _ => key.scalar_text().unwrap_or_default().into(),
                });
                check_strings(path, index, value, trail, text, out);
                trail.pop();
            }
        }
        _ => {}
    }
}

/// The position of byte `offset` inside a scalar's value, when the scalar is
/// written on one line (plain or quoted without escapes before the offset);
/// otherwise the scalar's own position.
pub fn position_in_scalar(text: &str, node: &Node, value: &str, offset: usize) -> Position {
    let Some(line) = text.lines().nth(node.pos.line as usize - 1) else {
        return node.pos;
    };
    let rest: String = line.chars().skip(node.pos.column as usize - 1).collect();
    let (body, shift) = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => (&rest[q.len_utf8()..], 1),
        _ => (rest.as_str(), 0),
    };
    let prefix = &value[..offset.min(value.len())];
    if body.starts_with(prefix) {
        Position::new(
            node.pos.line,
            node.pos.column + shift + prefix.chars().count() as u32,
        )
    } else {
        node.pos
    }
}

/// The semantic rules of one connection. They read the YAML nodes, not the
/// typed value, so they run (and report) even when the schema failed too.
fn check_connection(
    path: &Path,
    index: usize,
    doc: &Node,
    text: &str,
    options: Options,
    out: &mut Vec<Diagnostic>,
) {
    let severity = if options.allow_plaintext_secrets {
        Severity::Warning
    } else {
        Severity::Error
    };
    if let Some(node) = doc.get("name")
        && let NodeValue::String(name) = &node.value
        && name.contains("${")
    {
        out.push(
            Diagnostic::error(
                Code::Interpolation,
                path,
                node.pos,
                "`name` is the connection's identity: `${VAR}` references are not allowed in it"
                    .into(),
            )
            .in_document(index, "/name")
            .with_help("write the name literally; state and the duplicate check key on it"),
        );
    }
    let Some(auth) = doc.get("auth") else { return };
    if let Some(node) = auth.get("password")
        && let NodeValue::String(password) = &node.value
        && interpolate::parse(password).is_ok()
        && !interpolate::is_single_reference(password)
    {
        out.push(plaintext_secret(
            path,
            index,
            node.pos,
            "/auth/password",
            "`password`",
            severity,
        ));
    }
    if let Some(node) = auth.get("port")
        && matches!(node.value, NodeValue::Int(3306) | NodeValue::UInt(3306))
    {
        out.push(mysql_port(path, index, node.pos, "/auth/port"));
    }
    let is_connection_string = auth
        .get("type")
        .is_some_and(|t| t.value == NodeValue::String("connectionString".into()));
    let Some(node) = auth
        .get("connectionString")
        .filter(|_| is_connection_string)
    else {
        return;
    };
    let NodeValue::String(cs) = &node.value else {
        return;
    };
    let pointer = "/auth/connectionString";
    let pos = |offset: usize| position_in_scalar(text, node, cs, offset);
    let parsed = connection_string::parse(cs);
    for problem in &parsed.problems {
        out.push(
            Diagnostic::error(
                Code::ConnectionString,
                path,
                pos(problem.offset),
                problem.message.clone(),
            )
            .in_document(index, pointer)
            .with_help(connection_string::SHAPE)
            .secret(),
        );
    }
    if let Some((offset, value)) = parsed.get("password")
        && !value.is_empty()
        && !interpolate::is_single_reference(value)
    {
        out.push(plaintext_secret(
            path,
            index,
            pos(offset),
            pointer,
            "connection string `Password`",
            severity,
        ));
    }
    if let Some((offset, "3306")) = parsed.get("port") {
        out.push(mysql_port(path, index, pos(offset), pointer));
    }
}

fn plaintext_secret(
    path: &Path,
    index: usize,
    pos: Position,
    pointer: &str,
    what: &str,
    severity: Severity,
) -> Diagnostic {
    Diagnostic::new(
        Code::PlaintextSecret,
        severity,
        path,
        pos,
        format!("{what} is written in plain text: expected a `${{VAR}}` reference to an environment variable"),
    )
    .in_document(index, pointer)
    .with_help("e.g. `${ORDERS_DB_PASSWORD}`, set where provision runs; `--allow-plaintext-secrets` makes this a warning")
    .secret()
}

fn mysql_port(path: &Path, index: usize, pos: Position, pointer: &str) -> Diagnostic {
    Diagnostic::warning(
        Code::SuspiciousPort,
        path,
        pos,
        "port 3306 is MySQL's default; PostgreSQL usually listens on 5432".into(),
    )
    .in_document(index, pointer)
    .with_help("check the port; this is a PostgreSQL connection")
}

/// `(cloud, sandbox, name)` must be unique across all files.
fn duplicate_connections(identities: &[Identity], sources: &mut Sources) -> Vec<Diagnostic> {
    let mut first: HashMap<&str, &Identity> = HashMap::new();
    let mut diags = Vec::new();
    for identity in identities {
        let Some(original) = first.get(identity.key.as_str()) else {
            first.insert(&identity.key, identity);
            continue;
        };
        diags.push(
            Diagnostic::error(
                Code::DuplicateConnection,
                &identity.file,
                identity.name,
                format!(
                    "duplicate connection `{}`: (cloud, sandbox, name) must be unique",
                    identity.key
                ),
            )
            .in_document(identity.document, "/name")
            .with_help(format!(
                "first defined at {}:{}:{}",
                original.file.display(),
                original.name.line,
                original.name.column
            )),
        );
        if !sources.contains_key(&identity.file)
            && let Ok(text) = std::fs::read_to_string(&identity.file)
        {
            sources.insert(identity.file.clone(), text);
        }
    }
    diags
}

fn check_settings_file(
    path: &Path,
    options: Options,
) -> (Option<Settings>, Vec<Diagnostic>, Option<String>) {
    let source = match load::load_file(path) {
        Ok(source) => source,
        Err((diag, text)) => return (None, vec![diag], text),
    };
    let mut diags = Vec::new();
    let Some(doc) = source.documents.first() else {
        return (Some(Settings::default()), diags, Some(source.text));
    };
    if source.documents.len() > 1 {
        diags.push(Diagnostic::error(
            Code::Schema,
            path,
            source.documents[1].pos,
            "`provision.yaml` holds one document: expected no `---` separator".into(),
        ));
    }
    let value = doc.to_json();
    diags.extend(schema::validate(Kind::Settings, path, 0, doc, &value));
    check_strings(path, 0, doc, &mut Vec::new(), &source.text, &mut diags);
    if !diags.is_empty() {
        return (None, diags, Some(source.text));
    }
    let severity = if options.allow_plaintext_secrets {
        Severity::Warning
    } else {
        Severity::Error
    };
    for key in ["clientSecret", "accessToken"] {
        let pointer = format!("/credentials/{key}");
        if let Some(node) = doc.get("credentials").and_then(|c| c.get(key))
            && let NodeValue::String(s) = &node.value
            && !interpolate::is_single_reference(s)
        {
            diags.push(plaintext_secret(
                path,
                0,
                node.pos,
                &pointer,
                &format!("`{key}`"),
                severity,
            ));
        }
    }
    if let Some(node) = doc.get("state").and_then(|c| c.get("url"))
        && let NodeValue::String(url) = &node.value
        && url_has_plaintext_password(url)
    {
        diags.push(plaintext_secret(
            path,
            0,
            node.pos,
            "/state/url",
            "the password in `state.url`",
            severity,
        ));
    }
    match serde_json::from_value::<Settings>(value) {
        Ok(settings) => (Some(settings), diags, Some(source.text)),
        Err(err) => {
            diags.push(Diagnostic::error(
                Code::Schema,
                path,
                doc.pos,
                format!("invalid settings: {err}"),
            ));
            (None, diags, Some(source.text))
        }
    }
}

/// `postgres://user:PASSWORD@host` or `?password=…` with a literal password
/// (a `${VAR}` there, or a whole-URL `${VAR}`, is fine).
fn url_has_plaintext_password(url: &str) -> bool {
    let literal = |value: &str| !value.is_empty() && !interpolate::is_single_reference(value);
    let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or("");
    let in_userinfo = authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .is_some_and(|(_, password)| literal(password));
    let in_query = url
        .split_once('?')
        .map(|(_, query)| {
            query
                .split('&')
                .any(|kv| kv.strip_prefix("password=").is_some_and(literal))
        })
        .unwrap_or(false);
    in_userinfo || in_query
}

#[cfg(test)]
mod tests {
    use super::url_has_plaintext_password as plain;

    #[test]
    fn finds_literal_passwords_in_state_urls() {
        assert!(plain("postgres://prov:S3cret@db:5432/state"));
        assert!(plain("postgres://db/state?sslmode=require&password=S3cret"));
        assert!(!plain("postgres://prov:${STATE_PW}@db:5432/state"));
        assert!(!plain("postgres://prov@db:5432/state"));
        assert!(!plain("${PROVISION_STATE_URL}"));
    }
}
