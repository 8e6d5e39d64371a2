//! Making a plan for a run: state against the desired connections, and the
//! platform's view where there is something to look up (new connections,
//! or all with `--refresh`). Used by `plan`, and by `apply` under its lock.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::connect::DataflowReads;
use super::tables::TableCheck;
use super::{Connected, Workspace};
use crate::config::{Cloud, ConnectionKey, DataflowKey};
use crate::desired::dataflow::DesiredDataflow;
use crate::desired::unset_secrets::not_compared;
use crate::desired::{config_hash, described_keys};
use crate::error::{Error, Result};
use crate::plan::dataflow::DataflowStep;
use crate::plan::{self, ActionKind, Plan, PlanOptions, Scene, Target};
use crate::state::State;

/// The default Flow Service host, as the client uses it.
const DEFAULT_ENDPOINT: &str = "https://platform.adobe.io";

impl Workspace {
    /// The keys `--target` names, with the closest keys of config and
    /// state suggested for one that is not a key.
    pub(crate) fn target_keys(&self, texts: &[String]) -> Result<Vec<ConnectionKey>> {
        let connections: Vec<String> = texts
            .iter()
            .filter(|t| !t.starts_with("dataflow/"))
            .map(|t| t.strip_prefix("connection/").unwrap_or(t).to_owned())
            .collect();
        let dataflows = self.dataflow_target_keys(texts)?;
        let mut keys = super::hints::target_keys(&connections, || {
            let mut keys: Vec<ConnectionKey> = self.desired.iter().map(|d| d.key.clone()).collect();
            if let Ok(state) = self.backend.load() {
                keys.extend(state.connections.into_keys());
            }
            keys.sort();
            keys.dedup();
            keys
        })?;
        // A targeted dataflow takes its base connection along when the run
        // manages it (terraform's `-target` takes dependencies too).
        for flow in self.dataflows.iter().filter(|d| dataflows.contains(&d.key)) {
            if self.desired.iter().any(|d| d.key == flow.connection)
                && !keys.contains(&flow.connection)
            {
                keys.push(flow.connection.clone());
            }
        }
        Ok(keys)
    }

    /// The `--target`s that name dataflows, each known to config or state.
    pub(crate) fn dataflow_target_keys(&self, texts: &[String]) -> Result<Vec<DataflowKey>> {
        let named: Vec<String> = texts
            .iter()
            .filter(|t| t.starts_with("dataflow/"))
            .cloned()
            .collect();
        self.dataflow_keys("--target", &named)
    }

