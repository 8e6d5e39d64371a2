//! `state protect|unprotect KEY` on connections, pending creates and
//! dataflows (under the lock, on both backends); `state rm` of a dataflow
//! key; `state list|show` of dataflows, complete and partial, checked
//! against the published output schemas.

use std::time::Duration;

use provision::config::{ConnectionKey, DataflowKey};
use provision::emulator::EmulatorConfig;
use provision::state::{
    Change, DataflowRecord, FileBackend, ObjectRef, Part, Pending, PostgresBackend, Record,
    StateBackend,
};

use crate::output_schemas::assert_valid;
use crate::support::state_db::state_url;
use crate::support::world::{Backend, ORG_AZURE, World};

on_both_backends!(protect_and_unprotect_set_the_mark_state_keeps);

const FLOW: &str = "dataflow/azure/prod/orders-to-lake";
const T: &str = "2026-12-01T00:00:00Z";

fn backend_of(world: &World) -> Box<dyn StateBackend> {
    match world.backend {
        Backend::File => Box::new(FileBackend::new(world.state_path())),
        Backend::Postgres => Box::new(
            PostgresBackend::new(
                &state_url(crate::support::state_db::state_server().unwrap()),
                &world.namespace,
            )
            .unwrap(),
        ),
    }
}

fn object(id: &str) -> Option<ObjectRef> {
    Some(ObjectRef {
        id: id.into(),
        etag: format!("\"{id}-etag\""),
    })
}

fn connection(id: &str, protect: bool) -> Record {
    Record {
        id: id.into(),
        etag: "\"1\"".into(),
        org: ORG_AZURE.into(),
        fingerprint: "f".repeat(64),
        secret_hmac: None,
        created_at: T.into(),
        updated_at: T.into(),
        source: Some("connections/orders.yaml".into()),
        secret_version: None,
        connection_string_parts: None,
        protect,
    }
}

/// A chain recorded up to `parts` objects (in creation order), the next
/// one's create pending.
fn dataflow(parts: usize) -> DataflowRecord {
    let mut record = DataflowRecord::new(ORG_AZURE, "base-1", T);
    for (n, part) in Part::ALL.into_iter().enumerate().take(parts) {
        record.set_object(
            part,
            object(&format!("{}-1", ["sc", "tc", "ms", "flow"][n])),
        );
    }
    if let Some(next) = Part::ALL.get(parts) {
        record.pending.insert(*next, T.into());
    }
    record.mapping_set.iter_mut().for_each(|m| m.etag.clear());
    record.source = Some("dataflows/orders.yaml".into());
    record
}

fn write(world: &World, changes: &[Change]) {
    let backend = backend_of(world);
    let _lock = backend.lock("test", Duration::ZERO).unwrap();
    let mut state = backend.load().unwrap();
    backend.record(&mut state, changes).unwrap();
}

fn flow_key() -> DataflowKey {
    FLOW.parse().unwrap()
}

