//! The JSON bodies Flow Service and IMS exchange, shared by the client and
//! the emulator so both speak exactly the same shapes (docs/contract/platform-api.md).
//! Create bodies render field for field as the seed guide's curl examples.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::{Auth, Cloud, Connection, SslMode};
use crate::secret::Secret;

/// The PostgreSQL source's connection spec.
pub const POSTGRES_SPEC_ID: &str = "74a1c565-4e59-48d7-9d67-7c03b8a13137";
pub const POSTGRES_SPEC_VERSION: &str = "1.0";
pub const BASIC_AUTH: &str = "Basic Authentication";
pub const CONNECTION_STRING_AUTH: &str = "Connection String Based Authentication";
/// The IMS scopes a server-to-server token for Flow Service needs, unless
/// the settings' `credentials.scopes` say otherwise.
pub const DEFAULT_IMS_SCOPES: [&str; 5] = [
    "openid",
    "AdobeID",
    "read_organizations",
    "additional_info.projectedProductContext",
    "session",
];
/// The same, as the `scope` form field.
pub const IMS_SCOPE: &str =
    "openid,AdobeID,read_organizations,additional_info.projectedProductContext,session";
/// The `state` values of a connection on its way out (the service's
/// delete-finalizing states); every other value, known or new, counts as a
/// connection in use, so a state added by the service never causes a duplicate.
pub const DELETING_STATES: [&str; 2] = ["deleting", "deleted"];

/// `connectionSpec`: which source, which version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecRef {
    pub id: String,
    pub version: String,
}

impl SpecRef {
    pub fn postgres() -> Self {
        SpecRef {
            id: POSTGRES_SPEC_ID.into(),
            version: POSTGRES_SPEC_VERSION.into(),
        }
    }
}

/// `POST /connections` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateConnectionRequest {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub auth: CreateAuth,
    pub connection_spec: SpecRef,
}

/// `auth` of a create body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAuth {
    pub spec_name: String,
    pub params: AuthParams,
}

/// `auth.params`: every value a string, as the seed sends them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AuthParams {
    #[serde(rename_all = "camelCase")]
    ConnectionString { connection_string: Secret },
    #[serde(rename_all = "camelCase")]
    Basic {
        server: String,
        port: String,
        database: String,
        username: String,
        password: Secret,
        #[serde(skip_serializing_if = "Option::is_none")]
        ssl_mode: Option<String>,
    },
}

impl CreateConnectionRequest {
    /// The create body for a connection whose `${VAR}` references have
    /// already been substituted. AWS sends `sslMode` as `"true"`/`"false"`
    /// (absent means `"false"`); Azure sends the mode's name. A mode of the
    /// other cloud (rejected by `validate`) is sent as is for the service to refuse.
    pub fn from_connection(connection: &Connection) -> Self {
        let params = match &connection.auth {
            Auth::ConnectionString(auth) => AuthParams::ConnectionString {
                connection_string: Secret::new(auth.connection_string.clone()),
            },
            Auth::Basic(basic) => {
                let ssl_mode = match (connection.cloud, basic.ssl_mode) {
                    (Cloud::Aws, None) => Some("false".to_owned()),
                    (_, None) => None,
                    (_, Some(SslMode::Aws(on))) => Some(on.to_string()),
                    (_, Some(SslMode::Azure(mode))) => Some(mode.as_str().to_owned()),
                };
                AuthParams::Basic {
                    server: basic.server.clone(),
                    port: basic.port.to_string(),
                    database: basic.database.clone(),
                    username: basic.username.clone(),
                    password: Secret::new(basic.password.clone()),
                    ssl_mode,
                }
            }
        };
        let spec_name = match params {
            AuthParams::ConnectionString { .. } => CONNECTION_STRING_AUTH,
            AuthParams::Basic { .. } => BASIC_AUTH,
        };
        CreateConnectionRequest {
            name: connection.name.clone(),
            description: connection.description.clone(),
            auth: CreateAuth {
                spec_name: spec_name.into(),
                params,
            },
            connection_spec: SpecRef::postgres(),
        }
    }
}

/// `201` to a create and `200` to a patch: the id and the new etag (with its quotes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdEtag {
    pub id: String,
    pub etag: String,
}

/// One connection as `GET` returns it. Secrets come back as `********`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionItem {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<ItemAuth>,
    pub connection_spec: SpecRef,
    #[serde(default)]
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Value>,
    #[serde(default)]
    pub etag: String,
    #[serde(default)]
    pub sandbox_name: String,
    #[serde(default)]
    pub ims_org_id: String,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default)]
    pub updated_at: i64,
    #[serde(default)]
    pub created_client: String,
    #[serde(default)]
    pub updated_client: String,
}

impl ConnectionItem {
    /// Whether the connection counts: every `state` but a deleting one
    /// (counting an unknown one is the safe side against duplicates).
    /// Connections being deleted are ignored when adopting or counting namesakes.
    pub fn is_live(&self) -> bool {
        is_live_state(&self.state)
    }
}

/// Whether an object in `state` counts (any state but a deleting one).
pub fn is_live_state(state: &str) -> bool {
    let state = state.trim();
    !DELETING_STATES
        .iter()
        .any(|deleting| state.eq_ignore_ascii_case(deleting))
}

/// `auth` of a returned connection (secrets masked by the service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemAuth {
    pub spec_name: String,
    #[serde(default)]
    pub params: Map<String, Value>,
}

/// `GET /connections` and `GET /connections/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectionListResponse {
    #[serde(default)]
    pub items: Vec<ConnectionItem>,
    #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
    pub links: Option<PageLinks>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageLinks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<PageLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageLink {
    pub href: String,
}

/// One JSON Patch operation (`PATCH /connections/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOp {
    pub op: PatchKind,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchKind {
    Add,
    Replace,
    Remove,
}

impl PatchOp {
    /// `replace`: the path must exist (RFC 6902).
    pub fn replace(path: &str, value: Value) -> Self {
        PatchOp {
            op: PatchKind::Replace,
            path: path.into(),
            value: Some(value),
        }
    }

    /// `add`: sets a member whether or not it exists (RFC 6902).
    pub fn add(path: &str, value: Value) -> Self {
        PatchOp {
            op: PatchKind::Add,
            path: path.into(),
            value: Some(value),
        }
    }

    /// `remove`: the path must exist.
    pub fn remove(path: &str) -> Self {
        PatchOp {
            op: PatchKind::Remove,
            path: path.into(),
            value: None,
        }
    }
}

/// The gateway's error body: `{"error_code": "403003", "message": "Api Key is invalid"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayError {
    pub error_code: String,
    pub message: String,
}

/// IMS token response.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: Secret,
    #[serde(default)]
    pub token_type: String,
    pub expires_in: u64,
}

/// IMS error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImsErrorBody {
    pub error: String,
    #[serde(default)]
    pub error_description: String,
}
