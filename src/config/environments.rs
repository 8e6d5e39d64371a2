//! Settings per environment: [`Settings::for_environment`] puts an
//! environment's keys over the top-level ones (whole keys; only `vars`
//! merge), and the names in the order the file writes them.

use super::settings::{Environments, Settings};

impl Settings {
    /// The settings `name` runs with: each key the environment sets
    /// replaces the top-level one whole; `vars` merge by name. `None` when
    /// there is no such environment. The result has no `environments`.
    pub fn for_environment(&self, name: &str) -> Option<Settings> {
        let env = self.environments.as_ref()?.get(name)?.clone();
        let mut vars = self.vars.clone().unwrap_or_default();
        vars.extend(env.vars.unwrap_or_default());
        Some(Settings {
            orgs: env.orgs.or_else(|| self.orgs.clone()),
            endpoint: env.endpoint.or_else(|| self.endpoint.clone()),
            ims: env.ims.or_else(|| self.ims.clone()),
            credentials: env.credentials.or_else(|| self.credentials.clone()),
            state: env.state.or_else(|| self.state.clone()),
            parallelism: env.parallelism.or(self.parallelism),
            timeouts: env.timeouts.or_else(|| self.timeouts.clone()),
            sandbox: env.sandbox.or_else(|| self.sandbox.clone()),
            vars: (!vars.is_empty()).then_some(vars),
            mode: env.mode.or(self.mode),
            branch: env.branch.or_else(|| self.branch.clone()),
            environments: None,
        })
    }

    /// The environment names, in settings order (empty without environments).
    pub fn environment_names(&self) -> Vec<&str> {
        self.environments
            .as_ref()
            .map(Environments::names)
            .unwrap_or_default()
    }

    /// Whether the settings define environments.
    pub fn has_environments(&self) -> bool {
        self.environments.as_ref().is_some_and(|e| !e.0.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Mode;

    fn settings(yaml: serde_json::Value) -> Settings {
        serde_json::from_value(yaml).unwrap()
    }

    #[test]
    fn an_environment_replaces_keys_whole_and_merges_vars() {
        let s = settings(serde_json::json!({
            "endpoint": "https://top",
            "credentials": { "clientId": "${TOP_ID}", "clientSecret": "${TOP_SECRET}" },
            "vars": { "A": "top", "B": "top" },
            "environments": {
                "prod": {
                    "credentials": { "clientId": "${PROD_ID}" },
                    "vars": { "B": "prod" },
                    "sandbox": "prod",
                    "mode": "production",
                    "branch": "main"
                },
                "dev": {}
            }
        }));
        assert_eq!(s.environment_names(), ["prod", "dev"]);
        let prod = s.for_environment("prod").unwrap();
        assert_eq!(prod.endpoint.as_deref(), Some("https://top"));
        let creds = prod.credentials.unwrap();
        assert_eq!(creds.client_id.as_deref(), Some("${PROD_ID}"));
        assert_eq!(creds.client_secret, None, "credentials never mix");
        let vars = prod.vars.unwrap();
        assert_eq!(vars["A"], "top");
        assert_eq!(vars["B"], "prod");
        assert_eq!(prod.mode, Some(Mode::Production));
        assert_eq!(prod.environments, None);
        let dev = s.for_environment("dev").unwrap();
        assert_eq!(
            dev.credentials.unwrap().client_secret.as_deref(),
            Some("${TOP_SECRET}")
        );
        assert!(s.for_environment("qa").is_none());
    }
}
