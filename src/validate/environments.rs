//! Documents (connections and dataflows alike) across the settings'
//! environments: a document without `sandbox` takes its environment's,
//! `environments: [prod]` limits it, and every environment is checked
//! offline: its own duplicates, rename conflicts and dataflow references,
//! names that are environments, secrets never taken from committed `vars`,
//! and (for `validate`) each `${VAR}` defined in each environment.

use std::collections::BTreeSet;

use super::Identity;
use super::duplicates::{duplicates, literal_orgs};
use crate::config::load::{Node, NodeValue};
use crate::config::{Settings, interpolate};
use crate::diagnostic::{Code, Diagnostic, Position, Sources};

/// A `${VAR}` a document uses, where, and whether its field is a secret.
#[derive(Debug, Clone)]
pub(super) struct Reference {
    pub name: String,
    pub pos: Position,
    pub pointer: String,
    pub secret: bool,
}

/// What a valid document says about environments.
#[derive(Debug, Clone)]
pub(super) struct EnvFacts {
    /// Where the document starts (a missing `sandbox` is reported there).
    pub start: Position,
    /// The document's own `sandbox`, where it is written.
    pub sandbox: Option<Position>,
    /// `environments: [...]`, each name at its place.
    pub environments: Option<Vec<(String, Position)>>,
    pub references: Vec<Reference>,
}

impl EnvFacts {
    /// Reads a document's `environments` list and its `${VAR}`s.
    pub(super) fn of(doc: &Node, text: &str) -> EnvFacts {
        let environments = doc.get("environments").map(|list| match &list.value {
            NodeValue::Seq(items) => items
                .iter()
                .filter_map(|item| match &item.value {
                    NodeValue::String(s) => Some((s.clone(), item.pos)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        });
        let mut references = Vec::new();
        collect(doc, "", text, &mut references);
        EnvFacts {
            start: doc.pos,
            sandbox: doc.get("sandbox").map(|n| n.pos),
            environments,
            references,
        }
    }

    /// Whether the document applies in environment `name`.
    fn applies_in(&self, name: &str) -> bool {
        self.environments
            .as_ref()
            .is_none_or(|list| list.iter().any(|(n, _)| n == name))
    }
}

/// Every `${VAR}` of `node`, with its place and whether it is secret: a
/// password, a connection string written as one `${VAR}`, or a reference
/// inside a connection string's `Password=` part.
fn collect(node: &Node, pointer: &str, text: &str, out: &mut Vec<Reference>) {
    match &node.value {
        NodeValue::String(s) => {
            for (offset, name) in interpolate::references_at(s) {
                // A connection string is secret only where its password
                // is (or written as one whole `${VAR}`): checked before the
                // generic rule, which calls the whole field secret.
                let secret = if pointer == "/auth/connectionString" {
                    interpolate::is_single_reference(s) || in_password_part(s, offset)
                } else {
                    crate::secret::is_secret_pointer(pointer)
                };
                out.push(Reference {
                    name: name.to_owned(),
                    pos: super::position_in_scalar(text, node, s, offset),
                    pointer: pointer.to_owned(),
                    secret,
                });
            }
        }
        NodeValue::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                collect(item, &format!("{pointer}/{i}"), text, out);
            }
        }
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                let step = key.scalar_text().unwrap_or_default();
                collect(value, &format!("{pointer}/{step}"), text, out);
            }
        }
        _ => {}
    }
}

/// Whether byte `offset` of a connection string is inside its `Password=` part.
fn in_password_part(s: &str, offset: usize) -> bool {
    let start = s[..offset.min(s.len())].rfind(';').map_or(0, |i| i + 1);
    s[start..]
        .split_once('=')
        .is_some_and(|(key, _)| key.trim().eq_ignore_ascii_case("password"))
}

/// What the checks of this module are asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvScope<'a> {
    /// Only this environment (`validate -e NAME`); `None`: every one.
    pub only: Option<&'a str>,
    /// Report each `${VAR}` an environment does not define (`validate`).
    pub resolution: bool,
}

