//! `provision state import dataflow/cloud/sandbox/name FLOW_ID`: record a
//! dataflow that already exists on the platform, its other three objects
//! found from the flow, without changing anything there (reads only).

use std::time::Duration;

use serde_json::Value;

use super::{Workspace, no_org, runtime};
use crate::api::dataflow::{FlowItem, SourceConnectionItem, TargetConnectionItem};
use crate::api::wire::{ConnectionItem, POSTGRES_SPEC_ID};
use crate::api::{ApiError, FlowService, Scope};
use crate::config::DataflowKey;
use crate::error::{Error, Result};
use crate::escape::escape_value;
use crate::state::{Change, DataflowRecord, ObjectRef, Part, State, timestamp};

/// The transformation of a flow that names its mapping set.
const MAPPING: &str = "Mapping";

/// What the platform holds for one flow: the flow and the objects it joins.
pub(crate) struct Chain {
    pub flow: FlowItem,
    pub source: SourceConnectionItem,
    pub base: ConnectionItem,
    pub target: TargetConnectionItem,
}

/// Reads flow `flow_id` and the objects it joins, and records them under
/// `key` as one complete dataflow; returns the record and the flow's name.
pub(crate) fn record_existing(
    ws: &Workspace,
    key: &DataflowKey,
    flow_id: &str,
) -> Result<(DataflowRecord, String)> {
    let org = ws.org(key.cloud())?;
    let _lock = ws.backend.lock("provision state import", Duration::ZERO)?;
    let mut state = ws.backend.load()?;
    if let Some(recorded) = state.dataflows.get(key) {
        let flow = recorded.flow.as_ref().map_or_else(
            || "a partial chain".to_owned(),
            |f| format!("flow `{}`", f.id),
        );
        return Err(Error::Failed(format!(
            "`{key}` is already in state ({flow}): to record another flow under it, `provision state rm {key}` first"
        )));
    }
    refuse_taken(&state, key, Part::Flow, flow_id)?;
    let scope = Scope::new(&org, key.sandbox());
    let chain = runtime()?.block_on(async {
        let connected = ws.connect().await?;
        let chain = read(&*connected.api, &scope, flow_id).await;
        connected.close().await;
        chain
    })?;
    let record = derive(&org, &chain, &timestamp::now()).map_err(|why| {
        Error::Failed(format!(
            "cannot import flow `{}` as `{key}`: {why}; nothing was recorded",
            escape_value(flow_id)
        ))
    })?;
    for (part, id) in record.ids() {
        refuse_taken(&state, key, part, id)?;
    }
    ws.backend.record(
        &mut state,
        &[Change::Dataflow(key.clone(), Box::new(record.clone()))],
    )?;
    Ok((record, chain.flow.name))
}

/// One platform object belongs to one dataflow: an id another key records
/// is refused, naming it.
fn refuse_taken(state: &State, key: &DataflowKey, part: Part, id: &str) -> Result<()> {
    let other = state
        .dataflows
        .iter()
        .find(|(k, r)| *k != key && r.ids().any(|(p, i)| p == part && i == id));
    match other {
        Some((other, _)) => Err(Error::Failed(format!(
            "{} `{}` is already recorded as `{other}`: one platform object belongs to one dataflow; to move it, `provision state rm {other}` first",
            part.describe(),
            escape_value(id)
        ))),
        None => Ok(()),
    }
}

