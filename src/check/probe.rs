//! One probe: open a real connection with the described credentials and TLS
//! policy, run `SELECT 1`, and turn whatever went wrong into a category a
//! user can act on (DNS, refused, timeout, TLS, auth, missing database).
//! Over the same session, the tables of the dataflows reading through the
//! connection are looked at ([`super::table`]).
//! Messages are built from server texts and error kinds, never from the
//! connection parameters, so a password cannot reach them.

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::dataflow::Problem;
use super::failure::{Category, Failure};
use super::table;
use super::target::Target;
use crate::tls::{Connectors, Encryption, Verification};

/// One probe's result, how long it took, and whether the password was
/// offered over a connection without TLS (check warns about those).
pub(super) struct Probed {
    pub result: Result<(), Failure>,
    /// Per dataflow of the target, in order: its table's problems (empty
    /// when the connection failed).
    pub inspections: Inspections,
    pub elapsed: Duration,
    pub unencrypted: bool,
}

/// The problems of each dataflow's table, or why its catalog could not be read.
pub(super) type Inspections = Vec<Result<Vec<Problem>, Failure>>;

/// Runs one probe within `timeout`.
pub(super) async fn probe(target: &Target, connectors: &Connectors, timeout: Duration) -> Probed {
    let start = Instant::now();
    let (result, unencrypted) =
        match tokio::time::timeout(timeout, attempt_all(target, connectors, timeout)).await {
            Ok(done) => done,
            Err(_) => (
                Err(Failure::new(
                    Category::Timeout,
                    format!(
                        "no answer from `{}:{}` within {} s",
                        target.host,
                        target.port,
                        timeout.as_secs_f64()
                    ),
                )),
                target.tls.encryption == Encryption::Disable,
            ),
        };
    let (result, inspections) = match result {
        Ok(inspections) => (Ok(()), inspections),
        Err(failure) => (Err(failure), Vec::new()),
    };
    Probed {
        result,
        inspections,
        elapsed: start.elapsed(),
        unencrypted,
    }
}

/// The probe, and whether the password was offered without TLS.
async fn attempt_all(
    target: &Target,
    connectors: &Connectors,
    timeout: Duration,
) -> (Result<Inspections, Failure>, bool) {
    // Resolving first gives "host not found" its own category; tokio-postgres
    // would fold it into a generic connect error.
    if let Err(err) = tokio::net::lookup_host((target.host.as_str(), target.port)).await {
        return (
            Err(Failure::new(
                Category::Dns,
                format!("host `{}` not found: {err}", target.host),
            )),
            false,
        );
    }
    use tokio_postgres::config::SslMode as Mode;
    let tls = connectors.for_verification(target.tls.verification);
    let none = connectors.for_verification(Verification::None);
    match target.tls.encryption {
        Encryption::Disable => (attempt(target, Mode::Disable, tls, timeout).await, true),
        Encryption::Require => (attempt(target, Mode::Require, tls, timeout).await, false),
        // TLS when the server offers it, else plain; split in two so that
        // the probe knows which one it got.
        Encryption::Prefer => match attempt(target, Mode::Require, tls, timeout).await {
            Err(refused) if refused.message.starts_with(NO_TLS) => {
                if target.tls.verification != Verification::None {
                    // Certificate validation was asked for: a password is
                    // never sent where no certificate can be validated
                    // (what libpq's `require_auth` guards against).
                    return (
                        Err(Failure::new(
                            Category::Tls,
                            format!(
                                "{NO_TLS}, and `{}` asks for a validated certificate: the password was not sent over an unencrypted connection; the platform, with the same setting, would fall back to plain text and send it readable on the network: make the server offer TLS, or require it (`EncryptionMethod=1`)",
                                target.tls_setting
                            ),
                        )),
                        false,
                    );
                }
                (attempt(target, Mode::Disable, none, timeout).await, true)
            }
            other => (other, false),
        },
        Encryption::Allow => {
            // libpq's `allow`: plain first; if the server turns plain away
            // (a `hostssl`-only pg_hba.conf), once more over TLS.
            let plain = attempt(target, Mode::Disable, none.clone(), timeout).await;
            let result = match plain {
                Err(first) if matches!(first.category, Category::Auth) => {
                    match attempt(target, Mode::Require, none, timeout).await {
                        Err(second) if second.message.starts_with(NO_TLS) => Err(first),
                        other => other,
                    }
                }
                other => other,
            };
            (result, true)
        }
    }
}

