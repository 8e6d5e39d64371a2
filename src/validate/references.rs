//! A dataflow's `source.connection` names a base connection of its own
//! cloud and sandbox. Described in the files given: fine. Not described,
//! but a connection there has a close name or had that name: an error with
//! the name meant (a typo would otherwise go to the platform). Nothing
//! close: a warning, since a dataflow may read a connection made elsewhere,
//! which `plan` looks up on the platform.

use std::collections::HashMap;

use super::Identity;
use crate::config::{Cloud, ResourceKind};
use crate::diagnostic::{Code, Diagnostic};

fn at(identity: &Identity) -> String {
    format!(
        "{}:{}:{}",
        identity.file.display(),
        identity.name.line,
        identity.name.column
    )
}

/// V225 and V226 for the dataflows of `here`, the documents of one
/// environment (`environment`, when the settings define any) with their
/// sandboxes resolved.
pub(super) fn check_references(
    here: &[Identity],
    environment: Option<&str>,
    broken: &std::collections::HashSet<String>,
) -> Vec<Diagnostic> {
    let mut connections: HashMap<(Cloud, &str), Vec<&Identity>> = HashMap::new();
    for identity in here.iter().filter(|i| i.kind == ResourceKind::Connection) {
        connections
            .entry((identity.key.cloud, identity.key.sandbox.as_str()))
            .or_default()
            .push(identity);
    }
    let mut out = Vec::new();
    for flow in here.iter().filter(|i| i.kind == ResourceKind::Dataflow) {
        let Some((target, pos)) = &flow.reads else {
            continue;
        };
        let key = &flow.key;
        let scope = format!("{}/{}", key.cloud, key.sandbox);
        let same = connections
            .get(&(key.cloud, key.sandbox.as_str()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        // A connection of that name whose document failed validation:
        // its own error is what to fix.
        if same.iter().any(|c| &c.key.name == target) || broken.contains(target) {
            continue;
        }
        let error = |message: String, help: String| {
            Diagnostic::error(Code::UnknownConnection, &flow.file, *pos, message)
                .in_document(flow.document, "/source/connection")
                .with_help(help)
        };
        let renamed = same
            .iter()
            .find(|c| c.renamed_from.iter().any(|e| &e.name == target));
        if let Some(renamer) = renamed {
            out.push(error(
                format!(
                    "`source.connection` `{target}` is an earlier name of connection `{}` (its `renamedFrom`): expected its current name",
                    renamer.key
                ),
                format!(
                    "write `connection: {}` (defined at {})",
                    renamer.key.name,
                    at(renamer)
                ),
            ));
            continue;
        }
        let names: Vec<&str> = same.iter().map(|c| c.key.name.as_str()).collect();
        if let Some(best) = crate::suggest::closest(target, &names) {
            let meant = same.iter().find(|c| c.key.name == best);
            out.push(error(
                format!(
                    "`source.connection` `{target}` is not a connection of these files in `{scope}`: did you mean `{best}`?"
                ),
                format!(
                    "`{best}` is defined at {}",
                    meant.map(|c| at(c)).unwrap_or_default()
                ),
            ));
            continue;
        }
        out.push(not_in_files(flow, target, *pos, here, environment));
    }
    out
}

/// V226: nothing in the files is close to `target`; the help says where
/// the files describe a connection of that name in another sandbox.
fn not_in_files(
    flow: &Identity,
    target: &str,
    pos: crate::diagnostic::Position,
    here: &[Identity],
    environment: Option<&str>,
) -> Diagnostic {
    let key = &flow.key;
    let scope = format!("{}/{}", key.cloud, key.sandbox);
    let elsewhere = here.iter().find(|c| {
        c.kind == ResourceKind::Connection
            && c.key.name == target
            && c.key.cloud == key.cloud
            && c.key.sandbox != key.sandbox
    });
    let in_environment = environment
        .map(|name| format!(" (environment `{name}`)"))
        .unwrap_or_default();
    let help = match elsewhere {
        Some(other) => format!(
            "these files describe `{target}` in sandbox `{}` ({}): a dataflow reads a connection of its own sandbox",
            other.key.sandbox,
            at(other)
        ),
        None => format!(
            "fine for a connection made elsewhere; `plan` fails if `{scope}` has no connection `{target}`"
        ),
    };
    Diagnostic::warning(
        Code::ConnectionNotInFiles,
        &flow.file,
        pos,
        format!(
            "connection `{target}` is not described in these files in `{scope}`{in_environment}: `plan` looks it up on the platform"
        ),
    )
    .in_document(flow.document, "/source/connection")
    .with_help(help)
}
