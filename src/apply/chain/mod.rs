//! One object of a dataflow's chain, made exactly once: recorded already
//! (skip), an unrecorded namesake on the platform (adopt it), or a create
//! marked pending in state before it is sent; a create whose answer is
//! lost is never sent again, its name is looked up until it settles.

mod namesakes;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::{Mutex, Semaphore};

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
    pub excluded: Arc<HashSet<String>>,
    /// Look namesakes up before each create, live (a saved plan, or a
    /// chain a killed run left half made): the inventory may be older.
    pub lookup: bool,
    /// The scope's objects as listed once at the start of the run.
    pub inventory: Arc<Inventory>,
    /// The parts this run created from the document's own bodies (with a
    /// mapping set's version): nothing to read back and compare.
    pub fresh: std::sync::Mutex<HashMap<Part, Option<i64>>>,
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
    /// Notes that `part` was created by this run (a mapping set with its
    /// version).
    fn made(&self, part: Part, version: Option<i64>) {
        if let Ok(mut fresh) = self.fresh.lock() {
            fresh.insert(part, version);
        }
    }

    /// Whether `part` was created by this run, and a mapping set's version.
    pub(crate) fn fresh(&self, part: Part) -> Option<Option<i64>> {
        self.fresh.lock().ok()?.get(&part).copied()
    }

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
        if let Some(found) = self
            .existing(permits, chain, part, pending_since.as_deref())
            .await?
        {
            return Ok(found);
        }
        // An interrupt stops a chain between its objects: nothing new is
        // marked pending or sent, and what exists stays recorded.
        if self.interrupt.is_raised() {
            return Err(ActionError::Stopped);
        }
        self.create_part(permits, chain, &body).await
    }

    /// An unrecorded namesake to adopt instead of a create (recorded when
    /// found): from the inventory, or looked up live, for a pending create
    /// over what is left of its settle window.
    async fn existing(
        &self,
        permits: &Permits,
        chain: &Chain,
        part: Part,
        pending_since: Option<&str>,
    ) -> Result<Option<ObjectRef>, ActionError> {
        // Mapping sets are never deleted: the inventory lists them too, so
        // a namesake left by a deleted dataflow of the same name is adopted.
        let live = chain.lookup || pending_since.is_some();
        if !live {
            let mut listed = chain
                .inventory
                .namesakes(part, chain.key.name(), &chain.excluded);
            return match listed.len() {
                0 => Ok(None),
                1 => {
                    let object = listed.remove(0);
                    self.record_part(chain, part, object.clone()).await?;
                    Ok(Some(object))
                }
                count => Err(several(count, part, chain)),
            };
        }
        if let Some(found) = self.adopt_namesake(permits, chain, part).await? {
            return Ok(Some(found));
        }
        if let Some(since) = pending_since {
            // The earlier create may still land: look until its settle
            // window has passed since it started, then create.
            let left = self.window_left(since);
            if !left.is_zero() {
                return self.settle_lookup(permits, chain, part, left).await;
            }
        }
        Ok(None)
    }

    /// Marks the create pending in state, sends it and records what it
    /// made; a lost answer is looked up by name, never sent again.
    async fn create_part(
        &self,
        permits: &Permits,
        chain: &Chain,
        body: &Body,
    ) -> Result<ObjectRef, ActionError> {
        let part = body.part();
        chain
            .commit(self, |r| {
                r.pending.insert(part, timestamp::now());
            })
            .await
            .map_err(|reason| ActionError::State(format!("nothing sent: {reason}")))?;
        let object = match self.send_create(permits, chain, body).await {
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

    /// The create request of `body`'s part; the object it made.
    async fn send_create(
        &self,
        permits: &Permits,
        chain: &Chain,
        body: &Body,
    ) -> Result<ObjectRef, ApiError> {
        let scope = &chain.scope;
        match body {
            Body::Source(b) => self
                .call(permits, self.api.create_source_connection(scope, b))
                .await
                .map(|r| {
                    chain.made(Part::SourceConnection, None);
                    ObjectRef {
                        id: r.id,
                        etag: r.etag,
                    }
                }),
            Body::Target(b) => self
                .call(permits, self.api.create_target_connection(scope, b))
                .await
                .map(|r| {
                    chain.made(Part::TargetConnection, None);
                    ObjectRef {
                        id: r.id,
                        etag: r.etag,
                    }
                }),
            Body::Mapping(b) => self
                .call(permits, self.api.create_mapping_set(scope, b))
                .await
                .map(|r| {
                    chain.made(Part::MappingSet, Some(r.version));
                    ObjectRef {
                        id: r.id,
                        etag: String::new(),
                    }
                }),
            Body::Flow(b) => self
                .call(permits, self.api.create_flow(scope, b))
                .await
                .map(|r| {
                    chain.made(Part::Flow, None);
                    ObjectRef {
                        id: r.id,
                        etag: r.etag,
                    }
                }),
        }
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
