//! Validation of a whole config: every file parsed, each document checked
//! against the schema of its kind, then the semantic rules no schema can
//! express (connection-string grammar, schedules and mappings, uniqueness
//! and references across files, secrets, `${VAR}` syntax). Every problem is
//! collected before anything is reported; the valid part becomes a
//! [`ValidConfig`] for planning.

use crate::config::{ConnectionKey, ResourceKind};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::load::{self, Node};
use crate::config::{Connection, Dataflow, Settings, walk};
use crate::diagnostic::{Code, Diagnostic, Position, Sources, Summary};

mod connection;
mod dataflow;
mod duplicates;
mod environment_settings;
mod environments;
mod file;
mod kind;
mod literal;
mod mapping;
mod modeline;
mod references;
mod renames;
mod schedule;
mod schema;
mod schema_messages;
mod settings;
mod shell_style;
mod variables;

pub use connection::RELAX_PLAINTEXT_SECRETS;
pub use environments::EnvScope;
pub use variables::position_in_scalar;

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

/// Where a valid connection or dataflow is defined: enough to report
/// duplicates, rename conflicts and references (per environment, with what
/// the document says about environments).
#[derive(Debug, Clone)]
struct Identity {
    /// Connections and dataflows are separate collections: a dataflow may
    /// share a connection's name.
    kind: ResourceKind,
    /// `cloud/sandbox/name` (a dataflow's key without its `dataflow/`).
    key: ConnectionKey,
    /// A dataflow's `source.connection`, where it is written.
    reads: Option<(String, Position)>,
    file: PathBuf,
    document: usize,
    name: Position,
    facts: environments::EnvFacts,
    /// The names of `renamedFrom`, where each is written.
    renamed_from: Vec<EarlierName>,
}

impl Identity {
    /// The identity of document `index` of `path`, parsed as `doc` from
    /// `text`, under `key` (with the connection a dataflow `reads`).
    fn of(
        (kind, key): (ResourceKind, ConnectionKey),
        reads: Option<(String, Position)>,
        (path, index): (&std::path::Path, usize),
        (doc, text): (&Node, &str),
        renamed_from: Option<&crate::config::RenamedFrom>,
    ) -> Identity {
        Identity {
            kind,
            key,
            reads,
            file: path.to_owned(),
            document: index,
            name: doc.at("/name").pos,
            renamed_from: renames::earlier_names(renamed_from, doc),
            facts: environments::EnvFacts::of(doc, text),
        }
    }

    /// The key as users see it: `dataflow/…` for a dataflow.
    fn shown(&self) -> String {
        match self.kind {
            ResourceKind::Connection => self.key.to_string(),
            ResourceKind::Dataflow => crate::config::DataflowKey(self.key.clone()).to_string(),
        }
    }
}

/// Where a document is: its file, its index there, and how many
/// diagnostics the file had before it (the document's own come after).
struct DocumentAt<'a> {
    path: &'a Path,
    index: usize,
    before: usize,
}

/// One name of a document's `renamedFrom`.
#[derive(Debug, Clone)]
struct EarlierName {
    name: String,
    pos: Position,
    pointer: String,
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

/// A dataflow that passed validation, with where it came from. As for a
/// connection, `dataflow.sandbox` is empty when the document leaves it to
/// its environment (resolved per environment, like [`Located`]'s), and
/// `source.connection` may name a connection these files do not describe
/// (V226: the platform is asked).
#[derive(Debug, Clone)]
pub struct LocatedDataflow {
    pub dataflow: Dataflow,
    pub file: PathBuf,
    pub document: usize,
    /// The parsed document, for pointing at values later.
    pub node: Node,
}

/// What planning works from: the connections and the dataflows (each
/// sorted by key) and the settings.
#[derive(Debug, Clone, Default)]
pub struct ValidConfig {
    pub connections: Vec<Located>,
    pub dataflows: Vec<LocatedDataflow>,
    pub settings: Settings,
}

/// Everything validation found.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Texts of the files that have diagnostics, for snippets.
    pub(crate) sources: Sources,
    pub summary: Summary,
    pub config: ValidConfig,
    /// Names of connection documents that failed validation.
    pub(crate) broken_connections: HashSet<String>,
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
    dataflows: Vec<LocatedDataflow>,
    identities: Vec<Identity>,
    diagnostics: Vec<Diagnostic>,
    /// Documents that are connections (or of no known kind).
    documents: usize,
    /// Documents that are dataflows.
    dataflow_documents: usize,
    /// Names of the file's `${NAME}` references.
    references: HashSet<String>,
    /// Passwords written shell style (`$NAME`): the index of their V203 in
    /// `diagnostics` and the name, settled once the whole project is read.
    shell_style: Vec<(usize, String)>,
    /// Names of connection documents that failed validation: a dataflow
    /// that reads one is not told the files lack it.
    broken_connections: Vec<String>,
}

