//! What state remembers of a dataflow: the ids and etags of the four
//! platform objects one document stands for, recorded one object at a time
//! (with a pending mark per object while its create is in flight), so a
//! run killed half way through the chain resumes without a duplicate.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::Dataflow;

/// One of the platform objects a dataflow owns, in creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Part {
    /// `POST /sourceConnections`: which table of the base connection.
    SourceConnection,
    /// `POST /targetConnections`: which dataset.
    TargetConnection,
    /// Data Prep `POST /mappingSets`.
    MappingSet,
    /// `POST /flows`.
    Flow,
}

impl Part {
    pub const ALL: [Part; 4] = [
        Part::SourceConnection,
        Part::TargetConnection,
        Part::MappingSet,
        Part::Flow,
    ];

    /// For messages: `source connection`, `flow`, ...
    pub fn describe(self) -> &'static str {
        match self {
            Part::SourceConnection => "source connection",
            Part::TargetConnection => "target connection",
            Part::MappingSet => "mapping set",
            Part::Flow => "flow",
        }
    }
}

/// One created platform object: its id and the etag last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectRef {
    pub id: String,
    /// Empty for a mapping set (Data Prep has no etags).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub etag: String,
}

/// What is known about one dataflow `provision` manages. A record exists
/// from the first object's create on; `flow` is `None` until the chain is
/// complete. No secret: a dataflow has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataflowRecord {
    /// IMS organization the objects live in.
    pub org: String,
    /// The base connection the source connection reads through.
    pub base_connection_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_connection: Option<ObjectRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_connection: Option<ObjectRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping_set: Option<ObjectRef>,
    /// The mapping set's version the flow uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<ObjectRef>,
    /// Creates sent (or about to be) whose object is not recorded yet, with
    /// when each started: the next run looks the name up over the settle
    /// window before any re-create.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<Part, String>,
    /// The Catalog dataset resolved from the document's `target.dataset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_set_id: Option<String>,
    /// The dataset's XDM schema `$id` the target connection carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<String>,
    /// The flow's first run, epoch seconds: the document's `start`, or the
    /// time of the first apply; never re-sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// The columns the source connection reads, as explored at create.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// The flow's state as last applied or read: `enabled` or `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_state: Option<String>,
    /// Never deleted or replaced by a plan (`protect: true`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protect: bool,
    /// The document as last applied (no secret in it): a plan names the
    /// fields that changed from it, per field, without reading the platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<Dataflow>,
    /// SHA-256 of the non-secret desired fields when last applied.
    #[serde(default)]
    pub fingerprint: String,
    pub created_at: String,
    pub updated_at: String,
    /// The file that described it when last recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A replaced chain's objects still to delete (flow first): a run killed
    /// between the new chain and the old one's deletes finishes them, and
    /// lookups never take them for the new chain's namesakes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<Retired>,
}

/// An object of a replaced chain, to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retired {
    pub part: Part,
    pub id: String,
}

impl DataflowRecord {
    /// A record for a chain about to be created in `org` over base
    /// connection `base_connection_id`.
    pub fn new(org: &str, base_connection_id: &str, now: &str) -> Self {
        DataflowRecord {
            org: org.to_owned(),
            base_connection_id: base_connection_id.to_owned(),
            source_connection: None,
            target_connection: None,
            mapping_set: None,
            mapping_version: None,
            flow: None,
            pending: BTreeMap::new(),
            data_set_id: None,
            schema_id: None,
            start_time: None,
            columns: Vec::new(),
            flow_state: None,
            protect: false,
            applied: None,
            fingerprint: String::new(),
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
            source: None,
            retired: Vec::new(),
        }
    }

    /// The recorded object of `part`.
    pub fn object(&self, part: Part) -> Option<&ObjectRef> {
        match part {
            Part::SourceConnection => self.source_connection.as_ref(),
            Part::TargetConnection => self.target_connection.as_ref(),
            Part::MappingSet => self.mapping_set.as_ref(),
            Part::Flow => self.flow.as_ref(),
        }
    }

    /// Records `object` as `part`, clearing its pending mark.
    pub fn set_object(&mut self, part: Part, object: Option<ObjectRef>) {
        self.pending.remove(&part);
        let slot = match part {
            Part::SourceConnection => &mut self.source_connection,
            Part::TargetConnection => &mut self.target_connection,
            Part::MappingSet => &mut self.mapping_set,
            Part::Flow => &mut self.flow,
        };
        *slot = object;
    }

