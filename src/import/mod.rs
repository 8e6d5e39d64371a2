//! `provision import`: turns PostgreSQL connections and the table flows
//! reading through them that already exist on the platform into YAML files
//! and state records, so a team can start managing them from git. Anything
//! ambiguous is reported, never guessed.

mod dataflow_yaml;
mod dataflows;
mod existing;
mod flow_doc;
#[cfg(test)]
mod flow_doc_tests;
mod flow_read;
mod names;
mod remote;
pub(crate) mod render;
mod run;

use crate::config::ConnectionKey;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::api::wire::{CONNECTION_STRING_AUTH, ConnectionItem, POSTGRES_SPEC_ID};
use crate::config::schema::{CONNECTION_SCHEMA_FILE, DATAFLOW_SCHEMA_FILE};
use crate::config::{Cloud, DataflowKey, Mode, ResourceKind};
use crate::desired::{self, Project};
use crate::diagnostic::{Diagnostic, Severity};
use crate::validate::{self, Options};
pub(crate) use dataflows::DataflowCandidate;
pub(crate) use existing::record_existing;
pub(crate) use names::{env_var, file_stem, relative};
pub(crate) use remote::to_connection;
pub(crate) use run::{ImportOptions, ImportRun, run};

/// What to import and where to write it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub cloud: Cloud,
    pub sandbox: String,
    /// The folder the files go into.
    pub out: PathBuf,
    /// The modeline's path from `out` to the connection schema.
    pub schema_ref: String,
    /// The modeline's path from `out` to the dataflow schema.
    pub dataflow_schema_ref: String,
    /// Where files are recorded from in state.
    pub project: Project,
    /// The keys the project's files (and `out`'s) describe, with the file
    /// describing each: never imported twice, whatever the file names.
    pub described: BTreeMap<ConnectionKey, PathBuf>,
    /// The dataflow keys the project's files (and `out`'s) describe.
    pub described_dataflows: BTreeMap<DataflowKey, PathBuf>,
    /// The environment the import runs in (`-e`), if any.
    pub environment: Option<EnvScope>,
    /// The environment's (or the settings') mode: production protects
    /// what it records, as `apply` would.
    pub mode: Option<Mode>,
}

/// An import in an environment writes documents for that environment only:
/// `environments: [NAME]`, and no `sandbox` when it is the environment's.
#[derive(Debug, Clone)]
pub(crate) struct EnvScope {
    pub name: String,
    /// The sandbox the environment gives documents without one.
    pub sandbox: Option<String>,
}

impl Target {
    /// What `options` ask for, written into `out`.
    pub(crate) fn new(
        options: &ImportOptions,
        out: &Path,
        sandbox: &str,
        environment: Option<EnvScope>,
        mode: Option<Mode>,
    ) -> Self {
        let mut read = options.paths.clone();
        read.push(out.to_owned());
        Target {
            cloud: options.cloud,
            sandbox: sandbox.to_owned(),
            environment,
            out: out.to_owned(),
            schema_ref: run::schema_ref(&options.settings_file, out, CONNECTION_SCHEMA_FILE),
            dataflow_schema_ref: run::schema_ref(&options.settings_file, out, DATAFLOW_SCHEMA_FILE),
            project: Project::of_settings(&options.settings_file),
            described: desired::described_keys(&read),
            described_dataflows: dataflows::described(&read, sandbox),
            mode,
        }
    }
}

/// One connection to write.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub id: String,
    pub etag: String,
    /// `cloud/sandbox/name`.
    pub key: ConnectionKey,
    pub file: PathBuf,
    /// The file as state records it.
    pub source: String,
    pub text: String,
    /// The variables its secrets became.
    pub variables: Vec<Variable>,
}

/// A variable an imported file references, which the user must set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    pub name: String,
    /// What its value is, for the list printed at the end.
    pub holds: &'static str,
}

/// What a connection-string variable must hold.
const WHOLE_CONNECTION_STRING: &str = "the whole connection string, `Server=…;Database=…;Port=…;UID=…;Password=…` (the platform masks all of it)";

/// A remote connection or flow left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skip {
    pub kind: ResourceKind,
    pub name: String,
    pub id: String,
    pub reason: String,
}

/// The outcome of selecting: what to write, what was left alone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    pub candidates: Vec<Candidate>,
    pub dataflows: Vec<DataflowCandidate>,
    pub skipped: Vec<Skip>,
}

impl Selection {
    fn skip(&mut self, item: &ConnectionItem, reason: String) {
        self.skipped.push(Skip {
            kind: ResourceKind::Connection,
            name: item.name.clone(),
            id: item.id.clone(),
            reason,
        });
    }
}