fn protect_and_unprotect_set_the_mark_state_keeps(backend: Backend) {
    let Some(world) = World::on(backend, EmulatorConfig::default()) else {
        return;
    };
    let key: ConnectionKey = "azure/prod/orders-db".parse().unwrap();
    let pending: ConnectionKey = "azure/prod/billing-db".parse().unwrap();
    write(
        &world,
        &[
            Change::Upsert(key.clone(), connection("c-1", true)),
            Change::Pending(
                pending.clone(),
                Pending {
                    org: ORG_AZURE.into(),
                    started_at: T.into(),
                    protect: true,
                },
            ),
            Change::Dataflow(flow_key(), Box::new(dataflow(4))),
        ],
    );
    let state = || backend_of(&world).load().unwrap();

    let run = world
        .run(&["state", "unprotect", "azure/prod/orders-db"])
        .expect_code(0);
    insta::assert_snapshot!("unprotected", run.stdout());
    assert!(!state().connections[&key].protect);
    let again = world
        .run(&["state", "unprotect", "connection/azure/prod/orders-db"])
        .expect_code(0);
    assert_eq!(
        again.stdout(),
        "`azure/prod/orders-db` is not protected: nothing changed\n"
    );
    let run = world
        .run(&["state", "protect", "azure/prod/orders-db"])
        .expect_code(0);
    insta::assert_snapshot!("protected", run.stdout());
    assert!(state().connections[&key].protect);

    // A pending create keeps its document's mark: cleared the same way.
    world
        .run(&["state", "unprotect", "azure/prod/billing-db"])
        .expect_code(0);
    assert!(!state().pending[&pending].protect);

    world.run(&["state", "protect", FLOW]).expect_code(0);
    assert!(state().dataflows[&flow_key()].protect);
    let run = world.run(&["state", "unprotect", FLOW]).expect_code(0);
    assert!(
        run.stdout()
            .contains(&format!("`{FLOW}` is no longer protected")),
        "{}",
        run.stdout()
    );
    assert!(!state().dataflows[&flow_key()].protect);
    assert_eq!(state().dataflows[&flow_key()], dataflow(4));

    // Unknown keys: the closest recorded ones, of either kind.
    let typo = world
        .run(&["state", "unprotect", "azure/prod/orders-dbb"])
        .expect_code(1);
    assert!(
        typo.stderr()
            .contains("did you mean `azure/prod/orders-db`?"),
        "{}",
        typo.stderr()
    );
    let typo = world
        .run(&["state", "unprotect", "dataflow/azure/prod/orders-to-lak"])
        .expect_code(1);
    assert!(
        typo.stderr().contains("is not in state")
            && typo
                .stderr()
                .contains("did you mean `dataflow/azure/prod/orders-to-lake`?"),
        "{}",
        typo.stderr()
    );
    let by_name = world
        .run(&["state", "unprotect", "orders-to-lake"])
        .expect_code(1);
    assert!(
        by_name
            .stderr()
            .contains("did you mean `dataflow/azure/prod/orders-to-lake`?"),
        "{}",
        by_name.stderr()
    );

    // Under the state lock: another run holding it is exit 3, nothing changed.
    let backend = backend_of(&world);
    let held = backend.lock("provision apply", Duration::ZERO).unwrap();
    world
        .run(&["state", "protect", "azure/prod/orders-db"])
        .expect_code(3);
    drop(held);
    assert!(state().connections[&key].protect);
}

/// A partial chain: two objects recorded, the mapping set's create in
/// flight, the flow not created; beside a complete, protected one.
fn partial_world() -> World {
    let world = World::new(EmulatorConfig {
        record_exchanges: true,
        ..EmulatorConfig::default()
    });
    let mut complete = dataflow(4);
    complete.protect = true;
    complete.mapping_version = Some("0".into());
    complete.data_set_id = Some("ds-1".into());
    complete.schema_id = Some("https://ns.adobe.com/tenant/schemas/orders".into());
    complete.start_time = Some(1_764_547_200);
    complete.flow_state = Some("enabled".into());
    complete.columns = vec!["id".into(), "total".into()];
    complete.fingerprint = "d".repeat(64);
    for (part, id) in Part::ALL
        .into_iter()
        .zip(["sc-2", "tc-2", "ms-2", "flow-2"])
    {
        complete.set_object(part, object(id));
    }
    // Data Prep has no etags.
    complete.mapping_set.iter_mut().for_each(|m| m.etag.clear());
    write(
        &world,
        &[
            Change::Upsert(
                "azure/prod/orders-db".parse().unwrap(),
                connection("c-1", true),
            ),
            Change::Upsert(
                "azure/prod/billing-db".parse().unwrap(),
                connection("c-2", false),
            ),
            Change::Dataflow(flow_key(), Box::new(dataflow(2))),
            Change::Dataflow(
                "dataflow/azure/prod/billing-to-lake".parse().unwrap(),
                Box::new(complete),
            ),
        ],
    );
    world
}

