//! One connection document: the shape users write, deserialised and turned
//! into the JSON Schema. Doc comments here are what an editor shows on hover.

use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ConnectionKey;

/// The platform's rule for `name`: 1 to 256 characters, none of them a
/// control character (C0, DEL, C1). One pattern rather than
/// `minLength`/`maxLength`: JSON Schema counts a length in code points, but
/// JavaScript validators (editors' yaml-language-server, ajv) count UTF-16
/// units, so an emoji would count twice there. A regular expression with
/// Unicode semantics counts code points everywhere.
pub const NAME_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]{1,256}$";
/// The most characters (code points) a name may have.
pub const NAME_MAX_CHARS: usize = 256;

/// Why a name breaks [`NAME_PATTERN`], for a message more precise than the
/// pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    /// The number of characters (code points).
    TooLong(usize),
    /// The first control character.
    Control(char),
}

impl NameProblem {
    /// The problem with `name`, or `None` when it follows the rule.
    pub fn of(name: &str) -> Option<NameProblem> {
        if let Some(c) = name.chars().find(|c| c.is_control()) {
            return Some(NameProblem::Control(c));
        }
        match name.chars().count() {
            0 => Some(NameProblem::Empty),
            n if n > NAME_MAX_CHARS => Some(NameProblem::TooLong(n)),
            _ => None,
        }
    }
}

/// A PostgreSQL source connection on Adobe Experience Platform.
///
/// One YAML document describes one connection; separate several in one file
/// with `---`. The triple (cloud, sandbox, name) identifies it. A document
/// may say `kind: connection`; without `kind` it is a connection all the
/// same (see [`connection_kind`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(
    title = "provision connection",
    transform = cloud_rules,
    transform = connection_kind,
    example = example_connection()
)]
pub struct Connection {
    /// Connection name on the platform; unique per (cloud, sandbox): 1 to 256
    /// characters (Unicode code points: an emoji is one), no control
    /// characters.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub name: String,
    /// Free text shown on the platform next to the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sandbox the connection lives in (sent as the `x-sandbox-name` header):
    /// lowercase letters, digits and hyphens, starting with a letter or digit.
    /// May be left out when the settings give one (per environment): that
    /// one is used. Always written literally, never `${VAR}`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(min = 1, max = 256), regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub sandbox: String,
    /// The environments of the settings this document is applied in
    /// (default: all of them), e.g. `[prod]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1),
        inner(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"))
    )]
    pub environments: Option<Vec<String>>,
    /// Cloud the Experience Platform organization runs on.
    pub cloud: Cloud,
    /// How the platform authenticates to the PostgreSQL server.
    pub auth: Auth,
    /// The secret's version, an integer from 0: raise it after rotating the
    /// password, and the next apply sends the secret once (a PATCH, never a
    /// re-create), with or without `PROVISION_STATE_KEY`. State records the
    /// version sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_version: Option<u32>,
    /// Earlier names of this connection (one, or a list), like terraform's
    /// `moved` block: when state records an earlier name and not `name`, the
    /// next apply renames the connection on the platform (one PATCH, same
    /// id) and moves its state entry, instead of creating a new one. Names
    /// stay in the document's cloud and sandbox. Once applied it is a no-op:
    /// keep it or remove it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "renamed_from_schema")]
    pub renamed_from: Option<RenamedFrom>,
    /// `true`: never deleted by a plan, even when its document is removed;
    /// the plan fails instead, naming the way out (`protect: false` and
    /// apply, or `provision state unprotect KEY`). Kept in state only:
    /// changing it sends nothing to the platform.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protect: bool,
}

/// One earlier name, or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RenamedFrom {
    /// One earlier name.
    One(String),
    /// Several earlier names.
    Many(Vec<String>),
}

