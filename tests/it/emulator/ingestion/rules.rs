//! The platform's referential and update rules as the emulator enforces
//! them, each refusal in Flow Service's error body, and the fidelity fixes
//! Adobe's Python client needs (op case, `count=False`, actor fields).

use reqwest::Method;
use serde_json::json;

use super::*;

#[tokio::test]
async fn a_source_connection_needs_its_base_with_the_same_spec() {
    let (_emulator, api) = Api::start(config()).await;
    let (base, _) = api
        .create(&format!("{FLOW}/connections"), base_body("db"))
        .await;
    let path = format!("{FLOW}/sourceConnections");
    let (status, body) = api.post(&path, source_body("no-such-base")).await;
    assert_eq!((status, code(&body)), (400, "FLOW-1400-400"), "{body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("baseConnectionId")
    );
    let mut other_spec = source_body(&base);
    other_spec["connectionSpec"]["id"] = json!("26d738e0-8963-47ea-aadf-c60de735468a");
    let (status, body) = api.post(&path, other_spec).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("connection spec")
    );
    let (id, _) = api.create(&path, source_body(&base)).await;
    let (status, read) = api.get(&format!("{path}/{id}")).await;
    assert_eq!(status, 200);
    let item = &read["items"][0];
    assert_eq!(item["baseConnectionId"], base.as_str());
    for field in ["createdBy", "updatedBy", "sandboxId", "etag", "createdAt"] {
        assert!(!item[field].is_null(), "{field}: {item}");
    }
}

#[tokio::test]
async fn a_target_connection_needs_an_existing_dataset() {
    let (_emulator, api) = Api::start(config()).await;
    let path = format!("{FLOW}/targetConnections");
    let (status, body) = api
        .post(&path, target_body("000000000000000000000000"))
        .await;
    assert_eq!((status, code(&body)), (400, "FLOW-1400-400"), "{body}");
    assert!(body["errorMessage"].as_str().unwrap().contains("dataSetId"));
    let dataset = dataset_id(&api).await;
    api.create(&path, target_body(&dataset)).await;
}

#[tokio::test]
async fn a_flow_needs_existing_connections_and_a_schedule_the_spec_allows() {
    let (_emulator, api) = Api::start(config()).await;
    let chain = chain(&api, hourly()).await;
    let path = format!("{FLOW}/flows");
    let refused = |body: serde_json::Value| {
        let api = &api;
        let path = &path;
        async move {
            let (status, answer) = api.post(path, body).await;
            assert_eq!((status, code(&answer)), (400, "FLOW-1400-400"), "{answer}");
            answer["errorMessage"].as_str().unwrap().to_owned()
        }
    };
    let flow = |schedule| flow_body(&chain.source, &chain.target, &chain.mapping, schedule);
    let why = refused(flow_body("nope", &chain.target, &chain.mapping, hourly())).await;
    assert!(why.contains("sourceConnectionIds"), "{why}");
    let why = refused(flow_body(&chain.source, "nope", &chain.mapping, hourly())).await;
    assert!(why.contains("targetConnectionIds"), "{why}");
    let why = refused(flow_body(&chain.source, &chain.target, "nope", hourly())).await;
    assert!(why.contains("mappingId"), "{why}");
    let mut other_spec = flow(hourly());
    other_spec["flowSpec"]["id"] = json!("9753525b-82c7-4dce-8a9b-5ccfce2b9876");
    assert!(refused(other_spec).await.contains("flowSpec.id"));
    // The flow spec's scheduleSpec, numeric strings coerced first.
    let why = refused(flow(
        json!({"startTime": "1612310466", "frequency": "minute", "interval": "14"}),
    ))
    .await;
    assert!(why.contains("scheduleParams.interval"), "{why}");
    refused(flow(
        json!({"startTime": 1612310466, "frequency": "once", "interval": "1"}),
    ))
    .await;
    refused(flow(
        json!({"startTime": 1612310466, "frequency": "once", "backfill": true}),
    ))
    .await;
    refused(flow(json!({"startTime": 1612310466, "frequency": "day"}))).await;
    let mut renamed = flow(hourly());
    renamed["transformations"][0]["name"] = json!("Filter");
    refused(renamed).await;
    for schedule in [
        json!({"startTime": "1612310466", "frequency": "minute", "interval": "15", "backfill": "true"}),
        json!({"startTime": 1612310466, "frequency": "once"}),
    ] {
        api.create(&path, flow(schedule)).await;
    }
}

