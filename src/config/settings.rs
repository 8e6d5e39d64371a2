//! Project settings (`provision.yaml`): where the platform is, which org per
//! cloud, how to authenticate, where state lives. Everything is optional.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Project settings for `provision` (`provision.yaml`). Every field is
/// optional; command-line flags override these, these override defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "provision settings")]
pub struct Settings {
    /// The Experience Platform IMS organization for each cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orgs: Option<Orgs>,
    /// Flow Service host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "https://platform.adobe.io"))]
    pub endpoint: Option<String>,
    /// Adobe IMS host that issues access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "https://ims-na1.adobelogin.com"))]
    pub ims: Option<String>,
    /// OAuth server-to-server credentials, or a ready access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// Where `provision` records what it created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateSettings>,
    /// How many connections are created at once (default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 256))]
    pub parallelism: Option<u16>,
    /// How long to wait for the Flow Service and IMS, as durations like
    /// `500ms`, `30s`, `5m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<TimeoutSettings>,
    /// The sandbox of documents that do not name one (usually set per
    /// environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256), regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub sandbox: Option<String>,
    /// Non-secret values for `${VAR}`, looked up before the process
    /// environment; committed and reviewed, so never a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vars: Option<BTreeMap<String, String>>,
    /// `development` or `production`: what happens to dataflows (they
    /// arrive in a later version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// `apply` refuses, before any request, on any other git branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub branch: Option<String>,
    /// Named environments (`dev`, `prod`), each overriding the settings
    /// above key by key; with them, plan, apply and state commands need
    /// `-e NAME` or `PROVISION_ENV`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Environments>,
}

/// Deadlines for talking to the platform. Each is a whole number with a
/// unit: `ms`, `s` or `m` (at most 24 hours).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TimeoutSettings {
    /// Opening a connection to a host, TLS included (default `10s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[1-9][0-9]{0,8}(ms|s|m)$"), extend("default" = "10s"))]
    pub connect: Option<String>,
    /// One request, from sending it to the last byte of the answer (default `30s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[1-9][0-9]{0,8}(ms|s|m)$"), extend("default" = "30s"))]
    pub request: Option<String>,
    /// One apply action (a create, update or delete) with all its retries
    /// and lookups; also bounds each call of `plan` (default `2m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[1-9][0-9]{0,8}(ms|s|m)$"), extend("default" = "2m"))]
    pub action: Option<String>,
    /// After a create whose answer was lost, how long its name is looked up
    /// (with backoff, as listings may lag writes) before the action fails as
    /// "outcome unknown" and stays pending for the next run (default `30s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[1-9][0-9]{0,8}(ms|s|m)$"), extend("default" = "30s"))]
    pub settle: Option<String>,
}

/// The IMS organization per cloud.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Orgs {
    /// The organization on Azure-hosted Experience Platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure: Option<OrgSettings>,
    /// The organization on AWS-hosted Experience Platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<OrgSettings>,
}

/// One IMS organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrgSettings {
    /// IMS organization id, e.g. `ABC123@AdobeOrg` (the `x-gw-ims-org-id` header).
    #[schemars(regex(pattern = r"^(\S+@AdobeOrg|\$\{[A-Za-z_][A-Za-z0-9_]*\})$"))]
    pub ims_org: String,
    /// Flow Service host for this organization, when Adobe serves it from a
    /// regional host (default: the global `endpoint`). `--endpoint` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("examples" = ["https://platform-va7.adobe.io"]))]
    pub endpoint: Option<String>,
}

impl OrgSettings {
    /// An IMS org id as it is used and compared everywhere: surrounding
    /// whitespace trimmed (a secret store's trailing space or newline; HTTP
    /// trims header values, so ` ORG@AdobeOrg` and `ORG@AdobeOrg` are one org),
    /// and refused when whitespace or a control character is left inside or
    /// nothing is left at all. The error says what was found and expected.
    pub fn normalize_org(raw: &str) -> Result<String, String> {
        let org = raw.trim();
        if org.is_empty() {
            return Err("is empty: expected an IMS org id like `ABC123@AdobeOrg`".to_owned());
        }
        if let Some(c) = org.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "is `{}`, which holds {}: expected an IMS org id like `ABC123@AdobeOrg`, with no whitespace or control character inside",
                org.escape_debug(),
                if c.is_control() {
                    format!("the control character `{}`", c.escape_unicode())
                } else {
                    "whitespace".to_owned()
                }
            ));
        }
        Ok(org.to_owned())
    }
}

/// Credentials for the Flow Service API. Use `${VAR}` references: these are secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Credentials {
    /// OAuth server-to-server client id (also sent as `x-api-key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// OAuth server-to-server client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// A ready access token, instead of a client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// The IMS scopes to ask for: copy them from the Developer Console's
    /// credential page (OAuth Server-to-Server, "Scopes"). IMS answers
    /// `invalid_scope` when asked for one the credential lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1),
        inner(regex(pattern = r"^[A-Za-z0-9_.:-]+$")),
        extend("default" = ["openid", "AdobeID", "read_organizations", "additional_info.projectedProductContext", "session"])
    )]
    pub scopes: Option<Vec<String>>,
}

/// Where state is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StateSettings {
    /// `file` (default) or `postgres`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<StateBackendKind>,
    /// File backend: path of the state file (default `.provision/state.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// PostgreSQL backend: connection URL, e.g. `${PROVISION_STATE_URL}`
    /// (`postgres://user:password@host:5432/db?sslmode=verify-full`). Use a
    /// `${VAR}` reference: the URL holds a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// PostgreSQL backend: the namespace this config repository's state lives
    /// under, so several repositories can share one database; each namespace
    /// has its own lock (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 200),
        regex(pattern = r"^[^\u0000-\u001F\u007F]*$")
    )]
    pub namespace: Option<String>,
}

/// State backend kinds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateBackendKind {
    /// A JSON file on local disk.
    #[default]
    File,
    /// A PostgreSQL database shared by a team.
    Postgres,
}

/// The pattern an environment name follows: it names a state file
/// (`.provision/state.NAME.json`) and a PostgreSQL namespace.
pub const ENVIRONMENT_NAME_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$";

/// What an environment does to dataflows (connections are not affected).
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

#[cfg(test)]
mod tests {
    use super::OrgSettings;

    fn normalize_org(raw: &str) -> Result<String, String> {
        OrgSettings::normalize_org(raw)
    }

    #[test]
    fn org_ids_are_trimmed_and_refused_with_inner_whitespace() {
        assert_eq!(normalize_org(" ORG@AdobeOrg \n").unwrap(), "ORG@AdobeOrg");
        assert!(
            normalize_org("OR G@AdobeOrg")
                .unwrap_err()
                .contains("whitespace")
        );
        assert!(
            normalize_org("ORG\n2@AdobeOrg")
                .unwrap_err()
                .contains("control character")
        );
        assert!(normalize_org("  ").unwrap_err().contains("is empty"));
    }
}
