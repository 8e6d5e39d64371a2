//! Reading the sandbox's table-source flows for `import`: only flows of the
//! `CRMToAEP` spec are listed (other specs' flows may not even decode),
//! then each one's source and target connections, mapping set and dataset.
//! An object gone meanwhile skips its flow; any other failure stops the run.

use std::collections::HashMap;

use super::flow_doc::{self, Read};
use crate::api::dataflow::FlowItem;
use crate::api::ingestion::CRM_TO_AEP_NAME;
use crate::api::{ApiError, FlowService, ListQuery, Scope};
use crate::error::{Error, Result};
use crate::workspace::api_error;

/// One listed flow: read in full, or why not.
#[derive(Debug)]
pub(crate) enum Listed {
    Read(Box<Read>),
    Skipped {
        name: String,
        id: String,
        reason: String,
    },
}

/// The live and departing flows of the `CRMToAEP` spec in `scope`, each
/// read (none when the sandbox has no such spec).
pub(crate) async fn read_flows<A: FlowService>(api: &A, scope: &Scope) -> Result<Vec<Listed>> {
    let spec = api
        .find_flow_spec(scope, CRM_TO_AEP_NAME)
        .await
        .map_err(api_error(format!(
            "cannot find flow spec `{CRM_TO_AEP_NAME}`"
        )))?;
    let Some(spec) = spec else {
        return Ok(Vec::new());
    };
    let mut flows = api
        .list_flows(scope, &ListQuery::new().eq("flowSpec.id", &spec.id))
        .await
        .map_err(api_error(format!(
            "cannot list flows in sandbox `{}`",
            scope.sandbox
        )))?;
    flows.retain(|f| f.flow_spec.id == spec.id);
    flows.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let mut datasets = HashMap::new();
    let mut listed = Vec::with_capacity(flows.len());
    for flow in flows {
        let (name, id) = (flow.name.clone(), flow.id.clone());
        let outcome = match read_one(api, scope, flow, &mut datasets).await {
            Ok(outcome) => outcome,
            Err(Gone(what)) => Err(format!("{what} was not found (deleted meanwhile?)")),
            Err(Failed(err)) => return Err(err),
        };
        listed.push(match outcome {
            Ok(read) => Listed::Read(Box::new(read)),
            Err(reason) => Listed::Skipped { name, id, reason },
        });
    }
    Ok(listed)
}

/// Why a read stopped: an object is gone (skip the flow) or the platform
/// failed (stop).
enum Stop {
    Gone(String),
    Failed(Error),
}
use Stop::{Failed, Gone};

fn stop(what: String) -> impl FnOnce(ApiError) -> Stop {
    move |err| match err {
        ApiError::NotFound { .. } => Gone(what),
        other => Failed(api_error(format!("cannot read {what}"))(other)),
    }
}

/// One flow's objects; `Ok(Err(reason))` when the flow's shape has no
/// document (nothing more is read then).
async fn read_one<A: FlowService>(
    api: &A,
    scope: &Scope,
    flow: FlowItem,
    datasets: &mut HashMap<String, usize>,
) -> std::result::Result<std::result::Result<Read, String>, Stop> {
    if !flow.is_live() {
        return Ok(Err(format!(
            "it is being deleted on the platform (state `{}`)",
            flow.state
        )));
    }
    let shape = match flow_doc::shape(&flow) {
        Ok(shape) => shape,
        Err(reason) => return Ok(Err(reason)),
    };
    let source = api
        .get_source_connection(scope, &shape.source_id)
        .await
        .map_err(stop(format!("its source connection `{}`", shape.source_id)))?;
    let target = api
        .get_target_connection(scope, &shape.target_id)
        .await
        .map_err(stop(format!("its target connection `{}`", shape.target_id)))?;
    let mapping = api
        .get_mapping_set(scope, &shape.mapping_id, Some(shape.mapping_version))
        .await
        .map_err(stop(format!(
            "its mapping set `{}` version {}",
            shape.mapping_id, shape.mapping_version
        )))?;
    let data_set_id = &target.params.data_set_id;
    let dataset = api
        .get_dataset(scope, data_set_id)
        .await
        .map_err(stop(format!("its dataset `{data_set_id}`")))?;
    let namesakes = match datasets.get(&dataset.name) {
        Some(count) => *count,
        None => {
            let found = api
                .find_datasets_by_name(scope, &dataset.name)
                .await
                .map_err(stop(format!("the datasets named `{}`", dataset.name)))?;
            datasets.insert(dataset.name.clone(), found.len());
            found.len()
        }
    };
    Ok(Ok(Read {
        flow,
        shape,
        source,
        target,
        mapping,
        dataset_name_unique: namesakes == 1,
        dataset,
    }))
}
