//! One `provision import` from its options to what it wrote: list the
//! sandbox, choose what to write, write the files (never overwriting) and
//! record each in state under the lock. The command only renders the result.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::dataflows::{self, KnownFlows};
use super::flow_read::Listed;
use super::{Candidate, DataflowCandidate, Selection, Target};
use crate::api::wire::ConnectionItem;
use crate::api::{FlowService, ListQuery, Scope};
use crate::config::ResourceKind;
use crate::config::{Cloud, ConnectionKey, Settings};
use crate::desired::{self, Environment};
use crate::error::{Error, Result};
use crate::state::{Change, Record, timestamp};
use crate::workspace::{self, EMULATOR_ORGS, TargetOptions};

/// Everything `provision import` can be asked for.
#[derive(Debug, Clone)]
pub(crate) struct ImportOptions {
    /// `--sandbox`; else the settings' (the environment's) `sandbox`.
    pub sandbox: Option<String>,
    pub cloud: Cloud,
    /// Where the files go (default `connections/<sandbox>/`).
    pub out: Option<PathBuf>,
    /// Show what would be written; write and record nothing.
    pub dry_run: bool,
    /// The settings file; the schema modeline is relative to its folder.
    pub settings_file: PathBuf,
    /// Where connection files are: what they describe is not imported again.
    pub paths: Vec<PathBuf>,
    pub target: TargetOptions,
}

/// What an import chose and, unless a dry run, wrote and recorded.
#[derive(Debug)]
pub(crate) struct ImportRun {
    pub selection: Selection,
    pub written: Vec<Candidate>,
    pub written_dataflows: Vec<DataflowCandidate>,
}

/// Runs one import.
pub(crate) fn run(options: &ImportOptions, env: &Environment) -> Result<ImportRun> {
    let mut acting = options.target.clone();
    let (settings, selected) = workspace::settings_for(&options.settings_file, &mut acting, env)?;
    let sandbox = sandbox(
        options,
        &settings,
        selected.as_ref().map(|s| s.name.as_str()),
    )?;
    let org = org(options, &settings, env)?;
    let backend = workspace::backend(&acting, &settings, env)?;
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("connections").join(&sandbox));
    let scope_of = selected.map(|s| super::EnvScope {
        name: s.name,
        sandbox: settings.sandbox.clone(),
    });
    let target = Target::new(options, &out, &sandbox, scope_of, settings.mode);
    let (items, flows) = list(&acting, &settings, env, &Scope::new(&org, &sandbox))?;
    // Only a lock held by another run is "locked" (exit 3); any other state
    // error is a plain failure.
    let _lock = if options.dry_run {
        None
    } else {
        Some(backend.lock("provision import", Duration::ZERO)?)
    };
    let mut state = backend.load()?;
    let exists = |p: &Path| p.exists();
    let mut selection = super::select(&items, &target, &exists, &|key: &ConnectionKey| {
        state.connections.contains_key(key)
    });
    let fingerprints = super::check(&mut selection, &sandbox);
    drop_odd_ids(&mut selection);
    let written = if options.dry_run {
        selection.candidates.clone()
    } else {
        write_files(&out, &mut selection)?
    };
    let now = timestamp::now();
    let known = KnownFlows {
        state: &state,
        exists: &exists,
        described: &target.described_dataflows,
        connections: &written,
        listed: &items,
        org: &org,
        now: &now,
    };
    dataflows::select(flows, &target, &known, &mut selection);
    dataflows::check(&mut selection, &target, &org);
    drop_odd_ids(&mut selection);
    quote_skips(&mut selection);
    if options.dry_run {
        return Ok(ImportRun {
            selection,
            written: Vec::new(),
            written_dataflows: Vec::new(),
        });
    }
    let written_dataflows = write_dataflows(&out, &mut selection)?;
    let changes = changes(&written, &written_dataflows, &fingerprints, &org, &now);
    if !changes.is_empty() {
        backend.record(&mut state, &changes).map_err(|err| {
            Error::Failed(format!(
                "wrote {} file(s) but could not record them in state: {err}; run `provision apply` to adopt them",
                written.len() + written_dataflows.len()
            ))
        })?;
    }
    Ok(ImportRun {
        selection,
        written,
        written_dataflows,
    })
}

