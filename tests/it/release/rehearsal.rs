//! The CI templates, rehearsed job by job against the in-process emulator
//! with two orgs standing in for `dev` and `prod`: every `provision` line
//! of every job runs in pipeline order, with the job's environment; a pull
//! request's jobs without any database password. A template that drifts
//! from the CLI (an unknown flag, a renamed subcommand) fails here.

use provision::api::{FlowService, ListQuery, Scope};
use serde_json::Value;

use super::pipelines::{arguments, template};
use crate::support::util::Finished;
use crate::support::world::{ORG_AWS, ORG_AZURE, World};

const PROD_AZURE: &str = "PRODAZURE@AdobeOrg";
const PROD_AWS: &str = "PRODAWS@AdobeOrg";

/// One job to run: its name, whether it belongs to a pull request (no
/// database password), its `$ENVIRONMENT`, and its `provision` lines.
struct Job {
    name: String,
    pull_request: bool,
    environment: Option<String>,
    lines: Vec<String>,
}

/// A project with environments `dev` and `prod` in two orgs of one emulator.
fn two_orgs() -> World {
    let mut world = World::new(Default::default());
    world.connections(5);
    world.write(
        "provision.yaml",
        &format!(
            "environments:\n  dev:\n    orgs: {{ azure: {{ imsOrg: \"{ORG_AZURE}\" }}, aws: {{ imsOrg: \"{ORG_AWS}\" }} }}\n    credentials: {{ clientId: \"${{DEV_AEP_CLIENT_ID}}\", clientSecret: \"${{DEV_AEP_CLIENT_SECRET}}\" }}\n  prod:\n    orgs: {{ azure: {{ imsOrg: \"{PROD_AZURE}\" }}, aws: {{ imsOrg: \"{PROD_AWS}\" }} }}\n    credentials: {{ clientId: \"${{PROD_AEP_CLIENT_ID}}\", clientSecret: \"${{PROD_AEP_CLIENT_SECRET}}\" }}\n"
        ),
    );
    for env in ["DEV", "PROD"] {
        world.set_env(
            &format!("{env}_AEP_CLIENT_ID"),
            provision::emulator::DEFAULT_CLIENT_ID,
        );
        world.set_env(
            &format!("{env}_AEP_CLIENT_SECRET"),
            provision::emulator::DEFAULT_CLIENT_SECRET,
        );
    }
    world.set_env("AEP_CLIENT_ID", "");
    world.set_env("AEP_CLIENT_SECRET", "");
    world.set_env("PROVISION_STATE_KEY", "k-rehearsal-0123456789");
    world
}

/// `provision` lines of a script (a string or a list of them).
fn lines_of(script: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut texts = Vec::new();
    match script {
        Value::String(s) => texts.push(s.as_str()),
        Value::Array(items) => texts.extend(items.iter().filter_map(Value::as_str)),
        _ => {}
    }
    for text in texts {
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("provision "))
                .map(str::to_owned),
        );
    }
    out
}

/// GitHub: jobs in file order, a matrix job once per environment.
fn github_jobs() -> Vec<Job> {
    let workflow = template("github-actions.yml");
    let mut jobs = Vec::new();
    for (name, job) in workflow["jobs"].as_object().unwrap() {
        let steps = job["steps"].as_array().unwrap();
        let lines: Vec<String> = steps.iter().flat_map(|s| lines_of(&s["run"])).collect();
        let pull_request = job["if"].as_str().unwrap_or("").contains("pull_request");
        let matrix = job["strategy"]["matrix"]["environment"].as_array();
        let environments: Vec<Option<String>> = match matrix {
            Some(envs) => envs.iter().map(|e| e.as_str().map(str::to_owned)).collect(),
            None => vec![None],
        };
        for environment in environments {
            jobs.push(Job {
                name: name.clone(),
                pull_request,
                environment,
                lines: lines.clone(),
            });
        }
    }
    jobs
}

/// GitLab: jobs in stage order (file order within a stage), `extends`
/// followed for the script and the stage.
fn gitlab_jobs() -> Vec<Job> {
    let pipeline = template("gitlab-ci.yml");
    let map = pipeline.as_object().unwrap();
    let stages: Vec<&str> = pipeline["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let field = |job: &Value, key: &str| -> Value {
        if !job[key].is_null() {
            return job[key].clone();
        }
        match job["extends"].as_str() {
            Some(parent) => map[parent][key].clone(),
            None => Value::Null,
        }
    };
    let mut jobs: Vec<(usize, Job)> = Vec::new();
    for (name, job) in map {
        if name.starts_with('.') || ["stages", "variables", "default"].contains(&name.as_str()) {
            continue;
        }
        let stage = field(job, "stage");
        let index = stages
            .iter()
            .position(|s| Some(*s) == stage.as_str())
            .unwrap_or_else(|| panic!("job `{name}` has no known stage"));
        jobs.push((
            index,
            Job {
                name: name.clone(),
                pull_request: field(job, "rules")
                    .to_string()
                    .contains("merge_request_event"),
                environment: job["variables"]["ENVIRONMENT"].as_str().map(str::to_owned),
                lines: lines_of(&field(job, "script")),
            },
        ));
    }
    jobs.sort_by_key(|(index, _)| *index);
    jobs.into_iter().map(|(_, job)| job).collect()
}

