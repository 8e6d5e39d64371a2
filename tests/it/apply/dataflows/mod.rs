//! `provision apply` of dataflows (`kind: dataflow`) against the in-process
//! emulator over real HTTP, on both state backends: every kind of change
//! does what the plan said and only that, and faults, lost answers and
//! killed runs never leave a duplicate or an object state does not know.

mod adoption;
mod base;
mod changes;
mod drift;
mod events;
mod faults;
mod killed;
mod many;
mod rename;
mod replace;
mod tables;

use std::time::Duration;

use provision::api::dataflow::{FlowItem, SourceConnectionItem, TargetConnectionItem};
use provision::api::ingestion::MappingSetItem;
use provision::api::{FlowService, ListQuery, Scope};
use provision::emulator::{EmulatorConfig, Fixtures};
use serde_json::Value;

use provision::config::DataflowKey;
use provision::state::{Change, DataflowRecord, FileBackend, PostgresBackend, StateBackend};

use crate::support::project::doc;
use crate::support::state_db::{state_server, state_url};
use crate::support::world::{Backend, ORG_AZURE, World};

/// Two datasets and two tables, served to every base connection.
const FIXTURES: &str = "\
datasets:
  - name: Orders
    schema: https://ns.adobe.com/acme/schemas/orders
  - name: Invoices
    schema: https://ns.adobe.com/acme/schemas/invoices
explore:
  tables:
    - path: public.orders
      columns:
        - { name: order_id, type: integer }
        - { name: customer_name, type: text }
        - { name: updated_at, type: timestamp with time zone }
        - { name: changed_at, type: timestamp with time zone }
    - path: public.invoices
      columns:
        - { name: invoice_id, type: integer }
        - { name: customer_name, type: text }
        - { name: updated_at, type: timestamp with time zone }
";

/// `config` serving the datasets and tables the dataflows here read.
pub fn with_fixtures(config: EmulatorConfig) -> EmulatorConfig {
    config.with_fixtures(&Fixtures::parse(FIXTURES).unwrap())
}

/// A project on `backend` whose emulator (`config`) serves the fixtures;
/// `None` when PostgreSQL is not available here.
pub fn world(backend: Backend, config: EmulatorConfig) -> Option<World> {
    World::on(backend, with_fixtures(config))
}

/// Every dataflow here lives in Azure's `prod` sandbox.
pub fn scope() -> Scope {
    Scope::new(ORG_AZURE, "prod")
}

/// Writes base connection `name` (Azure, `prod`).
pub fn base(world: &World, name: &str) {
    world.write(
        &format!("connections/{name}.yaml"),
        &doc(name, "prod", "azure"),
    );
}

/// A dataflow document, field by field; [`Flow::yaml`] writes it.
#[derive(Debug, Clone)]
pub struct Flow {
    pub name: String,
    pub connection: String,
    pub table: String,
    pub columns: Option<Vec<&'static str>>,
    pub dataset: String,
    pub description: Option<String>,
    pub frequency: &'static str,
    pub interval: Option<u32>,
    pub backfill: Option<bool>,
    pub delta: Option<&'static str>,
    pub mapping: Vec<(&'static str, &'static str)>,
    pub enabled: bool,
    pub protect: bool,
}

impl Flow {
    /// `public.orders` of `connection` into `Orders`, hourly.
    pub fn new(name: &str, connection: &str) -> Flow {
        Flow {
            name: name.to_owned(),
            connection: connection.to_owned(),
            table: "public.orders".to_owned(),
            columns: Some(vec!["order_id", "customer_name", "updated_at"]),
            dataset: "Orders".to_owned(),
            description: Some("orders, hourly".to_owned()),
            frequency: "hour",
            interval: Some(1),
            backfill: None,
            delta: Some("updated_at"),
            mapping: vec![
                ("order_id", "_id"),
                ("customer_name", "person.name.fullName"),
            ],
            enabled: true,
            protect: false,
        }
    }

    pub fn yaml(&self) -> String {
        let mut y = format!(
            "kind: dataflow\nname: {}\nsandbox: prod\ncloud: azure\n",
            self.name
        );
        if let Some(description) = &self.description {
            y += &format!("description: {description}\n");
        }
        y += &format!(
            "source:\n  connection: {}\n  table: {}\n",
            self.connection, self.table
        );
        if let Some(columns) = &self.columns {
            y += &format!("  columns: [{}]\n", columns.join(", "));
        }
        y += &format!(
            "target:\n  dataset: {{ name: {} }}\nmapping:\n",
            self.dataset
        );
        for (source, destination) in &self.mapping {
            y += &format!("  - {{ source: {source}, destination: {destination} }}\n");
        }
        if let Some(column) = self.delta {
            y += &format!("delta: {{ column: {column} }}\n");
        }
        y += &format!("schedule:\n  frequency: {}\n", self.frequency);
        if let Some(interval) = self.interval {
            y += &format!("  interval: {interval}\n");
        }
        if let Some(backfill) = self.backfill {
            y += &format!("  backfill: {backfill}\n");
        }
        if !self.enabled {
            y += "enabled: false\n";
        }
        if self.protect {
            y += "protect: true\n";
        }
        y
    }

    /// Writes the document to `connections/flows/<name>.yaml`.
    pub fn write(&self, world: &World) {
        world.write(
            &format!("connections/flows/{}.yaml", self.name),
            &self.yaml(),
        );
    }

    /// `dataflow/azure/prod/<name>`.
    pub fn key(&self) -> String {
        format!("dataflow/azure/prod/{}", self.name)
    }
}

