//! A renamed dataflow that state records under none of its names (state
//! lost, or never kept): the chain the platform lists under an earlier
//! name, over the same base connection into the same dataset, is adopted
//! and renamed before anything is made, as a connection's would be.

use super::listing::Listing;
use super::{Flows, blocked, object};
use crate::api::FlowService;
use crate::api::dataflow::FlowItem;
use crate::apply::chain::Chain;
use crate::apply::{ActionError, Engine};
use crate::desired::dataflow::DesiredDataflow;
use crate::state::{ObjectRef, Part};

/// A chain found under an earlier name: each object with its name as read.
struct Earlier {
    source: (ObjectRef, String),
    target: (ObjectRef, String),
    mapping: ObjectRef,
    flow: (ObjectRef, String),
}

/// The mapping set a flow's `Mapping` transformation uses.
fn mapping_id(flow: &FlowItem) -> Option<String> {
    let at = flow.transformation_index("Mapping")?;
    let id = flow.transformations[at].params.get("mappingId")?.as_str()?;
    (!id.is_empty()).then(|| id.to_owned())
}

impl<F: FlowService + 'static> Engine<F> {
    /// For a chain nothing of which is recorded yet, whose document lists
    /// earlier names: the one listed flow of such a name over the chain's
    /// base connection and dataset is read back with its source and
    /// target connections (by id: a listing may be old); when they still
    /// fit (base connection, table, dataset, none recorded elsewhere), the
    /// source and target connections are renamed, then all four objects
    /// recorded, and making the chain brings the flow and mapping set to
    /// the new name. The earlier name adopted, if any.
    pub(super) async fn adopt_earlier(
        &self,
        flows: &Flows,
        d: &DesiredDataflow,
        chain: &Chain,
        listing: &Listing,
    ) -> Result<Option<String>, ActionError> {
        let earlier = d.doc.earlier_keys();
        let record = chain.snapshot().await;
        if earlier.is_empty() || record.ids().next().is_some() {
            return Ok(None);
        }
        let names: Vec<&str> = earlier.iter().map(|k| k.name()).collect();
        let found = listing.earlier_flows(&names, &record, &chain.excluded);
        let flow_id = match found.as_slice() {
            [] => return Ok(None),
            [one] => one.object.id.clone(),
            many => {
                let ids: Vec<String> = many.iter().map(|l| format!("`{}`", l.object.id)).collect();
                return Err(blocked(format!(
                    "{} flows are listed under the earlier names of `{}` ({}) and none is recorded: adopt the right one with `provision state import {} FLOW_ID`, then apply again",
                    many.len(),
                    d.key.name(),
                    ids.join(", "),
                    d.key
                )));
            }
        };
        let Some(read) = self.read_earlier(flows, d, chain, &flow_id).await? else {
            return Ok(None);
        };
        let name = d.key.name();
        // Renamed before they are recorded: a run stopped in between finds
        // the chain again under the flow's earlier name.
        let rename = |part: Part, (object, now): (ObjectRef, String)| async move {
            if now == name {
                return Ok(Some(object));
            }
            self.rename_part(flows, &chain.scope, part, Some(&object), name)
                .await
        };
        let (source, target) = tokio::try_join!(
            rename(Part::SourceConnection, read.source),
            rename(Part::TargetConnection, read.target),
        )?;
        let adopted = [source, target, Some(read.mapping), Some(read.flow.0)];
        chain
            .commit(self, |r| {
                for (part, object) in Part::ALL.into_iter().zip(adopted) {
                    r.set_object(part, object);
                }
            })
            .await
            .map_err(|reason| ActionError::NotRecorded {
                id: flow_id.clone(),
                reason,
            })?;
        Ok(Some(read.flow.1))
    }

    /// The flow `flow_id` and its source connection, target connection and
    /// mapping set, read by id, when they are still the chain's: the
    /// source over its base connection reading the document's table, the
    /// target into its dataset, none recorded under any dataflow.
    async fn read_earlier(
        &self,
        flows: &Flows,
        d: &DesiredDataflow,
        chain: &Chain,
        flow_id: &str,
    ) -> Result<Option<Earlier>, ActionError> {
        let (permits, scope) = (&flows.permits, &chain.scope);
        let flow = self
            .call(permits, self.api.get_flow(scope, flow_id))
            .await?;
        let (Some(source_id), Some(target_id), Some(mapping_id)) = (
            flow.source_connection_ids.first(),
            flow.target_connection_ids.first(),
            mapping_id(&flow),
        ) else {
            return Ok(None);
        };
        let (source, target) = tokio::try_join!(
            self.call(permits, self.api.get_source_connection(scope, source_id)),
            self.call(permits, self.api.get_target_connection(scope, target_id)),
        )?;
        let record = chain.snapshot().await;
        let ours = record.fits_base(&source.base_connection_id)
            && source.params.table_name == d.doc.source.table
            && record.fits_dataset(&target.params.data_set_id);
        let elsewhere = [&source.id, &target.id, &mapping_id]
            .iter()
            .any(|id| chain.excluded.contains(*id));
        if !ours || elsewhere {
            return Ok(None);
        }
        Ok(Some(Earlier {
            source: (object(&source.id, &source.etag), source.name),
            target: (object(&target.id, &target.etag), target.name),
            mapping: object(&mapping_id, ""),
            flow: (object(&flow.id, &flow.etag), flow.name),
        }))
    }
}
