//! A connection's identity on the platform is (IMS org, sandbox, name)
//! (docs/contract/apply.md, identity): unique across every file given. Where the
//! settings name a cloud's org literally, documents are compared by org, so
//! an `azure` and an `aws` document in one org are caught too; otherwise by
//! cloud, which stands for its org. Dataflows are a collection of their own,
//! under the same rule: a dataflow may share a connection's name.

use std::collections::HashMap;

use super::Identity;
use crate::config::load;
use crate::config::{Cloud, ResourceKind, Settings};
use crate::diagnostic::{Code, Diagnostic, Sources};

/// The orgs the settings name, per cloud, compared case-insensitively:
/// written literally or filled entirely from the settings' committed
/// `vars` (an org needing the process environment cannot be compared
/// offline and is left out).
pub(super) fn literal_orgs(settings: &Settings) -> HashMap<Cloud, String> {
    let mut orgs = HashMap::new();
    let vars = settings.vars.clone().unwrap_or_default();
    if let Some(configured) = &settings.orgs {
        for (cloud, org) in [
            (Cloud::Azure, &configured.azure),
            (Cloud::Aws, &configured.aws),
        ] {
            let filled = org.as_ref().and_then(|org| {
                crate::config::interpolate::substitute(&org.ims_org, &|name| {
                    vars.get(name).cloned()
                })
                .ok()
            });
            if let Some(org) = filled {
                orgs.insert(cloud, org.trim().to_ascii_lowercase());
            }
        }
    }
    orgs
}

/// Where a connection lives: its org when known, else its cloud.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Scope<'a> {
    Org(&'a str),
    Cloud(Cloud),
}

/// `(org, sandbox, name)` must be unique across all files, among the
/// connections and among the dataflows.
pub(super) fn duplicates(
    identities: &[Identity],
    orgs: &HashMap<Cloud, String>,
    sources: &mut Sources,
) -> Vec<Diagnostic> {
    type Slot<'a> = (ResourceKind, Scope<'a>, &'a str, &'a str);
    let mut first: HashMap<Slot<'_>, &Identity> = HashMap::new();
    let mut diags = Vec::new();
    for identity in identities {
        let key = &identity.key;
        let scope = orgs
            .get(&key.cloud)
            .map_or(Scope::Cloud(key.cloud), |org| Scope::Org(org));
        let slot = (
            identity.kind,
            scope,
            key.sandbox.as_str(),
            key.name.as_str(),
        );
        let Some(original) = first.get(&slot) else {
            first.insert(slot, identity);
            continue;
        };
        let (kind, shown) = (identity.kind.as_str(), identity.shown());
        let among = match identity.kind {
            ResourceKind::Connection => "",
            ResourceKind::Dataflow => " among dataflows",
        };
        let message = if original.key.cloud == key.cloud {
            format!("duplicate {kind} `{shown}`: (cloud, sandbox, name) must be unique{among}")
        } else {
            format!(
                "duplicate {kind} `{shown}`: `{}` has the same name and sandbox in the same IMS org `{}` (both clouds are configured with it); (org, sandbox, name) must be unique{among}",
                original.shown(),
                orgs.get(&key.cloud).map_or("", String::as_str)
            )
        };
        let code = match identity.kind {
            ResourceKind::Connection => Code::DuplicateConnection,
            ResourceKind::Dataflow => Code::DuplicateDataflow,
        };
        diags.push(
            Diagnostic::error(code, &identity.file, identity.name, message)
                .in_document(identity.document, "/name")
                .with_help(format!(
                    "first defined at {}:{}:{}",
                    original.file.display(),
                    original.name.line,
                    original.name.column
                )),
        );
        if !sources.contains_key(&identity.file)
            && let Ok(text) = std::fs::read_to_string(&identity.file)
        {
            sources.insert(identity.file.clone(), load::source(&text));
        }
    }
    diags
}
