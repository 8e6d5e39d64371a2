//! `smoke`'s dataflow chain read back: the wire forms the platform accepts
//! and returns (schedule and mapping-version types, the mapping-set name
//! filter, a deltaColumn PATCH, runs before DISABLE), one row each.

use serde_json::{Value, json};

use super::dataflow::type_of;
use super::steps::Run;
use crate::api::ingestion::Column;
use crate::api::ingestion_bodies::COPY;
use crate::api::wire::PatchOp;
use crate::api::{ApiError, FlowService, MappingSetRef, Resource};

impl Run<'_> {
    /// Whether a run showed up between the create and the DISABLE.
    pub(super) async fn runs_before_disable(&mut self, flow_id: &str) {
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
    pub(super) async fn connections_read_back(
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
    pub(super) async fn read_back(&mut self, flow_id: &str, mapping: &MappingSetRef) {
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
    pub(super) async fn mapping_name_filter(&mut self, name: &str, id: &str) {
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
    pub(super) async fn delta_patch(&mut self, flow_id: &str, dated: &[&Column]) {
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
}