#[test]
fn list_and_show_present_dataflows_complete_and_partial() {
    let world = partial_world();
    let list = world.run(&["state", "list"]).expect_code(0);
    insta::assert_snapshot!("list", list.stdout());
    let documented = &crate::docs::blocks_at(
        "docs/reference/commands/state.md",
        "# provision state",
        "text",
    )[0];
    assert!(
        list.stdout()
            .contains(&documented.text.replace("ABC123@AdobeOrg", ORG_AZURE)),
        "{}",
        documented.text
    );
    let json = world
        .run(&["state", "list", "--format", "json"])
        .expect_code(0)
        .json();
    assert_valid("state-list.schema.json", &json);
    assert_eq!(json["connections"][1]["protect"], true);
    let partial = &json["dataflows"][1];
    assert_eq!(partial["key"], FLOW);
    assert_eq!(partial["complete"], false);
    let statuses: Vec<&str> = partial["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["recorded", "recorded", "pending", "missing"]);

    let show = world.run(&["state", "show", FLOW]).expect_code(0).json();
    assert_valid("state-show.schema.json", &show);
    assert_eq!(show["kind"], "dataflow");
    assert_eq!(show["objects"][2]["pending_since"], T);
    let complete = world
        .run(&["state", "show", "dataflow/azure/prod/billing-to-lake"])
        .expect_code(0)
        .json();
    assert_valid("state-show.schema.json", &complete);
    assert_eq!(complete["protect"], true);
    let connection = world
        .run(&["state", "show", "azure/prod/orders-db"])
        .expect_code(0)
        .json();
    assert_valid("state-show.schema.json", &connection);
    assert_eq!(connection["protect"], true);
    assert_eq!(connection["kind"], "connection");

    let text = world
        .run(&["state", "show", FLOW, "--format", "text"])
        .expect_code(0);
    insta::assert_snapshot!("show_partial", text.stdout());
    let text = world
        .run(&[
            "state",
            "show",
            "dataflow/azure/prod/billing-to-lake",
            "--format",
            "text",
        ])
        .expect_code(0);
    insta::assert_snapshot!("show_complete", text.stdout());
}

#[test]
fn state_rm_of_a_dataflow_forgets_all_four_objects_and_touches_nothing_on_the_platform() {
    let world = partial_world();
    let rm = world.run(&["state", "rm", FLOW]).expect_code(0);
    insta::assert_snapshot!("rm_partial", rm.stdout());
    let rm = world
        .run(&["state", "rm", "dataflow/azure/prod/billing-to-lake"])
        .expect_code(0);
    insta::assert_snapshot!("rm_complete", rm.stdout());
    let state = FileBackend::new(world.state_path()).load().unwrap();
    assert!(state.dataflows.is_empty());
    assert_eq!(state.connections.len(), 2);
    assert!(
        world.emulator.as_ref().unwrap().exchanges().is_empty(),
        "a request was sent"
    );
    let again = world.run(&["state", "rm", FLOW]).expect_code(1);
    assert!(
        again
            .stderr()
            .contains(&format!("`{FLOW}` is not in state")),
        "{}",
        again.stderr()
    );
}

/// `state import` records the document's `protect`, as apply does.
#[test]
fn state_import_records_the_documents_protect() {
    let world = World::new(EmulatorConfig::default());
    world.connections(1);
    let protected = crate::support::world::connection_yaml(0, "generated") + "protect: true\n";
    world.write("connections/c0000.yaml", &protected);
    world.run(&["apply"]).expect_code(0);
    let key = "azure/prod/db-0000";
    let id = world.state()["connections"][key]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    world.run(&["state", "rm", key]).expect_code(0);
    world.run(&["state", "import", key, &id]).expect_code(0);
    assert_eq!(world.state()["connections"][key]["protect"], true);
    world.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}
