//! The rules of `environments:` in the settings file that no schema can
//! express: two environments in one place, one state shared by all of
//! them, an environment's partial `state`, and secrets taken from
//! committed `vars`.

use std::collections::BTreeSet;
use std::path::Path;

use crate::config::interpolate;
use crate::config::load::{Node, NodeValue};
use crate::config::{Cloud, Settings, StateBackendKind};
use crate::diagnostic::{Code, Diagnostic};

/// Every environment rule of the settings `doc` (parsed as `settings`).
pub(super) fn check(path: &Path, doc: &Node, settings: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    secrets_from_vars(path, doc, settings, &mut out);
    if !settings.has_environments() {
        return out;
    }
    for key in ["path", "namespace"] {
        if let Some(node) = doc.get("state").and_then(|s| s.get(key)) {
            out.push(
                Diagnostic::error(
                    Code::SharedState,
                    path,
                    node.pos,
                    format!(
                        "top-level `state.{key}` beside `environments` would give every environment the same state: expected it under each environment's own `state:`, or left out (each environment then gets its own: {})",
                        if key == "path" { "`.provision/state.NAME.json`" } else { "namespace `NAME`" }
                    ),
                )
                .in_document(0, format!("/state/{key}").as_str())
                .with_help("top-level settings are the default of every environment; `backend` and `url` may stay there"),
            );
        }
    }
    same_place(path, doc, settings, &mut out);
    environment_states(path, doc, settings, &mut out);
    out
}

/// An environment's `state` replaces the top-level one whole: a
/// `namespace` or `url` without `backend: postgres` there would silently
/// be a file state (and a `path` with it, a PostgreSQL one); a backend
/// other than the top-level one is allowed but warned about.
fn environment_states(path: &Path, doc: &Node, settings: &Settings, out: &mut Vec<Diagnostic>) {
    let Some(envs) = &settings.environments else {
        return;
    };
    let top = settings
        .state
        .as_ref()
        .map(|s| s.backend.unwrap_or_default());
    for (name, env) in &envs.0 {
        let Some(state) = &env.state else { continue };
        let Some(node) = doc
            .get("environments")
            .and_then(|e| e.get(name))
            .and_then(|e| e.get("state"))
        else {
            continue;
        };
        let backend = state.backend.unwrap_or_default();
        let postgres = backend == StateBackendKind::Postgres;
        let misplaced: &[&str] = if postgres {
            &["path"]
        } else {
            &["namespace", "url"]
        };
        let mut partial = false;
        for key in misplaced {
            let Some(at) = node.get(key) else { continue };
            partial = true;
            let (wanted, help) = if postgres {
                (
                    "`backend: file` (or no `backend`)",
                    "a PostgreSQL state has `url` and `namespace`, not `path`",
                )
            } else {
                (
                    "`backend: postgres`",
                    "an environment's `state` replaces the top-level one whole: write `backend: postgres` and `url` here too",
                )
            };
            out.push(
                Diagnostic::error(
                    Code::PartialEnvironmentState,
                    path,
                    at.pos,
                    format!(
                        "`environments.{name}.state.{key}` needs {wanted} beside it, but this `state` names {}: it would be a {} state",
                        if state.backend.is_some() { format!("`backend: {}`", backend_name(backend)) } else { "no `backend` (a file)".to_owned() },
                        backend_name(backend)
                    ),
                )
                .in_document(0, format!("/environments/{name}/state/{key}").as_str())
                .with_help(help),
            );
        }
        if let Some(top) = top
            && top != backend
            && !partial
        {
            out.push(
                Diagnostic::warning(
                    Code::EnvironmentBackend,
                    path,
                    node.get("backend").map_or(node.pos, |n| n.pos),
                    format!(
                        "environment `{name}` keeps its state in a {} state, the top-level `state` in a {} one: an environment's `state` replaces the top-level one whole",
                        backend_name(backend),
                        backend_name(top)
                    ),
                )
                .in_document(0, format!("/environments/{name}/state").as_str())
                .with_help("intended for a rehearsal environment; otherwise write the top-level `backend` (and `url`) under this environment's `state` too"),
            );
        }
    }
}

