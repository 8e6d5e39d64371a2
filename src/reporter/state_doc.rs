//! What `state list` and `state show` print: for people, tab-separated
//! lines and `field: value` lines; for programs, versioned JSON documents
//! in snake_case (the state file keeps its own format; this is a view of it).

use schemars::JsonSchema;
use serde::Serialize;

use super::dataflow_doc::{DataflowShown, ListedDataflow};
use crate::config::ConnectionKey;
use crate::state::{Pending, Record, State};
use crate::workspace::recorded::Recorded;

/// `state list --format json`: every recorded connection, pending create
/// and dataflow.
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
    /// The recorded dataflows, complete or partial, in key order.
    dataflows: Vec<ListedDataflow>,
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
    /// Never deleted by a plan (`protect: true`).
    protect: bool,
}

/// One create whose outcome is not recorded yet.
#[derive(Debug, Serialize, JsonSchema)]
struct PendingCreate {
    key: String,
    org: String,
    /// When the create was about to be sent (RFC 3339, UTC).
    started_at: String,
    /// Its document said `protect: true`.
    protect: bool,
}

/// `state show --format json`: one record with its key, or the pending
/// create state keeps for it (a create whose outcome is not recorded yet),
/// or one dataflow record.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum StateShow {
    Recorded(RecordShown),
    Pending(PendingShown),
    Dataflow(DataflowShown),
}

/// A create state keeps as pending: sent (or about to be) but not recorded.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PendingShown {
    /// The version of this document's format.
    format_version: u32,
    /// Always `connection`.
    kind: &'static str,
    /// `cloud/sandbox/name`.
    key: String,
    /// Always `true`: no connection id is recorded yet; the next plan looks
    /// the name up and says whether apply adopts it or creates it.
    pending: bool,
    /// The IMS org it is being created in.
    org: String,
    /// When the create was about to be sent (RFC 3339, UTC).
    started_at: String,
    /// Its document said `protect: true`.
    protect: bool,
}

/// One recorded connection with its key.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RecordShown {
    /// The version of this document's format (1 was the record as stored, in camelCase).
    format_version: u32,
    /// Always `connection`.
    kind: &'static str,
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
    /// Never deleted by a plan (`protect: true`).
    protect: bool,
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
                    protect: record.protect,
                })
                .collect(),
            pending: state
                .pending
                .iter()
                .map(|(key, pending)| PendingCreate {
                    key: key.to_string(),
                    org: pending.org.clone(),
                    started_at: pending.started_at.clone(),
                    protect: pending.protect,
                })
                .collect(),
            dataflows: state
                .dataflows
                .iter()
                .map(|(key, record)| ListedDataflow::of(key, record))
                .collect(),
        }
    }

    /// One tab-separated line per connection, then per pending create,
    /// then per dataflow; `protected` last on a protected one's.
    pub(crate) fn text(&self) -> Vec<String> {
        let protected = |protect: bool| if protect { "\tprotected" } else { "" };
        let listed = self.connections.iter().map(|c| {
            format!(
                "{}\t{}\t{}\t{}{}",
                c.key,
                c.id,
                c.org,
                c.updated_at,
                protected(c.protect)
            )
        });
        let pending = self.pending.iter().map(|p| {
            format!(
                "{}\t(create pending since {})\t{}{}",
                p.key,
                p.started_at,
                p.org,
                protected(p.protect)
            )
        });
        let dataflows = self.dataflows.iter().map(ListedDataflow::text);
        listed.chain(pending).chain(dataflows).collect()
    }
}

impl StateShow {
    /// 1 was the stored record as is; 2 names every field in snake_case and adds the key.
    pub(crate) const FORMAT_VERSION: u32 = 2;

    /// What state records under a key.
    pub(crate) fn of(recorded: Recorded) -> Self {
        match recorded {
            Recorded::Connection(key, record) => Self::connection(&key, record),
            Recorded::Pending(key, pending) => Self::pending(&key, &pending),
            Recorded::Dataflow(key, record) => {
                StateShow::Dataflow(DataflowShown::of(Self::FORMAT_VERSION, &key, *record))
            }
        }
    }

    /// A pending create, shown rather than called "not in state".
    fn pending(key: &ConnectionKey, pending: &Pending) -> Self {
        StateShow::Pending(PendingShown {
            format_version: Self::FORMAT_VERSION,
            kind: "connection",
            key: key.to_string(),
            pending: true,
            org: pending.org.clone(),
            started_at: pending.started_at.clone(),
            protect: pending.protect,
        })
    }

    fn connection(key: &ConnectionKey, record: Record) -> Self {
        StateShow::Recorded(RecordShown {
            format_version: Self::FORMAT_VERSION,
            kind: "connection",
            key: key.to_string(),
            id: record.id,
            etag: record.etag,
            org: record.org,
            fingerprint: record.fingerprint,
            secret_hmac: record.secret_hmac,
            created_at: record.created_at,
            updated_at: record.updated_at,
            source: record.source,
            protect: record.protect,
        })
    }

    /// `field: value` lines, absent fields left out.
    pub(crate) fn text(&self) -> Vec<String> {
        match self {
            StateShow::Recorded(shown) => shown.text(),
            StateShow::Dataflow(shown) => shown.text(),
            StateShow::Pending(shown) => vec![
                format!("key: {}", shown.key),
                format!(
                    "status: create pending since {} (no id recorded yet; the next plan looks the name up)",
                    shown.started_at
                ),
                format!("org: {}", shown.org),
                format!("started_at: {}", shown.started_at),
                format!("protect: {}", shown.protect),
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
            Some(format!("protect: {}", self.protect)),
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
