//! What smoke's throwaway base connection points at: a placeholder server
//! nothing connects to, or (`--dataflow-connection`) a copy of the server,
//! user and password of a connection the project describes, so that the
//! platform can explore a real table through it.

use url::Url;

use crate::api::hosts;
use crate::api::wire::{AuthParams, CreateConnectionRequest};
use crate::config::{Auth, Cloud, ConnectionKey, Settings};
use crate::connection_string;
use crate::desired::resolve::Resolved;
use crate::error::Error;
use crate::secret::Secret;
use crate::workspace::TargetOptions;

/// The host of the placeholder server: `.invalid` never resolves.
pub(crate) const PLACEHOLDER_HOST: &str = "provision-smoke.invalid";

/// The Flow Service host when neither flags nor settings name one.
const DEFAULT_ENDPOINT: &str = "https://platform.adobe.io";

/// The server, user and password the throwaway connection is created with.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub server: String,
    pub port: String,
    pub database: String,
    pub username: String,
    /// Random for the placeholder; the described connection's otherwise.
    pub password: Secret,
    /// As sent: `None` when the described connection sends none.
    pub ssl_mode: Option<String>,
    /// The described connection copied, if any.
    pub copy_of: Option<ConnectionKey>,
}

impl Base {
    /// A server that does not exist, with a fresh random password: the
    /// platform accepts a base connection without connecting to it.
    pub(crate) fn placeholder(cloud: Cloud) -> Base {
        let ssl_mode = match cloud {
            Cloud::Aws => "true",
            Cloud::Azure => "Verify Full",
        };
        Base {
            server: PLACEHOLDER_HOST.into(),
            port: "5432".into(),
            database: "smoke".into(),
            username: "smoke".into(),
            password: Secret::new(format!("smoke-{}", uuid::Uuid::new_v4().simple())),
            ssl_mode: Some(ssl_mode.into()),
            copy_of: None,
        }
    }

    /// The described connection's server, port, database, user, password
    /// and TLS mode, as `apply` would send them. A connection string is
    /// taken apart into those fields (the throwaway uses basic
    /// authentication): see [`ssl_mode_of_connection_string`].
    pub(crate) fn copy(resolved: &Resolved) -> Result<Base, Error> {
        let key = resolved.key.clone();
        if let Auth::ConnectionString(auth) = &resolved.connection.auth {
            let parsed = connection_string::parse(&auth.connection_string);
            let value = |k: &str| parsed.get(k).map(|(_, v)| v.to_owned());
            let port = value("Port").unwrap_or_else(|| "5432".into());
            if port.parse::<u16>().map_or(true, |p| p == 0) {
                // The value is not shown: it may hold anything, even the password.
                return Err(Error::Setup(format!(
                    "`--dataflow-connection`: the connection string of `{key}` has a `Port` that is not a port number: expected 1 to 65535"
                )));
            }
            let ssl_mode = ssl_mode_of_connection_string(
                value("EncryptionMethod").as_deref(),
                value("ValidateServerCertificate").as_deref(),
            );
            return Ok(Base {
                server: value("Server").unwrap_or_default(),
                port,
                database: value("Database").unwrap_or_default(),
                username: value("UID").unwrap_or_default(),
                password: Secret::new(value("Password").unwrap_or_default()),
                ssl_mode: Some(ssl_mode.into()),
                copy_of: Some(key),
            });
        }
        match CreateConnectionRequest::from_connection(&resolved.connection)
            .auth
            .params
        {
            AuthParams::Basic {
                server,
                port,
                database,
                username,
                password,
                ssl_mode,
            } => Ok(Base {
                server,
                port,
                database,
                username,
                password,
                ssl_mode,
                copy_of: Some(key),
            }),
            AuthParams::ConnectionString { .. } => Err(Error::Failed(format!(
                "internal error: `{key}` reads as basic authentication but its body does not"
            ))),
        }
    }

    /// `auth.params` of the throwaway connection's create.
    pub(crate) fn params(&self) -> AuthParams {
        AuthParams::Basic {
            server: self.server.clone(),
            port: self.port.clone(),
            database: self.database.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            ssl_mode: self.ssl_mode.clone(),
        }
    }
}

/// The Azure `sslMode` closest to a connection string's TLS keys, read as
/// `check` reads them: `EncryptionMethod=1` encrypts, verifying the server
/// certificate unless `ValidateServerCertificate=0` (`Verify Full`; without
/// verification `Prefer`, as Azure names no mode that encrypts without
/// verifying); `6` asks for TLS when the server offers it (`Prefer`);
/// `0` or none is `Disable`.
pub(crate) fn ssl_mode_of_connection_string(
    encryption: Option<&str>,
    validate: Option<&str>,
) -> &'static str {
    match (encryption, validate) {
        (Some("1"), Some("0")) | (Some("6"), _) => "Prefer",
        (Some("1"), _) => "Verify Full",
        _ => "Disable",
    }
}

/// The Flow Service host smoke talks to for `cloud`: `--endpoint`, else
/// the org's `orgs.<cloud>.endpoint`, else `endpoint`, else Adobe's.
pub(crate) fn endpoint(target: &TargetOptions, settings: &Settings, cloud: Cloud) -> String {
    let org = settings.orgs.as_ref().and_then(|orgs| match cloud {
        Cloud::Azure => orgs.azure.as_ref(),
        Cloud::Aws => orgs.aws.as_ref(),
    });
    target
        .endpoint
        .clone()
        .or_else(|| org.and_then(|o| o.endpoint.clone()))
        .or_else(|| settings.endpoint.clone())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.into())
}