/// The flow, its first source connection with that one's base connection,
/// and its first target connection.
async fn read<F: FlowService>(api: &F, scope: &Scope, flow_id: &str) -> Result<Chain> {
    let context = |what: &str, id: &str| {
        format!(
            "cannot import flow `{}`: reading {what} `{}`",
            escape_value(flow_id),
            escape_value(id)
        )
    };
    let flow = api
        .get_flow(scope, flow_id)
        .await
        .map_err(super::api_error(context("the flow", flow_id)))?;
    let first = |ids: &[String], what: &str| {
        ids.first().cloned().ok_or_else(|| {
            Error::Failed(format!(
                "cannot import flow `{}`: it names no {what}; nothing was recorded",
                escape_value(flow_id)
            ))
        })
    };
    let source_id = first(&flow.source_connection_ids, "source connection")?;
    let target_id = first(&flow.target_connection_ids, "target connection")?;
    let source = api
        .get_source_connection(scope, &source_id)
        .await
        .map_err(super::api_error(context(
            "its source connection",
            &source_id,
        )))?;
    let base = match api.get(scope, &source.base_connection_id).await {
        Err(ApiError::NotFound { .. }) => {
            return Err(Error::Failed(format!(
                "cannot import flow `{}`: its source connection reads base connection `{}`, which does not exist; nothing was recorded",
                escape_value(flow_id),
                escape_value(&source.base_connection_id)
            )));
        }
        other => other.map_err(super::api_error(context(
            "its base connection",
            &source.base_connection_id,
        )))?,
    };
    let target = api
        .get_target_connection(scope, &target_id)
        .await
        .map_err(super::api_error(context(
            "its target connection",
            &target_id,
        )))?;
    Ok(Chain {
        flow,
        source,
        base,
        target,
    })
}

/// The record of `chain`: complete, with no document as applied (the next
/// plan compares the document with the platform). Refused, saying why,
/// when the flow is not over a PostgreSQL base connection or names no
/// mapping set.
pub(crate) fn derive(
    org: &str,
    chain: &Chain,
    now: &str,
) -> std::result::Result<DataflowRecord, String> {
    let Chain {
        flow,
        source,
        base,
        target,
    } = chain;
    if base.connection_spec.id != POSTGRES_SPEC_ID {
        return Err(format!(
            "it reads base connection `{}`, whose connection spec `{}` is not PostgreSQL's (`{POSTGRES_SPEC_ID}`): provision manages dataflows over PostgreSQL connections only",
            escape_value(&base.id),
            escape_value(&base.connection_spec.id)
        ));
    }
    let (mapping_id, mapping_version) = mapping(flow).ok_or_else(|| {
        format!("it has no `{MAPPING}` transformation with `mappingId` and `mappingVersion`")
    })?;
    let object = |id: &str, etag: &str| {
        Some(ObjectRef {
            id: id.to_owned(),
            etag: etag.to_owned(),
        })
    };
    let mut record = DataflowRecord::new(org, &base.id, now);
    record.set_object(Part::SourceConnection, object(&source.id, &source.etag));
    record.set_object(Part::TargetConnection, object(&target.id, &target.etag));
    // Data Prep has no etags.
    record.set_object(Part::MappingSet, object(&mapping_id, ""));
    record.set_object(Part::Flow, object(&flow.id, &flow.etag));
    record.mapping_version = Some(mapping_version);
    record.data_set_id = Some(target.params.data_set_id.clone());
    record.schema_id = Some(target.data.schema.id.clone());
    record.start_time = Some(flow.schedule_params.start_time);
    record.flow_state = Some(flow.state.clone()).filter(|s| !s.is_empty());
    record.columns = source
        .params
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    Ok(record)
}

