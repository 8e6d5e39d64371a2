//! Carrying out a plan against the Flow Service: bounded concurrency, every
//! success recorded in state as it happens, each action within its
//! deadline, never a duplicate (a create whose outcome is unknown is never
//! sent again in the run: its name is looked up until it settles), and a
//! report of every outcome even when some fail.

mod chain;
mod create;
pub(crate) mod dataflow;
mod event;
mod graph;
mod interrupt;
mod recorder;
mod report;
mod run;
mod update;

use crate::config::ConnectionKey;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::api::wire::ConnectionItem;
use crate::api::{ApiError, FlowService, Scope, seconds};
use crate::plan::{Action, Desired, Step};
use crate::state::{Change, Record, timestamp};
pub(crate) use event::{Event, Reporter};
pub(crate) use graph::execute;
pub(crate) use interrupt::Interrupt;
pub(crate) use recorder::Recorder;
pub(crate) use report::{ApplyReport, Done, Outcome};
pub(crate) use run::{ApplyOptions, run};

/// Why one action failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ActionError {
    /// The plan marked it as not to be carried out.
    #[error("{0}")]
    Blocked(String),
    /// A saved plan names a connection the config no longer has.
    #[error("`{0}` is not in the config any more")]
    NotInConfig(ConnectionKey),
    /// The Flow Service refused or failed the call.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The connection exists remotely but state could not record it.
    #[error(
        "{id} exists on the platform but recording it failed: {reason}; the next run adopts it"
    )]
    NotRecorded { id: String, reason: String },
    /// State could not record the start or end of the action.
    #[error("{0}")]
    State(String),
    /// Several remote connections share the name: never create another.
    #[error(
        "{count} connections named `{name}` exist in sandbox `{sandbox}`: delete the extra ones on the platform, then `provision state import {key} ID`"
    )]
    Ambiguous {
        count: usize,
        name: String,
        sandbox: String,
        key: ConnectionKey,
    },
    /// The create was sent once, its outcome is unknown, and its name did
    /// not show up in the listing within the settle window.
    #[error(
        "outcome unknown: the create of `{name}` may have landed ({reason}), but it was not listed after {lookups} lookup(s) over {}; it was not sent again, it stays pending in state, and the next run's listing decides (adopting it if it landed)", seconds(*.settle)
    )]
    OutcomeUnknown {
        name: String,
        reason: String,
        lookups: u32,
        settle: Duration,
    },
    /// The action ran past `timeouts.action`.
    #[error(
        "did not finish within {} (`timeouts.action`){}", seconds(*.deadline), if *.create { "; the create's outcome is unknown: it stays pending in state and the next run's listing decides" } else { "" }
    )]
    DeadlineExceeded { deadline: Duration, create: bool },
    /// The service does not allow PATCH on the connection.
    #[error(
        "{source}; to change it, delete it on the platform, then `provision state rm {key}` and apply again to create it anew"
    )]
    NotPatchable {
        key: ConnectionKey,
        source: ApiError,
    },
    /// The recorded connection is gone.
    #[error(
        "connection `{0}` was deleted outside provision: run `provision apply --refresh` to create it again"
    )]
    DeletedOutside(String),
    /// A saved plan's rename: the new name was taken on the platform since.
    #[error(
        "cannot rename `{from}` to `{name}`: sandbox `{sandbox}` now has a connection named `{name}` (id `{other}`), made after the plan; nothing was changed: rename or delete that one on the platform, then plan again"
    )]
    NameTaken {
        from: ConnectionKey,
        name: String,
        sandbox: String,
        other: String,
    },
    /// A saved plan's adopted rename: the connection is no longer named as
    /// when the plan listed it.
    #[error(
        "connection `{id}` was planned to be adopted under its earlier name `{from}`, but the platform now names it `{now}`: nothing was changed; plan again"
    )]
    RenamedMeanwhile {
        id: String,
        from: String,
        now: String,
    },
    /// The etag went stale twice in a row.
    #[error("connection `{0}` kept changing while it was updated")]
    KeptChanging(String),
    /// A task of the run itself failed.
    #[error("internal error: {0}")]
    Internal(String),
    /// The run was interrupted before this action started.
    #[error("not started: the run was interrupted")]
    Interrupted,
    /// The run was interrupted between the objects of a dataflow's chain:
    /// no further object was made.
    #[error(
        "stopped between its objects by the interrupt: those made are recorded, and the next apply makes the rest"
    )]
    Stopped,
}

/// Spaces requests evenly to at most N per second for the whole run.
pub(crate) struct RateLimiter {
    interval: Duration,
    next: Mutex<Instant>,
}