/// The state records of what was written: each connection with the
/// fingerprint its file produces, each dataflow as a complete chain.
fn changes(
    written: &[Candidate],
    dataflows: &[DataflowCandidate],
    fingerprints: &HashMap<ConnectionKey, String>,
    org: &str,
    now: &str,
) -> Vec<Change> {
    let connections = written.iter().filter_map(|c| {
        let fingerprint = fingerprints.get(&c.key)?.clone();
        Some(Change::Upsert(
            c.key.clone(),
            Record {
                id: c.id.clone(),
                etag: c.etag.clone(),
                org: org.to_owned(),
                fingerprint,
                secret_hmac: None,
                created_at: now.to_owned(),
                updated_at: now.to_owned(),
                source: Some(c.source.clone()),
                secret_version: None,
                connection_string_parts: None,
                protect: false,
            },
        ))
    });
    let flows = dataflows
        .iter()
        .map(|c| Change::Dataflow(c.key.clone(), Box::new(c.record.clone())));
    connections.chain(flows).collect()
}

/// The connections of `scope` on the platform, and its table flows read.
fn list(
    acting: &TargetOptions,
    settings: &Settings,
    env: &Environment,
    scope: &Scope,
) -> Result<(Vec<ConnectionItem>, Vec<Listed>)> {
    workspace::runtime()?.block_on(async {
        let connected = workspace::connect(acting, settings, env).await?;
        let api = &*connected.api;
        let read = async {
            let items = api
                .list(scope, &ListQuery::new())
                .await
                .map_err(workspace::api_error(format!(
                    "cannot list connections in sandbox `{}`",
                    scope.sandbox
                )))?;
            let flows = super::flow_read::read_flows(api, scope).await?;
            Ok((items, flows))
        }
        .await;
        connected.close().await;
        read
    })
}

/// `--sandbox`, else the settings' `sandbox` (the environment's when one
/// is selected), checked as connection files check theirs.
fn sandbox(
    options: &ImportOptions,
    settings: &Settings,
    environment: Option<&str>,
) -> Result<String> {
    let sandbox = match (&options.sandbox, &settings.sandbox) {
        (Some(flag), _) => flag.clone(),
        (None, Some(setting)) => setting.clone(),
        (None, None) => {
            let whose = environment.map_or_else(
                || "the settings give no `sandbox`".to_owned(),
                |name| format!("environment `{name}` (and the settings) give no `sandbox`"),
            );
            return Err(Error::Usage(format!(
                "no sandbox to import from: {whose}: expected `--sandbox SANDBOX`"
            )));
        }
    };
    check_sandbox(&sandbox)?;
    Ok(sandbox)
}

/// The org of the chosen cloud: from the settings, or the emulator's.
fn org(options: &ImportOptions, settings: &Settings, env: &Environment) -> Result<String> {
    let mut orgs = desired::orgs_from_settings(settings, &|name| env.get(name));
    if options.target.emulator {
        for (cloud, org) in EMULATOR_ORGS {
            orgs.entry(cloud).or_insert_with(|| org.to_owned());
        }
    }
    let cloud = options.cloud;
    orgs.remove(&cloud)
        .ok_or_else(|| workspace::no_org(cloud, &options.target))
}

/// The modeline's path from `out` to the project's connection schema.
pub(super) fn schema_ref(settings_file: &Path, out: &Path, schema_file: &str) -> String {
    let project = settings_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cwd = std::env::current_dir().unwrap_or_default();
    super::relative(out, &project.join("schema").join(schema_file), &cwd)
}

