//! What happened to one connection, and the text and GitHub lines every
//! outcome is shown as, in columns known before any probe finishes so
//! that lines printed as they complete still line up.

use std::fmt::Write as _;
use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;

use super::failure::{Category, Failure};
use super::probe::Probed;
use super::target::Target;
use crate::config::ConnectionKey;

/// What happened to one connection.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Outcome {
    /// `cloud/sandbox/name`.
    #[schemars(with = "String")]
    pub key: ConnectionKey,
    /// `host:port/database`, empty when the connection could not be read.
    pub endpoint: String,
    /// The TLS policy in libpq's words (`verify-full`, `prefer`, …).
    pub tls: String,
    /// `ok` or `failed`.
    pub status: &'static str,
    /// What kind of failure, for a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// What went wrong, for a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How long the probe took.
    pub elapsed_ms: u64,
    /// Set when the password was offered over a connection without TLS,
    /// where anyone on the network path can read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl Outcome {
    pub(super) fn new(target: &Target, probed: Probed) -> Self {
        let Probed {
            result,
            elapsed,
            unencrypted,
            ..
        } = probed;
        // Only a server that got as far as authentication saw a password.
        let reached_auth = match &result {
            Ok(()) => true,
            Err(failure) => matches!(failure.category, Category::Auth | Category::Database),
        };
        let warning = (unencrypted && reached_auth).then(|| {
            format!(
                "the password was offered without TLS (tls={}): anyone on the network path can read it, and the platform connects the same way; require TLS (`Verify Full`, `sslMode: true`, `EncryptionMethod=1`)",
                target.tls
            )
        });
        let (status, category, message) = match result {
            Ok(()) => ("ok", None, None),
            Err(failure) => ("failed", Some(failure.category), Some(failure.message)),
        };
        Outcome {
            key: target.key.clone(),
            endpoint: target.endpoint(),
            tls: target.tls.to_string(),
            status,
            category,
            message,
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            warning,
        }
    }

    /// A connection that was never probed because its values cannot be used.
    pub(crate) fn unusable(key: ConnectionKey, failure: Failure) -> Self {
        Outcome {
            key,
            endpoint: String::new(),
            tls: String::new(),
            status: "failed",
            category: Some(failure.category),
            message: Some(failure.message),
            elapsed_ms: 0,
            warning: None,
        }
    }

    pub(crate) fn is_ok(&self) -> bool {
        self.category.is_none()
    }
}

/// Column widths of the text lines, known before any probe finishes, so
/// lines printed as they complete still line up.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Columns {
    pub(super) key: usize,
    endpoint: usize,
}

impl Columns {
    /// Wide enough for every target and every outcome already known.
    pub(crate) fn of(targets: &[Target], outcomes: &[Outcome]) -> Self {
        let keys = targets
            .iter()
            .map(|t| t.key.to_string().len())
            .chain(outcomes.iter().map(|o| o.key.to_string().len()));
        let endpoints = targets
            .iter()
            .map(|t| t.endpoint().len())
            .chain(outcomes.iter().map(|o| o.endpoint.len()));
        Columns {
            key: keys.max().unwrap_or(0),
            endpoint: endpoints.max().unwrap_or(0),
        }
    }

    /// Wide enough for keys of these lengths too (the dataflows').
    pub(crate) fn with_keys(self, keys: impl Iterator<Item = usize>) -> Self {
        Columns {
            key: keys.chain([self.key]).max().unwrap_or(0),
            ..self
        }
    }
}

impl Outcome {
    /// Its text line (no newline): status, key, endpoint, TLS policy, time,
    /// and for a failure `category: message`.
    pub(crate) fn text_line(&self, columns: &Columns) -> String {
        let status = if self.is_ok() { "ok" } else { "FAIL" };
        let (key_width, endpoint_width) = (columns.key, columns.endpoint);
        let mut line = format!(
            "{status:<4}  {:<key_width$}  {:<endpoint_width$}  {:<18}  {:>6} ms",
            self.key.to_string(),
            self.endpoint,
            format!("tls={}", self.tls),
            self.elapsed_ms,
        );
        if let (Some(category), Some(message)) = (self.category, &self.message) {
            let _ = write!(line, "  {category}: {message}");
        }
        if let Some(warning) = &self.warning {
            let _ = write!(line, "  WARNING: {warning}");
        }
        line
    }

    /// A GitHub Actions line: a failure is an `::error` annotation on the
    /// connection's document (`file`, `line`), a success a plain line.
    pub(crate) fn github_line(&self, columns: &Columns, place: Option<(&Path, u32)>) -> String {
        let at = place
            .map(|(file, line)| {
                format!(
                    " file={},line={line},",
                    escape_property(&file.display().to_string())
                )
            })
            .unwrap_or_else(|| " ".to_owned());
        let endpoint = if self.endpoint.is_empty() {
            String::new()
        } else {
            format!(" ({}, tls={})", self.endpoint, self.tls)
        };
        let (Some(category), Some(message)) = (self.category, &self.message) else {
            return match &self.warning {
                Some(warning) => format!(
                    "{}\n::warning{at}title={}::{}",
                    self.text_line(columns),
                    escape_property("provision check: password without TLS"),
                    escape_data(&format!("{}{endpoint}: {warning}", self.key))
                ),
                None => self.text_line(columns),
            };
        };
        format!(
            "::error{at}title={}::{}",
            escape_property(&format!("provision check: {category}")),
            escape_data(&format!("{}{endpoint}: {message}", self.key))
        )
    }
}

// https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
pub(super) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub(super) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