/// Chooses what to import from a sandbox's listing. `exists` says whether a
/// file is already there (never overwritten); `managed` whether a key is in
/// state already; keys `target.described` are never imported twice.
pub(crate) fn select(
    items: &[ConnectionItem],
    target: &Target,
    exists: &dyn Fn(&Path) -> bool,
    managed: &dyn Fn(&ConnectionKey) -> bool,
) -> Selection {
    let mut selection = Selection::default();
    let by_name = postgres_by_name(items, &mut selection);
    let mut stems: HashMap<String, Vec<&str>> = HashMap::new();
    for name in by_name.keys() {
        if let Some(stem) = file_stem(name) {
            stems.entry(stem).or_default().push(name);
        }
    }
    let mut variables = BTreeSet::new();
    for (name, same) in &by_name {
        if same.len() > 1 {
            let ids: Vec<String> = same.iter().map(|i| format!("`{}`", i.id)).collect();
            for item in same {
                selection.skip(item, format!(
                    "{} connections are named `{name}` in this sandbox ({}): rename all but one on the platform, then import again",
                    same.len(),
                    ids.join(", ")
                ));
            }
            continue;
        }
        let item = same[0];
        let shared_stem = |stem: &str| stems.get(stem).filter(|names| names.len() > 1);
        let known = Known {
            variables: &variables,
            exists,
            managed,
            described: &target.described,
        };
        match candidate(item, target, &shared_stem, &known) {
            Ok(candidate) => {
                variables.extend(candidate.variables.iter().map(|v| v.name.clone()));
                selection.candidates.push(candidate);
            }
            Err(reason) => selection.skip(item, reason),
        }
    }
    selection
}

/// The listing's PostgreSQL connections grouped by name (sorted); others
/// are skipped.
fn postgres_by_name<'a>(
    items: &'a [ConnectionItem],
    selection: &mut Selection,
) -> BTreeMap<&'a str, Vec<&'a ConnectionItem>> {
    let mut items: Vec<&ConnectionItem> = items.iter().collect();
    items.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let mut by_name: BTreeMap<&str, Vec<&ConnectionItem>> = BTreeMap::new();
    for item in items {
        if !item.is_live() {
            selection.skip(
                item,
                format!(
                    "it is being deleted on the platform (state `{}`)",
                    item.state
                ),
            );
        } else if item.connection_spec.id == POSTGRES_SPEC_ID {
            by_name.entry(&item.name).or_default().push(item);
        } else {
            selection.skip(
                item,
                format!(
                    "connection spec `{}` is not PostgreSQL: provision manages PostgreSQL sources only",
                    item.connection_spec.id
                ),
            );
        }
    }
    by_name
}

/// What is already there: variables chosen for other files, files on disk,
/// keys in state and keys the project's files describe.
struct Known<'a> {
    variables: &'a BTreeSet<String>,
    exists: &'a dyn Fn(&Path) -> bool,
    managed: &'a dyn Fn(&ConnectionKey) -> bool,
    described: &'a BTreeMap<ConnectionKey, PathBuf>,
}

/// The file for one uniquely named connection, or why it is skipped.
fn candidate<'s>(
    item: &ConnectionItem,
    target: &Target,
    shared_stem: &dyn Fn(&str) -> Option<&'s Vec<&'s str>>,
    known: &Known<'_>,
) -> Result<Candidate, String> {
    let name = item.name.as_str();
    let Some(stem) = file_stem(name) else {
        return Err("no file name can be made from this name: write its file by hand and record it with `provision state import`".into());
    };
    if let Some(sharing) = shared_stem(&stem) {
        let names: Vec<String> = sharing.iter().map(|n| format!("`{n}`")).collect();
        return Err(format!(
            "file name `{stem}.yaml` would be shared by {}: write these files by hand",
            names.join(", ")
        ));
    }
    let whole_string = item
        .auth
        .as_ref()
        .is_some_and(|a| a.spec_name == CONNECTION_STRING_AUTH);
    let (suffix, holds) = if whole_string {
        ("CONNECTION_STRING", WHOLE_CONNECTION_STRING)
    } else {
        ("PASSWORD", "the password")
    };
    let mut variable = env_var(name, suffix);
    let mut n = 2;
    while known.variables.contains(&variable) {
        variable = format!("{}_{n}", env_var(name, suffix));
        n += 1;
    }
    let connection = to_connection(item, target.cloud, &target.sandbox, &variable)?;
    let key = connection.key();
    let mut connection = connection;
    if let Some(scope) = &target.environment {
        // Exists in this environment only: promoting it is a deliberate edit.
        connection.environments = Some(vec![scope.name.clone()]);
        if scope.sandbox.as_deref() == Some(connection.sandbox.as_str()) {
            connection.sandbox.clear();
        }
    }
    if (known.managed)(&key) {
        return Err(format!("already in state as `{key}`"));
    }
    if let Some(file) = known.described.get(&key) {
        return Err(format!(
            "`{}` already describes `{key}`: not imported again (record it with `provision state import {key} {}`)",
            file.display(),
            item.id
        ));
    }
    let file = target.out.join(format!("{stem}.yaml"));
    if (known.exists)(&file) {
        return Err(format!(
            "`{}` already exists: not overwritten",
            file.display()
        ));
    }
    Ok(Candidate {
        id: item.id.clone(),
        etag: item.etag.clone(),
        key,
        text: render::connection_yaml(&connection, &target.schema_ref, &item.id),
        source: target.project.source(&file),
        file,
        variables: vec![Variable {
            name: variable,
            holds,
        }],
    })
}

