//! Making a plan for a run: state against the desired connections, and the
//! platform's view where there is something to look up (new connections,
//! or all with `--refresh`). Used by `plan`, and by `apply` under its lock.

use std::collections::BTreeSet;

use super::{Connected, Workspace};
use crate::config::ConnectionKey;
use crate::desired::{config_hash, described_keys};
use crate::error::{Error, Result};
use crate::plan::{self, Plan, PlanOptions};
use crate::state::State;

impl Workspace {
    /// The keys `--target` names, with the closest keys of config and
    /// state suggested for one that is not a key.
    pub(crate) fn target_keys(&self, texts: &[String]) -> Result<Vec<ConnectionKey>> {
        super::hints::target_keys(texts, || {
            let mut keys: Vec<ConnectionKey> = self.desired.iter().map(|d| d.key.clone()).collect();
            if let Ok(state) = self.backend.load() {
                keys.extend(state.connections.into_keys());
            }
            keys.sort();
            keys.dedup();
            keys
        })
    }

    /// The plan for `state`. The platform is read only when there is
    /// something to look up, through `connected` when the caller already
    /// holds a connection, else through one opened (and closed) here.
    pub(crate) async fn plan(
        &self,
        state: &State,
        refresh: bool,
        options: &PlanOptions,
        connected: Option<&Connected>,
    ) -> Result<Plan> {
        let needs_remote = !plan::scopes_to_read(&self.desired, state, refresh).is_empty();
        let remote = match (needs_remote, connected) {
            (false, _) => None,
            (true, Some(connected)) => {
                Some(connected.read_remote(&self.desired, state, refresh).await?)
            }
            (true, None) => {
                let connected = self.connect().await?;
                let remote = connected.read_remote(&self.desired, state, refresh).await;
                connected.close().await;
                Some(remote?)
            }
        };
        plan::diff(
            &self.desired,
            state,
            remote.as_ref(),
            config_hash(&self.desired),
            &PlanOptions {
                pending_window: Some(plan::PendingWindow::starting_now(
                    super::connect::Timing::from_settings(&self.settings)?.settle,
                )),
                ..self.with_moved_files(state, options)
            },
        )
        .map_err(|e| Error::Failed(e.to_string()))
    }

    /// `options` plus the state entries this run would treat as removed
    /// that a file in the project's `connections/` folder still describes
    /// (the file moved since state recorded it): those are never pruned.
    fn with_moved_files(&self, state: &State, options: &PlanOptions) -> PlanOptions {
        let mut options = options.clone();
        let desired: BTreeSet<&ConnectionKey> = self.desired.iter().map(|d| &d.key).collect();
        let removed = state.connections.iter().any(|(key, record)| {
            !desired.contains(key)
                && options
                    .scope
                    .as_ref()
                    .is_none_or(|s| s.covers(record.source.as_deref()))
        });
        // A rename's earlier key still described outside the run is a plan
        // error; one described only by a rename outside it is never pruned.
        let renames = self
            .desired
            .iter()
            .any(|d| d.connection.renamed_from.is_some());
        if removed || renames {
            options.described_elsewhere = described_keys(&[self.project.connections_folder()])
                .into_iter()
                .filter(|(key, _)| !desired.contains(key))
                .map(|(key, file)| (key, self.project.source(&file)))
                .collect();
        }
        options
    }
}
