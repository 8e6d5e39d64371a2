//! `provision import`: list a sandbox's connections, write one YAML file per
//! PostgreSQL connection, record each in state, and name the variables the
//! user must set. `--dry-run` shows the files and records nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::{FlowService, ListQuery, Scope};
use crate::cli::ImportArgs;
use crate::import::{self, Selection, Target};
use crate::plan::desired;
use crate::resolve;
use crate::schema::CONNECTION_SCHEMA_FILE;
use crate::state::{Change, Record, timestamp};
use crate::workspace::{self, EMULATOR_ORGS, WorkspaceError};
use crate::{exit, output};

use super::{fail, runtime};

pub fn run(args: ImportArgs) -> u8 {
    let settings = match workspace::settings_only(&args.config) {
        Ok(settings) => settings,
        Err(err) => return fail(err),
    };
    let mut orgs = desired::orgs_from_settings(&settings, &resolve::environment);
    if args.target.emulator {
        for (cloud, org) in EMULATOR_ORGS {
            orgs.entry(cloud).or_insert_with(|| org.to_owned());
        }
    }
    let cloud = args.cloud;
    let Some(org) = orgs.get(&cloud).cloned() else {
        return fail(
            format!(
                "no IMS org configured for cloud `{cloud}`: set `orgs.{cloud}.imsOrg` in `{}`",
                args.config.display()
            )
            .into(),
        );
    };
    let backend = match workspace::backend(&args.target, &settings) {
        Ok(backend) => backend,
        Err(err) => return fail(err),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("connections").join(&args.sandbox));
    let project = args
        .config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cwd = std::env::current_dir().unwrap_or_default();
    let target = Target {
        cloud,
        sandbox: args.sandbox.clone(),
        schema_ref: import::relative(
            &out,
            &project.join("schema").join(CONNECTION_SCHEMA_FILE),
            &cwd,
        ),
        out: out.clone(),
    };
    let Some(runtime) = runtime() else {
        return exit::FAILURE;
    };
    let scope = Scope::new(&org, &args.sandbox);
    let items = runtime.block_on(async {
        let connected = workspace::connect(&args.target, &settings, &resolve::environment).await?;
        let items = connected
            .api
            .list(&scope, &ListQuery::new().page_size(1000))
            .await
            .map_err(|e| format!("cannot list connections in sandbox `{}`: {e}", args.sandbox));
        connected.close().await;
        items.map_err(WorkspaceError::from)
    });
    let items = match items {
        Ok(items) => items,
        Err(err) => return fail(err),
    };
    let _lock = if args.dry_run {
        None
    } else {
        match backend.lock("provision import", Duration::ZERO) {
            Ok(lock) => Some(lock),
            Err(err) => {
                output::error(&err.to_string());
                return exit::LOCKED;
            }
        }
    };
    let mut state = match backend.load() {
        Ok(state) => state,
        Err(err) => return fail(err.to_string().into()),
    };
    let mut selection = import::select(&items, &target, &|p: &Path| p.exists(), &|key: &str| {
        state.connections.contains_key(key)
    });
    let fingerprints = match import::check(&mut selection) {
        Ok(fingerprints) => fingerprints,
        Err(err) => return fail(format!("cannot check the YAML to write: {err}").into()),
    };
    if args.dry_run {
        for candidate in &selection.candidates {
            output::result(&format!(
                "--- would write `{}` ({})\n{}",
                candidate.file.display(),
                candidate.key,
                candidate.text
            ));
        }
        finish(&selection, &[], true);
        return exit::OK;
    }
    let written = match write_files(&out, &mut selection) {
        Ok(written) => written,
        Err(err) => return fail(err.into()),
    };
    let now = timestamp::now();
    let changes: Vec<Change> = written
        .iter()
        .filter_map(|c| {
            let fingerprint = fingerprints.get(&c.key)?.clone();
            Some(Change::Upsert(
                c.key.clone(),
                Record {
                    id: c.id.clone(),
                    etag: c.etag.clone(),
                    org: org.clone(),
                    fingerprint,
                    secret_hmac: None,
                    created_at: now.clone(),
                    updated_at: now.clone(),
                },
            ))
        })
        .collect();
    if !changes.is_empty()
        && let Err(err) = backend.record(&mut state, &changes)
    {
        output::error(&format!(
            "wrote {} file(s) but could not record them in state: {err}; run `provision apply` to adopt them",
            written.len()
        ));
        return exit::FAILURE;
    }
    finish(&selection, &written, false);
    exit::OK
}

/// Writes each candidate's file; a file that appeared meanwhile is skipped,
/// never overwritten.
fn write_files(out: &Path, selection: &mut Selection) -> Result<Vec<import::Candidate>, String> {
    if !selection.candidates.is_empty() {
        std::fs::create_dir_all(out)
            .map_err(|e| format!("cannot create `{}`: {e}", out.display()))?;
    }
    let mut written = Vec::new();
    for candidate in std::mem::take(&mut selection.candidates) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate.file);
        let result =
            file.and_then(|mut f| std::io::Write::write_all(&mut f, candidate.text.as_bytes()));
        match result {
            Ok(()) => {
                output::result_line(&format!(
                    "wrote `{}` ({}, connection `{}`)",
                    candidate.file.display(),
                    candidate.key,
                    candidate.id
                ));
                written.push(candidate);
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                selection.skipped.push(import::Skip {
                    name: candidate.key.clone(),
                    id: candidate.id.clone(),
                    reason: format!(
                        "`{}` already exists: not overwritten",
                        candidate.file.display()
                    ),
                });
            }
            Err(err) => {
                return Err(format!(
                    "cannot write `{}`: {err}",
                    candidate.file.display()
                ));
            }
        }
    }
    Ok(written)
}

/// Skips as warnings, a summary, then the variables to set.
fn finish(selection: &Selection, written: &[import::Candidate], dry_run: bool) {
    for skip in &selection.skipped {
        output::warning(&format!(
            "skipped `{}` (`{}`): {}",
            skip.name, skip.id, skip.reason
        ));
    }
    let listed: &[import::Candidate] = if dry_run {
        &selection.candidates
    } else {
        written
    };
    output::result_line(&format!(
        "Import {}: {} {}, {} skipped.",
        if dry_run { "dry run" } else { "complete" },
        listed.len(),
        if dry_run {
            "to write"
        } else {
            "written and recorded in state"
        },
        selection.skipped.len()
    ));
    let variables: Vec<&str> = listed
        .iter()
        .flat_map(|c| c.variables.iter().map(String::as_str))
        .collect();
    if !variables.is_empty() {
        output::result_line(
            "Set these variables (the passwords, which the platform never returns) before `provision plan`:",
        );
        for variable in variables {
            output::result_line(&format!("  {variable}"));
        }
    }
}
