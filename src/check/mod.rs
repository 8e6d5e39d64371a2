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
pub(crate) use report::{CheckReport, Outcome};
pub(crate) use target::Target;

use crate::desired::resolve::Resolved;

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
    let connectors = Connectors::new(options.ca_file.as_deref())?;
    let permits = Arc::new(Semaphore::new(options.parallelism.max(1)));
    let mut outcomes = Vec::with_capacity(connections.len());
    let mut tasks = JoinSet::new();
    let mut keys = HashMap::new();
    for resolved in connections {
        let target = match Target::from_resolved(resolved) {
            Ok(target) => target,
            Err((key, failure)) => {
                outcomes.push(Outcome::unusable(key, failure));
                continue;
            }
        };
        let connectors = connectors.clone();
        let permits = permits.clone();
        let timeout = options.timeout;
        let key = target.key.clone();
        let handle = tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            tracing::info!(key = %target.key, host = %target.host, port = target.port, tls = %target.tls, "probing");
            let (result, elapsed) = probe::probe(&target, &connectors, timeout).await;
            tracing::debug!(key = %target.key, ok = result.is_ok(), ?elapsed, "probed");
            Outcome::new(&target, result, elapsed)
        });
        keys.insert(handle.id(), key);
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(outcome) => outcomes.push(outcome),
            // A probe that panicked still gets its line, as a failure
            // (every task's id was recorded as it was spawned).
            Err(err) => {
                if let Some(key) = keys.remove(&err.id()) {
                    outcomes.push(Outcome::unusable(
                        key,
                        Failure::new(
                            Category::Other,
                            format!("the probe stopped unexpectedly: {err}"),
                        ),
                    ));
                }
            }
        }
    }
    outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(CheckReport { outcomes })
}