/// A string or a non-empty list of strings, each following `name`'s rule,
/// as one schema rather than an `anyOf`: `pattern` only applies to a string
/// and `items` only to a list, so a wrong name is reported as such, not as
/// "valid under none of the alternatives".
pub(super) fn renamed_from_schema(_: &mut schemars::SchemaGenerator) -> Schema {
    schemars::json_schema!({
        "type": ["string", "array"],
        "pattern": NAME_PATTERN,
        "minItems": 1,
        "items": { "type": "string", "pattern": NAME_PATTERN },
    })
}

impl RenamedFrom {
    /// The earlier names, in the order written.
    pub fn names(&self) -> Vec<&str> {
        match self {
            RenamedFrom::One(name) => vec![name.as_str()],
            RenamedFrom::Many(names) => names.iter().map(String::as_str).collect(),
        }
    }
}

/// Cloud the Experience Platform organization runs on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// Experience Platform on Microsoft Azure.
    Azure,
    /// Experience Platform on Amazon Web Services.
    Aws,
}

impl Cloud {
    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Azure => "azure",
            Cloud::Aws => "aws",
        }
    }
}

impl std::str::FromStr for Cloud {
    type Err = String;

    /// `azure` or `aws`, as written in the config.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "azure" => Ok(Cloud::Azure),
            "aws" => Ok(Cloud::Aws),
            other => Err(format!(
                "unknown cloud `{}`: expected `azure` or `aws`",
                other.escape_debug()
            )),
        }
    }
}

impl std::fmt::Display for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Credentials the platform uses to reach the PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
#[schemars(transform = crate::config::schema::tagged_union_to_if_then)]
pub enum Auth {
    /// Server, port, database, user name and password as separate fields.
    Basic(BasicAuth),
    /// One connection string (Azure only).
    ConnectionString(ConnectionStringAuth),
}

/// Basic authentication: the server's address and a database user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BasicAuth {
    /// Host name or IP address of the PostgreSQL server.
    #[schemars(length(min = 1))]
    pub server: String,
    /// TCP port of the PostgreSQL server (an unquoted integer, usually 5432).
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// Database to connect to.
    #[schemars(length(min = 1))]
    pub database: String,
    /// Database user the platform connects as.
    #[schemars(length(min = 1))]
    pub username: String,
    /// The user's password: a `${VAR}` reference to an environment variable,
    /// never the password itself.
    #[schemars(length(min = 1))]
    pub password: String,
    /// TLS mode. Azure: one of `Disable`, `Allow`, `Prefer`, `Verify Ca`,
    /// `Verify Full`. AWS: `true` or `false` (default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "ssl_mode_schema")]
    pub ssl_mode: Option<SslMode>,
}

/// TLS mode: a named mode on Azure, a boolean on AWS. Its schema is not
/// derived: which of the two is allowed depends on `cloud` (see
/// [`cloud_rules`] and [`ssl_mode_schema`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SslMode {
    /// Azure's named modes.
    Azure(AzureSslMode),
    /// AWS: whether TLS is enforced.
    Aws(bool),
}

/// Azure TLS modes, spelled as the platform spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AzureSslMode {
    Disable,
    Allow,
    Prefer,
    #[serde(rename = "Verify Ca")]
    VerifyCa,
    #[serde(rename = "Verify Full")]
    VerifyFull,
}

impl AzureSslMode {
    pub const ALL: [&'static str; 5] = ["Disable", "Allow", "Prefer", "Verify Ca", "Verify Full"];

    pub fn as_str(self) -> &'static str {
        match self {
            AzureSslMode::Disable => "Disable",
            AzureSslMode::Allow => "Allow",
            AzureSslMode::Prefer => "Prefer",
            AzureSslMode::VerifyCa => "Verify Ca",
            AzureSslMode::VerifyFull => "Verify Full",
        }
    }
}

/// Connection-string authentication (Azure only).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectionStringAuth {
    /// `Server=…;Database=…;Port=…;UID=…;Password=${VAR}`, optionally with
    /// `EncryptionMethod=0|1|6` and `ValidateServerCertificate=0|1`; or one
    /// `${VAR}` holding the whole string (checked when it is resolved).
    #[schemars(length(min = 1))]
    pub connection_string: String,
}

