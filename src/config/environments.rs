//! `environments:` in `provision.yaml`: named sets of overrides over the
//! top-level settings (dev, prod), kept in the order written so that every
//! listing and `plan --all-envs` follows the file.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::settings::{Credentials, Orgs, Settings, StateSettings, TimeoutSettings};

/// The pattern an environment name follows: it names a state file
/// (`.provision/state.NAME.json`) and a PostgreSQL namespace.
pub const ENVIRONMENT_NAME_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$";

/// What an environment does to dataflows (they arrive in a later version:
/// until then the mode is accepted, checked and shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Dataflows are created and kept disabled, whatever `enabled` says.
    Development,
    /// Dataflows are protected unless a document says `protect: false`.
    Production,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Development => "development",
            Mode::Production => "production",
        }
    }
}

/// One environment: any top-level setting but `environments`, replacing the
/// top-level value whole when set (only `vars` merge, by name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvironmentSettings {
    /// The IMS organization for each cloud in this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orgs: Option<Orgs>,
    /// Flow Service host in this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Adobe IMS host in this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ims: Option<String>,
    /// Credentials of this environment: replaces the top-level ones whole
    /// (never mixed with them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// Where this environment's state lives (default: namespace = the
    /// environment's name, or `.provision/state.NAME.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateSettings>,
    /// How many connections are created at once in this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 256))]
    pub parallelism: Option<u16>,
    /// Deadlines in this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<TimeoutSettings>,
    /// The sandbox of documents that do not name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256), regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub sandbox: Option<String>,
    /// Non-secret values for `${VAR}`, merged by name over the top-level
    /// `vars`; committed and reviewed, so never a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vars: Option<BTreeMap<String, String>>,
    /// `development` or `production`: what happens to dataflows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// `apply` refuses, before any request, on any other git branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub branch: Option<String>,
}

/// The environments by name, in the order the file writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environments(pub Vec<(String, EnvironmentSettings)>);

impl Environments {
    /// The names, in settings order.
    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// The environment called `name`.
    pub fn get(&self, name: &str) -> Option<&EnvironmentSettings> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, e)| e)
    }
}

impl Serialize for Environments {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for Environments {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = Environments;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of environment names to their settings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Environments, A::Error> {
                let mut entries = Vec::new();
                while let Some((name, settings)) = map.next_entry()? {
                    entries.push((name, settings));
                }
                Ok(Environments(entries))
            }
        }
        deserializer.deserialize_map(Ordered)
    }
}

impl JsonSchema for Environments {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Environments".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = generator.subschema_for::<EnvironmentSettings>();
        json_schema!({
            "description": "Named environments (e.g. `dev`, `prod`), each overriding the top-level settings key by key.",
            "type": "object",
            "minProperties": 1,
            "propertyNames": { "pattern": ENVIRONMENT_NAME_PATTERN },
            "additionalProperties": item,
        })
    }
}

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
