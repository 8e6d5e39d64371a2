//! The transport rules hold on the ingestion path too, each against a
//! misbehaving server on 127.0.0.1: next links of every Flow Service
//! collection stay on the origin, Data Prep and Catalog pages that ignore
//! `start` end in an error, and neither a create nor a mapping set PUT is
//! sent twice after an answer that may hide a landed write.

use axum::Router;
use axum::routing::{any, get};
use provision::api::ingestion::{CreateMappingSet, Mapping, OutputSchema, SchemaRef, XED_FULL_V1};
use provision::api::{ApiError, FlowService, FlowServiceClient, ListQuery, Scope};
use serde_json::{Value, json};

use super::server::{Server, answer, serve, with_ims};
use crate::support::api::client_config;

const FLOWS: &str = "/data/foundation/flowservice/flows";
const MAPPING_SETS: &str = "/data/foundation/conversion/mappingSets";
const DATASETS: &str = "/data/foundation/catalog/dataSets";

fn client(server: &Server) -> FlowServiceClient {
    FlowServiceClient::new(client_config(&server.url)).unwrap()
}

fn dev() -> Scope {
    Scope::new("HOSTILE@AdobeOrg", "dev")
}

fn flow(id: &str) -> Value {
    json!({"id": id, "name": "f", "flowSpec": {"id": "s", "version": "1.0"},
        "sourceConnectionIds": ["a"], "targetConnectionIds": ["b"],
        "scheduleParams": {"startTime": 1, "frequency": "once"}})
}

fn mapping_set() -> CreateMappingSet {
    CreateMappingSet {
        name: "m".into(),
        output_schema: OutputSchema {
            schema_ref: SchemaRef {
                id: "https://ns.adobe.com/acme/schemas/o".into(),
                content_type: XED_FULL_V1.into(),
            },
        },
        mappings: vec![Mapping {
            source_type: "ATTRIBUTE".into(),
            source: "id".into(),
            destination: "_id".into(),
        }],
    }
}

#[tokio::test]
async fn flow_listings_follow_relative_links_and_never_another_origin() {
    let other =
        serve(Router::new().fallback(any(|| async { answer(200, json!({"items": []})) }))).await;
    let foreign = format!("{}{FLOWS}?continuationToken=2", other.url);
    let app = with_ims().route(
        FLOWS,
        get(move |axum::extract::RawQuery(q): axum::extract::RawQuery| {
            let foreign = foreign.clone();
            async move {
                let next = match q.unwrap_or_default() {
                    q if q.contains("continuationToken=2") => {
                        return answer(200, json!({"items": [flow("f2")]}));
                    }
                    q if q.contains("foreign") => foreign,
                    _ => "/flows?continuationToken=2".to_owned(),
                };
                answer(
                    200,
                    json!({"items": [flow("f1")], "_links": {"next": {"href": next}}}),
                )
            }
        }),
    );
    let server = serve(app).await;
    let all = client(&server)
        .list_flows(&dev(), &ListQuery::new())
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        ["f1", "f2"],
        "the relative link is the flows collection's"
    );
    let err = client(&server)
        .list_flows(&dev(), &ListQuery::new().eq("name", "foreign"))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::ForeignLink { .. }), "{err:?}");
    assert!(other.seen().is_empty(), "another origin received the token");
}

#[tokio::test]
async fn data_prep_and_catalog_pages_that_ignore_start_end_in_an_error() {
    let sets: Vec<Value> = (0..100)
        .map(|i| {
            json!({"id": format!("m{i}"), "name": "m", "version": 0,
            "outputSchema": {"schemaRef": {"id": "s"}}, "mappings": []})
        })
        .collect();
    let datasets: serde_json::Map<String, Value> = (0..100)
        .map(|i| (format!("d{i}"), json!({"name": "d"})))
        .collect();
    let page = json!({"data": sets, "_page": {"count": 100, "limit": 100}});
    let app = with_ims()
        .route(MAPPING_SETS, get(move || async move { answer(200, page) }))
        .route(
            DATASETS,
            get(move || async move { answer(200, Value::Object(datasets)) }),
        );
    let server = serve(app).await;
    let client = client(&server);
    let err = client
        .find_mapping_sets_by_name(&dev(), "m")
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::PageLoop { .. }), "{err:?}");
    let err = client.find_datasets_by_name(&dev(), "d").await.unwrap_err();
    assert!(matches!(err, ApiError::PageLoop { .. }), "{err:?}");
    let gets = |path: &str| {
        server
            .flow_requests()
            .iter()
            .filter(|s| s.path == path)
            .count()
    };
    assert_eq!(
        (gets(MAPPING_SETS), gets(DATASETS)),
        (2, 2),
        "stopped at the first repeat"
    );
}

#[tokio::test]
async fn a_mapping_set_create_or_put_answered_503_is_sent_once() {
    let app = with_ims()
        .route(
            MAPPING_SETS,
            any(|| async { answer(503, json!({"title": "busy", "detail": "x"})) }),
        )
        .route(
            &format!("{MAPPING_SETS}/{{id}}"),
            any(|| async { answer(503, json!({"title": "busy", "detail": "x"})) }),
        );
    let server = serve(app).await;
    let client = client(&server);
    let err = client
        .create_mapping_set(&dev(), &mapping_set())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::CreateOutcomeUnknown { .. }),
        "{err:?}"
    );
    let err = client
        .update_mapping_set(&dev(), "m1", &mapping_set())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::PatchOutcomeUnknown { .. }),
        "{err:?}"
    );
    let methods: Vec<String> = server
        .flow_requests()
        .into_iter()
        .map(|s| s.method)
        .collect();
    assert_eq!(methods, ["POST", "PUT"], "neither was repeated");
}
