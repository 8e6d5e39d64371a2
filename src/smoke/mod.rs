//! `provision smoke`: the first thing to run with real credentials. It
//! creates a uniquely named throwaway connection in a sandbox, reads it
//! back, lists it, updates and deletes it, and sets what the platform did
//! beside what the client assumes (README, "The platform"). It never
//! leaves anything behind: SIGINT/SIGTERM run the clean-up before exiting
//! 130, and a leftover of a run killed outright is deleted by the next run
//! (which says so); a prefixed connection it did not make is refused.

mod base;
mod dataflow;
mod described;
mod interrupt;
mod readback;
mod steps;
mod teardown;

use std::path::PathBuf;

use crate::api::{FlowService, FlowServiceClient, ListQuery, MappingSetRef, Scope};
use crate::config::{Cloud, Settings};
use crate::desired::{self, Environment};
use crate::error::{Error, Result};
use crate::workspace::{self, ConfigOptions, TargetOptions};
use base::Base;
pub(crate) use steps::Step;

/// Every throwaway connection's name starts with this.
pub(crate) const PREFIX: &str = "provision-smoke-";

/// Every throwaway connection's description starts with this: with the
/// prefix, it marks a leftover of an earlier run, safe to delete.
pub(crate) const MARK: &str = "provision smoke test";

/// What the chain reads and writes into: both named by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataflowSmoke {
    /// `schema.table` as explore lists it, through smoke's connection.
    pub table: String,
    /// A throwaway dataset, by exact name.
    pub dataset: String,
    /// `--dataflow-connection`: the described connection whose server,
    /// user and password smoke's connection copies (a name or a key).
    pub connection: Option<String>,
}

/// The chain's objects as they are made, so the clean-up deletes exactly
/// those (and looks up by name what a create cut short may have made).
#[derive(Debug, Default)]
pub(crate) struct Chain {
    pub name: String,
    pub source: Option<String>,
    pub target: Option<String>,
    pub flow: Option<String>,
    pub mapping: Option<MappingSetRef>,
    /// The flow, source and target are deleted (or were never made).
    pub deleted: bool,
}

/// What `provision smoke` is asked for.
#[derive(Debug, Clone)]
pub(crate) struct SmokeOptions {
    pub sandbox: String,
    pub cloud: Cloud,
    pub settings_file: PathBuf,
    /// Hosts (`--endpoint`, `--ims`); state options are unused.
    pub target: TargetOptions,
    /// A dataflow chain too, over the given table into the given dataset.
    pub dataflow: Option<DataflowSmoke>,
    /// The files or folders of the project's documents, where
    /// `--dataflow-connection` is looked for (as `plan` reads them).
    pub documents: Vec<PathBuf>,
}

/// What a run saw.
#[derive(Debug)]
pub(crate) struct SmokeReport {
    pub name: String,
    pub sandbox: String,
    pub steps: Vec<Step>,
    /// Set when the throwaway connection could not be deleted.
    pub left_behind: Option<String>,
    /// A SIGINT or SIGTERM stopped the steps (the clean-up still ran).
    pub interrupted: bool,
    /// The dataflow chain's name, and the mapping set it left (Data Prep
    /// has no delete), when `--dataflow-table` was given.
    pub chain: Option<(String, Option<String>)>,
}

impl SmokeReport {
    /// What an interrupted run says on stderr.
    pub(crate) fn interrupted_line(&self) -> String {
        let chain = if self.chain.is_some() {
            ", nor its dataflow chain but the mapping set"
        } else {
            ""
        };
        format!(
            "smoke: interrupted; the clean-up ran (connection `{}` in sandbox `{}` is not left behind{chain})",
            self.name, self.sandbox
        )
    }

    /// The last lines of a text report of a run where every step matched.
    pub(crate) fn complete_lines(&self) -> String {
        let mut out = format!(
            "Smoke complete: {} steps matched; connection `{}` was created and deleted in sandbox `{}`.\n",
            self.steps.len(),
            self.name,
            self.sandbox
        );
        if let Some((name, kept)) = &self.chain {
            let kept = kept
                .as_ref()
                .map(|id| format!("; its mapping set (id `{id}`) stays, Data Prep has no delete"))
                .unwrap_or_default();
            out += &format!(
                "The dataflow chain `{name}` over it was created, read back, disabled and deleted{kept}.\n"
            );
        }
        out
    }

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
    let mut target = options.target.clone();
    let (settings, _) = workspace::settings_for(&options.settings_file, &mut target, env)?;
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
    let base = base_for(options, &target, &settings, env)?;
    workspace::runtime()?.block_on(async {
        let connected = workspace::connect(&target, &settings, env).await?;
        // The throwaway connection's password, masked in any answer.
        connected.api.redactor().add(base.password.expose());
        let report = smoke(
            &connected.api,
            &scope,
            options.cloud,
            base,
            options.dataflow.clone(),
        )
        .await;
        connected.close().await;
        report
    })
}

