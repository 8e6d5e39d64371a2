//! `provision check`: a preflight that connects to every described PostgreSQL
//! server with its own credentials and TLS mode, so a wrong password or a
//! closed firewall shows up before the platform is asked to use them.
//! The dataflows reading through those connections have their tables
//! looked at over the same sessions. It never calls the Flow Service.

mod dataflow;
mod failure;
mod outcome;
mod probe;
mod report;
mod table;
mod target;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub(crate) use crate::tls::{Connectors, TlsSetupError};
pub(crate) use dataflow::{DataflowOutcome, Wanted};
pub(crate) use failure::{Category, Failure};
pub(crate) use outcome::{Columns, Outcome};
pub(crate) use report::{CheckDocument, CheckReport, Line, Places};
pub(crate) use target::Target;

use crate::config::ConnectionKey;
use crate::desired::resolve::Resolved;
use crate::validate::{Located, LocatedDataflow};

/// Where each connection is written (file, line of its document), for
/// annotations that point at it.
pub(crate) fn places(connections: &[Located]) -> Places {
    connections
        .iter()
        .map(|l| (l.connection.key(), (l.file.clone(), l.node.pos.line)))
        .collect()
}

/// What each dataflow of environment `name` (all without environments)
/// asks of its table, in key order; a document without `sandbox` takes
/// `sandbox` (validation reported one left without any).
pub(crate) fn dataflows_in(
    dataflows: &[LocatedDataflow],
    name: Option<&str>,
    sandbox: Option<&str>,
) -> Vec<Wanted> {
    let mut wanted: Vec<Wanted> = dataflows
        .iter()
        .filter(|l| match (name, &l.dataflow.environments) {
            (Some(name), Some(list)) => list.iter().any(|n| n == name),
            _ => true,
        })
        .filter_map(|l| {
            let mut located = l.clone();
            if located.dataflow.sandbox.is_empty() {
                located.dataflow.sandbox = sandbox?.to_owned();
            }
            Some(Wanted::of(&located))
        })
        .collect();
    wanted.sort_by(|a, b| a.key.cmp(&b.key));
    wanted
}

/// How a run probes.
#[derive(Debug, Clone)]
pub(crate) struct CheckOptions {
    /// Per connection, from DNS lookup to the answer of `SELECT 1`.
    pub timeout: Duration,
    /// Probes in flight at once (at least 1).
    pub parallelism: usize,
    /// Extra CA certificates (PEM) trusted besides the system's.
    pub ca_file: Option<PathBuf>,
}

/// Probes every connection, at most `parallelism` at a time, and reports
/// each outcome in key order. Fails only when TLS cannot be set up at all.
pub(crate) async fn check_all(
    connections: &[Resolved],
    options: &CheckOptions,
) -> Result<CheckReport, TlsSetupError> {
    check_each(connections, &[], options, &|_, _| {}).await
}