/// The environment checks of the documents, and duplicates, rename
/// conflicts and dataflow references per environment
/// (every document applies, with its own sandbox or the settings', in
/// each environment it names).
pub(super) fn check_documents(
    identities: &[Identity],
    broken: &std::collections::HashSet<String>,
    settings: &Settings,
    settings_file: Option<&std::path::Path>,
    scope: EnvScope<'_>,
    sources: &mut Sources,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let names = settings.environment_names();
    let committed: BTreeSet<&str> = all_vars(settings);
    for identity in identities {
        let facts = &identity.facts;
        unknown_environments(identity, &names, &mut out);
        for r in facts.references.iter().filter(|r| r.secret) {
            if committed.contains(r.name.as_str()) {
                out.push(secret_from_vars(identity, r, settings_file));
            }
        }
    }
    let places: Vec<(Option<&str>, Settings)> = if names.is_empty() {
        vec![(None, settings.clone())]
    } else {
        names
            .iter()
            .filter(|n| scope.only.is_none_or(|only| only == **n))
            .filter_map(|n| Some((Some(*n), settings.for_environment(n)?)))
            .collect()
    };
    let mut seen = BTreeSet::new();
    for (name, resolved) in &places {
        let mut here = Vec::new();
        for identity in identities {
            if name.is_some_and(|n| !identity.facts.applies_in(n)) {
                continue;
            }
            let mut key = identity.key.clone();
            if key.sandbox.is_empty() {
                match &resolved.sandbox {
                    Some(sandbox) => key.sandbox = sandbox.clone(),
                    None => {
                        out.push(no_sandbox(identity, *name));
                        continue;
                    }
                }
            }
            here.push(Identity {
                key,
                ..identity.clone()
            });
            if scope.resolution && name.is_some() {
                undefined(identity, *name, resolved, &mut out);
            }
        }
        out.extend(duplicates(&here, &literal_orgs(resolved), sources));
        out.extend(super::renames::rename_conflicts(&here, sources));
        out.extend(super::references::check_references(&here, *name, broken));
    }
    same_place_documents(identities, settings, &names, &mut out);
    // A problem found in several environments is reported once.
    out.retain(|d| seen.insert((d.file.clone(), d.line, d.column, d.code, d.message.clone())));
    out
}

/// A document with its own `sandbox` lands in the same (cloud, org,
/// sandbox) in two environments whose orgs are equal (literal or filled
/// from committed `vars`): both would adopt and prune the one connection.
/// Environments are all compared, whichever one a run selects.
fn same_place_documents(
    identities: &[Identity],
    settings: &Settings,
    names: &[&str],
    out: &mut Vec<Diagnostic>,
) {
    let orgs: Vec<(
        &str,
        std::collections::HashMap<crate::config::Cloud, String>,
    )> = names
        .iter()
        .filter_map(|n| Some((*n, literal_orgs(&settings.for_environment(n)?))))
        .collect();
    for identity in identities.iter().filter(|i| !i.key.sandbox.is_empty()) {
        let key = &identity.key;
        let mut first: Vec<(&str, &str)> = Vec::new();
        for (name, orgs) in &orgs {
            if !identity.facts.applies_in(name) {
                continue;
            }
            let Some(org) = orgs.get(&key.cloud) else {
                continue;
            };
            let Some((earlier, _)) = first.iter().find(|(_, o)| *o == org.as_str()) else {
                first.push((name, org));
                continue;
            };
            out.push(
                Diagnostic::error(
                    Code::SharedEnvironment,
                    &identity.file,
                    identity.facts.sandbox.unwrap_or(identity.facts.start),
                    format!(
                        "`{}` has its own `sandbox: {}`, so environments `{earlier}` and `{name}` both act on it in IMS org `{org}` ({}): expected a different org per environment, or each would adopt and prune the other's {}",
                        key.name, key.sandbox, key.cloud, identity.kind.as_str()
                    ),
                )
                .in_document(identity.document, "/sandbox")
                .with_help(format!(
                    "leave `sandbox` out and give each environment its own (`environments.NAME.sandbox`), or limit the document with `environments: [{earlier}]`"
                )),
            );
        }
    }
}