impl RateLimiter {
    pub(crate) fn per_second(n: u32) -> Self {
        RateLimiter {
            interval: Duration::from_secs(1) / n.max(1),
            next: Mutex::new(Instant::now()),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// Everything an action needs, shared by all tasks of a run.
pub(crate) struct Engine<F> {
    pub api: Arc<F>,
    pub recorder: Recorder,
    pub records: HashMap<ConnectionKey, Record>,
    pub limiter: Option<RateLimiter>,
    /// Look each name up right before creating it (a saved plan's listing
    /// may be old; a fresh plan listed the sandbox moments ago under the lock).
    pub lookup_before_create: bool,
    /// Once raised, no further action starts.
    pub interrupt: Interrupt,
    /// The most one action may take, retries and lookups included.
    pub deadline: Duration,
    /// How long a create of unknown outcome is looked up by name.
    pub settle: Duration,
}

impl<F: FlowService + 'static> Engine<F> {
    async fn pace(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.wait().await;
        }
    }

    fn record(&self, d: &Desired, id: &str, etag: &str) -> Record {
        let now = timestamp::now();
        let created_at = self
            .records
            .get(&d.key)
            .filter(|r| r.id == id)
            .map_or_else(|| now.clone(), |r| r.created_at.clone());
        Record {
            id: id.to_owned(),
            etag: etag.to_owned(),
            org: d.org.clone(),
            fingerprint: d.fingerprint.clone(),
            secret_hmac: d.secret_hmac.clone(),
            created_at,
            updated_at: now,
            source: Some(d.source.clone()),
            secret_version: d.connection.secret_version,
            connection_string_parts: crate::desired::connection_string_parts(&d.connection),
            protect: d.connection.protect,
        }
    }

    async fn save(&self, d: &Desired, id: &str, etag: &str) -> Result<(), ActionError> {
        self.save_moved(d, id, etag, None).await
    }

    /// Records `d` as `id`; with `from`, in the same write as removing the
    /// earlier key (a rename moves the entry): its record of `id`, or its
    /// pending create that landed as `id` (see [`Engine::rename`], which
    /// refuses an earlier key recorded as another id before any PATCH).
    async fn save_moved(
        &self,
        d: &Desired,
        id: &str,
        etag: &str,
        from: Option<&ConnectionKey>,
    ) -> Result<(), ActionError> {
        let mut record = self.record(d, id, etag);
        let mut changes = Vec::new();
        if let Some(old) = from {
            if let Some(earlier) = self.records.get(old).filter(|r| r.id == id) {
                record.created_at = earlier.created_at.clone();
            }
            changes.push(Change::Remove(old.clone()));
        }
        changes.push(Change::Upsert(d.key.clone(), record));
        self.recorder
            .commit(changes)
            .await
            .map_err(|reason| ActionError::NotRecorded {
                id: id.to_owned(),
                reason,
            })
    }

    async fn get(&self, scope: &Scope, id: &str) -> Result<ConnectionItem, ActionError> {
        self.pace().await;
        Ok(self.api.get(scope, id).await?)
    }

    async fn delete(&self, action: &Action, id: &str) -> Result<Done, ActionError> {
        let scope = Scope::new(&action.org, &action.key.sandbox);
        self.pace().await;
        match self.api.delete(&scope, id).await {
            Ok(()) | Err(ApiError::NotFound { .. }) => {}
            Err(err) => return Err(err.into()),
        }
        self.recorder
            .commit(vec![Change::Remove(action.key.clone())])
            .await
            .map_err(ActionError::State)?;
        Ok(Done::Deleted(id.to_owned()))
    }

    /// One action within its deadline.
    async fn run_one(
        &self,
        action: &Action,
        desired: Option<&Desired>,
    ) -> Result<Done, ActionError> {
        match tokio::time::timeout(self.deadline, self.step(action, desired)).await {
            Ok(result) => result,
            Err(_) => Err(ActionError::DeadlineExceeded {
                deadline: self.deadline,
                create: matches!(action.step, Step::Create),
            }),
        }
    }

    async fn step(&self, action: &Action, desired: Option<&Desired>) -> Result<Done, ActionError> {
        let missing = || ActionError::NotInConfig(action.key.clone());
        match &action.step {
            Step::Blocked(reason) => Err(ActionError::Blocked(reason.clone())),
            Step::Create => {
                let since = action.pending_since.as_deref();
                self.create(desired.ok_or_else(missing)?, since).await
            }
            Step::Adopt { id, .. } => self.adopt(desired.ok_or_else(missing)?, id).await,
            Step::Update { id, changes } if crate::plan::protect::state_only(changes) => {
                self.record_only(desired.ok_or_else(missing)?, id).await
            }
            Step::Update { id, changes } => {
                let push_secret = changes.iter().any(|c| c.sensitive);
                self.update(desired.ok_or_else(missing)?, id, push_secret)
                    .await
            }
            Step::Rename { id, from, changes } => {
                let push_secret = changes.iter().any(|c| c.sensitive);
                self.rename(desired.ok_or_else(missing)?, id, from, push_secret)
                    .await
            }
            Step::Delete { id } => self.delete(action, id).await,
            Step::DropPending => self.drop_pending(action).await,
            Step::Unchanged { .. } => Err(ActionError::Internal("nothing to do".into())),
        }
    }
}

fn ambiguous(d: &Desired, count: usize) -> ActionError {
    ActionError::Ambiguous {
        count,
        name: d.connection.name.clone(),
        sandbox: d.connection.sandbox.clone(),
        key: d.key.clone(),
    }
}