impl Connection {
    /// The connection's identity across files and in state: `cloud/sandbox/name`.
    pub fn key(&self) -> ConnectionKey {
        ConnectionKey::new(self.cloud, &self.sandbox, &self.name)
    }

    /// The keys of the names in `renamedFrom`, in the order written.
    pub fn earlier_keys(&self) -> Vec<ConnectionKey> {
        self.renamed_from
            .iter()
            .flat_map(RenamedFrom::names)
            .map(|name| ConnectionKey::new(self.cloud, &self.sandbox, name))
            .collect()
    }
}

/// `sslMode` under `auth` only describes the field: its type and values are
/// set by the cloud's branch in [`cloud_rules`]. A cloud-independent
/// `anyOf` of both forms would have editors offer Azure's names on AWS and
/// report one mistake three times (once per branch, once for the `anyOf`).
fn ssl_mode_schema(_: &mut schemars::SchemaGenerator) -> Schema {
    schemars::json_schema!({})
}

/// Rules that tie `auth` to `cloud`, expressed in the schema itself so that
/// any standard validator gives the same verdict as `provision validate`.
fn cloud_rules(schema: &mut Schema) {
    let rules = json!([
        {
            "if": { "properties": { "cloud": { "const": "aws" } }, "required": ["cloud"] },
            "then": { "properties": { "auth": { "properties": {
                "type": {
                    "const": "basic",
                    "description": "AWS supports only basic authentication."
                },
                "sslMode": {
                    "type": "boolean",
                    "description": "AWS: whether TLS is enforced (`true` or `false`)."
                }
            } } } }
        },
        {
            "if": { "properties": { "cloud": { "const": "azure" } }, "required": ["cloud"] },
            "then": { "properties": { "auth": { "properties": {
                "sslMode": {
                    "enum": AzureSslMode::ALL,
                    "description": "Azure: one of the five named TLS modes."
                }
            } } } }
        }
    ]);
    schema.insert("allOf".into(), rules);
}

/// The value of `kind` a connection document may carry.
const CONNECTION_KIND: &str = "connection";

/// `kind: connection` is allowed (and changes nothing): a file mixing
/// connections and dataflows may label every document. It lives in the
/// schema only, not in [`Connection`]: validation reads `kind` to choose
/// the document's type and drops it before deserialising, so the
/// connection's value, and the fingerprint state keeps of it, are the same
/// with or without the label.
fn connection_kind(schema: &mut Schema) {
    let Some(serde_json::Value::Object(properties)) = schema.get_mut("properties") else {
        return;
    };
    let mut with_kind = serde_json::Map::new();
    with_kind.insert(
        "kind".into(),
        json!({
            "const": CONNECTION_KIND,
            "description": "Optional: `connection`, the default for a document without `kind`. `kind: dataflow` makes a dataflow document instead (its own schema, `dataflow.schema.json`)."
        }),
    );
    with_kind.append(properties);
    *properties = with_kind;
}

fn example_connection() -> serde_json::Value {
    json!({
        "name": "orders-db",
        "description": "Orders replica",
        "sandbox": "prod",
        "cloud": "azure",
        "auth": {
            "type": "basic",
            "server": "orders.pg.example.com",
            "port": 5432,
            "database": "orders",
            "username": "aep_reader",
            "password": "${ORDERS_DB_PASSWORD}",
            "sslMode": "Verify Full"
        }
    })
}

// Debug never shows a secret: after `${VAR}` resolution these hold real ones.
impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("username", &self.username)
            .field("password", &"********")
            .field("ssl_mode", &self.ssl_mode)
            .finish()
    }
}

impl std::fmt::Debug for ConnectionStringAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionStringAuth")
            .field("connection_string", &"********")
            .finish()
    }
}
