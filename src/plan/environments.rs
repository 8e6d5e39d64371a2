//! `plan --all-envs`: every environment's plan in one report, in settings
//! order, for one pull-request comment. Each section is the single-plan
//! rendering; an environment that failed keeps its place with its error.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use super::{Plan, render};

/// The format version of the `--all-envs` JSON document.
pub(crate) const ALL_ENVS_FORMAT_VERSION: u32 = 1;

/// `plan --all-envs --format json`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct AllEnvsPlan {
    /// The version of this document's format.
    pub format_version: u32,
    /// One entry per environment, in settings order.
    pub environments: Vec<EnvPlan>,
}

/// One environment's plan (the single-plan document, with its name), or
/// why it could not be made.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct EnvPlan {
    /// The environment's name.
    pub environment: String,
    /// Why this environment could not be planned (the others still were).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The plan, as `plan --format json` prints it.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
}

/// Each environment's outcome, in order.
pub(crate) type Outcomes = Vec<(String, Result<Plan, String>)>;

impl AllEnvsPlan {
    pub(crate) fn of(outcomes: Outcomes) -> Self {
        AllEnvsPlan {
            format_version: ALL_ENVS_FORMAT_VERSION,
            environments: outcomes
                .into_iter()
                .map(|(environment, outcome)| match outcome {
                    Ok(plan) => EnvPlan {
                        environment,
                        error: None,
                        plan: Some(plan),
                    },
                    Err(error) => EnvPlan {
                        environment,
                        error: Some(error),
                        plan: None,
                    },
                })
                .collect(),
        }
    }

    /// Pretty JSON with a trailing newline.
    pub(crate) fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// Text: a heading per environment, then its plan as `plan` prints it.
pub(crate) fn text(outcomes: &[(String, Result<Plan, String>)], verbose: bool) -> String {
    let mut out = String::new();
    for (i, (name, outcome)) in outcomes.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "=== environment `{name}` ===");
        match outcome {
            Ok(plan) => out.push_str(&render::text(plan, verbose)),
            Err(error) => {
                let _ = writeln!(out, "error: {error}");
            }
        }
    }
    out
}

/// Markdown: a `##` heading per environment over its single-plan comment.
pub(crate) fn markdown(outcomes: &[(String, Result<Plan, String>)]) -> String {
    let mut out = String::new();
    for (name, outcome) in outcomes {
        let _ = writeln!(out, "## Environment `{name}`\n");
        match outcome {
            Ok(plan) => out.push_str(&render::markdown(plan)),
            Err(error) => {
                let error = crate::escape::server_text(error).replace('`', "'");
                let _ = writeln!(out, "> :x: the plan failed: `{error}`");
            }
        }
        out.push('\n');
    }
    out
}