/// The origin (`scheme://host:port`) of `endpoint` when it is not a local
/// emulator: `None` for a loopback host (where `provision emulator`
/// listens, and whose explore answers from fixtures whatever the
/// connection's server), and for a text that is no URL (which the client
/// refuses with its own message).
pub(crate) fn platform_origin(endpoint: &str) -> Option<String> {
    let url = Url::parse(endpoint).ok()?;
    (!hosts::is_loopback(&url)).then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BasicAuth, Connection, ConnectionStringAuth, OrgSettings, Orgs, SslMode};

    fn resolved(cloud: Cloud, auth: Auth) -> Resolved {
        Resolved {
            key: ConnectionKey::new(cloud, "dev", "x"),
            connection: Connection {
                name: "x".into(),
                description: None,
                sandbox: "dev".into(),
                cloud,
                auth,
                secret_version: None,
                renamed_from: None,
                protect: false,
                environments: None,
            },
        }
    }

    fn basic(ssl_mode: Option<SslMode>) -> Auth {
        Auth::Basic(BasicAuth {
            server: "db.example".into(),
            port: 6543,
            database: "orders".into(),
            username: "reader".into(),
            password: "canary-Pw-1".into(),
            ssl_mode,
        })
    }

    fn string(text: &str) -> Auth {
        Auth::ConnectionString(ConnectionStringAuth {
            connection_string: text.into(),
        })
    }

    #[test]
    fn copies_basic_auth_as_apply_sends_it() {
        let base = Base::copy(&resolved(Cloud::Aws, basic(None))).unwrap();
        assert_eq!(
            (
                base.server.as_str(),
                base.port.as_str(),
                base.database.as_str()
            ),
            ("db.example", "6543", "orders")
        );
        assert_eq!(base.username, "reader");
        assert_eq!(base.password.expose(), "canary-Pw-1");
        // AWS sends `"false"` when the document says nothing; Azure nothing.
        assert_eq!(base.ssl_mode.as_deref(), Some("false"));
        let azure = Base::copy(&resolved(Cloud::Azure, basic(None))).unwrap();
        assert_eq!(azure.ssl_mode, None);
        assert_eq!(azure.copy_of.unwrap().to_string(), "azure/dev/x");
        assert!(!format!("{base:?}").contains("canary-Pw-1"));
    }

    #[test]
    fn takes_a_connection_string_apart() {
        let text =
            "Server=h.example;Database=d;Port=5433;UID=u;Password=canary-Pw-2;EncryptionMethod=1";
        let base = Base::copy(&resolved(Cloud::Azure, string(text))).unwrap();
        assert_eq!(
            (
                base.server.as_str(),
                base.port.as_str(),
                base.database.as_str()
            ),
            ("h.example", "5433", "d")
        );
        assert_eq!(base.username, "u");
        assert_eq!(base.password.expose(), "canary-Pw-2");
        assert_eq!(base.ssl_mode.as_deref(), Some("Verify Full"));
        let no_port = "Server=h;Database=d;UID=u;Password=p";
        let base = Base::copy(&resolved(Cloud::Azure, string(no_port))).unwrap();
        assert_eq!(base.port, "5432");
    }

    #[test]
    fn a_port_that_is_not_a_number_is_refused_without_its_text() {
        let text = "Server=h;Database=d;Port=canary-Pw-3;UID=u;Password=canary-Pw-3";
        let err = Base::copy(&resolved(Cloud::Azure, string(text))).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("`azure/dev/x`"), "{message}");
        assert!(!message.contains("canary"), "{message}");
    }

    #[test]
    fn maps_connection_string_tls_to_azure_modes() {
        let mode = ssl_mode_of_connection_string;
        assert_eq!(mode(None, None), "Disable");
        assert_eq!(mode(Some("0"), Some("1")), "Disable");
        assert_eq!(mode(Some("1"), None), "Verify Full");
        assert_eq!(mode(Some("1"), Some("1")), "Verify Full");
        assert_eq!(mode(Some("1"), Some("0")), "Prefer");
        assert_eq!(mode(Some("6"), None), "Prefer");
    }

    #[test]
    fn the_endpoint_is_the_flag_then_the_orgs_then_the_settings() {
        let mut settings = Settings {
            endpoint: Some("https://platform-va7.adobe.io".into()),
            ..Settings::default()
        };
        let none = TargetOptions::default();
        assert_eq!(
            endpoint(&none, &Settings::default(), Cloud::Azure),
            DEFAULT_ENDPOINT
        );
        assert_eq!(
            endpoint(&none, &settings, Cloud::Azure),
            "https://platform-va7.adobe.io"
        );
        settings.orgs = Some(Orgs {
            aws: Some(OrgSettings {
                ims_org: "B@AdobeOrg".into(),
                endpoint: Some("http://127.0.0.1:4000".into()),
            }),
            ..Orgs::default()
        });
        assert_eq!(
            endpoint(&none, &settings, Cloud::Aws),
            "http://127.0.0.1:4000"
        );
        let flag = TargetOptions {
            endpoint: Some("http://localhost:1".into()),
            ..TargetOptions::default()
        };
        assert_eq!(endpoint(&flag, &settings, Cloud::Aws), "http://localhost:1");
    }

    #[test]
    fn only_loopback_is_a_local_emulator() {
        for local in [
            "http://127.0.0.1:4000",
            "http://localhost:1",
            "http://[::1]:2",
            "not a url",
        ] {
            assert_eq!(platform_origin(local), None, "{local}");
        }
        assert_eq!(
            platform_origin("https://user:pw@platform.adobe.io/x?y").as_deref(),
            Some("https://platform.adobe.io")
        );
        assert_eq!(
            platform_origin("https://emulator.example.com:8443").as_deref(),
            Some("https://emulator.example.com:8443")
        );
    }
}
