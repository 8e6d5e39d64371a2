//! The scope's source connections, target connections, flows and mapping
//! sets, listed once per run with what each hangs off (base connection,
//! dataset, source and target): a chain takes from it only the namesakes
//! that can be its own, and a renamed chain finds itself under an earlier name.

use std::collections::{HashMap, HashSet};

use crate::api::dataflow::{FlowItem, SourceConnectionItem, TargetConnectionItem};
use crate::api::ingestion::MappingSetItem;
use crate::apply::chain::Inventory;
use crate::state::{DataflowRecord, ObjectRef, Part};

/// One listed object and what it hangs off.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub object: ObjectRef,
    /// A source connection's base connection id, a target connection's
    /// dataset id, a mapping set's XDM schema id; empty when the listing
    /// leaves it out (and for flows).
    pub parent: String,
    /// A flow's source connection ids.
    pub sources: Vec<String>,
    /// A flow's target connection ids.
    pub targets: Vec<String>,
}

impl Listed {
    fn new(id: String, etag: String, parent: String) -> Self {
        Listed {
            object: ObjectRef { id, etag },
            parent,
            sources: Vec::new(),
            targets: Vec::new(),
        }
    }
}

/// What one scope holds, by name and (source and target connections) by id.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    by_name: HashMap<(Part, String), Vec<Listed>>,
    /// Each source or target connection's part and parent.
    by_id: HashMap<String, (Part, String)>,
}

impl Listing {
    /// The live objects of these listings (mapping sets have no state).
    pub(super) fn of(
        sources: Vec<SourceConnectionItem>,
        targets: Vec<TargetConnectionItem>,
        flows: Vec<FlowItem>,
        sets: Vec<MappingSetItem>,
    ) -> Self {
        let mut listing = Listing::default();
        for i in sources.into_iter().filter(|i| i.is_live()) {
            let listed = Listed::new(i.id, i.etag, i.base_connection_id);
            listing.add(Part::SourceConnection, i.name, listed);
        }
        for i in targets.into_iter().filter(|i| i.is_live()) {
            let listed = Listed::new(i.id, i.etag, i.params.data_set_id);
            listing.add(Part::TargetConnection, i.name, listed);
        }
        for i in flows.into_iter().filter(|i| i.is_live()) {
            let listed = Listed {
                sources: i.source_connection_ids,
                targets: i.target_connection_ids,
                ..Listed::new(i.id, i.etag, String::new())
            };
            listing.add(Part::Flow, i.name, listed);
        }
        for set in sets {
            let listed = Listed::new(set.id, String::new(), set.schema_id);
            listing.add(Part::MappingSet, set.name, listed);
        }
        listing
    }

    fn add(&mut self, part: Part, name: String, listed: Listed) {
        if matches!(part, Part::SourceConnection | Part::TargetConnection) {
            let parent = listed.parent.clone();
            self.by_id.insert(listed.object.id.clone(), (part, parent));
        }
        self.by_name.entry((part, name)).or_default().push(listed);
    }

