//! `smoke --dataflow-connection NAME`: the connection whose server smoke's
//! throwaway connection copies, found in the project's documents as `plan`
//! reads them (in the run's environment) and resolved as `apply` resolves
//! it. Nothing is sent: the connection is never read from the platform.

use crate::config::{Cloud, ConnectionKey, Settings};
use crate::desired::resolve::{self, Resolved};
use crate::desired::{self, Environment};
use crate::error::Error;
use crate::validate::Located;
use crate::workspace::{self, ConfigOptions};

/// The connection asked for, and where smoke runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wanted<'a> {
    /// `--dataflow-connection`: a connection's name, or its key.
    pub name: &'a str,
    pub cloud: Cloud,
    pub sandbox: &'a str,
}

/// The described connection `wanted` names, its `${VAR}`s resolved from
/// settings `vars`, then the process environment. The documents must
/// validate (as for `plan`); an unset variable is reported at its line.
pub(crate) fn resolve(
    wanted: &Wanted<'_>,
    documents: &ConfigOptions,
    environment: Option<&str>,
    settings: &Settings,
    env: &Environment,
) -> Result<Resolved, Error> {
    let report = workspace::validated(documents)?;
    let located = desired::in_environment(
        report.config.connections,
        environment,
        settings.sandbox.as_deref(),
    );
    let folders: Vec<String> = documents
        .paths
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect();
    let place = match environment {
        Some(name) => format!("{}, environment `{name}`", folders.join(", ")),
        None => folders.join(", "),
    };
    let chosen = choose(wanted, &located, &place)?;
    let vars = settings.vars.clone().unwrap_or_default();
    let lookup = |name: &str| vars.get(name).cloned().or_else(|| env.get(name));
    match resolve::resolve_all(std::slice::from_ref(chosen), &lookup) {
        Ok(mut resolved) => resolved.pop().ok_or_else(|| {
            Error::Failed(format!(
                "internal error: `{}` resolved to nothing",
                chosen.connection.key()
            ))
        }),
        Err(diagnostics) => Err(Error::InvalidConfig {
            sources: crate::config::load::read_sources(&diagnostics),
            diagnostics,
            outcome: "nothing was sent",
        }),
    }
}

/// The one connection `wanted` names among `located` (by name or key): on
/// smoke's cloud, and in smoke's sandbox when several share the name.
fn choose<'a>(
    wanted: &Wanted<'_>,
    located: &'a [Located],
    place: &str,
) -> Result<&'a Located, Error> {
    let flag = format!("`--dataflow-connection {}`", wanted.name.escape_debug());
    let key: Option<ConnectionKey> = wanted.name.parse().ok();
    let named: Vec<&Located> = located
        .iter()
        .filter(|l| l.connection.name == wanted.name || key == Some(l.connection.key()))
        .collect();
    if named.is_empty() {
        return Err(unknown(&flag, wanted.name, located, place));
    }
    let keys = |list: &[&Located]| {
        list.iter()
            .map(|l| format!("`{}`", l.connection.key()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let on_cloud: Vec<&Located> = named
        .iter()
        .copied()
        .filter(|l| l.connection.cloud == wanted.cloud)
        .collect();
    match on_cloud.as_slice() {
        [] => Err(Error::Usage(format!(
            "{flag} is {} on another cloud than `--cloud {}`: the throwaway connection is made on `{}` and takes that cloud's settings; run smoke with the connection's `--cloud`, or name a connection on `{}`",
            keys(&named),
            wanted.cloud,
            wanted.cloud,
            wanted.cloud
        ))),
        [one] => Ok(one),
        many => many
            .iter()
            .copied()
            .find(|l| l.connection.sandbox == wanted.sandbox)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{flag} names {} connections on cloud `{}`, none in `--sandbox {}`: {}; give the key (`cloud/sandbox/name`) of the one to copy",
                    many.len(),
                    wanted.cloud,
                    wanted.sandbox,
                    keys(many)
                ))
            }),
    }
}

/// A name no document gives: the nearest one (or key) if any is close.
fn unknown(flag: &str, name: &str, located: &[Located], place: &str) -> Error {
    let candidates: Vec<String> = located
        .iter()
        .map(|l| {
            if name.contains('/') {
                l.connection.key().to_string()
            } else {
                l.connection.name.clone()
            }
        })
        .collect();
    let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let tail = match crate::suggest::closest(name, &candidates) {
        Some(near) => format!("did you mean `{near}`?"),
        None => {
            "expected the `name` of a connection document there, or its key `cloud/sandbox/name`"
                .to_owned()
        }
    };
    Error::Usage(format!(
        "{flag} names no connection of the project's documents ({place}): {tail}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{Options, validate_texts};

    fn document(name: &str, sandbox: &str, cloud: &str) -> String {
        let ssl = if cloud == "aws" {
            "true"
        } else {
            "Verify Full"
        };
        format!(
            "name: {name}\nsandbox: {sandbox}\ncloud: {cloud}\nauth:\n  type: basic\n  server: h\n  port: 5432\n  database: d\n  username: u\n  password: ${{PW}}\n  sslMode: {ssl}\n"
        )
    }

    fn located() -> Vec<Located> {
        let texts = [
            document("orders-db", "dev", "azure"),
            document("orders-db", "prod", "azure"),
            document("events-db", "prod", "aws"),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, text)| (format!("connections/{i}.yaml").into(), text))
        .collect::<Vec<_>>();
        let report = validate_texts(&texts, Options::default());
        assert!(!report.has_errors(), "{:?}", report.diagnostics);
        report.config.connections
    }

    fn chosen(name: &str, cloud: Cloud, sandbox: &str) -> Result<String, String> {
        let located = located();
        let wanted = Wanted {
            name,
            cloud,
            sandbox,
        };
        choose(&wanted, &located, "`connections`")
            .map(|l| l.connection.key().to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_name_prefers_smokes_sandbox_and_a_key_is_exact() {
        assert_eq!(
            chosen("orders-db", Cloud::Azure, "dev").unwrap(),
            "azure/dev/orders-db"
        );
        assert_eq!(
            chosen("azure/prod/orders-db", Cloud::Azure, "dev").unwrap(),
            "azure/prod/orders-db"
        );
        assert_eq!(
            chosen("events-db", Cloud::Aws, "dev").unwrap(),
            "aws/prod/events-db"
        );
    }

    #[test]
    fn several_of_the_name_elsewhere_ask_for_the_key() {
        let err = chosen("orders-db", Cloud::Azure, "staging").unwrap_err();
        assert!(
            err.contains("names 2 connections on cloud `azure`, none in `--sandbox staging`: `azure/dev/orders-db`, `azure/prod/orders-db`"),
            "{err}"
        );
    }

    #[test]
    fn another_clouds_connection_is_refused() {
        let err = chosen("events-db", Cloud::Azure, "prod").unwrap_err();
        assert!(
            err.starts_with("`--dataflow-connection events-db` is `aws/prod/events-db` on another cloud than `--cloud azure`"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_name_or_key_gets_the_nearest() {
        let err = chosen("order-db", Cloud::Azure, "dev").unwrap_err();
        assert!(err.ends_with("did you mean `orders-db`?"), "{err}");
        let err = chosen("azure/prod/order-db", Cloud::Azure, "dev").unwrap_err();
        assert!(
            err.ends_with("did you mean `azure/prod/orders-db`?"),
            "{err}"
        );
        let err = chosen("zzz", Cloud::Azure, "dev").unwrap_err();
        assert!(err.contains("or its key `cloud/sandbox/name`"), "{err}");
    }
}
