//! What an apply tells the one who renders it, as it goes: events in,
//! rendering out. The run itself never writes to the terminal; a text or a
//! JSON renderer turns each event into what the user sees.

use std::collections::BTreeMap;

use super::{ApplyReport, Outcome};
use crate::check::CheckReport;
use crate::config::Cloud;
use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::plan::{Action, Plan};
use crate::state::State;
use crate::workspace::Workspace;

/// One thing that happened during an apply.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// The state is locked and loaded: where the run acts.
    Began(&'a Scene),
    /// Something the user should know that does not stop the run.
    Warning(&'a str),
    /// A warning about a place in the config (validation found no error).
    Diagnostic(&'a Diagnostic),
    /// `--preflight` probed every described server.
    Preflight(&'a CheckReport),
    /// The plan is made and not empty; `total` actions will run.
    Planned { plan: &'a Plan, total: usize },
    /// One action started.
    Started(&'a Action),
    /// One action finished (in completion order).
    Finished(&'a Outcome),
    /// SIGINT or SIGTERM: the first stops new actions, `again` exits at once.
    Interrupted { again: bool },
    /// The run ended: the plan it carried out and what happened.
    Ended {
        plan: &'a Plan,
        report: &'a ApplyReport,
    },
    /// An error ended the run after it began.
    Stopped(&'a Error),
}

/// Who hears the events of a run.
pub(crate) trait Reporter: Sync {
    fn event(&self, event: Event<'_>);
}

/// Where a run acts: per cloud its org, Flow Service host and sandboxes,
/// and which state it records into (a database URL's password redacted).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scene {
    pub targets: Vec<Target>,
    /// E.g. `file `.provision/state.json`` or `postgres `…` namespace `x``.
    pub state: String,
}

/// One cloud a run acts in.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub cloud: Cloud,
    pub org: String,
    /// The Flow Service host (`emulator` for an in-process emulator).
    pub endpoint: String,
    pub sandboxes: Vec<String>,
}

/// The default Flow Service host, as the client uses it.
const DEFAULT_ENDPOINT: &str = "https://platform.adobe.io";

impl Scene {
    /// The clouds, orgs and sandboxes of the config and of `state`, and the
    /// host each is reached at (the flag, else the org's, else the global).
    pub(crate) fn of(ws: &Workspace, state: &State) -> Scene {
        let mut by_cloud: BTreeMap<Cloud, (String, Vec<String>)> = BTreeMap::new();
        let desired = ws.desired.iter().map(|d| (&d.key, &d.org));
        let recorded = state.connections.iter().map(|(k, r)| (k, &r.org));
        for (key, org) in desired.chain(recorded) {
            let (known, sandboxes) = by_cloud.entry(key.cloud).or_default();
            if known.is_empty() {
                known.clone_from(org);
            }
            if !sandboxes.contains(&key.sandbox) {
                sandboxes.push(key.sandbox.clone());
            }
        }
        let targets = by_cloud
            .into_iter()
            .map(|(cloud, (org, mut sandboxes))| {
                sandboxes.sort();
                Target {
                    cloud,
                    org,
                    endpoint: endpoint(ws, cloud),
                    sandboxes,
                }
            })
            .collect();
        Scene {
            targets,
            state: ws.backend.describe(),
        }
    }
}

fn endpoint(ws: &Workspace, cloud: Cloud) -> String {
    let target = ws.target();
    if target.emulator {
        return "emulator".to_owned();
    }
    let org = ws.settings.orgs.as_ref().and_then(|orgs| match cloud {
        Cloud::Azure => orgs.azure.as_ref(),
        Cloud::Aws => orgs.aws.as_ref(),
    });
    target
        .endpoint
        .clone()
        .or_else(|| org.and_then(|o| o.endpoint.clone()))
        .or_else(|| ws.settings.endpoint.clone())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
}