#[tokio::test]
async fn flow_patches_keep_past_starts_and_transformation_names() {
    let (_emulator, api) = Api::start(config()).await;
    let past = json!({"startTime": "1612310466", "frequency": "minute", "interval": "15", "backfill": "true"});
    let chain = chain(&api, past).await;
    let path = format!("{FLOW}/flows/{}", chain.flow);
    let etag = chain.flow_etag.as_str();
    let (status, body) = api
        .patch(
            &path,
            etag,
            json!([{"op": "replace", "path": "/scheduleParams/startTime", "value": "1700000000"}]),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "FLOW-1400-400"), "{body}");
    assert!(body["errorMessage"].as_str().unwrap().contains("startTime"));
    // Adobe's update tutorial replaces index 0 with a Mapping: index 0 is Copy here.
    let mapping =
        json!({"name": "Mapping", "params": {"mappingId": chain.mapping, "mappingVersion": 1}});
    let (status, body) = api
        .patch(
            &path,
            etag,
            json!([{"op": "replace", "path": "/transformations/0", "value": mapping}]),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errorMessage"].as_str().unwrap().contains("`Copy`"),
        "{body}"
    );
    let (status, body) = api
        .patch(
            &path,
            etag,
            json!([{"op": "replace", "path": "/scheduleParams/interval", "value": "5"}]),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = api
        .patch(
            &path,
            "\"stale\"",
            json!([{"op": "replace", "path": "/name", "value": "x"}]),
        )
        .await;
    assert_eq!((status, code(&body)), (412, "FLOW-1404-412"), "{body}");
    let (status, body) = api
        .send(
            api.request(Method::PATCH, &path)
                .json(&json!([{"op": "replace", "path": "/name", "value": "x"}])),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "FLOW-1403-400"), "{body}");
    // Ops in any case: Adobe's file writes `REPLACE`, its client `Replace`.
    let (status, body) = api
        .patch(
            &path,
            etag,
            json!([
            {"op": "Replace", "path": "/transformations/1", "value": mapping},
            {"op": "REPLACE", "path": "/scheduleParams/frequency", "value": "hour"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(body["etag"], etag);
    let (_, read) = api.get(&path).await;
    assert_eq!(read["items"][0]["transformations"][1], mapping);
    assert_eq!(read["items"][0]["scheduleParams"]["frequency"], "hour");
    assert_eq!(read["items"][0]["etag"], body["etag"]);
}

#[tokio::test]
async fn actions_answer_a_new_etag_and_other_ops_need_a_draft() {
    let (_emulator, api) = Api::start(config()).await;
    let chain = chain(&api, hourly()).await;
    let action = |op: &str| format!("{FLOW}/flows/{}/action?op={op}", chain.flow);
    let (status, body) = api.post(&action("DISABLE"), json!(null)).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(body["etag"], chain.flow_etag.as_str());
    let (_, read) = api.get(&format!("{FLOW}/flows/{}", chain.flow)).await;
    assert_eq!(read["items"][0]["state"], "disabled");
    assert_eq!(read["items"][0]["etag"], body["etag"]);
    // `subOp`, required by Adobe's file, is not needed; no body, no content type.
    let (status, _) = api.send(api.request(Method::POST, &action("ENABLE"))).await;
    assert_eq!(status, 200);
    let (status, body) = api
        .send(api.request(Method::POST, &action("PUBLISH")))
        .await;
    assert_eq!((status, code(&body)), (400, "FLOW-1400-400"), "{body}");
    // A draft (`mode=draft`) is published by PUBLISH.
    let mut draft = flow_body(&chain.source, &chain.target, &chain.mapping, hourly());
    draft["name"] = json!("draft");
    let (draft_id, _) = api.create(&format!("{FLOW}/flows?mode=draft"), draft).await;
    let (_, read) = api.get(&format!("{FLOW}/flows/{draft_id}")).await;
    assert_eq!(read["items"][0]["state"], "draft");
    let publish = format!("{FLOW}/flows/{draft_id}/action?op=PUBLISH");
    assert_eq!(api.send(api.request(Method::POST, &publish)).await.0, 200);
    let (_, read) = api.get(&format!("{FLOW}/flows/{draft_id}")).await;
    assert_eq!(read["items"][0]["state"], "enabled");
}

#[tokio::test]
async fn a_base_connection_used_by_a_flow_cannot_be_deleted() {
    let (_emulator, api) = Api::start(config()).await;
    let chain = chain(&api, hourly()).await;
    let base = format!("{FLOW}/connections/{}", chain.base);
    let (status, body) = api.delete(&base).await;
    assert_eq!((status, code(&body)), (400, "FLOW-1418-400"), "{body}");
    assert!(body["errorMessage"].as_str().unwrap().contains(&chain.flow));
    for path in [
        format!("{FLOW}/flows/{}", chain.flow),
        format!("{FLOW}/sourceConnections/{}", chain.source),
        format!("{FLOW}/targetConnections/{}", chain.target),
        base,
    ] {
        assert_eq!(api.delete(&path).await.0, 204, "{path}");
        let (status, body) = api.get(&path).await;
        assert_eq!(
            (status, code(&body)),
            (404, "FLOW-1439-404"),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn flow_listings_filter_page_and_count_like_connections() {
    let (_emulator, api) = Api::start(config()).await;
    let chain = chain(&api, hourly()).await;
    for n in 0..3 {
        let mut body = flow_body(&chain.source, &chain.target, &chain.mapping, hourly());
        body["name"] = json!(format!("extra-{n}"));
        api.create(&format!("{FLOW}/flows"), body).await;
    }
    let (status, page) = api.get(&format!("{FLOW}/flows?limit=2&count=False")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let next = page["_links"]["next"]["href"].as_str().unwrap();
    assert!(next.starts_with("/flows?continuationToken="), "{next}");
    let (_, rest) = api.get(&format!("{FLOW}{next}")).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 2);
    assert!(rest["_links"]["next"].is_null());
    // Next links carry the token alone; it keeps the filters and the limit.
    let mut href = "/flows?property=name!=orders-to-lake&limit=1".to_owned();
    let mut names = Vec::new();
    loop {
        let (status, page) = api.get(&format!("{FLOW}{href}")).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
        names.push(page["items"][0]["name"].as_str().unwrap().to_owned());
        let Some(next) = page["_links"]["next"]["href"].as_str() else {
            break;
        };
        assert!(!next.contains('&'), "{next}");
        href = next.to_owned();
    }
    assert_eq!(names, ["extra-0", "extra-1", "extra-2"]);
    let (_, one) = api
        .get(&format!(
            "{FLOW}/flows?property=name==extra-1&property=sourceConnectionIds=={}",
            chain.source
        ))
        .await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let (_, counted) = api.get(&format!("{FLOW}/flows?count=true")).await;
    assert_eq!(counted, json!({"count": 4}));
    let (status, body) = api
        .get(&format!("{FLOW}/sourceConnections?count=maybe&limit=2"))
        .await;
    assert_eq!((status, code(&body)), (400, "FLOW-1401-400"), "{body}");
    let (_, specs) = api
        .get(&format!("{FLOW}/flowSpecs?property=name==%22CRMToAEP%22"))
        .await;
    assert_eq!(specs["items"][0]["id"], CRM_TO_AEP);
    assert_eq!(
        specs["items"][0]["scheduleSpec"]["spec"]["else"]["then"]["properties"]["interval"]["minimum"],
        15
    );
    let (_, named) = api
        .get(&format!("{FLOW}/connections?property=name==orders-db"))
        .await;
    let item = &named["items"][0];
    assert!(
        item["createdBy"].is_string() && item["sandboxId"].is_string(),
        "{item}"
    );
}

#[tokio::test]
async fn the_data_file_keeps_the_ingestion_objects_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("emulator.json");
    let with_data = || EmulatorConfig {
        data: Some(data.clone()),
        ..config()
    };
    let (emulator, api) = Api::start(with_data()).await;
    let chain = chain(&api, hourly()).await;
    let put = api
        .request(
            Method::PUT,
            &format!("{PREP}/mappingSets/{}", chain.mapping),
        )
        .json(&mapping_body("orders-to-lake"));
    assert_eq!(api.send(put).await.0, 200);
    emulator.shutdown().await;
    let saved = std::fs::read_to_string(&data).unwrap();
    assert!(
        !saved.contains(support::CANARY),
        "a secret reached the data file"
    );
    let (_emulator, api) = Api::start(with_data()).await;
    for path in [
        format!("{FLOW}/flows/{}", chain.flow),
        format!("{FLOW}/sourceConnections/{}", chain.source),
        format!("{FLOW}/targetConnections/{}", chain.target),
    ] {
        assert_eq!(api.get(&path).await.0, 200, "{path}");
    }
    let (_, mapping) = api
        .get(&format!("{PREP}/mappingSets/{}", chain.mapping))
        .await;
    assert_eq!(mapping["version"], 1);
    let (status, body) = api
        .delete(&format!("{FLOW}/connections/{}", chain.base))
        .await;
    assert_eq!(
        (status, code(&body)),
        (400, "FLOW-1418-400"),
        "the rule holds after a restart"
    );
}