/// What the platform holds in the dataflows' scope, listed with the client.
pub struct Platform {
    pub sources: Vec<SourceConnectionItem>,
    pub targets: Vec<TargetConnectionItem>,
    pub flows: Vec<FlowItem>,
}

impl Platform {
    pub fn of(world: &World) -> Platform {
        let client = world.client();
        world.runtime.block_on(async {
            let scope = scope();
            let all = ListQuery::new();
            Platform {
                sources: client.list_source_connections(&scope, &all).await.unwrap(),
                targets: client.list_target_connections(&scope, &all).await.unwrap(),
                flows: client.list_flows(&scope, &all).await.unwrap(),
            }
        })
    }

    /// The one live flow named `name`; fails when there is not exactly one.
    pub fn flow(&self, name: &str) -> &FlowItem {
        let found: Vec<&FlowItem> = self
            .flows
            .iter()
            .filter(|f| f.name == name && f.is_live())
            .collect();
        assert_eq!(found.len(), 1, "flows named `{name}`: {found:#?}");
        found[0]
    }

    /// How many live objects named `name` there are: (sources, targets, flows).
    pub fn count(&self, name: &str) -> (usize, usize, usize) {
        (
            self.sources
                .iter()
                .filter(|i| i.name == name && i.is_live())
                .count(),
            self.targets
                .iter()
                .filter(|i| i.name == name && i.is_live())
                .count(),
            self.flows
                .iter()
                .filter(|i| i.name == name && i.is_live())
                .count(),
        )
    }
}

/// The mapping sets named `name`, current versions.
pub fn mapping_sets(world: &World, name: &str) -> Vec<MappingSetItem> {
    let client = world.client();
    world
        .runtime
        .block_on(client.find_mapping_sets_by_name(&scope(), name))
        .unwrap()
}

/// The flow's `Mapping` transformation: (mappingId, mappingVersion).
pub fn mapping_of(flow: &FlowItem) -> (String, String) {
    let params = &flow
        .transformations
        .iter()
        .find(|t| t.name == "Mapping")
        .unwrap_or_else(|| panic!("no Mapping transformation: {flow:#?}"))
        .params;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    (text(&params["mappingId"]), text(&params["mappingVersion"]))
}

/// Exactly one source connection, target connection, flow and mapping set
/// of each name, all recorded in state under the dataflow's key with the
/// platform's ids, nothing pending.
pub fn assert_one_of_each_and_recorded(world: &World, names: &[&str]) {
    let platform = Platform::of(world);
    let state = world.state();
    for name in names {
        assert_eq!(
            platform.count(name),
            (1, 1, 1),
            "(source, target, flow) named `{name}`"
        );
        let sets = mapping_sets(world, name);
        assert_eq!(sets.len(), 1, "mapping sets named `{name}`: {sets:#?}");
        let key = format!("dataflow/azure/prod/{name}");
        let record = &state["dataflows"][&key];
        assert!(record.is_object(), "`{key}` is not in state: {state:#}");
        let id = |part: &str| record[part]["id"].as_str().unwrap_or("").to_owned();
        let live = |items: Vec<(&str, &str)>| {
            items
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, id)| id.to_owned())
        };
        assert_eq!(
            Some(id("sourceConnection")),
            live(
                platform
                    .sources
                    .iter()
                    .filter(|i| i.is_live())
                    .map(|i| (i.name.as_str(), i.id.as_str()))
                    .collect()
            ),
            "{key}: {record:#}"
        );
        assert_eq!(
            Some(id("targetConnection")),
            live(
                platform
                    .targets
                    .iter()
                    .filter(|i| i.is_live())
                    .map(|i| (i.name.as_str(), i.id.as_str()))
                    .collect()
            ),
            "{key}: {record:#}"
        );
        assert_eq!(id("flow"), platform.flow(name).id, "{key}: {record:#}");
        assert_eq!(id("mappingSet"), sets[0].id, "{key}: {record:#}");
        assert!(record.get("pending").is_none(), "{key}: {record:#}");
        assert!(record.get("retired").is_none(), "{key}: {record:#}");
    }
    let recorded = state["dataflows"].as_object().map_or(0, |m| m.len());
    assert_eq!(recorded, names.len(), "dataflows in state: {state:#}");
}

/// The requests that change something (anything but a read or a token)
/// the emulator has received so far, as `METHOD path`.
pub fn writes(world: &World) -> Vec<String> {
    world
        .emulator
        .as_ref()
        .unwrap()
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.starts_with("/ims/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// The writes since `before` (a [`writes`] result taken earlier).
pub fn writes_since(world: &World, before: &[String]) -> Vec<String> {
    writes(world).split_off(before.len())
}

/// Waits out the emulator's listing lag before counting.
pub fn settle(world: &World, lag: Duration) {
    world.wait(lag + Duration::from_millis(200));
}

/// Changes the state record of dataflow `key` as a run killed at some
/// point would have left it, through the library, on either backend.
pub fn edit_record(world: &World, key: &str, edit: impl FnOnce(&mut DataflowRecord)) {
    let backend: Box<dyn StateBackend> = match world.backend {
        Backend::File => Box::new(FileBackend::new(world.state_path())),
        Backend::Postgres => Box::new(
            PostgresBackend::new(&state_url(state_server().unwrap()), &world.namespace).unwrap(),
        ),
    };
    let _lock = backend.lock("test", Duration::ZERO).unwrap();
    let mut state = backend.load().unwrap();
    let key: DataflowKey = key.parse().unwrap();
    let mut record = state.dataflows[&key].clone();
    edit(&mut record);
    backend
        .record(&mut state, &[Change::Dataflow(key, Box::new(record))])
        .unwrap();
}
