//! The state database's `postgres://` URL: libpq's `sslmode` values mapped
//! onto tokio-postgres and the rustls stack `provision check` uses, and a
//! redacted form for messages (the password never leaves this module).

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::tls::Connectors;
use crate::tls::Verification;

use super::PostgresError;

/// How the state connection speaks TLS.
#[derive(Clone)]
enum Tls {
    Plain,
    Rustls(MakeRustlsConnect),
}

/// A parsed state URL, ready to open connections.
#[derive(Clone)]
pub struct StateUrl {
    config: Config,
    tls: Tls,
    redacted: String,
    /// The most a whole connect may take: TCP, TLS, startup and login
    /// (`connect_timeout`; tokio-postgres bounds only the TCP connect).
    connect_timeout: Duration,
    /// The most one query or transaction may take (`query_timeout`).
    query_timeout: Duration,
}

/// Defaults of the deadlines, in seconds.
const CONNECT_TIMEOUT: u64 = 15;
const QUERY_TIMEOUT: u64 = 30;

/// Keepalives on every session (the lock's lives for the whole run): a
/// server that vanished without a word is noticed within about a minute.
const KEEPALIVES_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVES_INTERVAL: Duration = Duration::from_secs(10);
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(60);

/// The URL's parameters: those `provision` handles itself, and the rest
/// (`kept`) for tokio-postgres.
struct Params {
    sslmode: Option<String>,
    root_cert: Option<PathBuf>,
    kept: Vec<(String, String)>,
    connect_timeout: Duration,
    query_timeout: Duration,
    keepalive_set: bool,
    user_timeout_set: bool,
}

impl Params {
    fn read(url: &url::Url) -> Result<Params, PostgresError> {
        let mut params = Params {
            sslmode: None,
            root_cert: None,
            kept: Vec::new(),
            connect_timeout: Duration::from_secs(CONNECT_TIMEOUT),
            query_timeout: Duration::from_secs(QUERY_TIMEOUT),
            keepalive_set: false,
            user_timeout_set: false,
        };
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "sslmode" => params.sslmode = Some(value.into_owned()),
                "sslrootcert" => params.root_cert = Some(PathBuf::from(value.as_ref())),
                "query_timeout" => params.query_timeout = seconds("query_timeout", &value)?,
                "connect_timeout" => {
                    params.connect_timeout = seconds("connect_timeout", &value)?;
                    params.kept.push((key.into_owned(), value.into_owned()));
                }
                _ => {
                    params.keepalive_set |= key.starts_with("keepalives");
                    params.user_timeout_set |= key == "tcp_user_timeout";
                    params.kept.push((key.into_owned(), value.into_owned()));
                }
            }
        }
        Ok(params)
    }
}

/// A whole number of seconds, 1 to 86400, from a URL parameter.
fn seconds(name: &str, value: &str) -> Result<Duration, PostgresError> {
    match value.parse::<u64>() {
        Ok(n) if (1..=86_400).contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(PostgresError::Url(format!(
            "`{name}={value}`: expected a whole number of seconds, 1 to 86400"
        ))),
    }
}

