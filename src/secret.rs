//! A string that must never reach a log line, an error message or a `Debug`
//! dump: passwords, connection strings, client secrets and access tokens.
//! Reading it takes an explicit `expose()`, so every use is easy to audit.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What `Debug` and `Display` print instead of the value.
pub const MASK: &str = "********";

/// The one list of fields whose values are secrets, in the config, the
/// settings and the wire bodies: never echoed, masked in snippets.
pub const SECRET_FIELDS: [&str; 4] = [
    "password",
    "connectionString",
    "clientSecret",
    "accessToken",
];

/// The auth params among them, which the service never returns in clear.
pub const SECRET_PARAMS: [&str; 2] = [SECRET_FIELDS[0], SECRET_FIELDS[1]];

/// A field whose value is a secret (exact spelling).
pub fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.contains(&name)
}

/// A JSON pointer whose last step is a secret field.
pub fn is_secret_pointer(pointer: &str) -> bool {
    pointer.rsplit('/').next().is_some_and(is_secret_field)
}

/// True when a value holds no secret text: only `${…}` references, well
/// formed or not (`${PW-3}` is a mistyped reference). Such values are shown,
/// not masked, and a connection-string part after one is not a password tail.
pub fn is_only_references(value: &str) -> bool {
    let mut rest = value.trim();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let Some(body) = rest.strip_prefix("${") else {
            return false;
        };
        let Some(end) = body.find('}') else {
            return false;
        };
        if body[..end].contains('$') {
            return false;
        }
        rest = &body[end + 1..];
    }
    true
}

/// A secret value. `Debug`/`Display` print `********`; `expose()` reads it.
///
/// It serialises to the real value because the wire bodies that carry it
/// (create requests, the IMS form) must contain it; nothing else serialises it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself: only for putting it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("canary-S3cr3t-9f2b");
        assert_eq!(
            format!("{s} {s:?} {:?}", Some(&s)),
            "******** ******** Some(********)"
        );
        assert_eq!(s.expose(), "canary-S3cr3t-9f2b");
    }

    #[test]
    fn references_are_not_secret_text() {
        assert!(is_only_references("${PW}"));
        assert!(is_only_references("${PW-3}"));
        assert!(is_only_references("${A}${B}"));
        assert!(!is_only_references("x${PW}"));
        assert!(!is_only_references("${PW"));
        assert!(!is_only_references("hunter2"));
        assert!(!is_only_references(""));
    }

    #[test]
    fn serialises_transparently_for_wire_bodies() {
        let s = Secret::new("x");
        assert_eq!(serde_json::to_string(&s).ok().as_deref(), Some("\"x\""));
    }
}
