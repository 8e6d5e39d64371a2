//! Which handler answers which path: IMS, Flow Service (connections and the
//! ingestion path), Data Prep and Catalog, all behind the gateway's checks
//! and faults, and the exchange journal and request log around everything.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{MethodRouter, get, post};

use super::gateway::Caller;
use super::objects::Kind;
use super::{
    Shared, catalog, collections, connections, exchange, explore, flow_specs, flows, gateway,
    mapping_sets, problem, runs, source_connections,
};

/// List and create of a Flow Service collection of the ingestion path.
fn collection(kind: Kind, create: MethodRouter<Arc<Shared>>) -> MethodRouter<Arc<Shared>> {
    create.get(
        move |State(s): State<Arc<Shared>>,
              Extension(c): Extension<Caller>,
              RawQuery(q): RawQuery| { collections::list(kind, s, c, q) },
    )
}

/// Get, patch and delete of one item of a Flow Service collection.
fn item(kind: Kind, rules: collections::Rules) -> MethodRouter<Arc<Shared>> {
    get(
        move |State(s): State<Arc<Shared>>,
              Extension(c): Extension<Caller>,
              Path(id): Path<String>| { collections::get_one(kind, s, c, id) },
    )
    .patch(
        move |State(s): State<Arc<Shared>>,
              Extension(c): Extension<Caller>,
              Path(id): Path<String>,
              headers: HeaderMap,
              body: Bytes| { collections::patch(kind, rules, s, c, id, headers, body) },
    )
    .delete(
        move |State(s): State<Arc<Shared>>,
              Extension(c): Extension<Caller>,
              Path(id): Path<String>| { collections::delete(kind, s, c, id) },
    )
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    const FLOW: &str = "/data/foundation/flowservice";
    let one = get(connections::get_one)
        .patch(connections::patch)
        .delete(connections::delete);
    let at = |path: &str| format!("{FLOW}{path}");
    let flow = Router::new()
        .route(
            "/data/foundation/flowservice/connections",
            post(connections::create).get(connections::list),
        )
        .route("/data/foundation/flowservice/connections/{id}", one.clone())
        .route("/data/foundation/flowservice/connections/{id}/", one)
        .route(&at("/connections/{id}/explore"), get(explore::explore))
        .route(&at("/connections/{id}/test"), get(explore::test))
        .route(
            &at("/sourceConnections"),
            collection(Kind::Source, post(source_connections::create_source)),
        )
        .route(
            &at("/sourceConnections/{id}"),
            item(Kind::Source, collections::no_rules),
        )
        .route(
            &at("/targetConnections"),
            collection(Kind::Target, post(source_connections::create_target)),
        )
        .route(
            &at("/targetConnections/{id}"),
            item(Kind::Target, collections::no_rules),
        )
        .route(&at("/flows"), collection(Kind::Flow, post(flows::create)))
        .route(&at("/flows/{id}"), item(Kind::Flow, flows::rules))
        .route(&at("/flows/{id}/action"), post(flows::action))
        .route(&at("/flowSpecs"), get(flow_specs::list))
        .route(&at("/flowSpecs/{id}"), get(flow_specs::get_one))
        .route(&at("/runs"), get(runs::list))
        .route(&at("/runs/{id}"), get(runs::get_one))
        .route(
            "/data/foundation/conversion/mappingSets",
            post(mapping_sets::create).get(mapping_sets::list),
        )
        .route(
            "/data/foundation/conversion/mappingSets/{id}",
            get(mapping_sets::get_one).put(mapping_sets::put),
        )
        .route("/data/foundation/catalog/dataSets", get(catalog::list))
        .route(
            "/data/foundation/catalog/dataSets/{id}",
            get(catalog::get_one),
        )
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            gateway::check,
        ));
    Router::new()
        .route("/ims/token/v3", post(gateway::issue_token))
        .merge(flow)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            exchange::journal,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            gateway::record,
        ))
        .with_state(shared)
}
