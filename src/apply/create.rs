//! Creating a connection without ever making a duplicate: a pending record
//! before the POST, the POST sent once, and when its outcome is unknown
//! (timeout, reset, 5xx, a lost or unusable answer) the name looked up with
//! backoff over the settle window, since listings may lag writes.

use std::time::Duration;

use tokio::time::Instant;

use super::{ActionError, Done, Engine, ambiguous};
use crate::api::wire::{ConnectionItem, CreateConnectionRequest, IdEtag};
use crate::api::{ApiError, FlowService, Scope};
use crate::plan::{Action, Desired, parse_timestamp};
use crate::state::{Change, Pending, timestamp};

/// The first wait between two lookups; it doubles up to `MAX_LOOKUP_GAP`.
const FIRST_LOOKUP_GAP: Duration = Duration::from_millis(250);
const MAX_LOOKUP_GAP: Duration = Duration::from_secs(4);

impl<F: FlowService + 'static> Engine<F> {
    /// Creates `d`; `pending_since` is when state's pending create of it
    /// started: its name is looked up over the settle window from then
    /// before anything is sent (a listing may still lag that create).
    pub(super) async fn create(
        &self,
        d: &Desired,
        pending_since: Option<&str>,
    ) -> Result<Done, ActionError> {
        let scope = Scope::new(&d.org, &d.connection.sandbox);
        if let Some(since) = pending_since
            && let Some(done) = self.find_earlier(d, &scope, since).await?
        {
            return Ok(done);
        }
        let pending = Pending {
            org: d.org.clone(),
            started_at: timestamp::now(),
            protect: d.connection.protect,
        };
        self.recorder
            .commit(vec![Change::Pending(d.key.clone(), pending)])
            .await
            .map_err(ActionError::State)?;
        if self.lookup_before_create {
            // A saved plan's listing may be old: look the name up now.
            self.pace().await;
            let found = self.api.find_by_name(&scope, &d.connection.name).await?;
            if let Some(done) = self.adopt_found(d, &found, false).await? {
                return Ok(done);
            }
        }
        let body = CreateConnectionRequest::from_connection(&d.connection);
        self.pace().await;
        // Sent once: a second POST of the same connection in one run could
        // make a duplicate when the first one landed unseen.
        match self.api.create(&scope, &body).await {
            Ok(IdEtag { id, etag }) => {
                self.save(d, &id, &etag).await?;
                Ok(Done::Created(id))
            }
            Err(err @ ApiError::CreateOutcomeUnknown { .. }) => {
                tracing::info!(key = %d.key, error = %err, "create outcome unknown; looking the name up until it settles");
                let reason = match err {
                    ApiError::CreateOutcomeUnknown { source, .. } => source.to_string(),
                    other => other.to_string(),
                };
                self.settle(d, &scope, reason).await
            }
            Err(err) => Err(err.into()),
        }
    }

    /// An earlier run's create of `d`, started at `since`: looked up with
    /// backoff until the settle window from `since` has passed (at least
    /// once), and adopted when found.
    async fn find_earlier(
        &self,
        d: &Desired,
        scope: &Scope,
        since: &str,
    ) -> Result<Option<Done>, ActionError> {
        // An unreadable start is looked up for a whole window from now.
        let remaining = || match parse_timestamp(since) {
            Some(start) => {
                let end = Duration::from_secs(start).saturating_add(self.settle);
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                end.saturating_sub(now)
            }
            None => self.settle,
        };
        let window = Instant::now() + remaining();
        let mut gap = FIRST_LOOKUP_GAP;
        loop {
            self.pace().await;
            match self.api.find_by_name(scope, &d.connection.name).await {
                Ok(found) => {
                    if let Some(done) = self.adopt_found(d, &found, false).await? {
                        return Ok(Some(done));
                    }
                }
                // Nothing may be created while the earlier create may still show up.
                Err(err) => return Err(err.into()),
            }
            let now = Instant::now();
            if now >= window {
                return Ok(None);
            }
            tokio::time::sleep(gap.min(window - now)).await;
            gap = gap.saturating_mul(2).min(MAX_LOOKUP_GAP);
        }
    }

    /// Forgets a pending create whose document is gone and whose name was
    /// not listed after its settle window (the plan said so).
    pub(super) async fn drop_pending(&self, action: &Action) -> Result<Done, ActionError> {
        if self.records.contains_key(&action.key) {
            return Err(ActionError::Internal(format!(
                "`{}` is recorded: only a pending create is dropped",
                action.key
            )));
        }
        self.recorder
            .commit(vec![Change::Remove(action.key.clone())])
            .await
            .map_err(ActionError::State)?;
        Ok(Done::DroppedPending)
    }

    /// Looks the name up with backoff until it is listed or the settle
    /// window has passed (then the action fails, pending kept).
    async fn settle(
        &self,
        d: &Desired,
        scope: &Scope,
        reason: String,
    ) -> Result<Done, ActionError> {
        let started = Instant::now();
        let mut gap = FIRST_LOOKUP_GAP;
        let mut lookups = 0u32;
        loop {
            self.pace().await;
            lookups = lookups.saturating_add(1);
            match self.api.find_by_name(scope, &d.connection.name).await {
                Ok(found) => {
                    if let Some(done) = self.adopt_found(d, &found, true).await? {
                        return Ok(done);
                    }
                }
                // A failed lookup proves nothing: keep looking within the window.
                Err(err) => {
                    tracing::info!(key = %d.key, error = %err, "lookup after an unknown create failed")
                }
            }
            let elapsed = started.elapsed();
            if elapsed >= self.settle {
                return Err(ActionError::OutcomeUnknown {
                    name: d.connection.name.clone(),
                    reason,
                    lookups,
                    settle: self.settle,
                });
            }
            tokio::time::sleep(gap.min(self.settle - elapsed)).await;
            gap = gap.saturating_mul(2).min(MAX_LOOKUP_GAP);
        }
    }

    /// One namesake: record it (created by this run when `ours`, else
    /// adopted); several: refuse; none: `None`.
    async fn adopt_found(
        &self,
        d: &Desired,
        found: &[ConnectionItem],
        ours: bool,
    ) -> Result<Option<Done>, ActionError> {
        match found {
            [] => Ok(None),
            [item] => {
                self.save(d, &item.id, &item.etag).await?;
                Ok(Some(if ours {
                    Done::Created(item.id.clone())
                } else {
                    Done::Adopted {
                        id: item.id.clone(),
                        updated: false,
                    }
                }))
            }
            many => Err(ambiguous(d, many.len())),
        }
    }
}
