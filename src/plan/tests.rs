//! The planner offline: `diff` over hand-made desired sets, states and
//! remote views, and the renderings as snapshots.

use std::collections::BTreeMap;

use super::render;
use super::*;
use crate::api::wire::{ConnectionItem, ItemAuth, SpecRef};
use crate::config::{Auth, AzureSslMode, BasicAuth, Cloud, Connection, SslMode};
use crate::state::{Record, State};

const ORG: &str = "ORG@AdobeOrg";

pub(super) fn desired(name: &str, description: &str) -> Desired {
    let connection = Connection {
        name: name.into(),
        description: Some(description.into()),
        sandbox: "prod".into(),
        cloud: Cloud::Azure,
        auth: Auth::Basic(BasicAuth {
            server: "db.example.com".into(),
            port: 5432,
            database: "app".into(),
            username: "aep".into(),
            password: "secret-canary".into(),
            ssl_mode: Some(SslMode::Azure(AzureSslMode::VerifyFull)),
        }),
        secret_version: None,
        renamed_from: None,
        protect: false,
        environments: None,
    };
    Desired {
        key: connection.key(),
        org: ORG.into(),
        fingerprint: format!("fp-{name}-{description}"),
        secret_hmac: None,
        source: format!("connections/{name}.yaml"),
        renamed_from_line: None,
        connection,
    }
}

fn record(id: &str, d: &Desired) -> Record {
    Record {
        id: id.into(),
        etag: "\"1\"".into(),
        org: ORG.into(),
        fingerprint: d.fingerprint.clone(),
        secret_hmac: None,
        created_at: "2026-11-26T00:00:00Z".into(),
        updated_at: "2026-11-26T00:00:00Z".into(),
        source: Some(format!("connections/{}.yaml", d.key.name)),
        secret_version: None,
        connection_string_parts: None,
        protect: false,
    }
}

pub(super) fn item(id: &str, name: &str, description: &str) -> ConnectionItem {
    let params = serde_json::json!({
        "server": "db.example.com", "port": "5432", "database": "app",
        "username": "aep", "password": "********", "sslMode": "Verify Full"
    });
    ConnectionItem {
        id: id.into(),
        name: name.into(),
        description: Some(description.into()),
        auth: Some(ItemAuth {
            spec_name: "Basic Authentication".into(),
            params: params.as_object().cloned().unwrap_or_default(),
        }),
        connection_spec: SpecRef::postgres(),
        state: "enabled".into(),
        version: None,
        etag: "\"1\"".into(),
        sandbox_name: "prod".into(),
        ims_org_id: ORG.into(),
        created_at: 0,
        updated_at: 0,
        created_client: String::new(),
        updated_client: String::new(),
    }
}

pub(super) fn state_with(records: &[(&Desired, &str)]) -> State {
    let mut state = State::new();
    state.lineage = "lineage-1".into();
    state.serial = 7;
    state.connections = records
        .iter()
        .map(|(d, id)| (d.key.clone(), record(id, d)))
        .collect::<BTreeMap<_, _>>();
    state
}

pub(super) fn options() -> PlanOptions {
    PlanOptions {
        max_deletes: 10,
        ..PlanOptions::default()
    }
}

