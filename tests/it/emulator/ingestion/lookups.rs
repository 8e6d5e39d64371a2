//! Data Prep's mapping sets and Catalog's dataset lookup, each in its own
//! service's shapes, and what schemathesis found in them.

use reqwest::Method;
use serde_json::json;

use super::*;

#[tokio::test]
async fn mapping_sets_version_and_list_in_data_preps_own_shape() {
    let (_emulator, api) = Api::start(config()).await;
    let path = format!("{PREP}/mappingSets");
    let (status, created) = api
        .post(&format!("{path}?validate=false"), mapping_body("a"))
        .await;
    assert_eq!(status, 200, "Data Prep's create answers 200: {created}");
    assert_eq!(created["version"], 0);
    let id = created["id"].as_str().unwrap();
    api.create(&path, mapping_body("b")).await;
    let (status, refused) = api.post(&path, json!({"mappings": []})).await;
    assert_eq!(status, 400, "{refused}");
    let (_, page) = api.get(&format!("{path}?limit=1&start=1")).await;
    assert_eq!(page["_page"], json!({"count": 2, "limit": 1}));
    assert_eq!(page["data"][0]["name"], "b");
    let (_, named) = api.get(&format!("{path}?name=a&limit=10&start=0")).await;
    assert_eq!(named["data"].as_array().unwrap().len(), 1);
    let mut changed = mapping_body("a");
    changed["mappings"][0]["destination"] = json!("person.id");
    let (status, put) = api
        .send(
            api.request(Method::PUT, &format!("{path}/{id}"))
                .json(&changed),
        )
        .await;
    assert_eq!((status, put["version"].as_i64()), (200, Some(1)), "{put}");
    let (_, first) = api.get(&format!("{path}/{id}?version=0")).await;
    assert_eq!(first["mappings"][0]["destination"], "_id");
    let (_, current) = api.get(&format!("{path}/{id}")).await;
    assert_eq!(current["mappings"][0]["destination"], "person.id");
    let (status, _) = api.get(&format!("{path}/{id}?version=7")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn catalog_finds_seeded_datasets_by_name_in_every_sandbox() {
    let (emulator, api) = Api::start(config()).await;
    let (status, found) = api
        .get(&format!(
            "{CATALOG}/dataSets?name=Orders&properties=name,schemaRef"
        ))
        .await;
    assert_eq!(status, 200, "{found}");
    let (id, dataset) = found.as_object().unwrap().iter().next().unwrap();
    assert_eq!(
        dataset,
        &json!({"name": "Orders", "schemaRef": {"id": SCHEMA,
        "contentType": "application/vnd.adobe.xed-full+json;version=1"}})
    );
    let (_, one) = api.get(&format!("{CATALOG}/dataSets/{id}")).await;
    for field in ["name", "schemaRef", "tags", "classification"] {
        assert!(!one[id][field].is_null(), "{field}: {one}");
    }
    let (_, none) = api.get(&format!("{CATALOG}/dataSets?name=Nope")).await;
    assert_eq!(none, json!({}));
    let (status, _) = api.get(&format!("{CATALOG}/dataSets/nope")).await;
    assert_eq!(status, 404);
    let dev = headers(&support::token(&emulator.url()).await, "dev");
    let other = Api {
        url: api.url.clone(),
        headers: dev,
    };
    assert_eq!(dataset_id(&other).await, *id);
}

/// Found by schemathesis with Data Prep's and Catalog's files: bodies and
/// queries of the wrong documented type were accepted.
#[tokio::test]
async fn schemathesis_findings_on_data_prep_and_catalog_stay_fixed() {
    let (_emulator, api) = Api::start(config()).await;
    let path = format!("{PREP}/mappingSets");
    let mut refused = Vec::new();
    let broken = [
        ("tags", json!([{"name": "", "values": [{}]}])),
        ("tags", json!([null])),
        ("version", json!(4_294_967_296_i64)),
        (
            "outputSchema",
            json!({"schemaRef": {"id": SCHEMA}, "version": 4_294_967_296_i64}),
        ),
        (
            "outputSchema",
            json!({"schemaRef": {"id": SCHEMA}, "id": null}),
        ),
        (
            "mappings",
            json!([{"source": "a", "destination": "b", "expressionAttributes": {}}]),
        ),
        (
            "mappings",
            json!([{"source": "a", "destination": "b", "modifiedDate": "AAA"}]),
        ),
    ];
    for (field, value) in broken {
        let mut body = mapping_body("x");
        body[field] = value;
        let (status, answer) = api.post(&path, body).await;
        refused.push((field, status, code(&answer).to_owned()));
    }
    assert!(
        refused
            .iter()
            .all(|(_, s, c)| *s == 400 && c == "MAPPER-400"),
        "{refused:?}"
    );
    for query in ["?start=0", "?limit=1&expandSchema=null"] {
        let (status, body) = api.get(&format!("{path}{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let (status, _) = api
        .get(&format!("{CATALOG}/dataSets?updated=99999999999999999999"))
        .await;
    assert_eq!(status, 400);
    let (status, _) = api
        .get(&format!("{CATALOG}/dataSets?enableErrorDiagnostics=null"))
        .await;
    assert_eq!(status, 400);
}