/// Runs every job's lines; returns each run with its job and arguments.
fn rehearse(world: &mut World, jobs: &[Job]) -> Vec<(String, String, Finished)> {
    let mut runs = Vec::new();
    for job in jobs {
        let password = if job.pull_request {
            ""
        } else {
            crate::support::world::CANARY
        };
        world.set_env("DB_PASSWORD", password);
        for line in &job.lines {
            let line = match &job.environment {
                Some(env) => line.replace("\"$ENVIRONMENT\"", env),
                None => line.clone(),
            };
            let args = arguments(&line);
            assert!(
                !args.iter().any(|a| a.contains('$')),
                "{}: unexpanded `{line}`",
                job.name
            );
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = world.run(&refs);
            let drift_check = refs.contains(&"--detailed-exitcode");
            assert!(
                run.code() == 0 || (drift_check && run.code() == 2),
                "{}: `{line}` exited {}\n--- stdout\n{}\n--- stderr\n{}",
                job.name,
                run.code(),
                run.stdout(),
                run.stderr()
            );
            runs.push((job.name.clone(), args.join(" "), run));
        }
    }
    runs
}

/// What every rehearsal shows: each plan names its org, the pull request
/// planned both environments without a password, both orgs got the
/// connections, and no drift is left.
fn check(world: &World, runs: &[(String, String, Finished)]) {
    for (job, args, run) in runs {
        let shown = run.stdout() + &run.stderr();
        if args.starts_with("plan") || args.starts_with("apply") {
            let org = if args.contains("-e prod") {
                PROD_AZURE
            } else {
                ORG_AZURE
            };
            assert!(
                shown.contains(org),
                "{job}: `{args}` does not name {org}:\n{shown}"
            );
        }
        if args.contains("--all-envs") {
            assert!(
                shown.contains(ORG_AZURE) && shown.contains(PROD_AZURE),
                "{shown}"
            );
        }
        assert!(!shown.contains(crate::support::world::CANARY), "{shown}");
    }
    for org in [ORG_AZURE, PROD_AZURE, ORG_AWS, PROD_AWS] {
        assert!(count_in(world, org) > 0, "nothing was created in {org}");
    }
    for env in ["dev", "prod"] {
        world
            .run(&["plan", "-e", env, "--refresh", "--detailed-exitcode"])
            .expect_code(0);
    }
}

/// The connections the emulator holds in `org` (sandboxes `dev`, `prod`).
fn count_in(world: &World, org: &str) -> usize {
    let client = world.client();
    world.runtime.block_on(async {
        let mut count = 0;
        for sandbox in ["dev", "prod"] {
            let scope = Scope::new(org, sandbox);
            count += client
                .list(&scope, &ListQuery::new().postgres())
                .await
                .unwrap()
                .len();
        }
        count
    })
}

#[test]
fn github_actions_template_rehearses_dev_then_prod_against_two_orgs() {
    let mut world = two_orgs();
    let jobs = github_jobs();
    let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "pull-request",
            "plan-dev",
            "apply-dev",
            "plan-prod",
            "apply-prod",
            "drift",
            "drift"
        ]
    );
    let runs = rehearse(&mut world, &jobs);
    check(&world, &runs);
}

#[test]
fn gitlab_template_rehearses_dev_then_prod_against_two_orgs() {
    let mut world = two_orgs();
    let jobs = gitlab_jobs();
    let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "validate",
            "plan",
            "plan:dev",
            "apply:dev",
            "plan:prod",
            "apply:prod",
            "drift:dev",
            "drift:prod"
        ]
    );
    let runs = rehearse(&mut world, &jobs);
    check(&world, &runs);
}

#[test]
fn a_reviewed_plan_is_refused_once_state_moved() {
    let mut world = two_orgs();
    world.set_env("DB_PASSWORD", crate::support::world::CANARY);
    let plan = github_jobs()
        .into_iter()
        .find(|j| j.name == "plan-dev")
        .unwrap()
        .lines[0]
        .clone();
    let refs: Vec<String> = arguments(&plan);
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    world.run(&refs).expect_code(0);
    // Another run changed state after the review.
    world
        .run(&["apply", "-e", "dev", "--target", "azure/prod/db-0000"])
        .expect_code(0);
    let before = count_in(&world, ORG_AZURE);
    let run = world
        .run(&[
            "apply",
            "-e",
            "dev",
            "--plan",
            "plan.json",
            "--auto-approve",
        ])
        .expect_code(1);
    assert!(run.stderr().contains("state serial"), "{}", run.stderr());
    assert_eq!(count_in(&world, ORG_AZURE), before);
}

#[test]
fn a_pull_request_cannot_send_credentials_elsewhere() {
    // A pull request edits provision.yaml: another host there, even with
    // `PROVISION_ALLOW_HOSTS` among its `vars`, receives nothing.
    let world = two_orgs();
    let settings = std::fs::read_to_string(world.path().join("provision.yaml")).unwrap();
    for extra in [
        "endpoint: https://collector.example.com\nims: https://collector.example.com\nvars: { PROVISION_ALLOW_HOSTS: collector.example.com }\n",
        "PROVISION_ALLOW_HOSTS: collector.example.com\n",
    ] {
        world.write("provision.yaml", &format!("{extra}{settings}"));
        let run = crate::support::util::provision()
            .current_dir(world.path())
            .env("DEV_AEP_CLIENT_ID", "id")
            .env("DEV_AEP_CLIENT_SECRET", "secret-never-sent")
            .env("DB_PASSWORD", "")
            .env_remove("PROVISION_ALLOW_HOSTS")
            .args(["plan", "-e", "dev", "--refresh"])
            .run()
            .expect_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains("is not an Adobe host") || stderr.contains("`PROVISION_ALLOW_HOSTS`"),
            "{stderr}"
        );
        assert!(!stderr.contains("secret-never-sent"), "{stderr}");
    }
}
