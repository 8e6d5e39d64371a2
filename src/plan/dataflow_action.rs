//! One step of a dataflow plan, as the plan file and `--format json`
//! carry it: the dataflow, what happens to it and why, the fields that
//! change, what an update sends, and a rename's earlier name.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::FieldChange;
use super::dataflow_fields::Updates;
use crate::config::{ConnectionKey, DataflowKey};
use crate::desired::dataflow::DesiredDataflow;

/// What will happen to one dataflow.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DataflowStep {
    /// Create the chain (or the objects of it state does not record yet).
    Create,
    /// Change the flow (and mapping set) in place.
    Update,
    /// Disable the old flow, create a new chain, delete the old one.
    Replace,
    /// `--prune`: delete the flow, then its source and target connections.
    Delete,
    Unchanged,
}

impl DataflowStep {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            DataflowStep::Create => "+",
            DataflowStep::Update => "~",
            DataflowStep::Replace => "-/+",
            DataflowStep::Delete => "-",
            DataflowStep::Unchanged => "=",
        }
    }
}

/// One dataflow's step, with what it changes and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DataflowAction {
    /// `dataflow/cloud/sandbox/name`.
    #[schemars(with = "String")]
    pub key: DataflowKey,
    pub org: String,
    pub action: DataflowStep,
    /// Why, in words: "not in state", "source changed", ...
    pub reasons: Vec<String>,
    /// Per field, what changes (`schedule.interval: 1 -> 2`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// The base connection the dataflow reads through: a create waits for
    /// its create in the same run.
    #[schemars(with = "String")]
    pub connection: ConnectionKey,
    /// What an update sends.
    #[serde(default, skip_serializing_if = "Updates::is_empty")]
    pub updates: Updates,
    /// What a replace or delete does to the data already ingested, and
    /// what a disable-after-create may let through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// A rename's earlier name (`renamedFrom`): the chain state records
    /// under it is renamed to `key`'s name (flow, source and target
    /// connections patched, a mapping-set version under the new name) and
    /// its state entry moved to `key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The flow a rename renames, as recorded under the earlier name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
}

impl DataflowAction {
    /// `step` for `d`, for these `reasons`; nothing else said yet.
    pub(crate) fn new(d: &DesiredDataflow, step: DataflowStep, reasons: Vec<String>) -> Self {
        DataflowAction {
            key: d.key.clone(),
            org: d.org.clone(),
            action: step,
            reasons,
            changes: Vec::new(),
            connection: d.connection.clone(),
            updates: Updates::default(),
            notes: Vec::new(),
            renamed_from: None,
            flow_id: None,
        }
    }

    /// Whether it renames the chain recorded under an earlier name.
    pub(crate) fn renames(&self) -> bool {
        self.renamed_from.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rename_round_trips_through_the_plan_file_under_its_json_names() {
        let doc: crate::config::Dataflow = serde_json::from_value(serde_json::json!({
            "kind": "dataflow", "name": "new", "sandbox": "prod", "cloud": "azure",
            "source": { "connection": "db", "table": "public.t" },
            "target": { "dataset": { "name": "D" } },
            "mapping": [{ "source": "a", "destination": "_id" }],
            "schedule": { "frequency": "hour", "interval": 1 }
        }))
        .unwrap();
        let d = DesiredDataflow {
            key: doc.key(),
            org: "O@AdobeOrg".into(),
            connection: doc.key().connection("db"),
            fingerprint: String::new(),
            source: "f.yaml".into(),
            renamed_from_line: None,
            lines: Default::default(),
            doc,
        };
        let mut action = DataflowAction::new(&d, DataflowStep::Update, vec!["why".into()]);
        assert!(!action.renames());
        action.renamed_from = Some("old".into());
        action.flow_id = Some("flow-1".into());
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json["renamedFrom"], "old");
        assert_eq!(json["flowId"], "flow-1");
        assert_eq!(
            serde_json::from_value::<DataflowAction>(json).unwrap(),
            action
        );
        assert!(action.renames());
    }
}