    /// Whether every object of the chain is recorded.
    pub fn is_complete(&self) -> bool {
        Part::ALL.iter().all(|part| self.object(*part).is_some())
    }

    /// The ids of every recorded object, for "one id, one key" checks and
    /// for lookups that must not take an object of this chain for a
    /// namesake.
    pub fn ids(&self) -> impl Iterator<Item = (Part, &str)> {
        Part::ALL
            .into_iter()
            .filter_map(|part| self.object(part).map(|o| (part, o.id.as_str())))
    }

    /// Whether a source connection reading through base connection `base`
    /// (as listed or read) may be this chain's. Names are not unique on
    /// the platform: a namesake over another base connection is someone
    /// else's. A listing that leaves the base out says nothing against it.
    pub fn fits_base(&self, base: &str) -> bool {
        fits(base, Some(&self.base_connection_id))
    }

    /// Whether a target connection writing dataset `data_set_id` may be
    /// this chain's (see [`DataflowRecord::fits_base`]).
    pub fn fits_dataset(&self, data_set_id: &str) -> bool {
        fits(data_set_id, self.data_set_id.as_deref())
    }

    /// Whether a mapping set into XDM schema `schema_id` may be this
    /// chain's (see [`DataflowRecord::fits_base`]).
    pub fn fits_schema(&self, schema_id: &str) -> bool {
        fits(schema_id, self.schema_id.as_deref())
    }

    /// Whether a flow over source connections `sources` and target
    /// connections `targets` may be this chain's: it reads this chain's
    /// source and target connections, where those are recorded.
    pub fn fits_flow(&self, sources: &[String], targets: &[String]) -> bool {
        let over = |listed: &[String], ours: Option<&ObjectRef>| {
            listed.is_empty() || ours.is_none_or(|ours| listed.contains(&ours.id))
        };
        over(sources, self.source_connection.as_ref())
            && over(targets, self.target_connection.as_ref())
    }

    /// Every id the record knows, the retired ones included.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        self.ids()
            .map(|(_, id)| id)
            .chain(self.retired.iter().map(|r| r.id.as_str()))
    }
}

/// A parent as listed against the chain's own: either not known says
/// nothing against it.
fn fits(listed: &str, ours: Option<&str>) -> bool {
    listed.is_empty() || ours.is_none_or(|ours| ours.is_empty() || ours == listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_fills_in_one_object_at_a_time() {
        let mut record = DataflowRecord::new("O@AdobeOrg", "base", "t");
        record.pending.insert(Part::SourceConnection, "t".into());
        assert!(!record.is_complete());
        for (n, part) in Part::ALL.into_iter().enumerate() {
            record.set_object(
                part,
                Some(ObjectRef {
                    id: format!("id{n}"),
                    etag: String::new(),
                }),
            );
        }
        assert!(record.pending.is_empty());
        assert!(record.is_complete());
        assert_eq!(record.ids().count(), 4);
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(
            serde_json::from_str::<DataflowRecord>(&json).unwrap(),
            record
        );
    }

    #[test]
    fn a_namesake_fits_only_over_the_chains_own_parents() {
        let mut record = DataflowRecord::new("O@AdobeOrg", "base", "t");
        record.data_set_id = Some("ds".into());
        assert!(record.fits_schema("any"), "no schema known yet");
        record.schema_id = Some("schema".into());
        assert!(!record.fits_schema("other-schema"));
        assert!(record.fits_base("base") && record.fits_base(""));
        assert!(!record.fits_base("other-base"));
        assert!(record.fits_dataset("ds") && !record.fits_dataset("other-ds"));
        let ids = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(
            record.fits_flow(&ids(&["s"]), &ids(&["t"])),
            "nothing recorded yet"
        );
        record.set_object(
            Part::SourceConnection,
            Some(ObjectRef {
                id: "s".into(),
                etag: String::new(),
            }),
        );
        assert!(record.fits_flow(&ids(&["s"]), &ids(&["t"])));
        assert!(!record.fits_flow(&ids(&["other-s"]), &ids(&["t"])));
    }
}
