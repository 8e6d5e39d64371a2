//! `renamedFrom` on a dataflow carried out: the four objects of the chain
//! state records under the earlier name renamed in place (same ids), the
//! state entry moved in one write, nothing created, orphaned or pruned; a
//! run stopped between the renames and the state write converging; and a
//! namesake that hangs off another chain's parents never taken for this
//! chain's object.

on_both_backends!(
    a_rename_patches_the_four_objects_in_place_and_moves_the_state_entry,
    prune_and_target_never_delete_a_renamed_chain,
    a_rename_whose_state_write_was_lost_converges,
    killed_renames_finish_without_duplicates,
    a_chain_left_half_made_under_the_earlier_name_is_moved_and_finished,
    a_source_change_with_a_rename_replaces_under_the_new_name,
    an_earlier_name_only_on_the_platform_is_adopted_and_renamed,
    a_connection_and_its_dataflow_renamed_in_one_apply,
    a_dataflow_follows_its_base_connections_new_name_without_a_replace,
    a_namesake_with_another_parent_is_not_adopted,
    both_names_in_state_is_a_plan_error_naming_the_line,
    a_saved_rename_applies_and_an_edited_one_changes_nothing,
);

use provision::api::ingestion::{CreateMappingSet, OutputSchema, SchemaRef, XED_FULL_V1};
use provision::api::ingestion_patches::mapping_ops;
use provision::api::wire::PatchOp;
use provision::api::{FlowService, MappingSetRef};
use provision::emulator::EmulatorConfig;
use provision::state::Part;
use serde_json::json;

use super::killed::{LAG, kill_rounds, killable};
use super::{
    Flow, Platform, assert_one_of_each_and_recorded, base, edit_record, mapping_of, mapping_sets,
    scope, settle, world, writes, writes_since,
};
use crate::output_schemas::assert_valid;
use crate::support::project::doc;
use crate::support::world::{Backend, World};

/// `flow`'s document with `renamedFrom: earlier`, in place of the file
/// that described `earlier`.
fn write_renamed(world: &World, flow: &Flow, earlier: &str) {
    world.remove(&format!("connections/flows/{earlier}.yaml"));
    world.write(
        &format!("connections/flows/{}.yaml", flow.name),
        &format!("{}renamedFrom: {earlier}\n", flow.yaml()),
    );
}

/// `flow` under the new name `name`.
fn named(flow: &Flow, name: &str) -> Flow {
    Flow {
        name: name.to_owned(),
        ..flow.clone()
    }
}

/// `text` with each of `ids` replaced by `<label>`.
fn masked(text: &str, ids: &[String; 4]) -> String {
    let labels = ["<source>", "<target>", "<flow>", "<mapping>"];
    ids.iter()
        .zip(labels)
        .fold(text.to_owned(), |text, (id, label)| text.replace(id, label))
}

/// The recorded (source, target, flow, mapping set) ids of `key`.
fn ids(world: &World, key: &str) -> [String; 4] {
    let state = world.state();
    let record = &state["dataflows"][key];
    ["sourceConnection", "targetConnection", "flow", "mappingSet"]
        .map(|part| record[part]["id"].as_str().unwrap_or_default().to_owned())
}