/// Validates the candidates' YAML exactly as `provision validate` would
/// once written, and returns each valid one's state fingerprint, computed
/// from the parsed text as `plan` computes it. Invalid candidates move to
/// `skipped` with the first diagnostic.
pub(crate) fn check(selection: &mut Selection, sandbox: &str) -> HashMap<ConnectionKey, String> {
    let texts: Vec<(PathBuf, String)> = selection
        .candidates
        .iter()
        .map(|c| (c.file.clone(), c.text.clone()))
        .collect();
    let report = validate::validate_texts(&texts, Options::default());
    let mut problems: HashMap<&Path, &Diagnostic> = HashMap::new();
    // A warning (port 3306, as in Adobe's own example) does not stop
    // `validate`, `plan` or `apply`, so it does not stop an import either.
    for d in report.diagnostics.iter().rev() {
        if d.severity == Severity::Error {
            problems.insert(d.file.as_path(), d);
        }
    }
    let no_variables = |_: &str| -> Option<String> { None };
    let fingerprints: HashMap<ConnectionKey, String> = report
        .config
        .connections
        .iter()
        .filter(|l| !problems.contains_key(l.file.as_path()))
        .map(|l| {
            // A document without `sandbox` is in the imported one.
            let mut connection = l.connection.clone();
            if connection.sandbox.is_empty() {
                sandbox.clone_into(&mut connection.sandbox);
            }
            (
                connection.key(),
                desired::fingerprint(&connection, &no_variables),
            )
        })
        .collect();
    let mut kept = Vec::with_capacity(selection.candidates.len());
    for candidate in selection.candidates.drain(..) {
        match problems.get(candidate.file.as_path()) {
            Some(d) => selection.skipped.push(Skip {
                kind: ResourceKind::Connection,
                name: candidate.key.to_string(),
                id: candidate.id.clone(),
                reason: format!(
                    "its YAML would not validate: {} [{}]",
                    d.message,
                    d.code.as_str()
                ),
            }),
            None if fingerprints.contains_key(&candidate.key) => kept.push(candidate),
            None => selection.skipped.push(Skip {
                kind: ResourceKind::Connection,
                name: candidate.key.to_string(),
                id: candidate.id.clone(),
                reason: "its YAML did not read back as a connection".into(),
            }),
        }
    }
    selection.candidates = kept;
    fingerprints
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::wire::{ItemAuth, SpecRef};

    fn item(name: &str, spec: &str) -> ConnectionItem {
        let params = serde_json::json!({
            "server": "h", "port": "5432", "database": "d", "username": "u",
            "password": "********", "sslMode": "Require"
        });
        ConnectionItem {
            id: format!("id-{name}"),
            name: name.into(),
            description: None,
            auth: Some(ItemAuth {
                spec_name: crate::api::wire::BASIC_AUTH.into(),
                params: params.as_object().cloned().unwrap_or_default(),
            }),
            connection_spec: SpecRef {
                id: spec.into(),
                version: "1.0".into(),
            },
            state: "enabled".into(),
            version: None,
            etag: "\"e\"".into(),
            sandbox_name: "prod".into(),
            ims_org_id: "O@AdobeOrg".into(),
            created_at: 0,
            updated_at: 0,
            created_client: String::new(),
            updated_client: String::new(),
        }
    }

    #[test]
    fn other_specs_and_unknown_ssl_modes_are_reported_not_guessed() {
        let target = Target {
            cloud: Cloud::Azure,
            sandbox: "prod".into(),
            out: PathBuf::from("connections/prod"),
            schema_ref: "../../schema/connection.schema.json".into(),
            dataflow_schema_ref: "../../schema/dataflow.schema.json".into(),
            project: Project::of_settings(Path::new("provision.yaml")),
            described: BTreeMap::new(),
            described_dataflows: BTreeMap::new(),
            environment: None,
            mode: None,
        };
        let items = [
            item("mysql-db", "26d738e0-0000"),
            item("pg", POSTGRES_SPEC_ID),
        ];
        let selection = select(&items, &target, &|_| false, &|_| false);
        assert!(selection.candidates.is_empty());
        let reasons: Vec<&str> = selection
            .skipped
            .iter()
            .map(|s| s.reason.as_str())
            .collect();
        assert!(reasons[0].contains("is not PostgreSQL"), "{reasons:?}");
        assert!(reasons[1].contains("`sslMode` is `Require`"), "{reasons:?}");
    }
}
