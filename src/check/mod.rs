//! `provision check`: a preflight that connects to every described PostgreSQL
//! server with its own credentials and TLS mode, so a wrong password or a
//! closed firewall shows up before the platform is asked to use them.
//! It never calls the Flow Service.

mod failure;
mod probe;
mod report;
mod target;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub(crate) use crate::tls::{Connectors, TlsSetupError};
pub(crate) use failure::{Category, Failure};
pub(crate) use report::{CheckDocument, CheckReport, Columns, Outcome};
pub(crate) use target::Target;

use crate::config::ConnectionKey;
use crate::desired::resolve::Resolved;
use crate::validate::Located;

/// Where each connection is written (file, line of its document), for
/// annotations that point at it.
pub(crate) fn places(connections: &[Located]) -> HashMap<ConnectionKey, (PathBuf, u32)> {
    connections
        .iter()
        .map(|l| (l.connection.key(), (l.file.clone(), l.node.pos.line)))
        .collect()
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
    check_each(connections, options, &|_, _| {}).await
}

/// Like [`check_all`], telling `on_outcome` about each outcome the moment
/// it is known (in completion order), with the columns every line of the
/// run fits.
pub(crate) async fn check_each(
    connections: &[Resolved],
    options: &CheckOptions,
    on_outcome: &(dyn Fn(&Outcome, &Columns) + Sync),
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
    let columns = Columns::of(&targets, &outcomes);
    for outcome in &outcomes {
        on_outcome(outcome, &columns);
    }
    let mut tasks = JoinSet::new();
    let mut keys = HashMap::new();
    for target in targets {
        let connectors = connectors.clone();
        let permits = permits.clone();
        let timeout = options.timeout;
        let key = target.key.clone();
        let handle = tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            tracing::info!(key = %target.key, host = %target.host, port = target.port, tls = %target.tls, "probing");
            let probed = probe::probe(&target, &connectors, timeout).await;
            tracing::debug!(key = %target.key, ok = probed.result.is_ok(), elapsed = ?probed.elapsed, "probed");
            Outcome::new(&target, probed)
        });
        keys.insert(handle.id(), key);
    }
    while let Some(joined) = tasks.join_next().await {
        let outcome = match joined {
            Ok(outcome) => outcome,
            // A probe that panicked still gets its line, as a failure
            // (every task's id was recorded as it was spawned).
            Err(err) => match keys.remove(&err.id()) {
                Some(key) => Outcome::unusable(
                    key,
                    Failure::new(
                        Category::Other,
                        format!("the probe stopped unexpectedly: {err}"),
                    ),
                ),
                None => continue,
            },
        };
        on_outcome(&outcome, &columns);
        outcomes.push(outcome);
    }
    outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(CheckReport { outcomes })
}