fn a_rename_patches_the_four_objects_in_place_and_moves_the_state_entry(backend: Backend) {
    let config = EmulatorConfig {
        record_exchanges: true,
        ..EmulatorConfig::default()
    };
    let Some(world) = world(backend, config) else {
        return;
    };
    base(&world, "orders-db");
    let old = Flow::new("orders-to-lake", "orders-db");
    old.write(&world);
    world.run(&["apply"]).expect_code(0);
    let before = ids(&world, &old.key());
    let state = world.state();
    let etag = |part: &str| {
        state["dataflows"][old.key()][part]["etag"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let recorded_etags = [etag("sourceConnection"), etag("targetConnection")];
    let new = named(&old, "orders-hourly");
    write_renamed(&world, &new, &old.name);

    let plan = world
        .run(&["plan", "--prune", "--detailed-exitcode"])
        .expect_code(2);
    insta::assert_snapshot!("dataflow_rename_text", masked(&plan.stdout(), &before));
    let markdown = world
        .run(&["plan", "--prune", "--format", "markdown"])
        .expect_code(0);
    let markdown = markdown.stdout();
    // From the summary on: the scene line names each backend's state.
    let shown = &markdown[markdown.find("**Plan").unwrap_or(0)..];
    insta::assert_snapshot!("dataflow_rename_markdown", masked(shown, &before));
    let json = world.run(&["plan", "--format", "json"]).expect_code(0);
    let planned: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_valid("plan.schema.json", &planned);
    insta::assert_json_snapshot!(
        "dataflow_rename_json",
        serde_json::json!({
            "dataflows": serde_json::from_str::<serde_json::Value>(
                &masked(&planned["dataflows"].to_string(), &before)
            ).unwrap(),
            "summary": planned["summary"],
        })
    );

    let sent_before = writes(&world);
    let run = world.run(&["apply", "--prune"]).expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains(&format!(
            "~ {}: renamed from `orders-to-lake` (id {})",
            new.key(),
            before[2]
        )) && out.contains("0 created, 0 adopted, 1 updated, 0 deleted, 0 failed"),
        "{out}"
    );
    let mut sent = masked(&writes_since(&world, &sent_before).join("\n"), &before)
        .lines()
        .map(|line| {
            line.rsplit_once(" /").map_or(line.to_owned(), |(m, p)| {
                let tail = p.rsplit('/').take(2).collect::<Vec<_>>();
                format!("{m} {}/{}", tail[1], tail[0])
            })
        })
        .collect::<Vec<_>>();
    sent.sort();
    assert_eq!(
        sent,
        [
            "PATCH flows/<flow>",
            "PATCH sourceConnections/<source>",
            "PATCH targetConnections/<target>",
            "PUT mappingSets/<mapping>",
        ],
        "exactly the four renames"
    );
    let exchanges = world.emulator.as_ref().unwrap().exchanges();
    for (collection, id, etag) in [
        ("sourceConnections", &before[0], &recorded_etags[0]),
        ("targetConnections", &before[1], &recorded_etags[1]),
    ] {
        let patch = exchanges
            .iter()
            .find(|e| e.method == "PATCH" && e.path.ends_with(&format!("/{collection}/{id}")))
            .unwrap();
        let if_match = patch
            .request_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("if-match"))
            .map(|(_, v)| v.trim_matches('"').to_owned());
        assert_eq!(
            if_match.as_deref(),
            Some(etag.trim_matches('"')),
            "{patch:#?}"
        );
        let body = patch.request_body.as_deref().unwrap_or_default();
        assert!(
            body.contains(r#""path":"/name""#) && body.contains(r#""value":"orders-hourly""#),
            "{body}"
        );
    }

    assert_eq!(ids(&world, &new.key()), before, "the same four objects");
    assert!(world.state()["dataflows"].get(old.key()).is_none());
    let platform = Platform::of(&world);
    assert_eq!(platform.count(&old.name), (0, 0, 0));
    assert!(mapping_sets(&world, &old.name).is_empty());
    let sets = mapping_sets(&world, &new.name);
    assert_one_of_each_and_recorded(&world, &[&new.name]);
    assert_eq!(
        mapping_of(platform.flow(&new.name)),
        (sets[0].id.clone(), sets[0].version.to_string()),
        "the flow runs the mapping set's version under the new name"
    );
    assert_eq!(
        world.state()["dataflows"][new.key()]["mappingVersion"],
        sets[0].version.to_string()
    );

    // Applied: nothing more to send, with the declaration or without it.
    let sent_before = writes(&world);
    world
        .run(&["apply", "--prune", "--detailed-exitcode"])
        .expect_code(0);
    world
        .run(&["plan", "--prune", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
    new.write(&world);
    world
        .run(&["plan", "--prune", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
    assert_eq!(writes_since(&world, &sent_before), Vec::<String>::new());
}

/// `--prune` (alone, or with `--target` on either key) never plans the
/// earlier key as an orphan: the chain is renamed, nothing is deleted.
fn prune_and_target_never_delete_a_renamed_chain(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let old = Flow::new("orders-to-lake", "orders-db");
    old.write(&world);
    world.run(&["apply"]).expect_code(0);
    let before = ids(&world, &old.key());
    let new = named(&old, "orders-hourly");
    write_renamed(&world, &new, &old.name);
    let sent_before = writes(&world);
    let only_old = world
        .run(&[
            "apply",
            "--prune",
            "--target",
            &old.key(),
            "--detailed-exitcode",
        ])
        .expect_code(0);
    assert!(
        !only_old.stdout().contains("- dataflow"),
        "{}",
        only_old.stdout()
    );
    assert_eq!(writes_since(&world, &sent_before), Vec::<String>::new());
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    assert!(
        !plan.stdout().contains("- dataflow") && !plan.stdout().contains("+ dataflow"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout()
            .contains("0 to create, 0 to adopt, 1 to update (1 renamed), 0 to delete"),
        "{}",
        plan.stdout()
    );
    let run = world
        .run(&[
            "apply",
            "--prune",
            "--target",
            &new.key(),
            "--format",
            "json",
        ])
        .expect_code(0);
    for line in run.stdout().lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_valid("apply-events.schema.json", &event);
    }
    assert!(
        run.stdout().contains(r#""action":"rename""#)
            && run.stdout().contains(r#""outcome":"renamed""#),
        "{}",
        run.stdout()
    );
    assert_eq!(ids(&world, &new.key()), before);
    assert_one_of_each_and_recorded(&world, &[&new.name]);
    assert!(
        !writes_since(&world, &sent_before)
            .iter()
            .any(|w| w.starts_with("DELETE") || w.starts_with("POST")),
        "nothing deleted or made"
    );
}

/// Renames `name`'s objects on the platform as an apply stopped before its
/// state write leaves them: the source connection, then with `all` the
/// target connection, a mapping-set version under the new name and the
/// flow (name and mapping version).
fn rename_on_the_platform(world: &World, ids: &[String; 4], new: &str, all: bool) {
    let client = world.client();
    let scope = scope();
    let name = [PatchOp::replace("/name", json!(new))];
    world.runtime.block_on(async {
        let source = client.get_source_connection(&scope, &ids[0]).await.unwrap();
        client
            .patch_source_connection(&scope, &ids[0], &source.etag, &name)
            .await
            .unwrap();
        if !all {
            return;
        }
        let target = client.get_target_connection(&scope, &ids[1]).await.unwrap();
        client
            .patch_target_connection(&scope, &ids[1], &target.etag, &name)
            .await
            .unwrap();
        let set = client.get_mapping_set(&scope, &ids[3], None).await.unwrap();
        let body = CreateMappingSet {
            name: new.to_owned(),
            output_schema: OutputSchema {
                schema_ref: SchemaRef {
                    id: set.schema_id.clone(),
                    content_type: XED_FULL_V1.to_owned(),
                },
            },
            mappings: set.mappings.clone(),
        };
        let made = client
            .update_mapping_set(&scope, &ids[3], &body)
            .await
            .unwrap();
        let flow = client.get_flow(&scope, &ids[2]).await.unwrap();
        let mut ops = name.to_vec();
        ops.extend(
            mapping_ops(
                &flow,
                &MappingSetRef {
                    id: ids[3].clone(),
                    version: made.version,
                },
            )
            .unwrap(),
        );
        client
            .patch_flow(&scope, &ids[2], &flow.etag, &ops)
            .await
            .unwrap();
    });
}

/// The renames landed but state was not written (the run was killed):
/// state still records the earlier key, the platform shows the new name,
/// all of it or only the source connection. The next plan shows the
/// rename again and apply makes nothing, deletes nothing, and moves the
/// record.
fn a_rename_whose_state_write_was_lost_converges(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let flows = [
        Flow::new("flow-a", "orders-db"),
        Flow::new("flow-b", "orders-db"),
    ];
    for flow in &flows {
        flow.write(&world);
    }
    world.run(&["apply"]).expect_code(0);
    let mut before = Vec::new();
    for (flow, all) in flows.iter().zip([true, false]) {
        let ids = ids(&world, &flow.key());
        let new = named(flow, &format!("{}-renamed", flow.name));
        rename_on_the_platform(&world, &ids, &new.name, all);
        write_renamed(&world, &new, &flow.name);
        before.push((new, ids));
    }
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    for (new, _) in &before {
        assert!(
            plan.stdout()
                .contains(&format!("~ {}  (rename ", new.key())),
            "{}",
            plan.stdout()
        );
    }
    let sent_before = writes(&world);
    world.run(&["apply", "--prune"]).expect_code(0);
    let sent = writes_since(&world, &sent_before);
    assert!(
        !sent
            .iter()
            .any(|w| w.starts_with("POST") || w.starts_with("DELETE")),
        "nothing made or deleted: {sent:#?}"
    );
    let names: Vec<&str> = before.iter().map(|(new, _)| new.name.as_str()).collect();
    assert_one_of_each_and_recorded(&world, &names);
    for (new, ids_before) in &before {
        assert_eq!(&ids(&world, &new.key()), ids_before, "{}", new.name);
    }
    let sent_before = writes(&world);
    world
        .run(&["apply", "--prune", "--detailed-exitcode"])
        .expect_code(0);
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
    assert_eq!(writes_since(&world, &sent_before), Vec::<String>::new());
}

/// `apply` of six renames over three connections killed at many points:
/// the next runs finish them with the same objects, each under its new
/// name and recorded, nothing left under an old name, nothing made twice.
fn killed_renames_finish_without_duplicates(backend: Backend) {
    let Some(world) = killable(backend) else {
        return;
    };
    let connections = ["orders-db", "billing-db", "invoices-db"];
    for name in connections {
        base(&world, name);
    }
    let olds: Vec<Flow> = (0..6)
        .map(|i| Flow::new(&format!("flow-{i}"), connections[i % 3]))
        .collect();
    for flow in &olds {
        flow.write(&world);
    }
    world.run(&["apply"]).expect_code(0);
    let mut before = Vec::new();
    for flow in &olds {
        let new = named(flow, &format!("renamed-{}", flow.name));
        before.push(ids(&world, &flow.key()));
        write_renamed(&world, &new, &flow.name);
    }
    kill_rounds(&world, backend, 8, 3);
    world.apply_until_done(&[], 4);
    settle(&world, LAG);
    world.assert_remote_exactly(3);
    let news: Vec<String> = olds.iter().map(|f| format!("renamed-{}", f.name)).collect();
    let names: Vec<&str> = news.iter().map(String::as_str).collect();
    assert_one_of_each_and_recorded(&world, &names);
    let platform = Platform::of(&world);
    for (old, ids_before) in olds.iter().zip(&before) {
        assert_eq!(platform.count(&old.name), (0, 0, 0), "{}", old.name);
        assert!(mapping_sets(&world, &old.name).is_empty(), "{}", old.name);
        let key = format!("dataflow/azure/prod/renamed-{}", old.name);
        assert_eq!(&ids(&world, &key), ids_before, "{key}: the same objects");
    }
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}

/// A run killed while it made the chain under the earlier name: the flow
/// was made but its answer lost (pending in state, not recorded). The
/// rename looks the pending flow up by the earlier name first, so the
/// chain keeps all four objects; they are renamed, the record moved and
/// the step finished.
fn a_chain_left_half_made_under_the_earlier_name_is_moved_and_finished(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let old = Flow::new("orders-to-lake", "orders-db");
    old.write(&world);
    world.run(&["apply"]).expect_code(0);
    let before = ids(&world, &old.key());
    edit_record(&world, &old.key(), |record| {
        record.set_object(Part::Flow, None);
        record
            .pending
            .insert(Part::Flow, "2026-01-01T00:00:00Z".into());
        record.applied = None;
        record.flow_state = None;
    });
    let new = named(&old, "orders-hourly");
    write_renamed(&world, &new, &old.name);
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    assert!(
        plan.stdout().contains(&format!(
            "+ {}  (create (rename orders-to-lake -> orders-hourly): state records it as `orders-to-lake`",
            new.key()
        )) && !plan.stdout().contains("- dataflow"),
        "{}",
        plan.stdout()
    );
    let sent_before = writes(&world);
    world.run(&["apply", "--prune"]).expect_code(0);
    let sent = writes_since(&world, &sent_before);
    assert!(
        !sent
            .iter()
            .any(|w| w.starts_with("DELETE") || (w.starts_with("POST") && !w.ends_with("/action"))),
        "nothing made again: {sent:#?}"
    );
    assert_eq!(ids(&world, &new.key()), before, "the same four objects");
    assert_one_of_each_and_recorded(&world, &[&new.name]);
    assert_eq!(Platform::of(&world).count(&old.name), (0, 0, 0));
    assert!(mapping_sets(&world, &old.name).is_empty());
    let sent_before = writes(&world);
    world
        .run(&["apply", "--prune", "--detailed-exitcode"])
        .expect_code(0);
    assert_eq!(writes_since(&world, &sent_before), Vec::<String>::new());
}

/// A rename with a new table and dataset: the chain is replaced under the
/// new name (new source and target connections and flow, the mapping set
/// kept and renamed), the earlier chain deleted and its key forgotten in
/// the same write that records the new one.
fn a_source_change_with_a_rename_replaces_under_the_new_name(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let old = Flow::new("orders-to-lake", "orders-db");
    old.write(&world);
    world.run(&["apply"]).expect_code(0);
    let before = ids(&world, &old.key());
    let mut new = named(&old, "invoices-to-lake");
    new.table = "public.invoices".into();
    new.columns = Some(vec!["invoice_id", "customer_name", "updated_at"]);
    new.dataset = "Invoices".into();
    new.mapping = vec![("invoice_id", "_id")];
    write_renamed(&world, &new, &old.name);
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    assert!(
        plan.stdout().contains(&format!(
            "-/+ {}  (replace (rename orders-to-lake -> invoices-to-lake `{}`)",
            new.key(),
            before[2]
        )) && !plan.stdout().contains("- dataflow"),
        "{}",
        plan.stdout()
    );
    world.run(&["apply", "--prune"]).expect_code(0);
    let after = ids(&world, &new.key());
    for part in 0..3 {
        assert_ne!(after[part], before[part], "part {part} is new");
    }
    assert_eq!(after[3], before[3], "the mapping set is kept");
    assert!(world.state()["dataflows"].get(old.key()).is_none());
    assert_one_of_each_and_recorded(&world, &[&new.name]);
    assert_eq!(Platform::of(&world).count(&old.name), (0, 0, 0));
    assert!(mapping_sets(&world, &old.name).is_empty());
    world
        .run(&["apply", "--prune", "--detailed-exitcode"])
        .expect_code(0);
}

/// State lost the dataflow (or never had it): the chain the platform
/// lists under the earlier name is adopted and renamed, not made again.
fn an_earlier_name_only_on_the_platform_is_adopted_and_renamed(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let old = Flow::new("orders-to-lake", "orders-db");
    old.write(&world);
    world.run(&["apply"]).expect_code(0);
    let before = ids(&world, &old.key());
    world.run(&["state", "rm", &old.key()]).expect_code(0);
    let new = named(&old, "orders-hourly");
    write_renamed(&world, &new, &old.name);
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout().contains(&format!("+ {}", new.key()))
            && plan
                .stdout()
                .contains("looks for the chain under its earlier name(s) `orders-to-lake`"),
        "{}",
        plan.stdout()
    );
    let sent_before = writes(&world);
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout()
            .contains(&format!("renamed from `orders-to-lake` (id {})", before[2])),
        "{}",
        run.stdout()
    );
    let sent = writes_since(&world, &sent_before);
    assert!(
        !sent
            .iter()
            .any(|w| w.starts_with("POST /data/foundation/flowservice/")
                && !w.ends_with("/action")
                || w.starts_with("POST /data/foundation/conversion")
                || w.starts_with("DELETE")),
        "nothing made: {sent:#?}"
    );
    assert_eq!(ids(&world, &new.key()), before, "the same four objects");
    assert_one_of_each_and_recorded(&world, &[&new.name]);
    assert_eq!(Platform::of(&world).count(&old.name), (0, 0, 0));
    let sent_before = writes(&world);
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
    assert_eq!(writes_since(&world, &sent_before), Vec::<String>::new());
}

/// `orders-db` renamed to `orders-primary` (`renamedFrom`) in its file.
fn rename_base(world: &World) {
    world.remove("connections/orders-db.yaml");
    world.write(
        "connections/orders-primary.yaml",
        &doc("orders-primary", "prod", "azure").replace(
            "name: orders-primary\n",
            "name: orders-primary\nrenamedFrom: orders-db\n",
        ),
    );
}

/// The base connection and the dataflow renamed in one apply (the
/// dataflow naming the connection's new name): both keep their ids, the
/// chain is renamed in place (no replace), and the next apply is empty.
fn a_connection_and_its_dataflow_renamed_in_one_apply(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let old = Flow::new("orders-to-lake", "orders-db");
    old.write(&world);
    world.run(&["apply"]).expect_code(0);
    let base_id = world.state()["connections"]["azure/prod/orders-db"]["id"].clone();
    let before = ids(&world, &old.key());
    rename_base(&world);
    let mut new = named(&old, "orders-hourly");
    new.connection = "orders-primary".into();
    write_renamed(&world, &new, &old.name);
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    let out = plan.stdout();
    assert!(
        out.contains("~ azure/prod/orders-primary  (rename orders-db -> orders-primary")
            && out.contains(&format!(
                "~ {}  (rename orders-to-lake -> orders-hourly",
                new.key()
            ))
            && !out.contains("-/+")
            && out.contains("0 to create, 0 to adopt, 2 to update (2 renamed), 0 to delete"),
        "{out}"
    );
    world.run(&["apply", "--prune"]).expect_code(0);
    assert_eq!(
        world.state()["connections"]["azure/prod/orders-primary"]["id"],
        base_id
    );
    assert_eq!(ids(&world, &new.key()), before, "renamed in place");
    assert_one_of_each_and_recorded(&world, &[&new.name]);
    let platform = Platform::of(&world);
    let source = platform.sources.iter().find(|s| s.id == before[0]).unwrap();
    assert_eq!(source.base_connection_id, base_id.as_str().unwrap());
    world.assert_remote_exactly(1);
    let sent_before = writes(&world);
    world
        .run(&["apply", "--prune", "--detailed-exitcode"])
        .expect_code(0);
    assert_eq!(writes_since(&world, &sent_before), Vec::<String>::new());
}

/// Only the base connection renamed, the dataflow's `source.connection`
/// following it: the same connection, so the chain is not replaced; the
/// new name is recorded in state and nothing is sent for the dataflow.
fn a_dataflow_follows_its_base_connections_new_name_without_a_replace(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let mut flow = Flow::new("orders-to-lake", "orders-db");
    flow.write(&world);
    world.run(&["apply"]).expect_code(0);
    let before = ids(&world, &flow.key());
    rename_base(&world);
    flow.connection = "orders-primary".into();
    flow.write(&world);
    let plan = world.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout()
            .contains(&format!("~ {}  (update", flow.key()))
            && plan
                .stdout()
                .contains(r#"source.connection: "orders-db" -> "orders-primary""#)
            && !plan.stdout().contains("-/+"),
        "{}",
        plan.stdout()
    );
    let sent_before = writes(&world);
    world.run(&["apply"]).expect_code(0);
    let sent = writes_since(&world, &sent_before);
    assert_eq!(sent.len(), 1, "only the connection's rename: {sent:#?}");
    assert!(sent[0].starts_with("PATCH") && sent[0].contains("/connections/"));
    assert_eq!(ids(&world, &flow.key()), before);
    assert_eq!(
        world.state()["dataflows"][flow.key()]["applied"]["source"]["connection"],
        "orders-primary"
    );
    world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
}

/// State records the earlier name and the new one (two dataflows, then
/// one document renamed from the other): the plan refuses, naming the
/// file and the line of `renamedFrom`, and nothing changes.
fn both_names_in_state_is_a_plan_error_naming_the_line(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let old = Flow::new("orders-to-lake", "orders-db");
    let new = named(&old, "orders-hourly");
    old.write(&world);
    new.write(&world);
    world.run(&["apply"]).expect_code(0);
    write_renamed(&world, &new, &old.name);
    let line = new.yaml().lines().count() + 1;
    let before = world.state();
    let sent_before = writes(&world);
    for command in ["plan", "apply"] {
        let refused = world.run(&[command, "--prune"]).expect_code(1);
        assert!(
            refused.stderr().contains(&format!(
                "connections/flows/orders-hourly.yaml:{line}: `{}` declares `renamedFrom: orders-to-lake`, but state records both `{}` and `{}`",
                new.key(),
                old.key(),
                new.key()
            )),
            "{}",
            refused.stderr()
        );
    }
    insta::assert_snapshot!(
        "dataflow_rename_both_recorded",
        world.run(&["plan"]).expect_code(1).stderr()
    );
    assert_eq!(world.state(), before, "nothing changed");
    assert_eq!(writes_since(&world, &sent_before), Vec::<String>::new());
}

/// A rename saved with `plan --out` is carried out by `apply --plan`; one
/// whose earlier name was edited to a name the document's `renamedFrom`
/// does not list changes nothing and says to plan again.
fn a_saved_rename_applies_and_an_edited_one_changes_nothing(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let old = Flow::new("orders-to-lake", "orders-db");
    old.write(&world);
    world.run(&["apply"]).expect_code(0);
    let before = ids(&world, &old.key());
    let new = named(&old, "orders-hourly");
    write_renamed(&world, &new, &old.name);
    world.run(&["plan", "--out", "rename.plan"]).expect_code(0);
    let saved = std::fs::read_to_string(world.path().join("rename.plan")).unwrap();
    assert!(
        saved.contains(r#""renamedFrom": "orders-to-lake""#),
        "{saved}"
    );
    world.write(
        "edited.plan",
        &replace_once(
            &saved,
            r#""renamedFrom": "orders-to-lake""#,
            r#""renamedFrom": "orders""#,
        ),
    );
    let state = world.state();
    let sent_before = writes(&world);
    let refused = world
        .run(&["apply", "--plan", "edited.plan"])
        .expect_code(1);
    assert!(
        refused.stdout().contains(
            "the plan renames `dataflow/azure/prod/orders-hourly` from `orders`, which its `renamedFrom` does not list: nothing was changed; plan again"
        ),
        "{}",
        refused.stdout()
    );
    assert_eq!(writes_since(&world, &sent_before), Vec::<String>::new());
    assert_eq!(world.state(), state);
    world
        .run(&["apply", "--plan", "rename.plan"])
        .expect_code(0);
    assert_eq!(ids(&world, &new.key()), before);
    assert_one_of_each_and_recorded(&world, &[&new.name]);
}

/// `text` with its one `from` replaced.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{text}");
    text.replace(from, to)
}

/// `name` over `billing-db`'s invoices into `Invoices`: another chain's
/// parents than [`Flow::new`]'s.
fn invoices(name: &str) -> Flow {
    let mut flow = Flow::new(name, "billing-db");
    flow.table = "public.invoices".into();
    flow.columns = Some(vec!["invoice_id", "customer_name", "updated_at"]);
    flow.dataset = "Invoices".into();
    flow.mapping = vec![("invoice_id", "_id")];
    flow
}

/// Someone else's chain of the same name (over another base connection,
/// into another dataset and schema) is not adopted, whether the names are
/// taken from the run's listing or looked up live (a saved plan): names
/// are not unique on the platform, so the chain is made beside it, and
/// theirs is left as it was.
fn a_namesake_with_another_parent_is_not_adopted(backend: Backend) {
    let Some(world) = world(backend, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    base(&world, "billing-db");
    for (name, saved) in [("orders-to-lake", false), ("orders-saved", true)] {
        let theirs = invoices(name);
        theirs.write(&world);
        world.run(&["apply"]).expect_code(0);
        let their_ids = ids(&world, &theirs.key());
        world.run(&["state", "rm", &theirs.key()]).expect_code(0);
        let ours = Flow::new(name, "orders-db");
        ours.write(&world);
        if saved {
            world.run(&["plan", "--out", "ours.plan"]).expect_code(0);
            world.run(&["apply", "--plan", "ours.plan"]).expect_code(0);
        } else {
            world.run(&["apply"]).expect_code(0);
        }
        let our_ids = ids(&world, &ours.key());
        for (ours, theirs) in our_ids.iter().zip(&their_ids) {
            assert_ne!(
                ours, theirs,
                "{name}: {our_ids:?} took one of {their_ids:?}"
            );
        }
        let platform = Platform::of(&world);
        assert_eq!(
            platform.count(name),
            (2, 2, 2),
            "{name}: one chain beside theirs"
        );
        let their_flow = platform
            .flows
            .iter()
            .find(|f| f.id == their_ids[2])
            .unwrap();
        assert_eq!(their_flow.source_connection_ids, [their_ids[0].clone()]);
        let sets = mapping_sets(&world, name);
        assert_eq!(sets.len(), 2, "{name}: {sets:#?}");
        let theirs_now = sets.iter().find(|s| s.id == their_ids[3]).unwrap();
        assert_eq!(
            theirs_now.version, 0,
            "{name}: their mapping set is untouched"
        );
        let before = writes(&world);
        world.run(&["apply", "--detailed-exitcode"]).expect_code(0);
        assert_eq!(writes_since(&world, &before), Vec::<String>::new());
    }
}

/// The dataflows guide's renaming example: the repository's example
/// dataflow applied, then renamed as the guide's document says, plans
/// what the guide shows (its flow id aside).
#[test]
fn the_dataflows_guide_shows_what_a_rename_plans() {
    use crate::docs::{blocks_at, replace};
    let (page, heading) = ("docs/guides/dataflows-as-code.md", "## Renaming");
    let Some(world) = world(Backend::File, EmulatorConfig::default()) else {
        return;
    };
    base(&world, "orders-db");
    let example = std::fs::read_to_string(
        crate::support::util::root().join("connections/prod/orders-to-lake.yaml"),
    )
    .unwrap();
    world.write("connections/flows/orders-to-lake.yaml", &example);
    world.run(&["apply"]).expect_code(0);
    let flow = ids(&world, "dataflow/azure/prod/orders-to-lake")[2].clone();
    let renamed = &blocks_at(page, heading, "yaml")[0].text;
    assert_eq!(
        *renamed,
        example.replace(
            "name: orders-to-lake\n",
            "name: orders-hourly\nrenamedFrom: orders-to-lake\n"
        ),
        "the guide renames the repository's example"
    );
    world.remove("connections/flows/orders-to-lake.yaml");
    world.write("connections/flows/orders-hourly.yaml", renamed);
    let plan = world.run(&["plan", "--prune"]).expect_code(0);
    let shown = &blocks_at(page, heading, "text")[0].text;
    let id = "0d5c9a3e-6f1b-4a52-9c1e-2b7f3d8e4a10";
    assert_eq!(plan.stdout(), replace(shown, id, &flow));
}
