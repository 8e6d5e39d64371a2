//! Which environment owns each record of a state kept before the project had
//! environments: `state migrate --to-env` moves only an environment's own
//! records, and the refusal of an empty environment state names each group.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use crate::config::{Cloud, ConnectionKey, Settings};
use crate::desired::{self, Environment, Project};
use crate::state::State;
use crate::validate;

/// Which environment each record of a pre-environments state belongs to:
/// its org is the environment's org for its cloud and its sandbox is the
/// environment's `sandbox` or one the environment's documents resolve to.
pub(crate) struct Owners {
    /// Per environment (settings order): its name, its `sandbox`, org per
    /// cloud, and every sandbox its documents resolve to.
    envs: Vec<Owner>,
}

struct Owner {
    name: String,
    sandbox: Option<String>,
    orgs: HashMap<Cloud, String>,
    sandboxes: BTreeSet<String>,
}

impl Owners {
    /// Reads the environments of `settings` and the documents under the
    /// project's `connections/` folder (beside `settings_file`).
    pub(crate) fn of(settings: &Settings, settings_file: &Path, env: &Environment) -> Owners {
        let folder = Project::of_settings(settings_file).connections_folder();
        let documents = if folder.is_dir() {
            let options = validate::Options {
                allow_plaintext_secrets: true,
                diagnostics_only: false,
            };
            validate::validate_paths(&[folder], None, options)
                .config
                .connections
        } else {
            Vec::new()
        };
        let lookup = |name: &str| env.get(name);
        let envs = settings
            .environment_names()
            .into_iter()
            .filter_map(|name| {
                let resolved = settings.for_environment(name)?;
                let orgs = desired::orgs_from_settings(&resolved, &lookup);
                let mut sandboxes: BTreeSet<String> = resolved.sandbox.iter().cloned().collect();
                sandboxes.extend(
                    desired::in_environment(
                        documents.clone(),
                        Some(name),
                        resolved.sandbox.as_deref(),
                    )
                    .into_iter()
                    .map(|l| l.connection.sandbox),
                );
                Some(Owner {
                    name: name.to_owned(),
                    sandbox: resolved.sandbox,
                    orgs,
                    sandboxes,
                })
            })
            .collect();
        Owners { envs }
    }

    /// The environment a record of `org` under `key` belongs to: of those
    /// whose org for its cloud is `org`, the one whose `sandbox` is the
    /// key's, else the first whose documents use that sandbox.
    pub(crate) fn owner(&self, key: &ConnectionKey, org: &str) -> Option<&str> {
        let same_org = || {
            self.envs.iter().filter(|e| {
                e.orgs
                    .get(&key.cloud)
                    .is_some_and(|o| o.eq_ignore_ascii_case(org))
            })
        };
        same_org()
            .find(|e| e.sandbox.as_deref() == Some(key.sandbox.as_str()))
            .or_else(|| same_org().find(|e| e.sandboxes.contains(&key.sandbox)))
            .map(|e| e.name.as_str())
    }

    /// The records of `state` per owning environment (`None`: no environment
    /// matches), each with its keys and their orgs.
    pub(crate) fn groups(
        &self,
        state: &State,
    ) -> BTreeMap<Option<String>, Vec<(ConnectionKey, String)>> {
        let mut groups: BTreeMap<Option<String>, Vec<(ConnectionKey, String)>> = BTreeMap::new();
        for (key, org) in entries(state) {
            groups
                .entry(self.owner(&key, &org).map(str::to_owned))
                .or_default()
                .push((key, org));
        }
        groups
    }

    /// For the refusal of an environment's empty state: "2 for `dev`
    /// (sandbox dev), 1 for `prod` (sandbox prod): run `provision state
    /// migrate --to-env dev` and `provision state migrate --to-env prod`".
    pub(crate) fn summary(&self, state: &State) -> String {
        let groups = self.groups(state);
        let mut parts = Vec::new();
        let mut runs = Vec::new();
        let mut unowned = Vec::new();
        for (owner, entries) in &groups {
            let Some(name) = owner else {
                unowned.extend(entries.iter().map(|(key, org)| {
                    format!(
                        "{key} (org {org}: no environment has that org with sandbox {})",
                        key.sandbox
                    )
                }));
                continue;
            };
            let sandboxes: BTreeSet<&str> =
                entries.iter().map(|(k, _)| k.sandbox.as_str()).collect();
            let sandboxes = sandboxes.into_iter().collect::<Vec<_>>().join(", ");
            parts.push(format!(
                "{} for `{name}` (sandbox {sandboxes})",
                entries.len()
            ));
            runs.push(format!("`provision state migrate --to-env {name}`"));
        }
        let mut text = parts.join(", ");
        if !runs.is_empty() {
            text.push_str(&format!("; move them with {}", runs.join(" and ")));
        }
        if !unowned.is_empty() {
            let sep = if text.is_empty() { "" } else { "; " };
            text.push_str(&format!(
                "{sep}{} for no environment, never moved: {}",
                unowned.len(),
                unowned.join(", ")
            ));
        }
        text
    }
}

/// Every key the state records (records, then pending creates) with its org.
fn entries(state: &State) -> Vec<(ConnectionKey, String)> {
    let mut all: Vec<(ConnectionKey, String)> = state
        .connections
        .iter()
        .map(|(k, r)| (k.clone(), r.org.clone()))
        .collect();
    all.extend(
        state
            .pending
            .iter()
            .filter(|(k, _)| !state.connections.contains_key(*k))
            .map(|(k, p)| (k.clone(), p.org.clone())),
    );
    all
}