    /// The listed objects of `part` named `name`, recorded under no
    /// dataflow.
    fn named<'a>(
        &'a self,
        part: Part,
        name: &str,
        excluded: &'a HashSet<String>,
    ) -> impl Iterator<Item = &'a Listed> {
        self.by_name
            .get(&(part, name.to_owned()))
            .into_iter()
            .flatten()
            .filter(|l| !excluded.contains(&l.object.id))
    }

    /// What the chain `record` (of dataflow `name`) may take for a
    /// namesake: a source connection over its base connection, a target
    /// connection into its dataset, a mapping set into its schema, and a
    /// flow over the source and target connections it has (or could take).
    pub(super) fn for_chain(
        &self,
        name: &str,
        record: &DataflowRecord,
        excluded: &HashSet<String>,
    ) -> Inventory {
        let sources: Vec<&Listed> = self
            .named(Part::SourceConnection, name, excluded)
            .filter(|l| record.fits_base(&l.parent))
            .collect();
        let targets: Vec<&Listed> = self
            .named(Part::TargetConnection, name, excluded)
            .filter(|l| record.fits_dataset(&l.parent))
            .collect();
        let could = |recorded: Option<&ObjectRef>, listed: &[&Listed]| -> Vec<String> {
            match recorded {
                Some(object) => vec![object.id.clone()],
                None => listed.iter().map(|l| l.object.id.clone()).collect(),
            }
        };
        let source_ids = could(record.source_connection.as_ref(), &sources);
        let target_ids = could(record.target_connection.as_ref(), &targets);
        let over = |ids: &[String], could: &[String]| {
            ids.is_empty() || ids.iter().any(|id| could.contains(id))
        };
        let flows: Vec<&Listed> = self
            .named(Part::Flow, name, excluded)
            .filter(|l| over(&l.sources, &source_ids) && over(&l.targets, &target_ids))
            .collect();
        let sets: Vec<&Listed> = self
            .named(Part::MappingSet, name, excluded)
            .filter(|l| record.fits_schema(&l.parent))
            .collect();
        let mut inventory = Inventory::default();
        let parts = [
            (Part::SourceConnection, sources),
            (Part::TargetConnection, targets),
            (Part::Flow, flows),
            (Part::MappingSet, sets),
        ];
        for (part, listed) in parts {
            if !listed.is_empty() {
                let objects = listed.into_iter().map(|l| l.object.clone()).collect();
                inventory.by_name.insert((part, name.to_owned()), objects);
            }
        }
        inventory
    }

    /// The flows named one of `names` (a renamed document's earlier
    /// names), recorded under no dataflow, that read through listed source
    /// connections over the chain's base connection into listed target
    /// connections writing its dataset.
    pub(super) fn earlier_flows<'a>(
        &'a self,
        names: &[&str],
        record: &DataflowRecord,
        excluded: &'a HashSet<String>,
    ) -> Vec<&'a Listed> {
        let all_fit = |ids: &[String], part: Part| {
            !ids.is_empty()
                && ids.iter().all(|id| match self.by_id.get(id) {
                    Some((listed, parent)) if *listed == part => match part {
                        Part::SourceConnection => record.fits_base(parent),
                        _ => record.fits_dataset(parent),
                    },
                    _ => false,
                })
        };
        names
            .iter()
            .flat_map(|name| self.named(Part::Flow, name, excluded))
            .filter(|l| {
                all_fit(&l.sources, Part::SourceConnection)
                    && all_fit(&l.targets, Part::TargetConnection)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing() -> Listing {
        let mut listing = Listing::default();
        let source = |id: &str, base: &str| Listed::new(id.into(), "e".into(), base.into());
        listing.add(Part::SourceConnection, "f".into(), source("s-ours", "base"));
        listing.add(
            Part::SourceConnection,
            "f".into(),
            source("s-theirs", "elsewhere"),
        );
        listing.add(Part::TargetConnection, "f".into(), source("t-ours", "ds"));
        let flow = |id: &str, source: &str| Listed {
            sources: vec![source.into()],
            targets: vec!["t-ours".into()],
            ..Listed::new(id.into(), "e".into(), String::new())
        };
        listing.add(Part::Flow, "f".into(), flow("f-ours", "s-ours"));
        listing.add(Part::Flow, "f".into(), flow("f-theirs", "s-theirs"));
        listing
    }

    fn chain() -> DataflowRecord {
        let mut record = DataflowRecord::new("O@AdobeOrg", "base", "t");
        record.data_set_id = Some("ds".into());
        record
    }

    #[test]
    fn a_chain_takes_only_the_namesakes_over_its_own_parents() {
        let inventory = listing().for_chain("f", &chain(), &HashSet::new());
        let ids = |part: Part| -> Vec<String> {
            inventory.by_name[&(part, "f".to_owned())]
                .iter()
                .map(|o| o.id.clone())
                .collect()
        };
        assert_eq!(ids(Part::SourceConnection), ["s-ours"]);
        assert_eq!(ids(Part::TargetConnection), ["t-ours"]);
        assert_eq!(ids(Part::Flow), ["f-ours"]);
    }

    #[test]
    fn a_flow_over_a_source_the_chain_cannot_take_is_not_its_own() {
        let mut other_base = chain();
        other_base.base_connection_id = "third".into();
        let inventory = listing().for_chain("f", &other_base, &HashSet::new());
        assert!(
            !inventory
                .by_name
                .contains_key(&(Part::Flow, "f".to_owned()))
        );
        let (listing, none) = (listing(), HashSet::new());
        let excluded = HashSet::from(["f-ours".to_owned()]);
        let found = listing.earlier_flows(&["f", "g"], &chain(), &excluded);
        assert!(found.is_empty(), "{found:?}");
        let found = listing.earlier_flows(&["f"], &chain(), &none);
        let ids: Vec<&str> = found.iter().map(|l| l.object.id.as_str()).collect();
        assert_eq!(ids, ["f-ours"]);
    }
}