/// Like [`check_all`], also looking at the table of each dataflow in
/// `dataflows` over its base connection's session, and telling `on_line`
/// about each outcome the moment it is known (in completion order; a
/// connection's dataflows right after it), with the columns every line of
/// the run fits.
pub(crate) async fn check_each(
    connections: &[Resolved],
    dataflows: &[Wanted],
    options: &CheckOptions,
    on_line: &(dyn Fn(Line<'_>, &Columns) + Sync),
) -> Result<CheckReport, TlsSetupError> {
    let connectors = Connectors::new(options.ca_file.as_deref())?;
    let permits = Arc::new(Semaphore::new(options.parallelism.max(1)));
    let mut outcomes = Vec::with_capacity(connections.len());
    let mut targets = Vec::with_capacity(connections.len());
    for resolved in connections {
        match Target::from_resolved(resolved) {
            Ok(target) => targets.push(target),
            Err((key, failure)) => outcomes.push(Outcome::unusable(key, failure)),
        }
    }
    let mut flows = attach(dataflows, &mut targets, &outcomes);
    let columns = Columns::of(&targets, &outcomes)
        .with_keys(dataflows.iter().map(|d| d.key.to_string().len()));
    for outcome in &outcomes {
        on_line(Line::Connection(outcome), &columns);
    }
    for flow in &flows {
        on_line(Line::Dataflow(flow), &columns);
    }
    let mut tasks = JoinSet::new();
    let mut spawned = HashMap::new();
    for target in targets {
        let connectors = connectors.clone();
        let permits = permits.clone();
        let timeout = options.timeout;
        let key = target.key.clone();
        let reading = target.dataflows.clone();
        let handle = tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            probe_target(&target, &connectors, timeout).await
        });
        spawned.insert(handle.id(), (key, reading));
    }
    while let Some(joined) = tasks.join_next().await {
        let (outcome, found) = match joined {
            Ok(done) => done,
            // A probe that panicked still gets its line, as a failure
            // (every task's id was recorded as it was spawned).
            Err(err) => match spawned.remove(&err.id()) {
                Some((key, reading)) => {
                    let flows = after_failure(&reading, &key, Category::Other);
                    let failure = Failure::new(
                        Category::Other,
                        format!("the probe stopped unexpectedly: {err}"),
                    );
                    (Outcome::unusable(key, failure), flows)
                }
                None => continue,
            },
        };
        on_line(Line::Connection(&outcome), &columns);
        for flow in &found {
            on_line(Line::Dataflow(flow), &columns);
        }
        outcomes.push(outcome);
        flows.extend(found);
    }
    outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    flows.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(CheckReport {
        outcomes,
        dataflows: flows,
    })
}

/// Hands each dataflow to the target of its base connection; those without
/// a usable one are not checked, and their outcomes returned.
fn attach(
    dataflows: &[Wanted],
    targets: &mut [Target],
    unusable: &[Outcome],
) -> Vec<DataflowOutcome> {
    let mut flows = Vec::new();
    for wanted in dataflows {
        if let Some(target) = targets.iter_mut().find(|t| t.key == wanted.connection) {
            target.dataflows.push(wanted.clone());
        } else if let Some(unusable) = unusable.iter().find(|o| o.key == wanted.connection) {
            flows.push(DataflowOutcome::not_checked(
                wanted,
                format!(
                    "its base connection `{}` cannot be used: {}",
                    wanted.connection,
                    unusable.message.as_deref().unwrap_or_default()
                ),
            ));
        } else {
            flows.push(DataflowOutcome::not_checked(
                wanted,
                format!(
                    "its base connection `{}` is not described in these files, and only they give the host and credentials to read the table with (on the platform, `plan` looks the connection up)",
                    wanted.connection
                ),
            ));
        }
    }
    flows
}

/// One connection's probe and its dataflows' tables.
async fn probe_target(
    target: &Target,
    connectors: &Connectors,
    timeout: Duration,
) -> (Outcome, Vec<DataflowOutcome>) {
    tracing::info!(key = %target.key, host = %target.host, port = target.port, tls = %target.tls, "probing");
    let mut probed = probe::probe(target, connectors, timeout).await;
    tracing::debug!(key = %target.key, ok = probed.result.is_ok(), elapsed = ?probed.elapsed, "probed");
    let inspections = std::mem::take(&mut probed.inspections);
    let outcome = Outcome::new(target, probed);
    let flows = match &outcome.category {
        None => target
            .dataflows
            .iter()
            .zip(inspections)
            .map(|(wanted, found)| DataflowOutcome::inspected(wanted, found))
            .collect(),
        Some(category) => after_failure(&target.dataflows, &target.key, *category),
    };
    (outcome, flows)
}

/// The dataflows of a connection that failed: not checked, saying why.
fn after_failure(
    reading: &[Wanted],
    connection: &ConnectionKey,
    category: Category,
) -> Vec<DataflowOutcome> {
    reading
        .iter()
        .map(|wanted| {
            DataflowOutcome::not_checked(
                wanted,
                format!("its base connection `{connection}` failed ({category}, see its line)"),
            )
        })
        .collect()
}
