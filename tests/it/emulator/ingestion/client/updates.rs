//! The chain's in-place changes through the client: lookups by name,
//! description, schedule and delta patched at the indexes as read (a stale
//! etag refused), a new mapping set version the flow moves onto, DISABLE
//! and ENABLE with their new etags, and the deletes, each 404 naming its kind.

use provision::api::dataflow::FlowAction;
use provision::api::ingestion_bodies as bodies;
use provision::api::ingestion_patches as patches;
use provision::api::{ApiError, FlowService, FlowServiceClient, Resource, Scope};

use super::super::SCHEMA;
use super::{Chain, delta, entries};
use crate::support::api::scope;

/// How many live objects of each kind answer to `name`.
async fn named(client: &FlowServiceClient, at: &Scope, name: &str) -> [usize; 4] {
    [
        client
            .find_source_connections_by_name(at, name)
            .await
            .unwrap()
            .len(),
        client
            .find_target_connections_by_name(at, name)
            .await
            .unwrap()
            .len(),
        client.find_flows_by_name(at, name).await.unwrap().len(),
        client
            .find_mapping_sets_by_name(at, name)
            .await
            .unwrap()
            .len(),
    ]
}

/// Every object of the chain is found by its exact name, in its scope only.
pub(super) async fn lookups(client: &FlowServiceClient, prod: &Scope) {
    assert_eq!(named(client, prod, "orders-to-lake").await, [1; 4]);
    assert_eq!(named(client, prod, "orders").await, [0; 4]);
    assert_eq!(named(client, &scope("dev"), "orders-to-lake").await, [0; 4]);
    let near = client.find_datasets_by_name(prod, "Order").await.unwrap();
    assert!(near.is_empty(), "{near:?}");
}

/// Description, schedule and delta in one patch at the indexes as read;
/// the same patch with the old etag is refused.
pub(super) async fn patch_in_place(client: &FlowServiceClient, prod: &Scope, chain: &Chain) {
    let flow = client.get_flow(prod, &chain.flow).await.unwrap();
    let mut schedule = flow.schedule_params.clone();
    schedule.frequency = "minute".into();
    schedule.interval = Some("15".into());
    let mut ops = patches::description_ops(None, Some("every 15 minutes"));
    ops.extend(patches::schedule_ops(&flow.schedule_params, &schedule));
    ops.extend(patches::delta_ops(&flow, Some(&delta("modified_at"))).unwrap());
    assert_eq!(ops.len(), 4, "{ops:?}");
    let patched = client
        .patch_flow(prod, &chain.flow, &flow.etag, &ops)
        .await
        .unwrap();
    assert_ne!(patched.etag, flow.etag);
    let stale = client
        .patch_flow(prod, &chain.flow, &flow.etag, &ops)
        .await
        .unwrap_err();
    assert!(
        matches!(&stale, ApiError::EtagMismatch { what: Resource::Flow, id } if *id == chain.flow),
        "{stale:?}"
    );
    let read = client.get_flow(prod, &chain.flow).await.unwrap();
    assert_eq!(read.description.as_deref(), Some("every 15 minutes"));
    assert_eq!(read.schedule_params, schedule);
    let copy = read.transformation_index("Copy").unwrap();
    assert_eq!(
        read.transformations[copy].params["deltaColumn"]["name"],
        "modified_at"
    );
}

/// A new mapping set version (the first kept), then the flow moved onto it.
pub(super) async fn new_mapping_version(client: &FlowServiceClient, prod: &Scope, chain: &Chain) {
    let read = client.get_flow(prod, &chain.flow).await.unwrap();
    let mut body = bodies::mapping_set("orders-to-lake", SCHEMA, &entries());
    body.mappings.truncate(1);
    let next = client
        .update_mapping_set(prod, &chain.mapping.id, &body)
        .await
        .unwrap();
    assert_eq!(
        (next.id.as_str(), next.version),
        (chain.mapping.id.as_str(), 1)
    );
    let first = client
        .get_mapping_set(prod, &next.id, Some(0))
        .await
        .unwrap();
    assert_eq!(first.mappings.len(), 2);
    let ops = patches::mapping_ops(&read, &next).unwrap();
    client
        .patch_flow(prod, &chain.flow, &read.etag, &ops)
        .await
        .unwrap();
    let read = client.get_flow(prod, &chain.flow).await.unwrap();
    let at = read.transformation_index("Mapping").unwrap();
    assert_eq!(read.transformations[at].params["mappingVersion"], "1");
}

