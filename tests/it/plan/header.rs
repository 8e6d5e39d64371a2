//! Every plan and apply names where it acts before anything else, in every
//! format (environment, org and host per cloud, sandboxes, state; never a
//! password), `-q` included; a saved plan keeps it and is refused in
//! another org.

use provision::emulator::EmulatorConfig;
use serde_json::Value;

use crate::support::world::{Backend, ORG_AWS, ORG_AZURE, World};

fn world(backend: Backend) -> Option<World> {
    let world = World::on(backend, EmulatorConfig::default())?;
    world.connections(3);
    Some(world)
}

/// The header's first line names the state; then one line per cloud.
fn assert_header(text: &str, world: &World) {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    assert!(first.starts_with("Acting on state "), "{text}");
    match world.backend {
        Backend::File => assert!(first.contains("file `.provision/state.json`"), "{text}"),
        Backend::Postgres => {
            assert!(first.contains("postgres `postgres://"), "{text}");
            assert!(
                first.contains(&format!("namespace `{}`", world.namespace)),
                "{text}"
            );
        }
    }
    let url = world.url();
    assert_eq!(
        lines.next(),
        Some(format!("  azure org `{ORG_AZURE}` at {url}, sandboxes `dev`, `prod`").as_str()),
        "{text}"
    );
    assert_eq!(
        lines.next(),
        Some(format!("  aws org `{ORG_AWS}` at {url}, sandbox `prod`").as_str()),
        "{text}"
    );
}

fn assert_no_secret(world: &World, text: &str) {
    for secret in world.secrets() {
        assert!(!text.contains(secret), "a secret was printed: {text}");
    }
}

fn assert_where(value: &Value, world: &World) {
    let targets = value["targets"].as_array().unwrap();
    let orgs: Vec<(&str, &str)> = targets
        .iter()
        .map(|t| (t["cloud"].as_str().unwrap(), t["org"].as_str().unwrap()))
        .collect();
    assert_eq!(orgs, [("azure", ORG_AZURE), ("aws", ORG_AWS)], "{value}");
    assert_eq!(targets[0]["endpoint"], world.url(), "{value}");
    assert_eq!(targets[0]["sandboxes"], serde_json::json!(["dev", "prod"]));
    assert!(
        value["state"].as_str().unwrap().contains("state"),
        "{value}"
    );
}

fn plan_names_where_it_acts_in_every_format(backend: Backend) {
    let Some(world) = world(backend) else { return };
    for quiet in [false, true] {
        let args: &[&str] = if quiet { &["plan", "-q"] } else { &["plan"] };
        let text = world.run(args).expect_code(0);
        assert_header(&text.stderr(), &world);
        assert_no_secret(&world, &text.stderr());
    }
    let json = world.run(&["plan", "--format", "json"]).expect_code(0);
    let plan = json.json();
    let keys: Vec<&String> = plan.as_object().unwrap().keys().collect();
    assert_eq!(keys[..2], ["format_version", "where"], "{plan}");
    assert_where(&plan["where"], &world);
    assert_no_secret(&world, &json.stdout());
    let markdown = world
        .run(&["plan", "--format", "markdown"])
        .expect_code(0)
        .stdout();
    let line = markdown.lines().nth(2).unwrap_or_default();
    assert!(
        line.starts_with("Acting on azure org ` TESTAZURE@AdobeOrg ` at "),
        "{markdown}"
    );
    assert!(line.contains("aws org ` TESTAWS@AdobeOrg `"), "{markdown}");
    assert_no_secret(&world, &markdown);
}

fn apply_names_where_it_acts_first(backend: Backend) {
    let Some(world) = world(backend) else { return };
    let quiet = world.run(&["apply", "-q"]).expect_code(0);
    assert_header(&quiet.stderr(), &world);
    assert_no_secret(&world, &quiet.stderr());
    world.connections(4);
    let json = world.run(&["apply", "--format", "json"]).expect_code(0);
    let first: Value = serde_json::from_str(json.stdout().lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "version", "{first}");
    assert_where(&first, &world);
    assert_no_secret(&world, &json.stdout());
}

fn a_saved_plan_is_refused_in_another_org(backend: Backend) {
    let Some(world) = world(backend) else { return };
    world.run(&["plan", "--out", "plan.json"]).expect_code(0);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(world.path().join("plan.json")).unwrap())
            .unwrap();
    assert_where(&saved["where"], &world);
    let settings = world.path().join("provision.yaml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, text.replace(ORG_AZURE, "OTHER@AdobeOrg")).unwrap();
    let before = world.emulator.as_ref().unwrap().requests().len();
    let run = world.run(&["apply", "--plan", "plan.json"]).expect_code(1);
    assert!(
        run.stderr().contains(&format!(
            "the saved plan was made for azure org `{ORG_AZURE}`, but this run acts in org `OTHER@AdobeOrg`"
        )),
        "{}",
        run.stderr()
    );
    assert_eq!(world.emulator.as_ref().unwrap().requests().len(), before);
}

on_both_backends!(
    plan_names_where_it_acts_in_every_format,
    apply_names_where_it_acts_first,
    a_saved_plan_is_refused_in_another_org,
);

/// Two environments over two orgs of one emulator, state per environment.
fn environments() -> World {
    let world = World::new(EmulatorConfig::default());
    world.connections(3);
    world.write(
        "provision.yaml",
        &format!(
            "credentials:\n  clientId: ${{AEP_CLIENT_ID}}\n  clientSecret: ${{AEP_CLIENT_SECRET}}\nenvironments:\n  dev:\n    orgs: {{ azure: {{ imsOrg: \"{ORG_AZURE}\" }}, aws: {{ imsOrg: \"{ORG_AWS}\" }} }}\n  prod:\n    orgs: {{ azure: {{ imsOrg: \"PRODAZURE@AdobeOrg\" }}, aws: {{ imsOrg: \"PRODAWS@AdobeOrg\" }} }}\n"
        ),
    );
    world
}

#[test]
fn the_environment_leads_the_header_and_binds_a_saved_plan() {
    let world = environments();
    let dev = world.run(&["plan", "-e", "dev"]).expect_code(0);
    assert!(
        dev.stderr()
            .starts_with("Acting on environment `dev`, state file `.provision/state.dev.json`\n"),
        "{}",
        dev.stderr()
    );
    let json = world
        .run(&["plan", "-e", "prod", "--format", "json"])
        .expect_code(0);
    assert_eq!(json.json()["where"]["environment"], "prod");
    assert_eq!(
        json.json()["where"]["targets"][0]["org"],
        "PRODAZURE@AdobeOrg"
    );
    world
        .run(&["plan", "-e", "dev", "--out", "plan.json"])
        .expect_code(0);
    let before = world.emulator.as_ref().unwrap().requests().len();
    let run = world
        .run(&["apply", "-e", "prod", "--plan", "plan.json"])
        .expect_code(1);
    assert!(
        run.stderr().contains(
            "the saved plan was made for environment `dev`, but this run is for environment `prod`"
        ),
        "{}",
        run.stderr()
    );
    assert_eq!(world.emulator.as_ref().unwrap().requests().len(), before);
    let apply = world
        .run(&[
            "apply",
            "-e",
            "dev",
            "--plan",
            "plan.json",
            "--format",
            "json",
        ])
        .expect_code(0);
    let first: Value = serde_json::from_str(apply.stdout().lines().next().unwrap()).unwrap();
    assert_eq!(first["environment"], "dev", "{first}");
}
