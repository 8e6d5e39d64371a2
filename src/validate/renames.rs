//! `renamedFrom` across documents: an earlier name must be an earlier name
//! of exactly one connection (or dataflow), never a name in use, so a plan
//! can move a state entry to its new name without guessing which one it
//! was. Connections and dataflows are separate collections of names.

use std::collections::HashMap;
use std::path::Path;

use super::{EarlierName, Identity};
use crate::config::load::Node;
use crate::config::{Cloud, ResourceKind, load};
use crate::diagnostic::{Code, Diagnostic, Position, Sources};

/// Where something is written, for a help line.
fn at(file: &Path, pos: Position) -> String {
    format!("{}:{}:{}", file.display(), pos.line, pos.column)
}

/// Every earlier name is listed once, differs from its own name, is claimed
/// by one document only, and is not the `name` of another document of the
/// same kind, cloud and sandbox.
pub(super) fn rename_conflicts(identities: &[Identity], sources: &mut Sources) -> Vec<Diagnostic> {
    type Slot<'a> = (ResourceKind, Cloud, &'a str, &'a str);
    let names: HashMap<Slot<'_>, &Identity> = identities
        .iter()
        .map(|i| {
            (
                (
                    i.kind,
                    i.key.cloud,
                    i.key.sandbox.as_str(),
                    i.key.name.as_str(),
                ),
                i,
            )
        })
        .collect();
    let mut claims: HashMap<Slot<'_>, (&Identity, Position)> = HashMap::new();
    let mut diags = Vec::new();
    for identity in identities {
        let (key, kind, shown) = (&identity.key, identity.kind.as_str(), identity.shown());
        for (index, written) in identity.renamed_from.iter().enumerate() {
            let (old, pos) = (&written.name, &written.pos);
            let error = |message: String, help: String| {
                Diagnostic::error(Code::RenameConflict, &identity.file, *pos, message)
                    .in_document(identity.document, written.pointer.as_str())
                    .with_help(help)
            };
            let earlier = identity.renamed_from[..index]
                .iter()
                .find(|e| &e.name == old);
            if old == &key.name {
                diags.push(error(
                    format!("`renamedFrom` names `{old}`, this {kind}'s own `name`: expected an earlier name"),
                    format!("`name` is at {}", at(&identity.file, identity.name)),
                ));
                continue;
            }
            if let Some(first) = earlier {
                diags.push(error(
                    format!("`renamedFrom` names `{old}` twice: expected each earlier name once"),
                    format!("first listed at {}", at(&identity.file, first.pos)),
                ));
                continue;
            }
            let slot = (identity.kind, key.cloud, key.sandbox.as_str(), old.as_str());
            if let Some(other) = names.get(&slot) {
                diags.push(error(
                    format!(
                        "`renamedFrom` names `{old}`, but {kind} `{}` still has that name: expected a name no document uses",
                        other.shown()
                    ),
                    format!("`{}` is defined at {}", other.shown(), at(&other.file, other.name)),
                ));
                continue;
            }
            match claims.get(&slot) {
                Some((first, first_pos)) => diags.push(error(
                    format!(
                        "`renamedFrom` names `{old}` for `{shown}`, but `{}` already claims it: an earlier name becomes one {kind}",
                        first.shown()
                    ),
                    format!("`{}` claims it at {}", first.shown(), at(&first.file, *first_pos)),
                )),
                None => {
                    claims.insert(slot, (identity, *pos));
                }
            }
        }
    }
    for d in &diags {
        if !sources.contains_key(&d.file)
            && let Ok(text) = std::fs::read_to_string(&d.file)
        {
            sources.insert(d.file.clone(), load::source(&text));
        }
    }
    diags
}

/// The names of `renamedFrom` with where each is written.
pub(super) fn earlier_names(
    renamed_from: Option<&crate::config::RenamedFrom>,
    doc: &Node,
) -> Vec<EarlierName> {
    let Some(renamed_from) = renamed_from else {
        return Vec::new();
    };
    let names = renamed_from.names();
    let single = matches!(renamed_from, crate::config::RenamedFrom::One(_));
    names
        .into_iter()
        .enumerate()
        .map(|(index, name)| {
            let pointer = if single {
                "/renamedFrom".to_owned()
            } else {
                format!("/renamedFrom/{index}")
            };
            EarlierName {
                name: name.to_owned(),
                pos: doc.at(&pointer).pos,
                pointer,
            }
        })
        .collect()
}