/// DISABLE and ENABLE answer a new etag each, and the state follows.
pub(super) async fn disable_and_enable(client: &FlowServiceClient, prod: &Scope, chain: &Chain) {
    let before = client.get_flow(prod, &chain.flow).await.unwrap().etag;
    let disabled = client
        .flow_action(prod, &chain.flow, FlowAction::Disable)
        .await
        .unwrap();
    assert_ne!(disabled.etag, before);
    assert_eq!(
        client.get_flow(prod, &chain.flow).await.unwrap().state,
        "disabled"
    );
    let enabled = client
        .flow_action(prod, &chain.flow, FlowAction::Enable)
        .await
        .unwrap();
    assert_ne!(enabled.etag, disabled.etag);
    let read = client.get_flow(prod, &chain.flow).await.unwrap();
    assert_eq!(
        (read.state.as_str(), &read.etag),
        ("enabled", &enabled.etag)
    );
}

/// The two ends take a description too, and lose it.
pub(super) async fn describe_ends(client: &FlowServiceClient, prod: &Scope, chain: &Chain) {
    let source = client
        .get_source_connection(prod, &chain.source)
        .await
        .unwrap();
    let ops = patches::description_ops(None, Some("orders table"));
    client
        .patch_source_connection(prod, &chain.source, &source.etag, &ops)
        .await
        .unwrap();
    let target = client
        .get_target_connection(prod, &chain.target)
        .await
        .unwrap();
    let ops = patches::description_ops(target.description.as_deref(), None);
    client
        .patch_target_connection(prod, &chain.target, &target.etag, &ops)
        .await
        .unwrap();
    assert_eq!(
        client
            .get_target_connection(prod, &chain.target)
            .await
            .unwrap()
            .description,
        None
    );
}

/// Deletes the flow, then its ends; each is gone afterwards.
pub(super) async fn delete_chain(client: &FlowServiceClient, prod: &Scope, chain: &Chain) {
    client.delete_flow(prod, &chain.flow).await.unwrap();
    client
        .delete_source_connection(prod, &chain.source)
        .await
        .unwrap();
    client
        .delete_target_connection(prod, &chain.target)
        .await
        .unwrap();
    client.delete(prod, &chain.base).await.unwrap();
    let gone = client.get_flow(prod, &chain.flow).await.unwrap_err();
    assert_eq!(
        gone.to_string(),
        format!("flow `{}` not found (http 404)", chain.flow)
    );
    let gone = client
        .delete_source_connection(prod, &chain.source)
        .await
        .unwrap_err();
    assert!(
        matches!(
            gone,
            ApiError::NotFound {
                what: Resource::SourceConnection,
                ..
            }
        ),
        "{gone:?}"
    );
    let gone = client
        .get_target_connection(prod, &chain.target)
        .await
        .unwrap_err();
    assert!(
        matches!(
            gone,
            ApiError::NotFound {
                what: Resource::TargetConnection,
                ..
            }
        ),
        "{gone:?}"
    );
    let gone = client
        .get_mapping_set(prod, "no-such-set", None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            gone,
            ApiError::NotFound {
                what: Resource::MappingSet,
                ..
            }
        ),
        "{gone:?}"
    );
    let gone = client
        .get_dataset(prod, "no-such-dataset")
        .await
        .unwrap_err();
    assert!(
        matches!(
            gone,
            ApiError::NotFound {
                what: Resource::Dataset,
                ..
            }
        ),
        "{gone:?}"
    );
}
