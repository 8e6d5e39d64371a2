//! IMS org ids are normalised before any use or comparison: a secret
//! store's surrounding whitespace is trimmed (HTTP trims header values, so
//! it would not tell two orgs apart), and one left with whitespace or a
//! control character inside is refused, naming the setting.

use provision::emulator::EmulatorConfig;

use crate::support::world::World;

fn with_org_variables(world: &mut World, azure: &str, aws: &str) {
    let path = world.path().join("provision.yaml");
    let settings = std::fs::read_to_string(&path).unwrap();
    let settings = settings
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("azure:") && line.contains("imsOrg") {
                "  azure: { imsOrg: \"${AZURE_ORG}\" }".to_owned()
            } else if line.trim_start().starts_with("aws:") && line.contains("imsOrg") {
                "  aws: { imsOrg: \"${AWS_ORG}\" }".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&path, settings + "\n").unwrap();
    world.set_env("AZURE_ORG", azure);
    world.set_env("AWS_ORG", aws);
}

#[test]
fn one_org_for_both_clouds_up_to_whitespace_is_refused_before_any_request() {
    let mut world = World::new(EmulatorConfig::default());
    world.connections(3);
    with_org_variables(&mut world, "SAME@AdobeOrg", "SAME@AdobeOrg \n");
    let run = world.run(&["plan"]);
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert_ne!(run.code(), 0, "{all}");
    assert!(
        all.contains("`orgs.azure.imsOrg` and `orgs.aws.imsOrg` are both `SAME@AdobeOrg`"),
        "{all}"
    );
    let requests = world.emulator.as_ref().unwrap().requests();
    assert!(requests.is_empty(), "{requests:?}");
}

#[test]
fn an_org_with_whitespace_inside_is_refused_naming_the_setting() {
    let mut world = World::new(EmulatorConfig::default());
    world.connections(3);
    with_org_variables(&mut world, "AZ\nURE@AdobeOrg", "AWS@AdobeOrg");
    let run = world.run(&["plan"]);
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert_ne!(run.code(), 0, "{all}");
    assert!(all.contains("settings `orgs.azure.imsOrg`"), "{all}");
    assert!(!all.contains("gave up after"), "{all}");
}

#[test]
fn surrounding_whitespace_is_trimmed_before_use() {
    let mut world = World::new(EmulatorConfig::default());
    world.connections(3);
    let azure = crate::support::world::ORG_AZURE;
    let aws = crate::support::world::ORG_AWS;
    with_org_variables(&mut world, &format!(" {azure}\n"), &format!("{aws} "));
    world.run(&["apply"]).expect_code(0);
    let state = world.state();
    let orgs: Vec<&str> = state["connections"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|r| r["org"].as_str())
        .collect();
    assert!(orgs.iter().all(|o| *o == azure || *o == aws), "{orgs:?}");
}
