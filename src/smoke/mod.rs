//! `provision smoke`: the first thing to run with real credentials. It
//! creates a uniquely named throwaway connection in a sandbox, reads it
//! back, lists it, updates and deletes it, and sets what the platform did
//! beside what the client assumes (README, "The platform"). It never
//! leaves anything behind and refuses to run over an earlier run's leftovers.

mod steps;

use std::path::PathBuf;

use crate::api::{FlowService, FlowServiceClient, ListQuery, Scope};
use crate::config::Cloud;
use crate::desired::{self, Environment};
use crate::error::{Error, Result};
use crate::workspace::{self, TargetOptions};
pub(crate) use steps::Step;

/// Every throwaway connection's name starts with this.
pub(crate) const PREFIX: &str = "provision-smoke-";

/// What `provision smoke` is asked for.
#[derive(Debug, Clone)]
pub(crate) struct SmokeOptions {
    pub sandbox: String,
    pub cloud: Cloud,
    pub settings_file: PathBuf,
    /// Hosts (`--endpoint`, `--ims`); state options are unused.
    pub target: TargetOptions,
}

/// What a run saw.
#[derive(Debug)]
pub(crate) struct SmokeReport {
    pub name: String,
    pub sandbox: String,
    pub steps: Vec<Step>,
    /// Set when the throwaway connection could not be deleted.
    pub left_behind: Option<String>,
}

impl SmokeReport {
    /// The table: step, observed, assumed, match.
    pub(crate) fn table(&self) -> String {
        let head = ["step", "observed", "assumed", "match"];
        let rows: Vec<[String; 4]> = self
            .steps
            .iter()
            .map(|s| {
                let verdict = if s.matches { "yes" } else { "NO" };
                [
                    s.name.to_owned(),
                    s.observed.clone(),
                    s.assumed.clone(),
                    verdict.to_owned(),
                ]
            })
            .collect();
        let width = |i: usize| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([head[i].len()])
                .max()
                .unwrap_or(0)
        };
        let widths = [width(0), width(1), width(2)];
        let line = |cells: [&str; 4]| {
            format!(
                "{:w0$}  {:w1$}  {:w2$}  {}\n",
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
        };
        let mut out = line(head);
        for r in &rows {
            out += &line([&r[0], &r[1], &r[2], &r[3]]);
        }
        out
    }
}

/// Runs the smoke test in `options.sandbox` of the org of `options.cloud`.
pub(crate) fn run(options: &SmokeOptions, env: &Environment) -> Result<SmokeReport> {
    if !valid_sandbox(&options.sandbox) {
        return Err(Error::Setup(format!(
            "`--sandbox {}` is not a sandbox name: expected lowercase letters, digits and `-`, starting with a letter or digit",
            options.sandbox.escape_debug()
        )));
    }
    let settings = workspace::settings_only(&options.settings_file)?;
    let lookup = |name: &str| env.get(name);
    let org = desired::orgs_from_settings(&settings, &lookup)
        .remove(&options.cloud)
        .ok_or_else(|| {
            Error::Setup(format!(
                "no IMS org configured for cloud `{}`: set `orgs.{}.imsOrg` in provision.yaml",
                options.cloud, options.cloud
            ))
        })?;
    let scope = Scope::new(org, &options.sandbox);
    workspace::runtime()?.block_on(async {
        let connected = workspace::connect(&options.target, &settings, env).await?;
        // A fresh password for the throwaway connection, masked in any answer.
        let password = format!("smoke-{}", uuid::Uuid::new_v4().simple());
        connected.api.redactor().add(&password);
        let report = smoke(&connected.api, &scope, options.cloud, password).await;
        connected.close().await;
        report
    })
}

fn valid_sandbox(name: &str) -> bool {
    name.len() <= 256
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Refuses over leftovers, then runs the steps and always cleans up.
async fn smoke(
    api: &FlowServiceClient,
    scope: &Scope,
    cloud: Cloud,
    password: String,
) -> Result<SmokeReport> {
    let listed = api
        .list(scope, &ListQuery::new().postgres())
        .await
        .map_err(Error::api(format!(
            "cannot list connections in sandbox `{}`",
            scope.sandbox
        )))?;
    if let Some(old) = listed.iter().find(|i| i.name.starts_with(PREFIX)) {
        return Err(Error::Failed(format!(
            "refusing to run: connection `{}` (id `{}`) in sandbox `{}` already has the prefix `{PREFIX}`; an earlier smoke run left it behind or someone else uses the prefix: delete it first",
            old.name.escape_debug(),
            old.id.escape_debug(),
            scope.sandbox
        )));
    }
    let mut run = steps::Run::new(api, scope, cloud, password);
    run.all().await;
    let left_behind = run.clean_up().await;
    Ok(SmokeReport {
        name: run.name.clone(),
        sandbox: scope.sandbox.clone(),
        steps: run.steps,
        left_behind,
    })
}
