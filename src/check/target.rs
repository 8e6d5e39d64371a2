//! What one probe connects to, taken from a resolved connection: basic auth
//! fields or the connection string's keys, plus its TLS policy. The password
//! moves into a [`Secret`] here so no `Debug` of a target can show it.

use super::dataflow::Wanted;
use super::failure::{Category, Failure};
use crate::config::ConnectionKey;
use crate::config::{Auth, SslMode};
use crate::connection_string;
use crate::desired::resolve::Resolved;
use crate::secret::Secret;
use crate::tls::TlsPolicy;

/// Where and how to connect for one connection.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// `cloud/sandbox/name`.
    pub key: ConnectionKey,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub username: String,
    pub password: Secret,
    pub tls: TlsPolicy,
    /// The TLS setting as the user wrote it, for messages.
    pub tls_setting: String,
    /// The dataflows reading through this connection, whose tables are
    /// looked at over the probe's session.
    pub dataflows: Vec<Wanted>,
}

impl Target {
    /// `host:port/database`, as reports show it.
    pub(crate) fn endpoint(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.database)
    }

    /// Reads a resolved connection. A connection string whose `Port` came
    /// from a variable may still not be a number: that is a config failure.
    pub(crate) fn from_resolved(resolved: &Resolved) -> Result<Target, (ConnectionKey, Failure)> {
        let key = resolved.key.clone();
        match &resolved.connection.auth {
            Auth::Basic(basic) => Ok(Target {
                key,
                host: basic.server.clone(),
                port: basic.port,
                database: basic.database.clone(),
                username: basic.username.clone(),
                password: Secret::new(basic.password.clone()),
                tls: TlsPolicy::from_ssl_mode(basic.ssl_mode),
                tls_setting: match basic.ssl_mode {
                    Some(SslMode::Azure(mode)) => mode.as_str().to_owned(),
                    Some(SslMode::Aws(flag)) => flag.to_string(),
                    None => "(not set)".to_owned(),
                },
                dataflows: Vec::new(),
            }),
            Auth::ConnectionString(cs) => {
                let parsed = connection_string::parse(&cs.connection_string);
                let value = |k: &str| parsed.get(k).map(|(_, v)| v).unwrap_or_default();
                let port = value("Port");
                let Ok(port) = port.parse::<u16>() else {
                    return Err((
                        key,
                        Failure::new(
                            Category::Config,
                            format!("connection string `Port={port}` is not a port number"),
                        ),
                    ));
                };
                let encryption = parsed.get("EncryptionMethod").map(|(_, v)| v);
                let validate = parsed.get("ValidateServerCertificate").map(|(_, v)| v);
                let tls_setting = [
                    encryption.map(|v| format!("EncryptionMethod={v}")),
                    validate.map(|v| format!("ValidateServerCertificate={v}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(";");
                Ok(Target {
                    key,
                    host: value("Server").to_owned(),
                    port,
                    database: value("Database").to_owned(),
                    username: value("UID").to_owned(),
                    password: Secret::new(value("Password")),
                    tls: TlsPolicy::from_connection_string(encryption, validate),
                    tls_setting: if tls_setting.is_empty() {
                        "EncryptionMethod=0".to_owned()
                    } else {
                        tls_setting
                    },
                    dataflows: Vec::new(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Cloud, Connection, ConnectionStringAuth};

    fn resolved(connection_string: &str) -> Resolved {
        Resolved {
            key: "azure/dev/x".parse().unwrap(),
            connection: Connection {
                name: "x".into(),
                description: None,
                sandbox: "dev".into(),
                cloud: Cloud::Azure,
                auth: Auth::ConnectionString(ConnectionStringAuth {
                    connection_string: connection_string.into(),
                }),
                secret_version: None,
                renamed_from: None,
                protect: false,
                environments: None,
            },
        }
    }

    #[test]
    fn reads_a_connection_string() {
        let target = Target::from_resolved(&resolved(
            "Server=db.example;Database=orders;Port=5433;UID=reader;Password=canary-Pg-7f3a;EncryptionMethod=1;ValidateServerCertificate=0",
        ))
        .unwrap();
        assert_eq!(
            (target.host.as_str(), target.port, target.database.as_str()),
            ("db.example", 5433, "orders")
        );
        assert_eq!(target.username, "reader");
        assert_eq!(target.password.expose(), "canary-Pg-7f3a");
        assert_eq!(target.tls.to_string(), "require");
        assert!(!format!("{target:?}").contains("canary-Pg-7f3a"));
    }

    #[test]
    fn a_non_numeric_port_is_a_config_failure() {
        let (_, failure) =
            Target::from_resolved(&resolved("Server=h;Database=d;Port=abc;UID=u;Password=p"))
                .unwrap_err();
        assert_eq!(failure.category, Category::Config);
    }
}
