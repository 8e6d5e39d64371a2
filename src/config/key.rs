//! A connection's identity, `cloud/sandbox/name`: the key of state records,
//! plan actions, apply outcomes, check results and `--target`. One type, so
//! no caller splits or joins the string by hand.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Cloud;

/// `cloud/sandbox/name`. The name is everything after the second `/`, so a
/// name may hold `/` itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnectionKey {
    pub cloud: Cloud,
    pub sandbox: String,
    pub name: String,
}

impl ConnectionKey {
    pub fn new(cloud: Cloud, sandbox: impl Into<String>, name: impl Into<String>) -> Self {
        ConnectionKey {
            cloud,
            sandbox: sandbox.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ConnectionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.cloud, self.sandbox, self.name)
    }
}

/// Why a string is not a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a connection key: expected `cloud/sandbox/name`, e.g. `azure/prod/orders-db` (or `dataflow/cloud/sandbox/name` for a dataflow)"
)]
pub struct KeyError(String);

impl FromStr for ConnectionKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        let fail = || KeyError(text.escape_debug().to_string());
        let mut parts = text.splitn(3, '/');
        let cloud = parts.next().and_then(|c| c.parse().ok()).ok_or_else(fail)?;
        let sandbox = parts.next().filter(|s| !s.is_empty()).ok_or_else(fail)?;
        let name = parts.next().filter(|n| !n.is_empty()).ok_or_else(fail)?;
        Ok(ConnectionKey::new(cloud, sandbox, name))
    }
}

/// Ordered as the `cloud/sandbox/name` strings are, so state files, plans
/// and outcome lists keep the order they always had.
impl Ord for ConnectionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        let rest = |k: &'_ ConnectionKey| {
            let (sandbox, name) = (k.sandbox.as_bytes(), k.name.as_bytes());
            sandbox
                .iter()
                .chain(b"/")
                .chain(name)
                .copied()
                .collect::<Vec<u8>>()
        };
        self.cloud.as_str().cmp(other.cloud.as_str()).then_with(|| {
            if self.sandbox == other.sandbox {
                self.name.cmp(&other.name)
            } else {
                rest(self).cmp(&rest(other))
            }
        })
    }
}

impl PartialOrd for ConnectionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for ConnectionKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ConnectionKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A resource kind `provision` manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// A PostgreSQL base connection (`POST /connections`).
    Connection,
    /// A dataflow and the source connection, target connection and mapping
    /// set it owns.
    Dataflow,
}

impl ResourceKind {
    /// The key prefix and the document's `kind`: `connection`, `dataflow`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Connection => "connection",
            ResourceKind::Dataflow => "dataflow",
        }
    }
}

/// `dataflow/cloud/sandbox/name`: a dataflow's identity, with its kind in
/// the key so it never meets a connection key of the same name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataflowKey(pub ConnectionKey);

impl DataflowKey {
    pub fn new(cloud: Cloud, sandbox: impl Into<String>, name: impl Into<String>) -> Self {
        DataflowKey(ConnectionKey::new(cloud, sandbox, name))
    }

    pub fn cloud(&self) -> Cloud {
        self.0.cloud
    }

    pub fn sandbox(&self) -> &str {
        &self.0.sandbox
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The key of base connection `name` in this dataflow's cloud and sandbox.
    pub fn connection(&self, name: &str) -> ConnectionKey {
        ConnectionKey::new(self.0.cloud, &self.0.sandbox, name)
    }
}

impl fmt::Display for DataflowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dataflow/{}", self.0)
    }
}

impl FromStr for DataflowKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        match text.parse::<ResourceKey>()? {
            ResourceKey::Dataflow(key) => Ok(key),
            ResourceKey::Connection(_) => Err(KeyError(text.escape_debug().to_string())),
        }
    }
}

impl Serialize for DataflowKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DataflowKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Any managed resource's key, as users type it (`--target`, `state rm`):
/// `cloud/sandbox/name` or `connection/cloud/sandbox/name` for a
/// connection, `dataflow/cloud/sandbox/name` for a dataflow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKey {
    Connection(ConnectionKey),
    Dataflow(DataflowKey),
}

impl ResourceKey {
    pub fn kind(&self) -> ResourceKind {
        match self {
            ResourceKey::Connection(_) => ResourceKind::Connection,
            ResourceKey::Dataflow(_) => ResourceKind::Dataflow,
        }
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceKey::Connection(key) => key.fmt(f),
            ResourceKey::Dataflow(key) => key.fmt(f),
        }
    }
}

impl FromStr for ResourceKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        // A cloud is never called `dataflow` or `connection`, so the prefix
        // cannot be mistaken for one.
        if let Some(rest) = text.strip_prefix("dataflow/") {
            return rest
                .parse()
                .map(|key| ResourceKey::Dataflow(DataflowKey(key)))
                .map_err(|_| KeyError(text.escape_debug().to_string()));
        }
        let rest = text.strip_prefix("connection/").unwrap_or(text);
        rest.parse()
            .map(ResourceKey::Connection)
            .map_err(|_| KeyError(text.escape_debug().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_slashes_in_names() {
        let key: ConnectionKey = "azure/prod/orders/eu".parse().unwrap();
        assert_eq!(key.cloud, Cloud::Azure);
        assert_eq!(key.sandbox, "prod");
        assert_eq!(key.name, "orders/eu");
        assert_eq!(key.to_string(), "azure/prod/orders/eu");
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, "\"azure/prod/orders/eu\"");
        assert_eq!(serde_json::from_str::<ConnectionKey>(&json).unwrap(), key);
    }

    #[test]
    fn malformed_keys_are_refused_by_name() {
        for bad in [
            "orders-db",
            "gcp/prod/x",
            "aws//x",
            "aws/prod/",
            "aws/prod",
            "",
        ] {
            let err = bad.parse::<ConnectionKey>().unwrap_err();
            assert!(err.to_string().contains("cloud/sandbox/name"), "{bad}");
        }
    }

    #[test]
    fn keys_carry_their_kind() {
        let flow: ResourceKey = "dataflow/azure/prod/orders-to-lake".parse().unwrap();
        assert_eq!(flow.kind(), ResourceKind::Dataflow);
        assert_eq!(flow.to_string(), "dataflow/azure/prod/orders-to-lake");
        let alias: ResourceKey = "connection/aws/dev/orders".parse().unwrap();
        let plain: ResourceKey = "aws/dev/orders".parse().unwrap();
        assert_eq!(alias, plain);
        assert_eq!(alias.to_string(), "aws/dev/orders");
        assert!("dataflow/gcp/prod/x".parse::<ResourceKey>().is_err());
        assert!("aws/dev/orders".parse::<DataflowKey>().is_err());
        let key: DataflowKey = "dataflow/aws/dev/a/b".parse().unwrap();
        assert_eq!(key.name(), "a/b");
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(serde_json::from_str::<DataflowKey>(&json).unwrap(), key);
    }

    #[test]
    fn orders_like_the_strings() {
        let mut keys: Vec<ConnectionKey> = [
            "azure/dev/b",
            "aws/prod/a",
            "azure/dev-2/a",
            "azure/dev/a b",
            "azure/dev/a",
            "aws/prod 1/z",
        ]
        .iter()
        .map(|k| k.parse().unwrap())
        .collect();
        let mut strings: Vec<String> = keys.iter().map(ToString::to_string).collect();
        keys.sort();
        strings.sort();
        let sorted: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, strings);
    }
}
