//! Finding what a create may already have made: an unrecorded namesake
//! looked up live (adopted when there is exactly one, and only one that
//! hangs off this chain's base connection, dataset, schema, source and
//! target),
//! and a pending create's name looked up until its settle window passed.

use tokio::time::Instant;

use super::{Chain, Permits, several};
use crate::api::{ApiError, FlowService};
use crate::apply::{ActionError, Engine};
use crate::state::{ObjectRef, Part, timestamp};

fn object(id: String, etag: String) -> ObjectRef {
    ObjectRef { id, etag }
}

impl<F: FlowService + 'static> Engine<F> {
    /// Live namesakes of `part` not recorded anywhere in state, that hang
    /// off this chain's parents (see [`crate::state::DataflowRecord::fits_base`]).
    async fn namesakes(
        &self,
        permits: &Permits,
        chain: &Chain,
        part: Part,
    ) -> Result<Vec<ObjectRef>, ApiError> {
        let name = chain.key.name();
        let scope = &chain.scope;
        let record = chain.snapshot().await;
        let found: Vec<ObjectRef> = match part {
            Part::SourceConnection => self
                .call(
                    permits,
                    self.api.find_source_connections_by_name(scope, name),
                )
                .await?
                .into_iter()
                .filter(|i| record.fits_base(&i.base_connection_id))
                .map(|i| object(i.id, i.etag))
                .collect(),
            Part::TargetConnection => self
                .call(
                    permits,
                    self.api.find_target_connections_by_name(scope, name),
                )
                .await?
                .into_iter()
                .filter(|i| record.fits_dataset(&i.params.data_set_id))
                .map(|i| object(i.id, i.etag))
                .collect(),
            Part::MappingSet => self
                .call(permits, self.api.find_mapping_sets_by_name(scope, name))
                .await?
                .into_iter()
                .filter(|i| record.fits_schema(&i.schema_id))
                .map(|i| object(i.id, String::new()))
                .collect(),
            Part::Flow => self
                .call(permits, self.api.find_flows_by_name(scope, name))
                .await?
                .into_iter()
                .filter(|i| record.fits_flow(&i.source_connection_ids, &i.target_connection_ids))
                .map(|i| object(i.id, i.etag))
                .collect(),
        };
        Ok(found
            .into_iter()
            .filter(|o| !chain.excluded.contains(&o.id))
            .collect())
    }

    /// What is left of the settle window of a create started at `since`.
    pub(super) fn window_left(&self, since: &str) -> std::time::Duration {
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
        self.record_pending(permits, chain, false).await
    }

    /// Each pending create (a mapping set's too with `mapping_sets`)
    /// looked up by the chain's name over what is left of its settle
    /// window, and recorded when found; what is still pending after was
    /// not listed within its window.
    pub(crate) async fn record_pending(
        &self,
        permits: &Permits,
        chain: &Chain,
        mapping_sets: bool,
    ) -> Result<(), ActionError> {
        let pending = chain.snapshot().await.pending;
        for (part, since) in pending {
            if part == Part::MappingSet && !mapping_sets {
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

    /// One unrecorded namesake: adopted (recorded); several: refused.
    pub(super) async fn adopt_namesake(
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
    pub(super) async fn settle_lookup(
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
