//! What `provision env list` shows: each environment of the settings in
//! order, with where it acts (as written: no variable is resolved, no
//! secret read), for people and for pipeline matrices.

use schemars::JsonSchema;
use serde::Serialize;

use crate::config::Settings;

/// `env list --format json`: the environments, in settings order.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct EnvList {
    /// The version of this document's format.
    format_version: u32,
    /// One entry per environment; empty when the settings define none.
    environments: Vec<EnvListed>,
}

/// One environment as the settings resolve it (`${VAR}`s left as written).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct EnvListed {
    /// Its name, for `-e NAME`.
    name: String,
    /// The sandbox of documents that name none.
    #[serde(skip_serializing_if = "Option::is_none")]
    sandbox: Option<String>,
    /// The IMS org of Azure, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    azure_org: Option<String>,
    /// The IMS org of AWS, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    aws_org: Option<String>,
    /// `development` or `production`.
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    /// The branch `apply` must run on.
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<String>,
}

impl EnvList {
    const FORMAT_VERSION: u32 = 1;

    /// The environments of `settings`, each resolved over the top level.
    pub(crate) fn of(settings: &Settings) -> Self {
        let environments = settings
            .environment_names()
            .into_iter()
            .filter_map(|name| {
                let s = settings.for_environment(name)?;
                let org =
                    |pick: fn(&crate::config::Orgs) -> &Option<crate::config::OrgSettings>| {
                        s.orgs
                            .as_ref()
                            .and_then(|o| pick(o).as_ref())
                            .map(|o| o.ims_org.clone())
                    };
                Some(EnvListed {
                    name: name.to_owned(),
                    sandbox: s.sandbox.clone(),
                    azure_org: org(|o| &o.azure),
                    aws_org: org(|o| &o.aws),
                    mode: s.mode.map(|m| m.as_str().to_owned()),
                    branch: s.branch.clone(),
                })
            })
            .collect();
        EnvList {
            format_version: Self::FORMAT_VERSION,
            environments,
        }
    }

    /// The names, one a line (what a shell loop or matrix reads).
    pub(crate) fn names(&self) -> Vec<&str> {
        self.environments.iter().map(|e| e.name.as_str()).collect()
    }

    /// Aligned columns for people: name, sandbox, orgs, mode, branch.
    pub(crate) fn text(&self) -> Vec<String> {
        let rows: Vec<[String; 5]> = self
            .environments
            .iter()
            .map(|e| {
                let orgs = [("azure", &e.azure_org), ("aws", &e.aws_org)]
                    .iter()
                    .filter_map(|(cloud, org)| org.as_ref().map(|o| format!("{cloud}={o}")))
                    .collect::<Vec<_>>()
                    .join(",");
                let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
                [
                    e.name.clone(),
                    or_dash(&e.sandbox),
                    if orgs.is_empty() {
                        "-".to_owned()
                    } else {
                        orgs
                    },
                    or_dash(&e.mode),
                    or_dash(&e.branch),
                ]
            })
            .collect();
        let head = ["ENVIRONMENT", "SANDBOX", "ORGS", "MODE", "BRANCH"].map(str::to_owned);
        let mut widths = [0usize; 5];
        for row in std::iter::once(&head).chain(&rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        std::iter::once(&head)
            .chain(&rows)
            .map(|row| {
                let cells: Vec<String> = row
                    .iter()
                    .zip(widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect();
                cells.join("  ").trim_end().to_owned()
            })
            .collect()
    }
}
