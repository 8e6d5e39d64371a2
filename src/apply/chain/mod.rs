//! One object of a dataflow's chain, made exactly once: recorded already
//! (skip), an unrecorded namesake on the platform (adopt it), or a create
//! marked pending in state before it is sent; a create whose answer is
//! lost is never sent again, its name is looked up until it settles.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use super::{ActionError, Engine};
use crate::api::dataflow::{CreateFlow, CreateSourceConnection, CreateTargetConnection};
use crate::api::ingestion::CreateMappingSet;
use crate::api::{ApiError, FlowService, Scope};
use crate::config::DataflowKey;
use crate::state::{Change, DataflowRecord, ObjectRef, Part, timestamp};

/// What to create for one part.
pub(crate) enum Body {
    Source(CreateSourceConnection),
    Target(CreateTargetConnection),
    Mapping(CreateMappingSet),
    Flow(CreateFlow),
}

impl Body {
    fn part(&self) -> Part {
        match self {
            Body::Source(_) => Part::SourceConnection,
            Body::Target(_) => Part::TargetConnection,
            Body::Mapping(_) => Part::MappingSet,
            Body::Flow(_) => Part::Flow,
        }
    }
}

/// A dataflow's record while its chain is worked on: every change is
/// committed whole, under the lock, so parallel parts never lose each
/// other's ids.
pub(crate) struct Chain {
    pub key: DataflowKey,
    pub scope: Scope,
    pub record: Mutex<DataflowRecord>,
    /// Ids no lookup may take for a namesake: every object state records
    /// under any dataflow (this chain's retired ones included).
    pub excluded: HashSet<String>,
    /// Look namesakes up before each create, live (a saved plan, or a
    /// chain a killed run left half made): the inventory may be older.
    pub lookup: bool,
    /// The scope's objects as listed once at the start of the run.
    pub inventory: Arc<Inventory>,
}

/// The source connections, target connections and flows of one scope,
/// listed once per run by name: a create looks here for an unrecorded
/// namesake (state lost, or made by hand) instead of a request per object.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    pub by_name: HashMap<(Part, String), Vec<ObjectRef>>,
}