/// What the throwaway connection points at: a copy of the described
/// connection `--dataflow-connection` names, else the placeholder server.
/// A chain over the placeholder is refused unless smoke talks to a local
/// emulator: the platform explores by connecting to the server.
fn base_for(
    options: &SmokeOptions,
    target: &TargetOptions,
    settings: &Settings,
    env: &Environment,
) -> Result<Base> {
    let Some(chain) = &options.dataflow else {
        return Ok(Base::placeholder(options.cloud));
    };
    let Some(name) = &chain.connection else {
        let endpoint = base::endpoint(target, settings, options.cloud);
        let Some(origin) = base::platform_origin(&endpoint) else {
            return Ok(Base::placeholder(options.cloud));
        };
        return Err(Error::Usage(format!(
            "`--dataflow-table {table}` needs `--dataflow-connection NAME` against the platform (`{origin}` is not a local emulator): the platform explores a table by connecting to the base connection's server, and smoke's own connection has none (`{host}`); name the connection of the project's documents whose server holds `{table}`, and smoke's throwaway connection copies its server, user and password",
            table = chain.table.escape_debug(),
            host = base::PLACEHOLDER_HOST,
        )));
    };
    let documents = ConfigOptions {
        paths: options.documents.clone(),
        settings: options.settings_file.clone(),
        allow_plaintext_secrets: false,
    };
    let wanted = described::Wanted {
        name,
        cloud: options.cloud,
        sandbox: &options.sandbox,
    };
    let environment = target.environment.as_deref();
    let resolved = described::resolve(&wanted, &documents, environment, settings, env)?;
    Base::copy(&resolved)
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
    base: Base,
    dataflow: Option<DataflowSmoke>,
) -> Result<SmokeReport> {
    let listed = api
        .list(scope, &ListQuery::new().postgres())
        .await
        .map_err(Error::api(format!(
            "cannot list connections in sandbox `{}`",
            scope.sandbox
        )))?;
    let prefixed = listed.iter().filter(|i| i.name.starts_with(PREFIX));
    let (ours, theirs): (Vec<_>, Vec<_>) = prefixed.partition(|i| {
        i.description
            .as_deref()
            .is_some_and(|d| d.starts_with(MARK))
    });
    if let Some(old) = theirs.first() {
        return Err(Error::Failed(format!(
            "refusing to run: connection `{}` (id `{}`) in sandbox `{}` has the prefix `{PREFIX}` but not a smoke run's description: someone else uses the prefix; delete or rename it first",
            old.name.escape_debug(),
            old.id.escape_debug(),
            scope.sandbox
        )));
    }
    let mut run = steps::Run::new(api, scope, cloud, base);
    // A chain reads through its connection: an earlier run's chain goes
    // before that run's connection.
    if dataflow.is_some() && !run.clean_chain_leftovers().await {
        let why = run
            .steps
            .last()
            .map(|s| s.observed.clone())
            .unwrap_or_default();
        return Err(Error::Failed(format!(
            "refusing to run: a leftover dataflow chain of an earlier smoke run in sandbox `{}` could not be deleted ({why}): delete it by hand",
            scope.sandbox
        )));
    }
    run.dataflow = dataflow;
    for old in ours {
        if !run.clean_leftover(old).await {
            return Err(Error::Failed(format!(
                "refusing to run: the leftover `{}` (id `{}`) of an earlier smoke run in sandbox `{}` could not be deleted: delete it by hand",
                old.name.escape_debug(),
                old.id.escape_debug(),
                scope.sandbox
            )));
        }
    }
    // The handlers are in place before anything is created.
    let mut signals = interrupt::Signals::new();
    let interrupted = tokio::select! {
        () = run.all() => false,
        () = signals.next() => true,
    };
    let left_behind = run.clean_up().await;
    Ok(SmokeReport {
        name: run.name.clone(),
        sandbox: scope.sandbox.clone(),
        steps: run.steps,
        chain: run
            .chain
            .as_ref()
            .map(|c| (c.name.clone(), c.mapping.as_ref().map(|m| m.id.clone()))),
        left_behind,
        interrupted,
    })
}
