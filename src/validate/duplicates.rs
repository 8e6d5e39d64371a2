//! `(cloud, sandbox, name)` is a connection's identity: unique across every
//! file given.

use std::collections::HashMap;

use super::Identity;
use crate::config::ConnectionKey;
use crate::diagnostic::{Code, Diagnostic, Sources};

/// `(cloud, sandbox, name)` must be unique across all files.
pub(super) fn duplicate_connections(
    identities: &[Identity],
    sources: &mut Sources,
) -> Vec<Diagnostic> {
    let mut first: HashMap<&ConnectionKey, &Identity> = HashMap::new();
    let mut diags = Vec::new();
    for identity in identities {
        let Some(original) = first.get(&identity.key) else {
            first.insert(&identity.key, identity);
            continue;
        };
        diags.push(
            Diagnostic::error(
                Code::DuplicateConnection,
                &identity.file,
                identity.name,
                format!(
                    "duplicate connection `{}`: (cloud, sandbox, name) must be unique",
                    identity.key
                ),
            )
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
            sources.insert(identity.file.clone(), text);
        }
    }
    diags
}
