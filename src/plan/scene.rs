//! Where a run acts: the environment, per cloud the org, Flow Service host
//! and sandboxes, and the state it records into. Built once per plan or
//! apply, printed first in every format and kept in saved plans, so that a
//! plan made for one org is never carried out in another.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::Cloud;

/// Where a run acts (never a password: a database URL is shown redacted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Scene {
    /// The environment selected with `-e`/`PROVISION_ENV`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Per cloud in play (in the config or in state): its org, host and sandboxes.
    pub targets: Vec<Target>,
    /// The state the run reads and records into, e.g. ``file `.provision/state.json` ``
    /// or ``postgres `postgres://app:***@db/state` namespace `default` ``.
    pub state: String,
}

/// One cloud a run acts in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Target {
    pub cloud: Cloud,
    /// The IMS org id.
    pub org: String,
    /// The Flow Service host (`emulator` for an in-process emulator).
    pub endpoint: String,
    /// The sandboxes of the config and state in this cloud.
    pub sandboxes: Vec<String>,
}

impl Scene {
    /// The org of `cloud`, when the run acts in it.
    pub(crate) fn org(&self, cloud: Cloud) -> Option<&str> {
        self.targets
            .iter()
            .find(|t| t.cloud == cloud)
            .map(|t| t.org.as_str())
    }

    /// Why a plan made for `recorded` must not run here, if it must not:
    /// another environment, or another org for a cloud both act in.
    pub(crate) fn mismatch(&self, recorded: &Scene) -> Option<String> {
        if recorded.environment != self.environment {
            let name = |e: &Option<String>| match e {
                Some(e) => format!("environment `{e}`"),
                None => "no environment".to_owned(),
            };
            return Some(format!(
                "the saved plan was made for {}, but this run is for {}",
                name(&recorded.environment),
                name(&self.environment)
            ));
        }
        for target in &recorded.targets {
            if let Some(org) = self.org(target.cloud)
                && !org.eq_ignore_ascii_case(&target.org)
            {
                return Some(format!(
                    "the saved plan was made for {} org `{}`, but this run acts in org `{org}`",
                    target.cloud, target.org
                ));
            }
        }
        None
    }

    /// The header of text output: where, then one line per cloud.
    pub(crate) fn text(&self) -> String {
        let mut out = String::from("Acting on ");
        if let Some(env) = &self.environment {
            let _ = write!(out, "environment `{env}`, ");
        }
        let _ = write!(out, "state {}", self.state);
        if self.targets.is_empty() {
            out.push_str(" (no connection in config or state)");
        }
        out.push('\n');
        for t in &self.targets {
            let _ = writeln!(
                out,
                "  {} org `{}` at {}, {}",
                t.cloud,
                t.org,
                t.endpoint,
                sandboxes(&t.sandboxes, |s| format!("`{s}`"))
            );
        }
        out
    }

    /// The header of a pull-request comment, one line; `code` makes text a
    /// safe code span (orgs and names come from files a pull request edits).
    pub(crate) fn markdown(&self, code: impl Fn(&str) -> String) -> String {
        let mut parts = Vec::new();
        if let Some(env) = &self.environment {
            parts.push(format!("environment {}", code(env)));
        }
        for t in &self.targets {
            parts.push(format!(
                "{} org {} at {}, {}",
                t.cloud,
                code(&t.org),
                code(&t.endpoint),
                sandboxes(&t.sandboxes, &code)
            ));
        }
        parts.push(format!("state {}", code(&self.state)));
        format!("Acting on {}", parts.join("; "))
    }
}

fn sandboxes(names: &[String], code: impl Fn(&str) -> String) -> String {
    let list: Vec<String> = names.iter().map(|s| code(s)).collect();
    match list.len() {
        1 => format!("sandbox {}", list[0]),
        _ => format!("sandboxes {}", list.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(env: Option<&str>, azure: &str) -> Scene {
        Scene {
            environment: env.map(str::to_owned),
            targets: vec![Target {
                cloud: Cloud::Azure,
                org: azure.to_owned(),
                endpoint: "https://platform.adobe.io".to_owned(),
                sandboxes: vec!["dev".to_owned(), "prod".to_owned()],
            }],
            state: "file `.provision/state.json`".to_owned(),
        }
    }

    #[test]
    fn text_names_every_part() {
        assert_eq!(
            scene(Some("prod"), "A@AdobeOrg").text(),
            "Acting on environment `prod`, state file `.provision/state.json`\n  azure org `A@AdobeOrg` at https://platform.adobe.io, sandboxes `dev`, `prod`\n"
        );
    }

    #[test]
    fn another_environment_or_org_is_a_mismatch() {
        let here = scene(Some("dev"), "A@AdobeOrg");
        assert_eq!(here.mismatch(&scene(Some("dev"), "a@adobeorg")), None);
        let env = here.mismatch(&scene(Some("prod"), "A@AdobeOrg")).unwrap();
        assert!(env.contains("`prod`") && env.contains("`dev`"), "{env}");
        let org = here.mismatch(&scene(Some("dev"), "B@AdobeOrg")).unwrap();
        assert!(
            org.contains("`B@AdobeOrg`") && org.contains("`A@AdobeOrg`"),
            "{org}"
        );
        assert!(here.mismatch(&scene(None, "A@AdobeOrg")).is_some());
    }
}
