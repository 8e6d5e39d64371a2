//! What a failed probe says: a category a pipeline can act on ("fix the
//! network" versus "fix the password") and a message with no secret in it.

use std::fmt;

use serde::Serialize;

/// What kind of failure, so a pipeline can tell "fix the network" from "fix
/// the password".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Category {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens on the port, or the connection was closed at once.
    Refused,
    /// No answer within `--timeout`.
    Timeout,
    /// TLS required but not offered, or the certificate did not verify.
    Tls,
    /// Wrong password or unknown user (SQLSTATE 28P01 / 28000).
    Auth,
    /// The database does not exist (SQLSTATE 3D000).
    Database,
    /// The connection's own values cannot be used (e.g. a non-numeric port).
    Config,
    Other,
}

impl Category {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Category::Dns => "dns",
            Category::Refused => "refused",
            Category::Timeout => "timeout",
            Category::Tls => "tls",
            Category::Auth => "auth",
            Category::Database => "database",
            Category::Config => "config",
            Category::Other => "other",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a probe failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub category: Category,
    pub message: String,
}

impl Failure {
    /// The message quotes servers (a database's error text): it is kept to
    /// one capped line, as all server text is.
    pub(crate) fn new(category: Category, message: impl Into<String>) -> Self {
        Failure {
            category,
            message: crate::escape::server_text(&message.into()),
        }
    }
}