async fn attempt(
    target: &Target,
    mode: tokio_postgres::config::SslMode,
    tls: MakeRustlsConnect,
    timeout: Duration,
) -> Result<Inspections, Failure> {
    let mut config = tokio_postgres::Config::new();
    config
        .host(&target.host)
        .port(target.port)
        .dbname(&target.database)
        .user(&target.username)
        .password(target.password.expose())
        .application_name("provision check")
        .connect_timeout(timeout)
        .ssl_mode(mode);
    let (client, connection) = config
        .connect(tls)
        .await
        .map_err(|err| classify(target, &err))?;
    let driver = tokio::spawn(connection);
    let mut result = client
        .simple_query("SELECT 1")
        .await
        .map(|_| Vec::new())
        .map_err(|err| classify(target, &err));
    if let Ok(inspections) = &mut result {
        let classify = |err: &tokio_postgres::Error| classify(target, err);
        let session = table::Session {
            user: &target.username,
            database: &target.database,
        };
        for wanted in &target.dataflows {
            inspections.push(table::inspect(&client, wanted, &session, &classify).await);
        }
    }
    drop(client);
    let _ = driver.await;
    result
}

const NO_TLS: &str = "the server does not support TLS";

/// Turns a driver error into a category and a message with no secret in it.
fn classify(target: &Target, err: &tokio_postgres::Error) -> Failure {
    if let Some(db) = err.as_db_error() {
        let code = db.code();
        let category = if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            Category::Auth
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            Category::Database
        } else {
            Category::Other
        };
        return Failure::new(
            category,
            format!("{} (SQLSTATE {})", db.message(), code.code()),
        );
    }
    let mut causes = Vec::new();
    let mut source: Option<&(dyn StdError + 'static)> = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
                return tls_failure(target, tls);
            }
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return Failure::new(
                        Category::Refused,
                        format!(
                            "connection refused by `{}:{}`: nothing listens on that port",
                            target.host, target.port
                        ),
                    );
                }
                std::io::ErrorKind::TimedOut => {
                    return Failure::new(
                        Category::Timeout,
                        format!("connecting to `{}:{}` timed out", target.host, target.port),
                    );
                }
                _ => {}
            }
        }
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return tls_failure(target, tls);
        }
        causes.push(cause.to_string());
        source = cause.source();
    }
    let outer = err.to_string();
    if outer.contains("TLS") {
        if causes
            .iter()
            .any(|c| c.contains("server does not support TLS"))
        {
            return Failure::new(
                Category::Tls,
                format!("{NO_TLS}, but sslMode `{}` requires it", target.tls_setting),
            );
        }
        return Failure::new(Category::Tls, join(&outer, &causes));
    }
    if err.is_closed()
        || causes
            .iter()
            .any(|c| c.contains("reset") || c.contains("closed"))
    {
        return Failure::new(
            Category::Refused,
            format!(
                "`{}:{}` closed the connection: {}",
                target.host,
                target.port,
                join(&outer, &causes)
            ),
        );
    }
    Failure::new(Category::Other, join(&outer, &causes))
}

fn tls_failure(target: &Target, err: &rustls::Error) -> Failure {
    use rustls::CertificateError as C;
    let message = match err {
        rustls::Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            format!(
                "hostname mismatch: the server's certificate is not valid for `{}`",
                target.host
            )
        }
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            "certificate verification failed: the server's certificate is not signed by a trusted CA (give the CA with `--ca-file`)".to_owned()
        }
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "certificate verification failed: the server's certificate has expired".to_owned()
        }
        rustls::Error::InvalidCertificate(other) => {
            format!("certificate verification failed: {other:?}")
        }
        other => format!("TLS handshake failed: {other}"),
    };
    Failure::new(Category::Tls, message)
}

fn join(outer: &str, causes: &[String]) -> String {
    std::iter::once(outer)
        .chain(causes.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(": ")
}
