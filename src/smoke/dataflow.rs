//! `smoke --dataflow-table T --dataflow-dataset D`: a dataflow chain over
//! smoke's throwaway connection (source, target, mapping set, a flow that
//! starts a day ahead), made so its wire forms can be read back.

use serde_json::Value;

use super::MARK;
use super::steps::Run;
use crate::api::ingestion::{CRM_TO_AEP_NAME, Column};
use crate::api::ingestion_bodies::{self, FlowInputs, ScheduleInputs};
use crate::api::{FlowService, MappingSetRef};
use crate::config::{Delta, Frequency, MappingEntry};

/// What the chain reads and writes into: both named by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataflowSmoke {
    /// `schema.table` as explore lists it, through smoke's connection.
    pub table: String,
    /// A throwaway dataset, by exact name.
    pub dataset: String,
}

/// The chain's objects as they are made, so the clean-up deletes exactly
/// those (and looks up by name what a create cut short may have made).
#[derive(Debug, Default)]
pub(crate) struct Chain {
    pub name: String,
    pub source: Option<String>,
    pub target: Option<String>,
    pub flow: Option<String>,
    pub mapping: Option<MappingSetRef>,
    /// The flow, source and target are deleted (or were never made).
    pub deleted: bool,
}

/// A day, in seconds: the flow's start is this far ahead.
const A_DAY: i64 = 86_400;

/// The JSON type of a value, in words.
pub(super) fn type_of(value: Option<&Value>) -> &'static str {
    match value {
        None | Some(Value::Null) => "absent",
        Some(Value::String(_)) => "a string",
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => "an integer",
        Some(Value::Number(_)) => "a number",
        Some(Value::Bool(_)) => "a boolean",
        Some(Value::Array(_)) => "a list",
        Some(Value::Object(_)) => "an object",
    }
}

/// Whether explore describes a date or date-time column.
pub(super) fn is_dated(column: &Column) -> bool {
    matches!(column.xdm.format.as_deref(), Some("date" | "date-time"))
}

