//! The ingestion path the emulator serves after a base connection (source
//! and target connections, flows, runs, explore, Data Prep mapping sets,
//! Catalog datasets): its rules, its faults, and Adobe's own Python client
//! walking Adobe's database tutorial against it.

mod cli;
mod client;
mod explore;
mod faults;
mod lookups;
mod rules;
mod runs;
mod tutorial;
mod wire_types;

use provision::emulator::{
    DatasetSeed, Emulator, EmulatorConfig, ExploreSource, FixtureColumn, FixtureTable,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::api::{self as support, headers};

pub const FLOW: &str = "/data/foundation/flowservice";
pub const PREP: &str = "/data/foundation/conversion";
pub const CATALOG: &str = "/data/foundation/catalog";
pub const POSTGRES: &str = "74a1c565-4e59-48d7-9d67-7c03b8a13137";
pub const DATA_LAKE: &str = "c604ff05-7f1a-43c0-8e18-33bf874cb11c";
pub const CRM_TO_AEP: &str = "14518937-270c-4525-bdec-c2ba7cce3860";
pub const SCHEMA: &str = "https://ns.adobe.com/acme/schemas/orders";

/// The emulator with the `Orders` dataset and an `public.orders` explore fixture.
pub fn config() -> EmulatorConfig {
    EmulatorConfig {
        datasets: vec![DatasetSeed {
            name: "Orders".into(),
            schema_id: SCHEMA.into(),
        }],
        explore: ExploreSource::Tables(vec![FixtureTable {
            path: "public.orders".into(),
            name: None,
            columns: [
                ("order_id", "integer"),
                ("customer_name", "text"),
                ("updated_at", "timestamp with time zone"),
            ]
            .into_iter()
            .map(|(name, pg_type)| FixtureColumn {
                name: name.into(),
                pg_type: pg_type.into(),
            })
            .collect(),
        }]),
        record_exchanges: true,
        ..support::config()
    }
}

/// Raw requests with a token, in one sandbox.
pub struct Api {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Api {
    pub async fn start(config: EmulatorConfig) -> (Emulator, Api) {
        Api::started(support::start(config).await).await
    }

    /// As [`Api::start`], without the suite's contract journal (for a test
    /// that reads its own exchange log).
    pub async fn start_unjournaled(config: EmulatorConfig) -> (Emulator, Api) {
        Api::started(Emulator::start(config).await.unwrap()).await
    }

    async fn started(emulator: Emulator) -> (Emulator, Api) {
        let url = emulator.url();
        let headers = headers(&support::token(&url).await, "prod");
        (emulator, Api { url, headers })
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.url));
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        request
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.request(Method::POST, path).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, etag: &str, ops: Value) -> (u16, Value) {
        let request = self
            .request(Method::PATCH, path)
            .header("if-match", etag)
            .json(&ops);
        self.send(request).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// Creates and returns `(id, etag)`, asserting `expected`.
    pub async fn create(&self, path: &str, body: Value) -> (String, String) {
        let (status, created) = self.post(path, body).await;
        assert!(status == 201 || status == 200, "{path}: {status} {created}");
        let etag = created["etag"].as_str().unwrap_or("").to_owned();
        (created["id"].as_str().unwrap().to_owned(), etag)
    }
}

/// The `FLOW-...` (or `MAPPER-`, `CAT-`) code of an error answer.
pub fn code(body: &Value) -> &str {
    body["type"]
        .as_str()
        .and_then(|t| t.rsplit('/').next())
        .unwrap_or("")
}

pub fn base_body(name: &str) -> Value {
    json!({"name": name, "auth": {"specName": "Basic Authentication", "params": {
        "server": "db.example", "port": "5432", "database": "shop", "username": "reader",
        "password": support::CANARY}},
        "connectionSpec": {"id": POSTGRES, "version": "1.0"}})
}

pub fn source_body(base: &str) -> Value {
    json!({"name": "orders-to-lake", "baseConnectionId": base, "data": {"format": "tabular"},
        "params": {"tableName": "public.orders", "columns": []},
        "connectionSpec": {"id": POSTGRES, "version": "1.0"}})
}

pub fn target_body(dataset: &str) -> Value {
    json!({"name": "orders-to-lake", "data": {"schema": {"id": SCHEMA,
        "version": "application/vnd.adobe.xed-full+json;version=1"}},
        "params": {"dataSetId": dataset}, "connectionSpec": {"id": DATA_LAKE, "version": "1.0"}})
}

pub fn mapping_body(name: &str) -> Value {
    json!({"name": name, "outputSchema": {"schemaRef": {"id": SCHEMA,
        "contentType": "application/vnd.adobe.xed-full+json;version=1"}},
        "mappings": [{"sourceType": "ATTRIBUTE", "source": "order_id", "destination": "_id"}]})
}

pub fn flow_body(source: &str, target: &str, mapping: &str, schedule: Value) -> Value {
    json!({"name": "orders-to-lake", "flowSpec": {"id": CRM_TO_AEP, "version": "1.0"},
        "sourceConnectionIds": [source], "targetConnectionIds": [target],
        "transformations": [
            {"name": "Copy", "params": {"deltaColumn": {"name": "updated_at"}}},
            {"name": "Mapping", "params": {"mappingId": mapping, "mappingVersion": "0"}}],
        "scheduleParams": schedule})
}

/// The ids of one whole chain, created in order.
pub struct Chain {
    pub base: String,
    pub source: String,
    pub target: String,
    pub mapping: String,
    pub flow: String,
    pub flow_etag: String,
}

pub async fn dataset_id(api: &Api) -> String {
    let (status, found) = api.get(&format!("{CATALOG}/dataSets?name=Orders")).await;
    assert_eq!(status, 200, "{found}");
    found.as_object().unwrap().keys().next().unwrap().clone()
}

pub async fn chain(api: &Api, schedule: Value) -> Chain {
    let (base, _) = api
        .create(&format!("{FLOW}/connections"), base_body("orders-db"))
        .await;
    let (source, _) = api
        .create(&format!("{FLOW}/sourceConnections"), source_body(&base))
        .await;
    let dataset = dataset_id(api).await;
    let (target, _) = api
        .create(&format!("{FLOW}/targetConnections"), target_body(&dataset))
        .await;
    let (mapping, _) = api
        .create(
            &format!("{PREP}/mappingSets"),
            mapping_body("orders-to-lake"),
        )
        .await;
    let (flow, flow_etag) = api
        .create(
            &format!("{FLOW}/flows"),
            flow_body(&source, &target, &mapping, schedule),
        )
        .await;
    Chain {
        base,
        source,
        target,
        mapping,
        flow,
        flow_etag,
    }
}

/// An hourly schedule starting in an hour.
pub fn hourly() -> Value {
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    json!({"startTime": start, "frequency": "hour", "interval": "1", "backfill": true})
}