/// Writes each candidate's file; a file that appeared meanwhile is skipped,
/// never overwritten.
fn write_files(out: &Path, selection: &mut Selection) -> Result<Vec<Candidate>> {
    if !selection.candidates.is_empty() {
        std::fs::create_dir_all(out).map_err(Error::io("create", out))?;
    }
    let mut written = Vec::new();
    for candidate in std::mem::take(&mut selection.candidates) {
        match write_new(&candidate.file, &candidate.text) {
            Ok(()) => written.push(candidate),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                selection.skipped.push(super::Skip {
                    kind: ResourceKind::Connection,
                    name: candidate.key.to_string(),
                    id: candidate.id.clone(),
                    reason: format!(
                        "`{}` already exists: not overwritten",
                        candidate.file.display()
                    ),
                });
            }
            Err(err) => return Err(Error::io("write", &candidate.file)(err)),
        }
    }
    Ok(written)
}

/// `--sandbox` follows the rule connection files do: lowercase
/// letters, digits and `-`, starting with a letter or digit, at most 256
/// characters. A name the files could not hold is refused before anything
/// is listed.
fn check_sandbox(sandbox: &str) -> Result<()> {
    let valid = sandbox.len() <= 256
        && sandbox
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && sandbox
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(Error::Setup(format!(
            "invalid `--sandbox` `{}`: expected lowercase letters, digits and `-`, starting with a letter or digit, at most 256 characters (as in connection files)",
            crate::escape::escape_value(sandbox)
        )))
    }
}

/// Names, ids and reasons quote what the server sent: their control
/// characters (terminal escape sequences, line breaks) become escapes
/// before anything prints them.
fn quote_skips(selection: &mut Selection) {
    let escape = crate::escape::escape_value;
    for skip in &mut selection.skipped {
        skip.name = escape(&skip.name);
        skip.id = escape(&skip.id);
        skip.reason = escape(&skip.reason);
    }
}

/// An id with control characters is no Flow Service id: that connection or
/// flow is skipped rather than recorded.
fn drop_odd_ids(selection: &mut Selection) {
    let odd = |id: &str| id.chars().any(char::is_control);
    let reason = "its id holds control characters: expected a Flow Service id";
    let (kept, dropped): (Vec<Candidate>, Vec<Candidate>) =
        std::mem::take(&mut selection.candidates)
            .into_iter()
            .partition(|c| !odd(&c.id));
    selection.candidates = kept;
    for candidate in dropped {
        selection.skipped.push(super::Skip {
            kind: ResourceKind::Connection,
            name: candidate.key.to_string(),
            id: candidate.id.clone(),
            reason: reason.into(),
        });
    }
    let (kept, dropped): (Vec<DataflowCandidate>, Vec<DataflowCandidate>) =
        std::mem::take(&mut selection.dataflows)
            .into_iter()
            .partition(|c| {
                !c.record
                    .all_ids()
                    .chain([c.record.base_connection_id.as_str()])
                    .any(odd)
            });
    selection.dataflows = kept;
    for candidate in dropped {
        selection.skip_dataflow(candidate.key.to_string(), candidate.flow_id, reason.into());
    }
}

/// Writes each dataflow candidate's file; a file that appeared meanwhile
/// is skipped, never overwritten.
fn write_dataflows(out: &Path, selection: &mut Selection) -> Result<Vec<DataflowCandidate>> {
    if !selection.dataflows.is_empty() {
        std::fs::create_dir_all(out).map_err(Error::io("create", out))?;
    }
    let mut written = Vec::new();
    for candidate in std::mem::take(&mut selection.dataflows) {
        match write_new(&candidate.file, &candidate.text) {
            Ok(()) => written.push(candidate),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let reason = format!(
                    "`{}` already exists: not overwritten",
                    candidate.file.display()
                );
                selection.skip_dataflow(candidate.key.to_string(), candidate.flow_id, reason);
            }
            Err(err) => return Err(Error::io("write", &candidate.file)(err)),
        }
    }
    Ok(written)
}

/// Creates `file` with `text`; an existing file is an `AlreadyExists` error.
fn write_new(file: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)?;
    std::io::Write::write_all(&mut f, text.as_bytes())
}
