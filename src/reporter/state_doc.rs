//! What `state list` and `state show` print: for people, tab-separated
//! lines and `field: value` lines; for programs, versioned JSON documents
//! in snake_case (the state file keeps its own format; this is a view of it).

use schemars::JsonSchema;
use serde::Serialize;

use crate::config::ConnectionKey;
use crate::state::{Pending, Record, State};

/// `state list --format json`: every recorded connection and pending create.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct StateList {
    /// The version of this document's format.
    format_version: u32,
    /// The state it was read from (a database URL's password redacted).
    state: String,
    /// The recorded connections, in key order.
    connections: Vec<Listed>,
    /// Creates sent (or about to be) but not yet recorded.
    pending: Vec<PendingCreate>,
}

/// One recorded connection.
#[derive(Debug, Serialize, JsonSchema)]
struct Listed {
    /// `cloud/sandbox/name`.
    key: String,
    /// The Flow Service connection id.
    id: String,
    /// The IMS org it lives in.
    org: String,
    /// When it was last recorded (RFC 3339, UTC).
    updated_at: String,
    /// The file that described it when last recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

/// One create whose outcome is not recorded yet.
#[derive(Debug, Serialize, JsonSchema)]
struct PendingCreate {
    key: String,
    org: String,
    /// When the create was about to be sent (RFC 3339, UTC).
    started_at: String,
}

/// `state show --format json`: one record with its key, or the pending
/// create state keeps for it (a create whose outcome is not recorded yet).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum StateShow {
    Recorded(RecordShown),
    Pending(PendingShown),
}

/// A create state keeps as pending: sent (or about to be) but not recorded.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PendingShown {
    /// The version of this document's format.
    format_version: u32,
    /// `cloud/sandbox/name`.
    key: String,
    /// Always `true`: no connection id is recorded yet; the next plan looks
    /// the name up and says whether apply adopts it or creates it.
    pending: bool,
    /// The IMS org it is being created in.
    org: String,
    /// When the create was about to be sent (RFC 3339, UTC).
    started_at: String,
}

/// One recorded connection with its key.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RecordShown {
    /// The version of this document's format (1 was the record as stored, in camelCase).
    format_version: u32,
    /// `cloud/sandbox/name`.
    key: String,
    /// The Flow Service connection id.
    id: String,
    /// The connection's etag when last recorded.
    etag: String,
    /// The IMS org it lives in.
    org: String,
    /// SHA-256 of the non-secret desired fields when last applied.
    fingerprint: String,
    /// HMAC-SHA256 of the secret, keyed by `PROVISION_STATE_KEY`, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_hmac: Option<String>,
    created_at: String,
    updated_at: String,
    /// The file that described it when last recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

impl StateList {
    pub(crate) const FORMAT_VERSION: u32 = 1;

    pub(crate) fn of(state: &State, described: String) -> Self {
        StateList {
            format_version: Self::FORMAT_VERSION,
            state: described,
            connections: state
                .connections
                .iter()
                .map(|(key, record)| Listed {
                    key: key.to_string(),
                    id: record.id.clone(),
                    org: record.org.clone(),
                    updated_at: record.updated_at.clone(),
                    source: record.source.clone(),
                })
                .collect(),
            pending: state
                .pending
                .iter()
                .map(|(key, pending)| PendingCreate {
                    key: key.to_string(),
                    org: pending.org.clone(),
                    started_at: pending.started_at.clone(),
                })
                .collect(),
        }
    }

    /// One tab-separated line per connection, then per pending create.
    pub(crate) fn text(&self) -> Vec<String> {
        let listed = self
            .connections
            .iter()
            .map(|c| format!("{}\t{}\t{}\t{}", c.key, c.id, c.org, c.updated_at));
        let pending = self.pending.iter().map(|p| {
            format!(
                "{}\t(create pending since {})\t{}",
                p.key, p.started_at, p.org
            )
        });
        listed.chain(pending).collect()
    }
}

impl StateShow {
    /// 1 was the stored record as is; 2 names every field in snake_case and adds the key.
    pub(crate) const FORMAT_VERSION: u32 = 2;

    /// A pending create, shown rather than called "not in state".
    pub(crate) fn pending(key: &ConnectionKey, pending: &Pending) -> Self {
        StateShow::Pending(PendingShown {
            format_version: Self::FORMAT_VERSION,
            key: key.to_string(),
            pending: true,
            org: pending.org.clone(),
            started_at: pending.started_at.clone(),
        })
    }

    pub(crate) fn of(key: &ConnectionKey, record: Record) -> Self {
        StateShow::Recorded(RecordShown {
            format_version: Self::FORMAT_VERSION,
            key: key.to_string(),
            id: record.id,
            etag: record.etag,
            org: record.org,
            fingerprint: record.fingerprint,
            secret_hmac: record.secret_hmac,
            created_at: record.created_at,
            updated_at: record.updated_at,
            source: record.source,
        })
    }

    /// `field: value` lines, absent fields left out.
    pub(crate) fn text(&self) -> Vec<String> {
        match self {
            StateShow::Recorded(shown) => shown.text(),
            StateShow::Pending(shown) => vec![
                format!("key: {}", shown.key),
                format!(
                    "status: create pending since {} (no id recorded yet; the next plan looks the name up)",
                    shown.started_at
                ),
                format!("org: {}", shown.org),
                format!("started_at: {}", shown.started_at),
            ],
        }
    }
}

impl RecordShown {
    fn text(&self) -> Vec<String> {
        let optional =
            |name: &str, value: &Option<String>| value.as_ref().map(|v| format!("{name}: {v}"));
        [
            Some(format!("key: {}", self.key)),
            Some(format!("id: {}", self.id)),
            Some(format!("etag: {}", self.etag)),
            Some(format!("org: {}", self.org)),
            Some(format!("fingerprint: {}", self.fingerprint)),
            optional("secret_hmac", &self.secret_hmac),
            Some(format!("created_at: {}", self.created_at)),
            Some(format!("updated_at: {}", self.updated_at)),
            optional("source", &self.source),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