impl Inventory {
    fn namesakes(&self, part: Part, name: &str, excluded: &HashSet<String>) -> Vec<ObjectRef> {
        self.by_name
            .get(&(part, name.to_owned()))
            .map(|found| {
                found
                    .iter()
                    .filter(|o| !excluded.contains(&o.id))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Chain {
    /// Commits the record after `change` is made to it.
    pub(crate) async fn commit<F: FlowService + 'static>(
        &self,
        engine: &Engine<F>,
        change: impl FnOnce(&mut DataflowRecord),
    ) -> Result<(), String> {
        let mut record = self.record.lock().await;
        let mut next = record.clone();
        change(&mut next);
        next.updated_at = timestamp::now();
        engine
            .recorder
            .commit(vec![Change::Dataflow(
                self.key.clone(),
                Box::new(next.clone()),
            )])
            .await?;
        *record = next;
        Ok(())
    }

    pub(crate) async fn snapshot(&self) -> DataflowRecord {
        self.record.lock().await.clone()
    }
}

/// The request slots of a run: a chain takes one per request, so its
/// parts run beside other work within `parallelism`.
pub(crate) type Permits = Arc<Semaphore>;

impl<F: FlowService + 'static> Engine<F> {
    /// One request under a permit, paced.
    pub(crate) async fn call<T>(
        &self,
        permits: &Permits,
        request: impl std::future::Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let _permit = permits.acquire().await;
        self.pace().await;
        request.await
    }

    /// Live namesakes of `part` not recorded anywhere in state.
    async fn namesakes(
        &self,
        permits: &Permits,
        chain: &Chain,
        part: Part,
    ) -> Result<Vec<ObjectRef>, ApiError> {
        let name = chain.key.name();
        let scope = &chain.scope;
        let found: Vec<ObjectRef> = match part {
            Part::SourceConnection => self
                .call(
                    permits,
                    self.api.find_source_connections_by_name(scope, name),
                )
                .await?
                .into_iter()
                .map(|i| ObjectRef {
                    id: i.id,
                    etag: i.etag,
                })
                .collect(),
            Part::TargetConnection => self
                .call(
                    permits,
                    self.api.find_target_connections_by_name(scope, name),
                )
                .await?
                .into_iter()
                .map(|i| ObjectRef {
                    id: i.id,
                    etag: i.etag,
                })
                .collect(),
            Part::MappingSet => self
                .call(permits, self.api.find_mapping_sets_by_name(scope, name))
                .await?
                .into_iter()
                .map(|i| ObjectRef {
                    id: i.id,
                    etag: String::new(),
                })
                .collect(),
            Part::Flow => self
                .call(permits, self.api.find_flows_by_name(scope, name))
                .await?
                .into_iter()
                .map(|i| ObjectRef {
                    id: i.id,
                    etag: i.etag,
                })
                .collect(),
        };
        Ok(found
            .into_iter()
            .filter(|o| !chain.excluded.contains(&o.id))
            .collect())
    }

    /// Makes `body`'s part exist exactly once and records it; its id.
    pub(crate) async fn ensure(
        &self,
        permits: &Permits,
        chain: &Chain,
        body: Body,
    ) -> Result<ObjectRef, ActionError> {
        let part = body.part();
        let record = chain.snapshot().await;
        if let Some(object) = record.object(part) {
            return Ok(object.clone());
        }
        let pending_since = record.pending.get(&part).cloned();
        let name = chain.key.name();
        // Mapping sets are never deleted: the inventory lists them too, so
        // a namesake left by a deleted dataflow of the same name is adopted.
        let live = chain.lookup || pending_since.is_some();
        if !live {
            let mut listed = chain.inventory.namesakes(part, name, &chain.excluded);
            match listed.len() {
                0 => {}
                1 => {
                    let object = listed.remove(0);
                    self.record_part(chain, part, object.clone()).await?;
                    return Ok(object);
                }
                count => return Err(several(count, part, chain)),
            }
        }
        if live {
            if let Some(found) = self.adopt_namesake(permits, chain, part).await? {
                return Ok(found);
            }
            if let Some(since) = pending_since.as_deref() {
                // The earlier create may still land: look until its settle
                // window has passed since it started, then create.
                let left = self.window_left(since);
                if !left.is_zero()
                    && let Some(found) = self.settle_lookup(permits, chain, part, left).await?
                {
                    return Ok(found);
                }
            }
        }
        chain
            .commit(self, |r| {
                r.pending.insert(part, timestamp::now());
            })
            .await
            .map_err(|reason| ActionError::State(format!("nothing sent: {reason}")))?;
        let created = match &body {
            Body::Source(b) => self
                .call(permits, self.api.create_source_connection(&chain.scope, b))
                .await
                .map(|r| ObjectRef {
                    id: r.id,
                    etag: r.etag,
                }),
            Body::Target(b) => self
                .call(permits, self.api.create_target_connection(&chain.scope, b))
                .await
                .map(|r| ObjectRef {
                    id: r.id,
                    etag: r.etag,
                }),
            Body::Mapping(b) => self
                .call(permits, self.api.create_mapping_set(&chain.scope, b))
                .await
                .map(|r| ObjectRef {
                    id: r.id,
                    etag: String::new(),
                }),
            Body::Flow(b) => self
                .call(permits, self.api.create_flow(&chain.scope, b))
                .await
                .map(|r| ObjectRef {
                    id: r.id,
                    etag: r.etag,
                }),
        };
        let object = match created {
            Ok(object) => object,
            Err(ApiError::CreateOutcomeUnknown { .. }) => {
                match self
                    .settle_lookup(permits, chain, part, self.settle)
                    .await?
                {
                    Some(found) => return Ok(found),
                    None => {
                        return Err(ActionError::OutcomeUnknown {
                            name: format!("{} {}", part.describe(), chain.key.name()),
                            reason: "its answer was lost".to_owned(),
                            lookups: 1,
                            settle: self.settle,
                        });
                    }
                }
            }
            Err(err) => {
                // Refused: nothing was made, the mark goes.
                let _ = chain
                    .commit(self, |r| {
                        r.pending.remove(&part);
                    })
                    .await;
                return Err(err.into());
            }
        };
        self.record_part(chain, part, object.clone()).await?;
        Ok(object)
    }

    /// What is left of the settle window of a create started at `since`.
    fn window_left(&self, since: &str) -> std::time::Duration {
        let until = crate::plan::parse_timestamp(since)
            .map(|started| started + self.settle.as_secs())
            .unwrap_or(0);
        let now = crate::plan::parse_timestamp(&timestamp::now()).unwrap_or(0);
        std::time::Duration::from_secs(until.saturating_sub(now))
    }

    /// Before a chain is deleted: each pending create but a mapping set's
    /// (which stays anyway) is looked up by name, over what is left of its
    /// settle window, and recorded when found, so the delete takes it too
    /// instead of leaving it on the platform untracked.
    pub(crate) async fn record_landed(
        &self,
        permits: &Permits,
        chain: &Chain,
    ) -> Result<(), ActionError> {
        let pending = chain.snapshot().await.pending;
        for (part, since) in pending {
            if part == Part::MappingSet {
                continue;
            }
            let left = self.window_left(&since);
            if left.is_zero() {
                self.adopt_namesake(permits, chain, part).await?;
            } else {
                self.settle_lookup(permits, chain, part, left).await?;
            }
        }
        Ok(())
    }

    async fn record_part(
        &self,
        chain: &Chain,
        part: Part,
        object: ObjectRef,
    ) -> Result<(), ActionError> {
        let id = object.id.clone();
        chain
            .commit(self, |r| r.set_object(part, Some(object)))
            .await
            .map_err(|reason| ActionError::NotRecorded { id, reason })
    }

    /// One unrecorded namesake: adopted (recorded); several: refused.
    async fn adopt_namesake(
        &self,
        permits: &Permits,
        chain: &Chain,
        part: Part,
    ) -> Result<Option<ObjectRef>, ActionError> {
        let mut found = self.namesakes(permits, chain, part).await?;
        match found.len() {
            0 => Ok(None),
            1 => {
                let object = found.remove(0);
                self.record_part(chain, part, object.clone()).await?;
                Ok(Some(object))
            }
            count => Err(several(count, part, chain)),
        }
    }

    /// Looks the name up until it is listed or `window` has passed.
    async fn settle_lookup(
        &self,
        permits: &Permits,
        chain: &Chain,
        part: Part,
        window: std::time::Duration,
    ) -> Result<Option<ObjectRef>, ActionError> {
        let until = Instant::now() + window;
        loop {
            if let Some(found) = self.adopt_namesake(permits, chain, part).await? {
                return Ok(Some(found));
            }
            if Instant::now() >= until {
                return Ok(None);
            }
            let pause = (window / 4).max(std::time::Duration::from_millis(50));
            tokio::time::sleep(pause.min(until - Instant::now())).await;
        }
    }
}

fn several(count: usize, part: Part, chain: &Chain) -> ActionError {
    ActionError::Blocked(format!(
        "{count} {}s named `{}` exist in sandbox `{}` and none is recorded: delete the extra ones on the platform, then apply again",
        part.describe(),
        chain.key.name(),
        chain.scope.sandbox
    ))
}

/// Ids state records under any dataflow, for lookups to skip.
pub(crate) fn recorded_ids(records: &HashMap<DataflowKey, DataflowRecord>) -> HashSet<String> {
    records
        .values()
        .flat_map(|r| r.all_ids().map(str::to_owned))
        .collect()
}
