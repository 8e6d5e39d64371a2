//! `smoke --dataflow-table T --dataflow-dataset D`: a dataflow chain over
//! smoke's throwaway connection (source, target, mapping set, a flow that
//! starts a day ahead), made so its wire forms can be read back.

use serde_json::Value;

use super::steps::Run;
use super::{Chain, DataflowSmoke, MARK};
use crate::api::dataflow::FlowAction;
use crate::api::ingestion::{CRM_TO_AEP_NAME, Column};
use crate::api::ingestion_bodies::{self, FlowInputs, ScheduleInputs};
use crate::api::wire::SpecRef;
use crate::api::{ApiError, FlowService, MappingSetRef};
use crate::config::{Delta, Frequency, MappingEntry};

/// What the chain's parts are made from.
struct Made<'a> {
    base_id: &'a str,
    table: &'a str,
    dataset_id: &'a str,
    schema_id: &'a str,
    columns: &'a [Column],
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
        if !self.dataset_unused(&wanted.dataset, &dataset_id).await {
            return;
        }
        let Some(flow_spec) = self.flow_spec().await else {
            return;
        };
        let Some(columns) = self.explore(base_id, &wanted.table).await else {
            return;
        };
        let made = Made {
            base_id,
            table: &wanted.table,
            dataset_id: &dataset_id,
            schema_id: &schema_id,
            columns: &columns,
        };
        let Some((source, target, mapping)) = self.make_parts(&name, &made).await else {
            return;
        };
        let dated: Vec<&Column> = columns.iter().filter(|c| is_dated(c)).collect();
        let parts = (source.as_str(), target.as_str(), &mapping);
        let Some(flow_id) = self
            .make_flow(&name, &flow_spec, parts, dated.first())
            .await
        else {
            return;
        };
        self.runs_before_disable(&flow_id).await;
        self.connections_read_back(&source, &target, &wanted.table, &dataset_id)
            .await;
        self.read_back(&flow_id, &mapping).await;
        self.mapping_name_filter(&name, &mapping.id).await;
        self.delta_patch(&flow_id, &dated).await;
        self.delete_chain().await;
    }

    /// Records a create's row; the id when it landed.
    fn created(
        &mut self,
        step: &'static str,
        assumed: &str,
        result: Result<String, ApiError>,
    ) -> Option<String> {
        match result {
            Ok(id) => {
                self.record(step, format!("created, id `{id}`"), assumed, true);
                Some(id)
            }
            Err(err) => {
                self.failed(step, assumed, &err);
                None
            }
        }
    }

    /// The source and target connections and the mapping set (one column
    /// of the table as explored, into `_id`, a field every XDM class has).
    async fn make_parts(
        &mut self,
        name: &str,
        made: &Made<'_>,
    ) -> Option<(String, String, MappingSetRef)> {
        let description = format!("{MARK}: safe to delete");
        let body = ingestion_bodies::source_connection(
            name,
            Some(&description),
            made.base_id,
            made.table,
            made.columns.to_vec(),
        );
        let answer = self.api.create_source_connection(self.scope, &body).await;
        let step = "dataflow: source connection";
        let source = self.created(step, "201 with an id", answer.map(|m| m.id))?;
        self.chain_mut().source = Some(source.clone());
        let body = ingestion_bodies::target_connection(
            name,
            Some(&description),
            made.dataset_id,
            made.schema_id,
        );
        let answer = self.api.create_target_connection(self.scope, &body).await;
        let step = "dataflow: target connection";
        let target = self.created(step, "201 with an id", answer.map(|m| m.id))?;
        self.chain_mut().target = Some(target.clone());
        let entry = MappingEntry {
            source: Some(made.columns.first()?.name.clone()),
            expression: None,
            destination: "_id".to_owned(),
        };
        let body = ingestion_bodies::mapping_set(name, made.schema_id, &[entry]);
        let assumed = "200 with an id and version 0";
        match self.api.create_mapping_set(self.scope, &body).await {
            Ok(set) => {
                self.chain_mut().mapping = Some(set.clone());
                let observed = format!("created, id `{}`, version {}", set.id, set.version);
                self.record("dataflow: mapping set", observed, assumed, true);
                Some((source, target, set))
            }
            Err(err) => {
                self.failed("dataflow: mapping set", assumed, &err);
                None
            }
        }
    }

    /// The flow, daily from a day ahead (`Copy` on `dated` when the table
    /// has a date/time column), disabled at once.
    async fn make_flow(
        &mut self,
        name: &str,
        flow_spec: &SpecRef,
        (source, target, mapping): (&str, &str, &MappingSetRef),
        dated: Option<&&Column>,
    ) -> Option<String> {
        let delta = dated.map(|c| Delta {
            column: c.name.clone(),
            date_format: None,
            timezone: None,
        });
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        let description = format!("{MARK}: safe to delete");
        let body = ingestion_bodies::flow(&FlowInputs {
            name,
            description: Some(&description),
            flow_spec,
            source_connection_id: source,
            target_connection_id: target,
            delta: delta.as_ref(),
            mapping,
            schedule: ScheduleInputs {
                start: now.saturating_add(A_DAY),
                frequency: Frequency::Day,
                interval: Some(1),
                backfill: true,
            },
        });
        let answer = self.api.create_flow(self.scope, &body).await;
        let assumed = "201 with an id (start a day ahead)";
        let flow_id = self.created("dataflow: flow", assumed, answer.map(|m| m.id))?;
        self.chain_mut().flow = Some(flow_id.clone());
        let assumed = "accepted: a new etag";
        let disable = FlowAction::Disable;
        match self.api.flow_action(self.scope, &flow_id, disable).await {
            Ok(_) => {
                self.record("dataflow: disable", "accepted".into(), assumed, true);
                Some(flow_id)
            }
            Err(err) => {
                self.failed("dataflow: disable", assumed, &err);
                None
            }
        }
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

    /// Refuses a dataset that a target connection other than smoke's
    /// writes into: the user must name a throwaway one.
    async fn dataset_unused(&mut self, name: &str, id: &str) -> bool {
        let step = "dataflow: dataset unused";
        let assumed = "no other target connection writes into it (a throwaway dataset)";
        let all = crate::api::ListQuery::new();
        let targets = match self.api.list_target_connections(self.scope, &all).await {
            Ok(targets) => targets,
            Err(err) => return self.failed(step, assumed, &err),
        };
        let users: Vec<String> = targets
            .iter()
            .filter(|t| t.is_live() && t.params.data_set_id == id)
            .filter(|t| {
                !t.description
                    .as_deref()
                    .is_some_and(|d| d.starts_with(MARK))
            })
            .map(|t| format!("`{}`", t.name.escape_debug()))
            .collect();
        if users.is_empty() {
            return self.record(step, "none writes into it".into(), assumed, true);
        }
        let observed = format!(
            "`{}` is the target of {}: not a throwaway dataset, nothing was made",
            name.escape_debug(),
            users.join(", ")
        );
        self.record(step, observed, assumed, false)
    }

    async fn flow_spec(&mut self) -> Option<SpecRef> {
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
        let assumed = match &self.base.copy_of {
            Some(key) => {
                format!("the table's columns through smoke's connection, a copy of `{key}`")
            }
            None => "the table's columns through smoke's connection".to_owned(),
        };
        let assumed = assumed.as_str();
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