fn backend_name(kind: StateBackendKind) -> &'static str {
    match kind {
        StateBackendKind::File => "file",
        StateBackendKind::Postgres => "postgres",
    }
}

/// Two environments on one (org, sandbox), compared where both orgs are
/// known offline: literal or filled from committed `vars` (an org from the
/// process environment cannot be compared). Documents with their own
/// `sandbox` are compared in `environments::same_place_documents`.
fn same_place(path: &Path, doc: &Node, settings: &Settings, out: &mut Vec<Diagnostic>) {
    let names = settings.environment_names();
    let mut seen: Vec<(&str, Cloud, String, String)> = Vec::new();
    for name in names {
        let Some(resolved) = settings.for_environment(name) else {
            continue;
        };
        let Some(sandbox) = resolved.sandbox.clone() else {
            continue;
        };
        for (cloud, org) in super::duplicates::literal_orgs(&resolved) {
            if let Some((first, ..)) = seen
                .iter()
                .find(|(_, c, o, s)| *c == cloud && *o == org && *s == sandbox)
            {
                let env_node = doc.get("environments").and_then(|e| e.get(name));
                let node = env_node.and_then(|e| e.get("sandbox")).or(env_node);
                let pos = node.map_or(doc.pos, |n| n.pos);
                out.push(
                    Diagnostic::error(
                        Code::SharedEnvironment,
                        path,
                        pos,
                        format!(
                            "environments `{first}` and `{name}` both act in IMS org `{org}`, sandbox `{sandbox}` ({cloud}): expected a different sandbox or org per environment, or each would adopt and prune the other's connections"
                        ),
                    )
                    .in_document(0, format!("/environments/{name}").as_str()),
                );
            } else {
                seen.push((name, cloud, org, sandbox.clone()));
            }
        }
    }
}

/// `credentials.*` and `state.url`, top-level and per environment, using a
/// name any `vars` define.
fn secrets_from_vars(path: &Path, doc: &Node, settings: &Settings, out: &mut Vec<Diagnostic>) {
    let mut committed: BTreeSet<&str> = settings
        .vars
        .iter()
        .flat_map(|v| v.keys().map(String::as_str))
        .collect();
    let mut scopes = vec![(String::new(), doc)];
    if let Some(envs) = &settings.environments {
        for (name, env) in &envs.0 {
            committed.extend(env.vars.iter().flat_map(|v| v.keys().map(String::as_str)));
            if let Some(node) = doc.get("environments").and_then(|e| e.get(name)) {
                scopes.push((format!("/environments/{name}"), node));
            }
        }
    }
    for (prefix, node) in scopes {
        let mut fields = Vec::new();
        if let Some(NodeValue::Map(entries)) = node.get("credentials").map(|c| &c.value) {
            for (key, value) in entries {
                let step = key.scalar_text().unwrap_or_default();
                fields.push((format!("{prefix}/credentials/{step}"), value));
            }
        }
        if let Some(url) = node.get("state").and_then(|s| s.get("url")) {
            fields.push((format!("{prefix}/state/url"), url));
        }
        for (pointer, value) in fields {
            let NodeValue::String(text) = &value.value else {
                continue;
            };
            for name in interpolate::references(text) {
                if !committed.contains(name) {
                    continue;
                }
                let field = pointer.trim_start_matches('/').replace('/', ".");
                out.push(
                    Diagnostic::error(
                        Code::SecretFromVars,
                        path,
                        value.pos,
                        format!(
                            "`{field}` is a secret and uses `${{{name}}}`, which settings `vars` define: a secret may not come from `vars`, which are committed"
                        ),
                    )
                    .in_document(0, pointer.as_str())
                    .with_help(format!(
                        "remove `{name}` from `vars` and set it where provision runs (a CI secret)"
                    )),
                );
            }
        }
    }
}