#[test]
fn every_kind_of_action_in_one_plan() {
    let unchanged = desired("a-unchanged", "same");
    let mut changed = desired("b-changed", "new text");
    let created = desired("c-new", "new");
    let adopted = desired("d-adopt", "here");
    let drifted = desired("e-drift", "wanted");
    let old = desired("f-gone", "old");
    let changed_before = desired("b-changed", "old text");
    changed.fingerprint = "fp-different".into();
    let state = state_with(&[
        (&unchanged, "id-a"),
        (&changed_before, "id-b"),
        (&drifted, "id-e"),
        (&old, "id-f"),
    ]);
    let mut remote = RemoteView::new();
    remote.insert(
        Scope::new(ORG, "prod"),
        vec![
            item("id-a", "a-unchanged", "same"),
            item("id-b", "b-changed", "old text"),
            item("id-d", "d-adopt", "here"),
            item("id-e", "e-drift", "edited by hand"),
            item("id-f", "f-gone", "old"),
        ],
    );
    let all = [unchanged, changed, created, adopted, drifted];
    let plan = diff(
        &all,
        &state,
        Some(&remote),
        "hash".into(),
        &PlanOptions {
            prune: true,
            ..options()
        },
    )
    .unwrap();
    let kinds: Vec<(&str, ActionKind)> = plan
        .actions
        .iter()
        .map(|a| (a.key.name.as_str(), a.kind()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("a-unchanged", ActionKind::Unchanged),
            ("b-changed", ActionKind::Update),
            ("c-new", ActionKind::Create),
            ("d-adopt", ActionKind::Adopt),
            ("e-drift", ActionKind::Update),
            ("f-gone", ActionKind::Delete),
        ]
    );
    assert_eq!((plan.lineage.as_str(), plan.serial), ("lineage-1", 7));
    insta::assert_snapshot!("plan_text", render::text(&plan, true));
    insta::assert_snapshot!("plan_markdown", render::markdown(&plan));
    let json = render::json(&plan);
    assert!(!json.contains("secret-canary"));
    let back: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn without_prune_nothing_is_deleted_and_a_warning_says_so() {
    let kept = desired("kept", "x");
    let gone = desired("gone", "x");
    let state = state_with(&[(&kept, "1"), (&gone, "2")]);
    let plan = diff(&[kept], &state, None, "h".into(), &options()).unwrap();
    assert!(plan.is_empty());
    assert!(
        plan.warnings[0].contains("`azure/prod/gone`"),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn the_delete_guard_and_unknown_targets_refuse_the_plan() {
    let a = desired("a", "x");
    let b = desired("b", "x");
    let state = state_with(&[(&a, "1"), (&b, "2")]);
    let err = diff(
        &[],
        &state,
        None,
        "h".into(),
        &PlanOptions {
            prune: true,
            max_deletes: 1,
            ..options()
        },
    );
    assert_eq!(err, Err(PlanError::TooManyDeletes { count: 2, max: 1 }));
    let err = diff(
        &[a],
        &state,
        None,
        "h".into(),
        &PlanOptions {
            targets: vec!["azure/prod/zzz".parse().unwrap()],
            ..options()
        },
    );
    assert_eq!(err, Err(PlanError::UnknownTarget("azure/prod/zzz".into())));
}

#[test]
fn a_recorded_connection_deleted_remotely_is_created_again() {
    let a = desired("a", "x");
    let state = state_with(&[(&a, "gone-id")]);
    let mut remote = RemoteView::new();
    remote.insert(Scope::new(ORG, "prod"), vec![]);
    let plan = diff(&[a], &state, Some(&remote), "h".into(), &options()).unwrap();
    assert_eq!(plan.actions[0].kind(), ActionKind::Create);
    assert!(plan.actions[0].reasons[0].contains("deleted outside provision"));
}

#[test]
fn two_remote_namesakes_are_a_warning_not_a_guess() {
    let a = desired("a", "x");
    let mut remote = RemoteView::new();
    remote.insert(
        Scope::new(ORG, "prod"),
        vec![item("1", "a", "x"), item("2", "a", "x")],
    );
    let plan = diff(&[a], &State::new(), Some(&remote), "h".into(), &options()).unwrap();
    assert_eq!(plan.actions[0].kind(), ActionKind::Create);
    assert!(
        plan.warnings[0].contains("2 connections named `a`"),
        "{:?}",
        plan.warnings
    );
    assert!(
        plan.actions[0].blocked().is_some(),
        "apply must fail it, not create"
    );
}

#[test]
fn secret_changes_show_only_as_sensitive() {
    let mut a = desired("a", "x");
    a.secret_hmac = Some("new".into());
    let mut state = state_with(&[(&a, "1")]);
    if let Some(r) = state.connections.get_mut(&a.key) {
        r.secret_hmac = Some("old".into());
    }
    let plan = diff(&[a], &state, None, "h".into(), &options()).unwrap();
    assert_eq!(plan.actions[0].kind(), ActionKind::Update);
    let text = render::text(&plan, false);
    assert!(text.contains("secret: (sensitive value changed)"), "{text}");
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    let many: Vec<Desired> = (0..3000)
        .map(|i| desired(&format!("connection-with-a-long-name-{i:05}"), "x"))
        .collect();
    let plan = diff(&many, &State::new(), None, "h".into(), &options()).unwrap();
    let md = render::markdown(&plan);
    assert!(
        md.len() <= render::MARKDOWN_LIMIT,
        "{} characters",
        md.len()
    );
    assert!(md.contains("_Truncated:"), "no truncation note");
}

#[test]
fn a_namesake_in_any_state_but_deleting_is_never_created_again() {
    let d = desired("orders", "x");
    for (state, adopted) in [
        ("draft", true),
        ("Enabled", true),
        ("pending-validation", true),
        ("deleting", false),
        ("Deleted", false),
    ] {
        let mut found = item("id-1", "orders", "x");
        found.state = state.into();
        let mut remote = RemoteView::new();
        remote.insert(Scope::new(ORG, "prod"), vec![found]);
        let plan = diff(
            std::slice::from_ref(&d),
            &State::new(),
            Some(&remote),
            "h".into(),
            &options(),
        )
        .unwrap();
        let kind = plan.actions[0].kind();
        let expected = if adopted {
            ActionKind::Adopt
        } else {
            ActionKind::Create
        };
        assert_eq!(kind, expected, "a namesake in state `{state}`");
    }
}

#[test]
fn platform_text_in_the_pr_comment_renders_as_code_only() {
    let d = desired("orders", "wanted");
    let state = state_with(&[(&d, "id-1")]);
    let hostile = "x](https://evil.example) ![b](https://beacon.example/p.gif) @org/admins <img src=x> ``` `` `|\n# heading";
    let mut remote = RemoteView::new();
    remote.insert(
        Scope::new(ORG, "prod"),
        vec![item("id-1", "orders", hostile)],
    );
    let plan = diff(&[d], &state, Some(&remote), "h".into(), &options()).unwrap();
    let md = render::markdown(&plan);
    let row = md
        .lines()
        .find(|l| l.contains("description"))
        .unwrap_or_else(|| panic!("no description row in\n{md}"));
    assert!(!md.contains("\n# heading"), "{md}");
    let cell = row.trim_start_matches("| | | ").trim_end_matches(" |");
    // A fence longer than any backtick run inside, around the whole text.
    let fence: String = cell.chars().take_while(|c| *c == '`').collect();
    let inner = &cell[fence.len()..cell.len() - fence.len()];
    assert!(fence.len() > 3 && cell.ends_with(&fence), "{row}");
    assert!(!inner.contains(&fence), "{row}");
    assert!(
        inner.contains("\\|") && !inner.replace("\\|", "").contains('|'),
        "{row}"
    );
}

#[test]
fn one_id_listed_under_two_names_is_never_adopted_twice() {
    let a = desired("a", "x");
    let b = desired("b", "x");
    let mut remote = RemoteView::new();
    remote.insert(
        Scope::new(ORG, "prod"),
        vec![item("id-1", "a", "x"), item("id-1", "b", "x")],
    );
    let plan = diff(
        &[a, b],
        &State::new(),
        Some(&remote),
        "h".into(),
        &options(),
    )
    .unwrap();
    for action in &plan.actions {
        let reason = action.blocked().unwrap_or_default();
        assert!(reason.contains("`id-1` for 2 keys"), "{action:?}");
    }
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
}
