//! A GitHub job run once per environment (a matrix over `environment`)
//! hands each leg only its own environment's secrets: the dev leg of the
//! drift check must never hold prod's credentials.

use super::pipelines::template;

#[test]
fn each_matrix_leg_gets_only_its_environments_secrets() {
    let workflow = template("github-actions.yml");
    let mut checked = 0;
    for (name, job) in workflow["jobs"].as_object().unwrap() {
        let Some(legs) = job["strategy"]["matrix"]["environment"].as_array() else {
            continue;
        };
        let legs: Vec<&str> = legs.iter().filter_map(|l| l.as_str()).collect();
        let Some(env) = job["env"].as_object() else {
            continue;
        };
        for (key, value) in env {
            let value = value.as_str().unwrap_or_default();
            for leg in &legs {
                let prefix = format!("secrets.{}_", leg.to_ascii_uppercase());
                if !value.contains(&prefix) {
                    continue;
                }
                checked += 1;
                assert!(
                    value.contains(&format!("matrix.environment == '{leg}' && {prefix}")),
                    "job `{name}`: `{key}` gives every leg `{leg}`'s secret: {value}"
                );
            }
        }
    }
    assert!(checked >= 4, "no matrix job with per-environment secrets");
}
