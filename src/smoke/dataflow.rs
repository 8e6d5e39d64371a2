//! `smoke --dataflow-table T --dataflow-dataset D`: a whole dataflow chain
//! over smoke's throwaway connection (source connection, target connection,
//! mapping set, a flow starting a day ahead), read back to record which
//! wire forms the platform accepts and returns, then disabled and deleted.

use serde_json::{Value, json};

use super::steps::Run;
use super::{MARK, PREFIX};
use crate::api::ingestion::{CRM_TO_AEP_NAME, Column};
use crate::api::ingestion_bodies::{self, COPY, FlowInputs, ScheduleInputs};
use crate::api::wire::PatchOp;
use crate::api::{ApiError, FlowService, ListQuery, MappingSetRef, Resource};
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
pub(super) struct Chain {
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
fn type_of(value: Option<&Value>) -> &'static str {
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
fn is_dated(column: &Column) -> bool {
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

    fn chain_mut(&mut self) -> &mut Chain {
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

    /// Whether a run showed up between the create and the DISABLE.
    async fn runs_before_disable(&mut self, flow_id: &str) {
        let step = "dataflow: runs before disable";
        let assumed = "none expected (the start is a day ahead); one is possible, the platform has no disabled create";
        match self.api.runs_of_flow(self.scope, flow_id).await {
            Ok(page) => {
                let runs = page
                    .get("items")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                self.record(
                    step,
                    format!("{runs} run(s) listed after create + DISABLE"),
                    assumed,
                    true,
                );
            }
            Err(err) => {
                self.failed(step, assumed, &err);
            }
        }
    }

    /// The source and target connections as returned: the table and the
    /// dataset as sent.
    async fn connections_read_back(
        &mut self,
        source: &str,
        target: &str,
        table: &str,
        dataset_id: &str,
    ) {
        let step = "dataflow: connections read back";
        let assumed = "the source's `params.tableName` and the target's `params.dataSetId` as sent";
        let read = async {
            let source = self.api.get_source_connection(self.scope, source).await?;
            let target = self.api.get_target_connection(self.scope, target).await?;
            Ok::<_, ApiError>((source, target))
        };
        match read.await {
            Ok((source, target)) => {
                let ok =
                    source.params.table_name == table && target.params.data_set_id == dataset_id;
                let observed = format!(
                    "table `{}`, dataset `{}`",
                    source.params.table_name.escape_debug(),
                    target.params.data_set_id.escape_debug()
                );
                self.record(step, observed, assumed, ok);
            }
            Err(err) => {
                self.failed(step, assumed, &err);
            }
        }
    }

    /// The flow and the mapping set as returned: the types of the schedule
    /// and of the mapping version, which the client reads in either form.
    async fn read_back(&mut self, flow_id: &str, mapping: &MappingSetRef) {
        let assumed = "startTime an integer or a numeric string, interval a string or an integer, backfill a boolean or `true`/`false`";
        let flow = match self.api.get_json(self.scope, Resource::Flow, flow_id).await {
            Ok(flow) => flow,
            Err(err) => {
                self.failed("dataflow: schedule read back", assumed, &err);
                return;
            }
        };
        let schedule = flow.get("scheduleParams");
        let field = |key: &str| schedule.and_then(|s| s.get(key));
        let start = field("startTime");
        let readable = match start {
            Some(Value::Number(n)) => n.is_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().is_ok(),
            _ => false,
        } && matches!(type_of(field("interval")), "a string" | "an integer")
            && matches!(
                field("backfill"),
                Some(Value::Bool(_)) | Some(Value::String(_))
            );
        let observed = format!(
            "startTime {}, interval {}, backfill {}",
            type_of(start),
            type_of(field("interval")),
            type_of(field("backfill"))
        );
        self.record("dataflow: schedule read back", observed, assumed, readable);
        let in_flow = flow
            .get("transformations")
            .and_then(Value::as_array)
            .and_then(|all| {
                all.iter()
                    .find(|t| t.get("name") == Some(&json!("Mapping")))
            })
            .and_then(|t| t.pointer("/params/mappingVersion"))
            .cloned();
        let assumed =
            "the flow's mappingVersion a string or an integer, the set's version an integer";
        let set = match self
            .api
            .get_json(self.scope, Resource::MappingSet, &mapping.id)
            .await
        {
            Ok(set) => set,
            Err(err) => {
                self.failed("dataflow: mapping version", assumed, &err);
                return;
            }
        };
        let version = set.get("version");
        let ok = matches!(type_of(in_flow.as_ref()), "a string" | "an integer")
            && matches!(type_of(version), "an integer");
        let observed = format!(
            "flow's mappingVersion {}, set's version {}",
            type_of(in_flow.as_ref()),
            type_of(version)
        );
        self.record("dataflow: mapping version", observed, assumed, ok);
    }

    /// Whether `GET /mappingSets?name=` lists only sets of that name.
    async fn mapping_name_filter(&mut self, name: &str, id: &str) {
        let step = "dataflow: mapping sets by name";
        let assumed = "ours listed (the client keeps exact names, filtered or not)";
        match self.api.mapping_sets_page_named(self.scope, name).await {
            Ok(page) => {
                let data = page
                    .get("data")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let ours = data.iter().any(|s| s.get("id") == Some(&json!(id)));
                let others = data
                    .iter()
                    .filter(|s| s.get("name") != Some(&json!(name)))
                    .count();
                let filtered = if others == 0 {
                    "filtered by name"
                } else {
                    "not filtered"
                };
                let observed = format!(
                    "{filtered}: {} listed, {others} of another name",
                    data.len()
                );
                self.record(step, observed, assumed, ours || data.len() >= 100);
            }
            Err(err) => {
                self.failed(step, assumed, &err);
            }
        }
    }

    /// A PATCH of the `Copy` transformation's deltaColumn, in the form
    /// plan sends it, when the table has a date/time column.
    async fn delta_patch(&mut self, flow_id: &str, dated: &[&Column]) {
        let step = "dataflow: deltaColumn patch";
        let assumed = "`replace /transformations/{i}/params/deltaColumn` accepted";
        let Some(column) = dated.last() else {
            let observed = "skipped: explore found no date/time column in the table, so the flow has no `Copy` to patch".to_owned();
            self.record(step, observed, "", true);
            return;
        };
        let flow = match self.api.get_flow(self.scope, flow_id).await {
            Ok(flow) => flow,
            Err(err) => {
                self.failed(step, assumed, &err);
                return;
            }
        };
        let Some(at) = flow.transformation_index(COPY) else {
            self.record(
                step,
                "the flow was read back without `Copy`".into(),
                assumed,
                false,
            );
            return;
        };
        let path = format!("/transformations/{at}/params/deltaColumn");
        let ops = [PatchOp::replace(&path, json!({"name": column.name}))];
        match self
            .api
            .patch_flow(self.scope, flow_id, &flow.etag, &ops)
            .await
        {
            Ok(_) => {
                self.record(
                    step,
                    format!("accepted (`{}`)", column.name.escape_debug()),
                    assumed,
                    true,
                );
            }
            Err(err) => {
                self.failed(step, assumed, &err);
            }
        }
    }

    /// Deletes the flow, then the source and target connections (also
    /// those a create cut short may have made, found by name); the mapping
    /// set stays, Data Prep has no delete. True when nothing is left but it.
    pub(super) async fn delete_chain(&mut self) -> bool {
        let Some(chain) = self.chain.as_ref() else {
            return true;
        };
        if chain.deleted {
            return true;
        }
        let (name, flow, source, target) = (
            chain.name.clone(),
            chain.flow.clone(),
            chain.source.clone(),
            chain.target.clone(),
        );
        let mut ok = true;
        let step = "dataflow: delete";
        let assumed = "flow, source and target connections deleted";
        let mut deleted = Vec::new();
        let flows = self.ids(Resource::Flow, &name, flow).await;
        for id in flows {
            match self.api.delete_flow(self.scope, &id).await {
                Ok(()) | Err(ApiError::NotFound { .. }) => deleted.push(format!("flow `{id}`")),
                Err(err) => ok = self.failed(step, assumed, &err) && ok,
            }
        }
        let sources = self.ids(Resource::SourceConnection, &name, source).await;
        for id in sources {
            match self.api.delete_source_connection(self.scope, &id).await {
                Ok(()) | Err(ApiError::NotFound { .. }) => {
                    deleted.push(format!("source connection `{id}`"))
                }
                Err(err) => ok = self.failed(step, assumed, &err) && ok,
            }
        }
        let targets = self.ids(Resource::TargetConnection, &name, target).await;
        for id in targets {
            match self.api.delete_target_connection(self.scope, &id).await {
                Ok(()) | Err(ApiError::NotFound { .. }) => {
                    deleted.push(format!("target connection `{id}`"))
                }
                Err(err) => ok = self.failed(step, assumed, &err) && ok,
            }
        }
        if ok {
            let observed = if deleted.is_empty() {
                "nothing was made".to_owned()
            } else {
                format!("deleted {}", deleted.join(", "))
            };
            self.record(step, observed, assumed, true);
            self.chain_mut().deleted = true;
        }
        let mapping = self.chain.as_ref().and_then(|c| c.mapping.clone());
        if let Some(mapping) = mapping.filter(|_| ok) {
            self.record(
                "dataflow: mapping set kept",
                format!("`{name}` (id `{}`) stays: Data Prep has no delete for mapping sets; nothing uses it now", mapping.id),
                "mapping sets cannot be deleted",
                true,
            );
        }
        ok
    }

    /// Deletes what a run killed outright during its chain left (flows
    /// first, then source and target connections, each with smoke's prefix
    /// and mark), a row each; false when one could not be deleted.
    pub(super) async fn clean_chain_leftovers(&mut self) -> bool {
        let step = "earlier dataflow leftover";
        let assumed = "no leftover chain of an earlier run (deleted when found)";
        let ours = |name: &str, description: Option<&str>| {
            name.starts_with(PREFIX) && description.is_some_and(|d| d.starts_with(MARK))
        };
        let all = ListQuery::new();
        let listed = async {
            let flows = self.api.list_flows(self.scope, &all).await?;
            let sources = self.api.list_source_connections(self.scope, &all).await?;
            let targets = self.api.list_target_connections(self.scope, &all).await?;
            Ok::<_, ApiError>((flows, sources, targets))
        };
        let (flows, sources, targets) = match listed.await {
            Ok(listed) => listed,
            Err(err) => return self.failed(step, assumed, &err),
        };
        let mut found: Vec<(Resource, String, String)> = Vec::new();
        let live_flows = flows.into_iter().filter(|i| i.is_live());
        for i in live_flows.filter(|i| ours(&i.name, i.description.as_deref())) {
            found.push((Resource::Flow, i.id, i.name));
        }
        let live_sources = sources.into_iter().filter(|i| i.is_live());
        for i in live_sources.filter(|i| ours(&i.name, i.description.as_deref())) {
            found.push((Resource::SourceConnection, i.id, i.name));
        }
        let live_targets = targets.into_iter().filter(|i| i.is_live());
        for i in live_targets.filter(|i| ours(&i.name, i.description.as_deref())) {
            found.push((Resource::TargetConnection, i.id, i.name));
        }
        for (what, id, name) in found {
            let deleted = match what {
                Resource::Flow => self.api.delete_flow(self.scope, &id).await,
                Resource::SourceConnection => {
                    self.api.delete_source_connection(self.scope, &id).await
                }
                _ => self.api.delete_target_connection(self.scope, &id).await,
            };
            match deleted {
                Ok(()) | Err(ApiError::NotFound { .. }) => {
                    let observed = format!(
                        "deleted {what} `{}` (id `{}`), left by an earlier, interrupted run",
                        name.escape_debug(),
                        id.escape_debug()
                    );
                    self.record(step, observed, assumed, true);
                }
                Err(err) => return self.failed(step, assumed, &err),
            }
        }
        true
    }

    /// The ids of the chain's objects of `what`: the one made, and any
    /// other live one of the chain's name (a create whose answer was cut
    /// short by an interrupt may still have landed).
    async fn ids(&self, what: Resource, name: &str, made: Option<String>) -> Vec<String> {
        let found: Vec<String> = match what {
            Resource::Flow => self
                .api
                .find_flows_by_name(self.scope, name)
                .await
                .map(|v| v.into_iter().map(|i| i.id).collect()),
            Resource::SourceConnection => self
                .api
                .find_source_connections_by_name(self.scope, name)
                .await
                .map(|v| v.into_iter().map(|i| i.id).collect()),
            _ => self
                .api
                .find_target_connections_by_name(self.scope, name)
                .await
                .map(|v| v.into_iter().map(|i| i.id).collect()),
        }
        .unwrap_or_default();
        let mut ids: Vec<String> = made.into_iter().collect();
        for id in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }
}