    /// Dataflow keys given to `flag`, each known to config or state (an
    /// unknown one is a usage error naming the closest).
    pub(crate) fn dataflow_keys(&self, flag: &str, texts: &[String]) -> Result<Vec<DataflowKey>> {
        let mut known: Vec<DataflowKey> = self.dataflows.iter().map(|d| d.key.clone()).collect();
        if let Ok(state) = self.backend.load() {
            known.extend(state.dataflows.into_keys());
        }
        texts
            .iter()
            .map(|text| {
                let key: Option<DataflowKey> = text.parse().ok();
                match key {
                    Some(key) if known.contains(&key) => Ok(key),
                    _ => {
                        let names: Vec<String> = known.iter().map(ToString::to_string).collect();
                        let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
                        let near = crate::suggest::closest(text, &candidates);
                        let tail = near
                            .map(|n| format!(": did you mean `{n}`?"))
                            .unwrap_or_else(|| {
                                ": dataflow keys are `dataflow/cloud/sandbox/name`".to_owned()
                            });
                        Err(Error::Usage(format!(
                            "`{flag} {}` names no dataflow of the config or state{tail}",
                            text.escape_debug()
                        )))
                    }
                }
            })
            .collect()
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
        let mut plan = plan::diff(
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
        .map_err(|e| Error::Failed(e.to_string()))?;
        self.plan_dataflows(&mut plan, state, refresh, options, connected)
            .await?;
        plan.scene = Some(self.scene(state));
        let recorded: BTreeMap<ConnectionKey, BTreeSet<String>> = self
            .unknown_secrets
            .iter()
            .filter(|(key, _)| state.connections.contains_key(*key))
            .map(|(key, names)| (key.clone(), names.clone()))
            .collect();
        plan.warnings.extend(not_compared(&recorded));
        Ok(plan)
    }

    /// The dataflow half of the plan, joined into `plan`: base
    /// connections named but not managed here are looked up on the
    /// platform first, and flows are read back with `refresh`.
    async fn plan_dataflows(
        &self,
        plan: &mut Plan,
        state: &State,
        refresh: bool,
        options: &PlanOptions,
        connected: Option<&Connected>,
    ) -> Result<()> {
        if self.dataflows.is_empty() && state.dataflows.is_empty() {
            return Ok(());
        }
        let targets = (!options.targets.is_empty() || !options.dataflow_targets.is_empty())
            .then(|| options.dataflow_targets.iter().cloned().collect());
        let unknown: Vec<&DesiredDataflow> = self
            .dataflows
            .iter()
            .filter(|d| {
                targets
                    .as_ref()
                    .is_none_or(|t: &BTreeSet<DataflowKey>| t.contains(&d.key))
                    && !state.dataflows.contains_key(&d.key)
                    && !state.connections.contains_key(&d.connection)
                    && !self.desired.iter().any(|c| c.key == d.connection)
            })
            .collect();
        // A chain recorded by `state import` has no document applied yet:
        // its flow is read so the plan compares the document with it.
        let imported = state.dataflows.values().any(|r| r.applied.is_none());
        let refresh = (refresh || imported) && !state.dataflows.is_empty();
        let needs_platform = !unknown.is_empty() || refresh;
        let reads = match (needs_platform, connected) {
            (false, _) => DataflowReads::default(),
            (true, Some(connected)) => connected.dataflow_reads(&unknown, state, refresh).await?,
            (true, None) => {
                let connected = self.connect().await?;
                let read = connected.dataflow_reads(&unknown, state, refresh).await;
                connected.close().await;
                read?
            }
        };
        let now = plan::parse_timestamp(&crate::state::timestamp::now())
            .and_then(|s| i64::try_from(s).ok())
            .unwrap_or(0);
        let dataflow_options = plan::dataflow::DataflowOptions {
            prune: options.prune,
            replace: options.replace.iter().cloned().collect(),
            targets,
            now,
            connection_ids: plan::dataflow::connection_ids(&plan.actions, state),
        };
        let (actions, warnings) = plan::dataflow::diff(
            &self.dataflows,
            state,
            reads.flows.as_ref(),
            &dataflow_options,
        )
        .map_err(|e| Error::Failed(e.to_string()))?;
        plan::dataflow::join(
            plan,
            actions,
            warnings,
            &self.dataflows,
            state,
            options.max_deletes,
        )
        .map_err(Error::Failed)?;
        self.check_tables(plan, state, &reads.bases, connected)
            .await
    }

    /// Explores the tables of the dataflows `plan` creates or replaces over
    /// a base connection that exists and stays as it is (a connection the
    /// plan creates, updates, adopts, renames or deletes is explored by
    /// apply, after its own step).
    async fn check_tables(
        &self,
        plan: &mut Plan,
        state: &State,
        found: &HashMap<ConnectionKey, String>,
        connected: Option<&Connected>,
    ) -> Result<()> {
        let documents: HashMap<&DataflowKey, &DesiredDataflow> =
            self.dataflows.iter().map(|d| (&d.key, d)).collect();
        let connections: HashMap<&ConnectionKey, &plan::Action> =
            plan.actions.iter().map(|a| (&a.key, a)).collect();
        let checks: Vec<TableCheck<'_>> = plan
            .dataflows
            .iter()
            .filter(|a| matches!(a.action, DataflowStep::Create | DataflowStep::Replace))
            .filter_map(|a| documents.get(&a.key).copied())
            .filter_map(|d| {
                let base = match connections.get(&d.connection) {
                    Some(a) if a.kind() == ActionKind::Unchanged => a.id().map(str::to_owned),
                    Some(_) => None,
                    None => state
                        .connections
                        .get(&d.connection)
                        .map(|r| r.id.clone())
                        .or_else(|| found.get(&d.connection).cloned()),
                }?;
                Some(TableCheck { dataflow: d, base })
            })
            .collect();
        if checks.is_empty() {
            return Ok(());
        }
        let parallelism = self.parallelism(None);
        let warnings = match connected {
            Some(connected) => connected.check_tables(&checks, parallelism).await?,
            None => {
                let connected = self.connect().await?;
                let checked = connected.check_tables(&checks, parallelism).await;
                connected.close().await;
                checked?
            }
        };
        plan.warnings.extend(warnings);
        Ok(())
    }

    /// What `plan --out` needs besides every secret: the state key, when
    /// state records secret digests under one (a saved plan must know
    /// whether a secret changed).
    pub(crate) fn complete_for_saving(&self, state: &State) -> Result<()> {
        let digests = state.connections.values().any(|r| r.secret_hmac.is_some());
        if digests && self.env.get("PROVISION_STATE_KEY").is_none() {
            return Err(Error::Setup(
                "`plan --out` needs `PROVISION_STATE_KEY`: state records secret digests under it, and a saved plan must know whether a secret changed; set it where provision runs (or plan without `--out`)".to_owned(),
            ));
        }
        Ok(())
    }

    /// Where a run with `state` acts: the clouds, orgs and sandboxes of the
    /// config and of state, the host each is reached at (the flag, else the
    /// org's, else the global), and the state (its URL's password redacted).
    pub(crate) fn scene(&self, state: &State) -> Scene {
        let mut by_cloud: BTreeMap<Cloud, (String, Vec<String>)> = BTreeMap::new();
        let desired = self.desired.iter().map(|d| (&d.key, &d.org));
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
                    endpoint: self.endpoint(cloud),
                    sandboxes,
                }
            })
            .collect();
        Scene {
            environment: self.environment.as_ref().map(|e| e.name.clone()),
            targets,
            state: self.backend.describe(),
        }
    }

    /// The Flow Service host of `cloud`, as the client will use it.
    fn endpoint(&self, cloud: Cloud) -> String {
        if self.target().emulator {
            return "emulator".to_owned();
        }
        let org = self.settings.orgs.as_ref().and_then(|orgs| match cloud {
            Cloud::Azure => orgs.azure.as_ref(),
            Cloud::Aws => orgs.aws.as_ref(),
        });
        self.target()
            .endpoint
            .clone()
            .or_else(|| org.and_then(|o| o.endpoint.clone()))
            .or_else(|| self.settings.endpoint.clone())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
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