/// The `Mapping` transformation's `mappingId` and `mappingVersion` (a
/// string, or a number some answers carry).
fn mapping(flow: &FlowItem) -> Option<(String, String)> {
    let params = &flow
        .transformations
        .iter()
        .find(|t| t.name == MAPPING)?
        .params;
    let id = params.get("mappingId")?.as_str()?.to_owned();
    let version = match params.get("mappingVersion")? {
        Value::String(text) => text.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some((id, version)).filter(|(id, _)| !id.is_empty())
}

impl Workspace {
    /// The IMS org this run uses for `cloud` (settings `orgs.<cloud>.imsOrg`,
    /// its `${VAR}`s resolved; the emulator's under `--emulator`).
    pub(crate) fn org(&self, cloud: crate::config::Cloud) -> Result<String> {
        let vars = self.settings.vars.clone().unwrap_or_default();
        let lookup = |name: &str| vars.get(name).cloned().or_else(|| self.env.get(name));
        let mut orgs = crate::desired::orgs_from_settings(&self.settings, &lookup);
        if self.target.emulator {
            for (c, org) in super::EMULATOR_ORGS {
                orgs.entry(c).or_insert_with(|| org.to_owned());
            }
        }
        orgs.remove(&cloud)
            .ok_or_else(|| no_org(cloud, &self.target))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chain(spec: &str, transformations: Value) -> Chain {
        let flow = json!({
            "id": "f1", "name": "orders-to-lake", "etag": "\"f\"", "state": "enabled",
            "flowSpec": {"id": "spec", "version": "1.0"},
            "sourceConnectionIds": ["s1"], "targetConnectionIds": ["t1"],
            "transformations": transformations,
            "scheduleParams": {"startTime": "1764547200", "frequency": "hour", "interval": "1"}
        });
        let source = json!({
            "id": "s1", "name": "orders-to-lake", "baseConnectionId": "b1", "etag": "\"s\"",
            "data": {"format": "tabular"},
            "params": {"tableName": "public.orders", "columns": [
                {"name": "updated_at", "type": "string", "xdm": {"type": "string"}}, {"name": "order_id", "type": "integer", "xdm": {"type": "integer"}}
            ]},
            "connectionSpec": {"id": POSTGRES_SPEC_ID, "version": "1.0"}
        });
        let base = json!({
            "id": "b1", "name": "orders-db", "connectionSpec": {"id": spec, "version": "1.0"}
        });
        let target = json!({
            "id": "t1", "name": "orders-to-lake", "etag": "\"t\"",
            "data": {"schema": {"id": "https://ns.adobe.com/acme/schemas/orders", "version": "application/vnd.adobe.xed-full+json;version=1"}},
            "params": {"dataSetId": "ds1"},
            "connectionSpec": {"id": "lake", "version": "1.0"}
        });
        Chain {
            flow: serde_json::from_value(flow).unwrap(),
            source: serde_json::from_value(source).unwrap(),
            base: serde_json::from_value(base).unwrap(),
            target: serde_json::from_value(target).unwrap(),
        }
    }

    fn mapping(version: Value) -> Value {
        json!([
            {"name": "Copy", "params": {"deltaColumn": {"name": "updated_at"}}},
            {"name": "Mapping", "params": {"mappingId": "m1", "mappingVersion": version}}
        ])
    }

    #[test]
    fn a_flow_gives_a_complete_record_with_no_document_applied() {
        let record = derive(
            "O@AdobeOrg",
            &chain(POSTGRES_SPEC_ID, mapping(json!("2"))),
            "t",
        )
        .unwrap();
        assert!(record.is_complete());
        assert_eq!(record.base_connection_id, "b1");
        assert_eq!(record.mapping_set.as_ref().unwrap().id, "m1");
        assert_eq!(record.mapping_version.as_deref(), Some("2"));
        assert_eq!(record.flow.as_ref().unwrap().etag, "\"f\"");
        assert_eq!(record.data_set_id.as_deref(), Some("ds1"));
        assert_eq!(record.start_time, Some(1_764_547_200));
        assert_eq!(record.flow_state.as_deref(), Some("enabled"));
        assert_eq!(record.columns, ["updated_at", "order_id"]);
        assert!(record.applied.is_none() && !record.protect);
        let numbered = derive("O", &chain(POSTGRES_SPEC_ID, mapping(json!(3))), "t").unwrap();
        assert_eq!(numbered.mapping_version.as_deref(), Some("3"));
    }

    #[test]
    fn a_flow_over_another_source_or_without_a_mapping_is_refused() {
        let other = derive("O", &chain("mysql-spec", mapping(json!("0"))), "t").unwrap_err();
        assert!(other.contains("is not PostgreSQL's"), "{other}");
        let copy_only = json!([{"name": "Copy", "params": {}}]);
        let none = derive("O", &chain(POSTGRES_SPEC_ID, copy_only), "t").unwrap_err();
        assert!(none.contains("no `Mapping` transformation"), "{none}");
    }
}