/// The names any `vars` of the settings define.
fn all_vars(settings: &Settings) -> BTreeSet<&str> {
    let mut names: BTreeSet<&str> = settings
        .vars
        .iter()
        .flat_map(|v| v.keys().map(String::as_str))
        .collect();
    if let Some(envs) = &settings.environments {
        for (_, env) in &envs.0 {
            names.extend(env.vars.iter().flat_map(|v| v.keys().map(String::as_str)));
        }
    }
    names
}

fn unknown_environments(identity: &Identity, names: &[&str], out: &mut Vec<Diagnostic>) {
    let Some(list) = &identity.facts.environments else {
        return;
    };
    for (i, (name, pos)) in list.iter().enumerate() {
        if names.contains(&name.as_str()) {
            continue;
        }
        let (message, help) = if names.is_empty() {
            (
                format!("`environments` names `{name}`, but the settings define no `environments`"),
                "define it under `environments:` in provision.yaml, or remove `environments` from this document".to_owned(),
            )
        } else {
            let listed = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let hint = crate::suggest::closest(name, names)
                .map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default();
            (
                format!("`{name}` is not an environment of the settings: {hint}expected one of {listed}"),
                "each name in `environments` must be defined under `environments:` in provision.yaml".to_owned(),
            )
        };
        out.push(
            Diagnostic::error(Code::UnknownEnvironment, &identity.file, *pos, message)
                .in_document(identity.document, format!("/environments/{i}").as_str())
                .with_help(help),
        );
    }
}

fn no_sandbox(identity: &Identity, environment: Option<&str>) -> Diagnostic {
    let message = match environment {
        Some(name) => format!(
            "`{}` names no `sandbox`, and environment `{name}` sets none: expected `sandbox` here or under `environments.{name}` in provision.yaml",
            identity.key.name
        ),
        None => format!(
            "`{}` names no `sandbox`, and the settings give none: expected `sandbox: NAME` (e.g. `sandbox: prod`)",
            identity.key.name
        ),
    };
    Diagnostic::error(Code::NoSandbox, &identity.file, identity.facts.start, message)
        .in_document(identity.document, "")
        .with_help("a document may leave `sandbox` out only when its environment gives one (`environments.NAME.sandbox`)")
}

fn secret_from_vars(
    identity: &Identity,
    r: &Reference,
    settings_file: Option<&std::path::Path>,
) -> Diagnostic {
    let file =
        settings_file.map_or_else(|| "provision.yaml".to_owned(), |p| p.display().to_string());
    Diagnostic::error(
        Code::SecretFromVars,
        &identity.file,
        r.pos,
        format!(
            "`${{{}}}` is a secret here, and settings `vars` in `{file}` define `{}`: a secret may not come from `vars`, which are committed",
            r.name, r.name
        ),
    )
    .in_document(identity.document, r.pointer.as_str())
    .with_help(format!(
        "remove `{}` from `vars` and set it where provision runs (a CI secret), or rename the variable",
        r.name
    ))
}

/// Each non-secret `${VAR}` that environment `name` defines neither in
/// its `vars` nor in the process environment (secrets are never read here).
fn undefined(
    identity: &Identity,
    name: Option<&str>,
    resolved: &Settings,
    out: &mut Vec<Diagnostic>,
) {
    let Some(name) = name else { return };
    let vars = resolved.vars.clone().unwrap_or_default();
    for r in identity.facts.references.iter().filter(|r| !r.secret) {
        let set_here = std::env::var(&r.name).is_ok_and(|v| !v.is_empty());
        if vars.contains_key(&r.name) || set_here {
            continue;
        }
        out.push(
            Diagnostic::warning(
                Code::UndefinedInEnvironment,
                &identity.file,
                r.pos,
                format!(
                    "`${{{}}}` is not defined for environment `{name}`: not in its `vars`, and not set here",
                    r.name
                ),
            )
            .in_document(identity.document, r.pointer.as_str())
            .with_help(format!(
                "add `{}` to `environments.{name}.vars` (or the top-level `vars`), or make sure the pipeline of `{name}` sets it",
                r.name
            )),
        );
    }
}