impl Run<'_> {
    /// The chain's steps, after the connection's and before its delete;
    /// stops at the first that fails outright. The clean-up deletes what
    /// was made.
    pub(super) async fn dataflow_steps(&mut self, wanted: &DataflowSmoke, base_id: &str) {
        let name = format!("{}-df", self.name);
        self.chain = Some(Chain {
            name: name.clone(),
            ..Chain::default()
        });
        let Some((dataset_id, schema_id)) = self.dataset(&wanted.dataset).await else {
            return;
        };
        let Some(flow_spec) = self.flow_spec().await else {
            return;
        };
        let Some(columns) = self.explore(base_id, &wanted.table).await else {
            return;
        };
        let description = format!("{MARK}: safe to delete");
        let body = ingestion_bodies::source_connection(
            &name,
            Some(&description),
            base_id,
            &wanted.table,
            columns.clone(),
        );
        let assumed = "201 with an id";
        match self.api.create_source_connection(self.scope, &body).await {
            Ok(made) => {
                self.chain_mut().source = Some(made.id.clone());
                self.record(
                    "dataflow: source connection",
                    format!("created, id `{}`", made.id),
                    assumed,
                    true,
                );
            }
            Err(err) => {
                self.failed("dataflow: source connection", assumed, &err);
                return;
            }
        }
        let body =
            ingestion_bodies::target_connection(&name, Some(&description), &dataset_id, &schema_id);
        match self.api.create_target_connection(self.scope, &body).await {
            Ok(made) => {
                self.chain_mut().target = Some(made.id.clone());
                self.record(
                    "dataflow: target connection",
                    format!("created, id `{}`", made.id),
                    assumed,
                    true,
                );
            }
            Err(err) => {
                self.failed("dataflow: target connection", assumed, &err);
                return;
            }
        }
        // One column of the table as explored, into `_id`, a field every
        // XDM class has.
        let entry = MappingEntry {
            source: Some(columns[0].name.clone()),
            expression: None,
            destination: "_id".to_owned(),
        };
        let body = ingestion_bodies::mapping_set(&name, &schema_id, &[entry]);
        let assumed = "200 with an id and version 0";
        let mapping = match self.api.create_mapping_set(self.scope, &body).await {
            Ok(made) => {
                self.chain_mut().mapping = Some(made.clone());
                let observed = format!("created, id `{}`, version {}", made.id, made.version);
                self.record("dataflow: mapping set", observed, assumed, true);
                made
            }
            Err(err) => {
                self.failed("dataflow: mapping set", assumed, &err);
                return;
            }
        };
        let dated: Vec<&Column> = columns.iter().filter(|c| is_dated(c)).collect();
        let delta = dated.first().map(|c| Delta {
            column: c.name.clone(),
            date_format: None,
            timezone: None,
        });
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        let chain = self.chain_mut();
        let (Some(source), Some(target)) = (chain.source.clone(), chain.target.clone()) else {
            return;
        };
        let body = ingestion_bodies::flow(&FlowInputs {
            name: &name,
            description: Some(&description),
            flow_spec: &flow_spec,
            source_connection_id: &source,
            target_connection_id: &target,
            delta: delta.as_ref(),
            mapping: &mapping,
            schedule: ScheduleInputs {
                start: now.saturating_add(A_DAY),
                frequency: Frequency::Day,
                interval: Some(1),
                backfill: true,
            },
        });
        let assumed = "201 with an id (start a day ahead)";
        let flow_id = match self.api.create_flow(self.scope, &body).await {
            Ok(made) => {
                self.chain_mut().flow = Some(made.id.clone());
                self.record(
                    "dataflow: flow",
                    format!("created, id `{}`", made.id),
                    assumed,
                    true,
                );
                made.id
            }
            Err(err) => {
                self.failed("dataflow: flow", assumed, &err);
                return;
            }
        };
        let assumed = "accepted: a new etag";
        match self
            .api
            .flow_action(
                self.scope,
                &flow_id,
                crate::api::dataflow::FlowAction::Disable,
            )
            .await
        {
            Ok(_) => self.record("dataflow: disable", "accepted".into(), assumed, true),
            Err(err) => {
                self.failed("dataflow: disable", assumed, &err);
                return;
            }
        };
        self.runs_before_disable(&flow_id).await;
        self.connections_read_back(&source, &target, &wanted.table, &dataset_id)
            .await;
        self.read_back(&flow_id, &mapping).await;
        self.mapping_name_filter(&name, &mapping.id).await;
        self.delta_patch(&flow_id, &dated).await;
        self.delete_chain().await;
    }

    pub(super) fn chain_mut(&mut self) -> &mut Chain {
        self.chain.get_or_insert_with(Chain::default)
    }

    /// The dataset by exact name, with its schema.
    async fn dataset(&mut self, name: &str) -> Option<(String, String)> {
        let step = "dataflow: dataset";
        let assumed = "exactly one dataset of that name, with an XDM schema";
        let found = match self.api.find_datasets_by_name(self.scope, name).await {
            Ok(found) => found,
            Err(err) => {
                self.failed(step, assumed, &err);
                return None;
            }
        };
        match found.as_slice() {
            [one] => match &one.schema_id {
                Some(schema) => {
                    let observed = format!("`{}`, schema `{}`", one.id, schema.escape_debug());
                    self.record(step, observed, assumed, true);
                    Some((one.id.clone(), schema.clone()))
                }
                None => {
                    self.record(step, format!("`{}` has no schema", one.id), assumed, false);
                    None
                }
            },
            found => {
                let observed =
                    format!("{} dataset(s) named `{}`", found.len(), name.escape_debug());
                self.record(step, observed, assumed, false);
                None
            }
        }
    }

    async fn flow_spec(&mut self) -> Option<crate::api::wire::SpecRef> {
        let step = "dataflow: flow spec";
        let assumed = "`CRMToAEP` found, listing PostgreSQL sources";
        match self.api.find_flow_spec(self.scope, CRM_TO_AEP_NAME).await {
            Ok(Some(spec)) => {
                let ok = spec.lists_postgres();
                self.record(
                    step,
                    format!("id `{}`, PostgreSQL listed: {ok}", spec.id),
                    assumed,
                    ok,
                );
                ok.then(|| spec.spec_ref())
            }
            Ok(None) => {
                self.record(step, "not found".into(), assumed, false);
                None
            }
            Err(err) => {
                self.failed(step, assumed, &err);
                None
            }
        }
    }

    async fn explore(&mut self, base_id: &str, table: &str) -> Option<Vec<Column>> {
        let step = "dataflow: explore";
        let assumed = "the table's columns through smoke's connection";
        match self.api.explore_table(self.scope, base_id, table).await {
            Ok(columns) if !columns.is_empty() => {
                let dated = columns.iter().filter(|c| is_dated(c)).count();
                let observed = format!("{} column(s), {dated} date/time", columns.len());
                self.record(step, observed, assumed, true);
                Some(columns)
            }
            Ok(_) => {
                self.record(step, "no columns".into(), assumed, false);
                None
            }
            Err(err) => {
                self.failed(step, assumed, &err);
                None
            }
        }
    }
}
