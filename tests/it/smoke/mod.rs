//! `provision smoke` end to end against the emulator: every step matches
//! and nothing is left; a failure midway still deletes the connection; a
//! SIGTERM runs the clean-up and exits 130; a smoke run's leftover is
//! deleted by the next run, which says so; a prefixed connection it did not
//! make makes it refuse before creating anything.

mod dataflow;

use provision::api::{FlowService, ListQuery, Scope};
use provision::emulator::EmulatorConfig;

use crate::support::world::{ORG_AWS, ORG_AZURE, World};

fn smoke(world: &World, cloud: &str) -> crate::support::util::Finished {
    world
        .cmd_via(
            &world.url(),
            &["smoke", "--sandbox", "prod", "--cloud", cloud],
        )
        .run()
}

fn leftovers(world: &World, org: &str) -> usize {
    let client = world.client();
    world.runtime.block_on(async {
        client
            .list(&Scope::new(org, "prod"), &ListQuery::new())
            .await
            .unwrap()
            .iter()
            .filter(|i| i.name.starts_with("provision-smoke-"))
            .count()
    })
}

#[test]
fn every_step_matches_and_nothing_is_left_behind() {
    let world = World::new(EmulatorConfig::default());
    for (cloud, org) in [("aws", ORG_AWS), ("azure", ORG_AZURE)] {
        let run = smoke(&world, cloud).expect_code(0);
        let out = run.stdout();
        for step in [
            "create",
            "etag quoting",
            "read back",
            "secret masking",
            "sslMode read back",
            "list by name",
            "limit accepted",
            "pagination form",
            "update description",
            "rename",
            "delete",
            "gone",
        ] {
            let line = out
                .lines()
                .find(|l| l.contains(step))
                .unwrap_or_else(|| panic!("no `{step}` row:\n{out}"));
            assert!(line.trim_end().ends_with("yes"), "{line}");
        }
        assert!(out.contains("Smoke complete: 12 steps matched"), "{out}");
        assert!(
            !out.contains("smoke-") || !out.contains("password in clear"),
            "{out}"
        );
        assert_eq!(leftovers(&world, org), 0);
    }
}

#[test]
fn a_failure_midway_still_deletes_the_connection() {
    let world = World::new(EmulatorConfig {
        not_patchable: vec!["provision-smoke-".into()],
        ..EmulatorConfig::default()
    });
    let run = smoke(&world, "azure").expect_code(1);
    let out = run.stdout();
    let update = out
        .lines()
        .find(|l| l.starts_with("update description"))
        .unwrap_or_default();
    assert!(
        update.contains("FLOW-1445-400") && update.trim_end().ends_with("NO"),
        "{out}"
    );
    let clean = out
        .lines()
        .find(|l| l.starts_with("clean up"))
        .unwrap_or_default();
    assert!(clean.trim_end().ends_with("yes"), "{out}");
    assert!(
        run.stderr()
            .contains("did not match the client's assumptions"),
        "{}",
        run.stderr()
    );
    assert_eq!(
        leftovers(&world, ORG_AZURE),
        0,
        "the throwaway connection was deleted"
    );
}

/// A service that answers a rename but keeps the old name: the rename row
/// says so, the run fails, and the connection is still cleaned up.
#[test]
fn a_service_that_ignores_a_rename_fails_the_rename_step() {
    let world = World::new(EmulatorConfig {
        ignore_rename: vec!["provision-smoke-".into()],
        ..EmulatorConfig::default()
    });
    let run = smoke(&world, "azure").expect_code(1);
    let out = run.stdout();
    let rename = out
        .lines()
        .find(|l| l.starts_with("rename"))
        .unwrap_or_default();
    assert!(
        rename.contains("old name listed 1 time(s)") && rename.trim_end().ends_with("NO"),
        "{out}"
    );
    assert!(!out.contains("Smoke complete"), "{out}");
    assert_eq!(leftovers(&world, ORG_AZURE), 0, "{out}");
}

#[test]
fn a_leftover_with_the_prefix_makes_it_refuse_before_creating() {
    let world = World::new(EmulatorConfig::default());
    let client = world.client();
    let scope = Scope::new(ORG_AZURE, "prod");
    world.runtime.block_on(async {
        let body = provision::api::wire::CreateConnectionRequest {
            name: "provision-smoke-old".into(),
            ..crate::support::api::basic("x")
        };
        client.create(&scope, &body).await.unwrap();
    });
    let creates = || {
        let log = world.emulator.as_ref().unwrap().requests();
        log.iter()
            .filter(|r| r.method == "POST" && r.path == "/data/foundation/flowservice/connections")
            .count()
    };
    let posts_before = creates();
    let run = smoke(&world, "azure").expect_code(1);
    assert!(
        run.stderr()
            .contains("refusing to run: connection `provision-smoke-old`"),
        "{}",
        run.stderr()
    );
    assert_eq!(creates(), posts_before, "nothing was created");
    assert_eq!(
        leftovers(&world, ORG_AZURE),
        1,
        "and nothing of someone else's was deleted"
    );
}

#[test]
fn sigterm_runs_the_clean_up_and_exits_130() {
    use std::time::{Duration, Instant};
    let world = World::new(EmulatorConfig {
        latency: std::time::Duration::from_millis(300),
        ..EmulatorConfig::default()
    });
    let mut child = world
        .cmd_via(
            &world.url(),
            &["smoke", "--sandbox", "prod", "--cloud", "azure"],
        )
        .into_command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the throwaway connection exists, the CI job is cancelled.
    let start = Instant::now();
    while leftovers(&world, ORG_AZURE) == 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "never created");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = crate::apply::interrupt::wait_within(&mut child, Duration::from_secs(20));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(code, 130, "{stderr}");
    assert!(
        stderr.contains("smoke: interrupted; the clean-up ran"),
        "{stderr}"
    );
    assert_eq!(
        leftovers(&world, ORG_AZURE),
        0,
        "the throwaway connection was deleted"
    );
}

#[test]
fn a_leftover_of_a_killed_run_is_cleaned_up_by_the_next_run_which_says_so() {
    let world = World::new(EmulatorConfig::default());
    let client = world.client();
    let scope = Scope::new(ORG_AZURE, "prod");
    world.runtime.block_on(async {
        let body = provision::api::wire::CreateConnectionRequest {
            name: "provision-smoke-0123456789ab".into(),
            description: Some("provision smoke test: safe to delete".into()),
            ..crate::support::api::basic("x")
        };
        client.create(&scope, &body).await.unwrap();
    });
    let run = smoke(&world, "azure").expect_code(0);
    let out = run.stdout();
    let row = out
        .lines()
        .find(|l| l.starts_with("earlier leftover"))
        .unwrap_or_else(|| panic!("no leftover row:\n{out}"));
    assert!(
        row.contains("deleted `provision-smoke-0123456789ab`"),
        "{row}"
    );
    assert_eq!(leftovers(&world, ORG_AZURE), 0);
}
