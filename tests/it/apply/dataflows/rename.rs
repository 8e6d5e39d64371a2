//! `renamedFrom` on a dataflow carried out: the four objects of the chain
//! state records under the earlier name renamed in place (same ids), the
//! state entry moved in one write, nothing created, orphaned or pruned; a
//! run stopped between the renames and the state write converging; and a
//! namesake that hangs off another chain's parents never taken for this
//! chain's object.

on_both_backends!(a_namesake_with_another_parent_is_not_adopted,);

use provision::emulator::EmulatorConfig;

use super::{Flow, Platform, base, mapping_sets, world, writes, writes_since};
use crate::support::world::{Backend, World};

/// The recorded (source, target, flow, mapping set) ids of `key`.
fn ids(world: &World, key: &str) -> [String; 4] {
    let state = world.state();
    let record = &state["dataflows"][key];
    ["sourceConnection", "targetConnection", "flow", "mappingSet"]
        .map(|part| record[part]["id"].as_str().unwrap_or_default().to_owned())
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
