//! Which environment a run acts in: `-e NAME`, else `PROVISION_ENV`, checked
//! against the settings' `environments`, and the settings it then runs with.
//! A project without environments has none and runs as it always did.

use crate::config::Settings;
use crate::desired::Environment;
use crate::error::Error;

/// The variable that selects an environment when `-e` is not given.
pub(crate) const ENV_VAR: &str = "PROVISION_ENV";

/// The environment a run acts in, with the settings it resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SelectedEnv {
    /// Its name in `environments:`.
    pub name: String,
    /// The top-level settings with the environment's keys over them
    /// ([`Settings::for_environment`]); no `environments`.
    pub settings: Settings,
    /// The top-level keys the environment itself sets (`credentials`, …).
    pub overrides: Vec<String>,
}

impl SelectedEnv {
    /// Where a settings field the run uses is written: `/orgs/azure/imsOrg`
    /// is `/environments/prod/orgs/azure/imsOrg` when `prod` sets `orgs`.
    pub(crate) fn pointer(&self, pointer: &str) -> String {
        let top = pointer
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        if self.overrides.iter().any(|k| k == top) {
            format!("/environments/{}{pointer}", self.name)
        } else {
            pointer.to_owned()
        }
    }
}

/// Where the selection came from, for messages.
fn source(flag: Option<&str>) -> &'static str {
    if flag.is_some() { "-e" } else { ENV_VAR }
}

/// The environment `flag` (`-e`), else `PROVISION_ENV`, names. Without
/// environments in the settings there is none (`PROVISION_ENV` is then
/// ignored, `-e` refused); with them, none given or an unknown name is a
/// usage error listing the names.
pub(crate) fn select(
    settings: &Settings,
    flag: Option<&str>,
    env: &Environment,
) -> Result<Option<SelectedEnv>, Error> {
    let from_var = env.get(ENV_VAR);
    let wanted = flag.map(str::to_owned).or(from_var);
    let names = settings.environment_names();
    if names.is_empty() {
        return match flag {
            Some(name) => Err(Error::Usage(format!(
                "`-e {name}`: the settings define no `environments`: expected no `-e` (or add `environments:` to provision.yaml)"
            ))),
            None => {
                if wanted.is_some() {
                    tracing::info!(
                        "{ENV_VAR} is set but the settings define no environments: ignored"
                    );
                }
                Ok(None)
            }
        };
    }
    let listed = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let Some(name) = wanted else {
        return Err(Error::Usage(format!(
            "no environment selected: the settings define {listed}: expected `-e NAME` (or `--env NAME`, or `{ENV_VAR}=NAME`)"
        )));
    };
    match settings.for_environment(&name) {
        Some(resolved) => {
            let overrides = settings
                .environments
                .as_ref()
                .and_then(|e| e.get(&name))
                .and_then(|e| serde_json::to_value(e).ok())
                .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
                .unwrap_or_default();
            Ok(Some(SelectedEnv {
                name,
                settings: resolved,
                overrides,
            }))
        }
        None => {
            let hint = crate::suggest::closest(&name, &names)
                .map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default();
            Err(Error::Usage(format!(
                "unknown environment `{}` (from {}): {hint}expected one of {listed}",
                name.escape_debug(),
                source(flag)
            )))
        }
    }
}

/// The settings a run uses: the selected environment's, else the file's.
pub(crate) fn effective(settings: &Settings, selected: Option<&SelectedEnv>) -> Settings {
    match selected {
        Some(selected) => selected.settings.clone(),
        None => settings.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        serde_json::from_value(serde_json::json!({
            "environments": { "dev": { "sandbox": "dev" }, "prod": { "sandbox": "prod" } }
        }))
        .unwrap()
    }

    fn env(value: Option<&'static str>) -> Environment {
        Environment::from_fn(move |name| (name == ENV_VAR).then(|| value.map(str::to_owned))?)
    }

    #[test]
    fn the_flag_wins_over_the_variable() {
        let s = settings();
        let picked = select(&s, Some("prod"), &env(Some("dev")))
            .unwrap()
            .unwrap();
        assert_eq!(picked.name, "prod");
        assert_eq!(picked.settings.sandbox.as_deref(), Some("prod"));
        assert_eq!(picked.pointer("/sandbox"), "/environments/prod/sandbox");
        assert_eq!(picked.pointer("/orgs/aws/imsOrg"), "/orgs/aws/imsOrg");
        let picked = select(&s, None, &env(Some("dev"))).unwrap().unwrap();
        assert_eq!(picked.name, "dev");
    }

    #[test]
    fn none_or_unknown_is_a_usage_error() {
        let s = settings();
        let none = select(&s, None, &env(None)).unwrap_err();
        assert!(matches!(none, Error::Usage(_)));
        assert!(none.to_string().contains("`dev`, `prod`"), "{none}");
        let unknown = select(&s, Some("prd"), &env(None)).unwrap_err();
        assert!(
            unknown.to_string().contains("did you mean `prod`?"),
            "{unknown}"
        );
    }

    #[test]
    fn without_environments_the_variable_is_ignored_and_the_flag_refused() {
        let s = Settings::default();
        assert_eq!(select(&s, None, &env(Some("dev"))).unwrap(), None);
        assert!(matches!(
            select(&s, Some("dev"), &env(None)),
            Err(Error::Usage(_))
        ));
    }
}