/// Validates the connection files under `paths` and, when it exists, the
/// settings file.
pub fn validate_paths(paths: &[PathBuf], settings_file: Option<&Path>, options: Options) -> Report {
    validate_paths_in(paths, settings_file, options, EnvScope::default())
}

/// [`validate_paths`], checking the environments `scope` asks for.
pub fn validate_paths_in(
    paths: &[PathBuf],
    settings_file: Option<&Path>,
    options: Options,
    scope: EnvScope<'_>,
) -> Report {
    let (files, mut diagnostics) = walk::collect(paths);
    let results: Vec<FileResult> = files
        .par_iter()
        .map(|path| file::check_connection_file(path, options))
        .collect();
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
    let settings = settings_file.map(|path| (path, settings::check_settings_file(path, options)));
    let parsed = settings
        .as_ref()
        .and_then(|(_, (settings, _, _))| settings.clone())
        .unwrap_or_default();
    let (mut report, identities) = gather(results, diagnostics);
    let found = environments::check_documents(
        &identities,
        &report.broken_connections,
        &parsed,
        settings_file,
        scope,
        &mut report.sources,
    );
    for d in &found {
        if !report.sources.contains_key(&d.file)
            && let Ok(text) = std::fs::read_to_string(&d.file)
        {
            report.sources.insert(d.file.clone(), load::source(&text));
        }
    }
    report.diagnostics.extend(found);
    if let Some((path, (settings, mut diags, text))) = settings {
        if !diags.is_empty()
            && let Some(text) = text
        {
            let source = load::source(&text);
            redact(&mut diags, &source);
            report.sources.insert(path.to_owned(), source);
        }
        report.diagnostics.extend(diags);
        report.config.settings = settings.unwrap_or_default();
    }
    finish(report)
}

/// Validates connection files that are not on disk (what `import` is about
/// to write), each under the path it would have, exactly as
/// [`validate_paths`] would validate them there.
pub fn validate_texts(texts: &[(PathBuf, String)], options: Options) -> Report {
    let results: Vec<FileResult> = texts
        .par_iter()
        .map(|(path, text)| file::check_text(path, text.clone(), options))
        .collect();
    let (mut report, identities) = gather(results, Vec::new());
    report.diagnostics.extend(duplicates::duplicates(
        &identities,
        &HashMap::new(),
        &mut report.sources,
    ));
    finish(report)
}

/// Joins the files' results; their identities are returned for the
/// checks across files (duplicates, per environment).
fn gather(results: Vec<FileResult>, mut diagnostics: Vec<Diagnostic>) -> (Report, Vec<Identity>) {
    let mut report = Report {
        broken_connections: results
            .iter()
            .flat_map(|r| r.broken_connections.iter().cloned())
            .collect(),
        ..Report::default()
    };
    report.summary.files = results.len();
    let mut connections = Vec::new();
    let mut dataflows = Vec::new();
    let mut identities = Vec::new();
    let referenced: HashSet<&str> = results
        .iter()
        .flat_map(|r| r.references.iter().map(String::as_str))
        .collect();
    let known = |name: &str| referenced.contains(name) || std::env::var_os(name).is_some();
    let settled: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            r.shell_style
                .iter()
                .filter(|(_, name)| known(name))
                .map(|(_, name)| name.clone())
                .collect()
        })
        .collect();
    for (result, shown) in results.into_iter().zip(settled) {
        report.summary.connections += result.documents;
        report.summary.dataflows += result.dataflow_documents;
        let mut result = result;
        for (at, name) in &result.shell_style {
            if let Some(d) = result.diagnostics.get_mut(*at)
                && shown.contains(name)
            {
                shell_style::known_variable(d, name);
            }
        }
        if !result.diagnostics.is_empty()
            && let Some(text) = result.text.take()
        {
            let shown: Vec<String> = shown.iter().map(|name| format!("${name}")).collect();
            let source = load::source_showing(&text, &shown);
            redact(&mut result.diagnostics, &source);
            report.sources.insert(result.path.clone(), source);
        }
        diagnostics.extend(result.diagnostics);
        connections.extend(result.connections);
        dataflows.extend(result.dataflows);
        identities.extend(result.identities);
    }
    report.config.connections = connections;
    report.config.dataflows = dataflows;
    report.diagnostics = diagnostics;
    (report, identities)
}

/// A message never quotes a secret value of its file, whatever field the
/// value also appears in (an alias of a password as a `sandbox`).
fn redact(diagnostics: &mut [Diagnostic], source: &crate::diagnostic::Source) {
    for d in diagnostics {
        d.message = source.redact(&d.message);
        if let Some(help) = &d.help {
            d.help = Some(source.redact(help));
        }
    }
}

/// Sorts diagnostics by place, connections and dataflows by key, and counts.
fn finish(mut report: Report) -> Report {
    report.diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code))
    });
    report.summary.count(&report.diagnostics);
    report
        .config
        .connections
        .sort_by_cached_key(|c| c.connection.key());
    report
        .config
        .dataflows
        .sort_by_cached_key(|d| d.dataflow.key());
    report
}
