//! The typed wire shapes of `provision::api` (the future dataflow client's)
//! against the emulator: bodies built from them are accepted, and every
//! answer reads back into them with what was written.

use provision::api::dataflow::{
    CreateFlow, CreateSourceConnection, CreateTargetConnection, DataFormat, FlowItem, Items,
    RunItem, ScheduleParams, SourceConnectionItem, SourceParams, TargetConnectionItem, TargetData,
    TargetParams, TargetSchema, Transformation,
};
use provision::api::ingestion::{
    CreateMappingSet, DataSetMap, ExploreItem, ExploreTable, Mapping, MappingSetCreated,
    MappingSetPage, OutputSchema, SchemaRef, TABULAR, XED_FULL_V1,
};
use provision::api::wire::SpecRef;

use super::*;

fn spec(id: &str) -> SpecRef {
    SpecRef {
        id: id.into(),
        version: "1.0".into(),
    }
}

async fn read<T: serde::de::DeserializeOwned>(api: &Api, path: &str) -> T {
    let (status, body) = api.get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

#[tokio::test]
async fn bodies_from_the_wire_types_are_accepted_and_answers_read_back_into_them() {
    let (_emulator, api) = Api::start(config()).await;
    let (base, _) = api
        .create(&format!("{FLOW}/connections"), base_body("db"))
        .await;
    let root: Vec<ExploreItem> = read(
        &api,
        &format!("{FLOW}/connections/{base}/explore?objectType=root"),
    )
    .await;
    let table: ExploreTable = read(
        &api,
        &format!(
            "{FLOW}/connections/{base}/explore?objectType=table&object={}",
            root[0].path
        ),
    )
    .await;
    let source = CreateSourceConnection {
        name: "orders-to-lake".into(),
        description: Some("orders".into()),
        base_connection_id: base.clone(),
        data: DataFormat {
            format: TABULAR.into(),
        },
        params: SourceParams {
            table_name: root[0].path.clone(),
            columns: table.schema.columns.clone(),
        },
        connection_spec: spec(POSTGRES),
    };
    let body = serde_json::to_value(&source).unwrap();
    let (source_id, _) = api.create(&format!("{FLOW}/sourceConnections"), body).await;
    let got: Items<SourceConnectionItem> =
        read(&api, &format!("{FLOW}/sourceConnections/{source_id}")).await;
    assert_eq!(
        (
            &got.items[0].params,
            &got.items[0].base_connection_id,
            &got.items[0].data
        ),
        (&source.params, &base, &source.data)
    );
    let datasets: DataSetMap = read(&api, &format!("{CATALOG}/dataSets?name=Orders")).await;
    let (dataset_id, dataset) = datasets.iter().next().unwrap();
    let schema_id = dataset.schema_ref.as_ref().unwrap().id.clone();
    let target = CreateTargetConnection {
        name: "orders-to-lake".into(),
        description: None,
        data: TargetData {
            schema: TargetSchema {
                id: schema_id.clone(),
                version: XED_FULL_V1.into(),
            },
        },
        params: TargetParams {
            data_set_id: dataset_id.clone(),
        },
        connection_spec: spec(DATA_LAKE),
    };
    let body = serde_json::to_value(&target).unwrap();
    let (target_id, _) = api.create(&format!("{FLOW}/targetConnections"), body).await;
    let got: Items<TargetConnectionItem> =
        read(&api, &format!("{FLOW}/targetConnections/{target_id}")).await;
    assert_eq!(
        (&got.items[0].params, &got.items[0].data),
        (&target.params, &target.data)
    );
    let mapping = CreateMappingSet {
        name: "orders-to-lake".into(),
        output_schema: OutputSchema {
            schema_ref: SchemaRef {
                id: schema_id,
                content_type: XED_FULL_V1.into(),
            },
        },
        mappings: vec![Mapping {
            source_type: "ATTRIBUTE".into(),
            source: "order_id".into(),
            destination: "_id".into(),
        }],
    };
    let (status, created) = api
        .post(
            &format!("{PREP}/mappingSets"),
            serde_json::to_value(&mapping).unwrap(),
        )
        .await;
    assert_eq!(status, 200);
    let created: MappingSetCreated = serde_json::from_value(created).unwrap();
    let page: MappingSetPage = read(
        &api,
        &format!("{PREP}/mappingSets?name=orders-to-lake&limit=10&start=0"),
    )
    .await;
    assert_eq!(
        (page.page.count, page.data[0]["id"].as_str()),
        (1, Some(created.id.as_str()))
    );
    let flow = CreateFlow {
        name: "orders-to-lake".into(),
        description: None,
        flow_spec: spec(CRM_TO_AEP),
        source_connection_ids: vec![source_id],
        target_connection_ids: vec![target_id],
        transformations: vec![
            Transformation {
                name: "Copy".into(),
                params: json!({"deltaColumn": {"name": "updated_at"}}),
            },
            Transformation {
                name: "Mapping".into(),
                params: json!({"mappingId": created.id, "mappingVersion": created.version.to_string()}),
            },
        ],
        schedule_params: ScheduleParams {
            start_time: 1_612_310_466,
            frequency: "hour".into(),
            interval: Some("1".into()),
            backfill: Some(true),
        },
    };
    let body = serde_json::to_value(&flow).unwrap();
    let (flow_id, etag) = api.create(&format!("{FLOW}/flows"), body).await;
    let got: Items<FlowItem> = read(&api, &format!("{FLOW}/flows/{flow_id}")).await;
    let item = &got.items[0];
    assert_eq!(
        (
            &item.schedule_params,
            &item.transformations,
            item.etag.as_str(),
            item.state.as_str()
        ),
        (
            &flow.schedule_params,
            &flow.transformations,
            etag.as_str(),
            "enabled"
        )
    );
    let runs: Items<RunItem> = read(&api, &format!("{FLOW}/runs?property=flowId=={flow_id}")).await;
    let summary = runs.items[0].metrics.record_summary;
    assert_eq!(
        summary.input_record_count,
        summary.output_record_count + summary.failed_record_count
    );
    // A flow written in the tutorial's string forms reads into the same types.
    let mut tutorial = serde_json::to_value(&flow).unwrap();
    tutorial["name"] = json!("tutorial");
    tutorial["scheduleParams"] =
        json!({"startTime": "1612310466", "frequency": "hour", "interval": 1, "backfill": "true"});
    let (tutorial_id, _) = api.create(&format!("{FLOW}/flows"), tutorial).await;
    let got: Items<FlowItem> = read(&api, &format!("{FLOW}/flows/{tutorial_id}")).await;
    assert_eq!(got.items[0].schedule_params, flow.schedule_params);
    let _ = api
        .send(api.request(Method::GET, &format!("{FLOW}/flows")))
        .await;
}