impl std::fmt::Debug for StateUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl StateUrl {
    /// Parses `postgres://user:password@host:port/db?sslmode=...`. Errors
    /// never quote the URL: it holds a password.
    pub fn parse(text: &str) -> Result<StateUrl, PostgresError> {
        let url = url::Url::parse(text.trim())
            .map_err(|e| PostgresError::Url(format!("not a URL ({e})")))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(PostgresError::Url(format!(
                "scheme `{}`: expected `postgres://` or `postgresql://`",
                url.scheme()
            )));
        }
        let Params {
            sslmode,
            root_cert,
            kept,
            connect_timeout,
            query_timeout,
            keepalive_set,
            user_timeout_set,
        } = Params::read(&url)?;
        // tokio-postgres knows only disable/prefer/require: the verifying
        // modes become `require` plus a verifying rustls connector.
        let (mode, verification) = match sslmode.as_deref() {
            None | Some("disable") => (SslMode::Disable, None),
            Some("allow" | "prefer") => (SslMode::Prefer, Some(Verification::None)),
            Some("require") => (SslMode::Require, Some(Verification::None)),
            Some("verify-ca") => (SslMode::Require, Some(Verification::Chain)),
            Some("verify-full") => (SslMode::Require, Some(Verification::Full)),
            Some(other) => {
                return Err(PostgresError::Url(format!(
                    "unknown `sslmode={other}`: expected disable, allow, prefer, require, verify-ca or verify-full"
                )));
            }
        };
        let mut plain = url.clone();
        plain.set_query(None);
        if !kept.is_empty() {
            plain.query_pairs_mut().extend_pairs(&kept);
        }
        let mut config = Config::from_str(plain.as_str())
            .map_err(|e| PostgresError::Url(format!("not a PostgreSQL URL ({e})")))?;
        config.ssl_mode(mode);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(connect_timeout);
        }
        if !keepalive_set {
            config
                .keepalives(true)
                .keepalives_idle(KEEPALIVES_IDLE)
                .keepalives_interval(KEEPALIVES_INTERVAL)
                .keepalives_retries(3);
        }
        if !user_timeout_set {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("provision");
        }
        let tls = match verification {
            None => Tls::Plain,
            Some(level) => {
                let connectors = Connectors::new(root_cert.as_deref())
                    .map_err(|e| PostgresError::Url(e.to_string()))?;
                Tls::Rustls(connectors.for_verification(level))
            }
        };
        Ok(StateUrl {
            config,
            tls,
            redacted: redact(&url),
            connect_timeout,
            query_timeout,
        })
    }

    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    pub fn query_timeout(&self) -> Duration {
        self.query_timeout
    }

    /// The URL without its password, for messages.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// Opens a connection; its driver runs on the current runtime until the
    /// client is dropped.
    pub async fn connect(&self) -> Result<Client, PostgresError> {
        match tokio::time::timeout(self.connect_timeout, self.connect_unbounded()).await {
            Ok(result) => result,
            Err(_) => Err(PostgresError::Connect {
                url: self.redacted.clone(),
                message: format!(
                    "no answer within {}s (`connect_timeout`): the server accepted the connection but did not complete the startup",
                    self.connect_timeout.as_secs()
                ),
            }),
        }
    }

    async fn connect_unbounded(&self) -> Result<Client, PostgresError> {
        let connect_error = |e: tokio_postgres::Error| PostgresError::Connect {
            url: self.redacted.clone(),
            message: super::message(&e),
        };
        match &self.tls {
            Tls::Plain => {
                let (client, connection) =
                    self.config.connect(NoTls).await.map_err(connect_error)?;
                tokio::spawn(connection);
                Ok(client)
            }
            Tls::Rustls(make) => {
                let (client, connection) = self
                    .config
                    .connect(make.clone())
                    .await
                    .map_err(connect_error)?;
                tokio::spawn(connection);
                Ok(client)
            }
        }
    }
}

/// `postgres://user@host:port/db?sslmode=require`: no password, neither in
/// the authority nor as a `password=` parameter.
fn redact(url: &url::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "password")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    shown.set_query(None);
    if !pairs.is_empty() {
        shown.query_pairs_mut().extend_pairs(&pairs);
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_redacted_everywhere() {
        let url = StateUrl::parse("postgres://me:s3cret@db.example.com:6432/state?sslmode=require")
            .unwrap();
        assert_eq!(
            url.redacted(),
            "postgres://me@db.example.com:6432/state?sslmode=require"
        );
        let url =
            StateUrl::parse("postgresql://me@h/db?password=s3cret&connect_timeout=3").unwrap();
        assert!(!url.redacted().contains("s3cret"), "{}", url.redacted());
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn bad_urls_are_refused_without_quoting_them() {
        for text in [
            "mysql://u:s3cret@h/db",
            "postgres://u:s3cret@h/db?sslmode=sometimes",
            "not a url s3cret",
        ] {
            let err = StateUrl::parse(text).unwrap_err().to_string();
            assert!(!err.contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn deadlines_come_from_the_url_and_are_checked() {
        let url = StateUrl::parse("postgres://me:pw@h/db").unwrap();
        assert_eq!(url.connect_timeout(), Duration::from_secs(CONNECT_TIMEOUT));
        assert_eq!(url.query_timeout(), Duration::from_secs(QUERY_TIMEOUT));
        let url =
            StateUrl::parse("postgres://me:pw@h/db?connect_timeout=3&query_timeout=7").unwrap();
        assert_eq!(url.connect_timeout(), Duration::from_secs(3));
        assert_eq!(url.query_timeout(), Duration::from_secs(7));
        for bad in [
            "query_timeout=0",
            "query_timeout=x",
            "connect_timeout=99999999",
        ] {
            let err = StateUrl::parse(&format!("postgres://me:pw@h/db?{bad}")).unwrap_err();
            assert!(err.to_string().contains("whole number of seconds"), "{err}");
            assert!(!err.to_string().contains("pw"), "{err}");
        }
    }

    #[test]
    fn verifying_modes_need_tls() {
        let url = StateUrl::parse("postgres://u@h/db?sslmode=verify-full").unwrap();
        assert_eq!(url.config.get_ssl_mode(), SslMode::Require);
        assert!(matches!(url.tls, Tls::Rustls(_)));
        let url = StateUrl::parse("postgres://u@h/db").unwrap();
        assert_eq!(url.config.get_ssl_mode(), SslMode::Disable);
        assert!(matches!(url.tls, Tls::Plain));
    }
}
