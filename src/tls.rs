//! How a connection's TLS setting becomes a TLS policy for the probe, and the
//! rustls client configurations behind each policy. The platform speaks three
//! dialects (Azure's named modes, AWS's boolean, the connection string's
//! `EncryptionMethod`/`ValidateServerCertificate`); the probe speaks libpq's.
//!
//! | config | encryption | verification |
//! | --- | --- | --- |
//! | Azure `Disable` | none | - |
//! | Azure `Allow` | plain first; TLS if the server rejects plain | none |
//! | Azure `Prefer`, or no `sslMode` | TLS if the server offers it, else plain | none |
//! | Azure `Verify Ca` | TLS required | chain against the CA roots, no hostname check |
//! | Azure `Verify Full` | TLS required | chain and hostname |
//! | AWS `sslMode: true` | TLS required | none (libpq's `require`) |
//! | AWS `sslMode: false`, or absent | TLS if offered, else plain | none |
//! | `EncryptionMethod=0`, or absent (the driver's default) | none | - |
//! | `EncryptionMethod=1` | TLS required | per `ValidateServerCertificate` |
//! | `EncryptionMethod=6` (RequestSSL) | TLS if offered, else plain | per `ValidateServerCertificate` |
//! | `ValidateServerCertificate=1`, or absent (the driver's default) | | chain and hostname |
//! | `ValidateServerCertificate=0` | | none |
//!
//! The CA roots are the system's plus the `--ca-file` certificates.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{VerifierBuilderError, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, aws_lc_rs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::{AzureSslMode, SslMode};

/// Whether and when the probe speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encryption {
    Disable,
    /// Plain first; TLS when the server rejects the plain attempt.
    Allow,
    Prefer,
    Require,
}

/// How much of the server's certificate the probe checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verification {
    None,
    /// The chain up to a trusted root; any host name.
    Chain,
    /// The chain and the host name.
    Full,
}

/// What a connection's TLS setting asks of the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TlsPolicy {
    pub encryption: Encryption,
    pub verification: Verification,
}

impl TlsPolicy {
    const fn new(encryption: Encryption, verification: Verification) -> Self {
        TlsPolicy {
            encryption,
            verification,
        }
    }

    /// Basic auth's `sslMode`: Azure's named modes or AWS's boolean.
    pub(crate) fn from_ssl_mode(mode: Option<SslMode>) -> Self {
        use Encryption as E;
        use Verification as V;
        match mode {
            Some(SslMode::Azure(AzureSslMode::Disable)) => Self::new(E::Disable, V::None),
            Some(SslMode::Azure(AzureSslMode::Allow)) => Self::new(E::Allow, V::None),
            Some(SslMode::Azure(AzureSslMode::Prefer)) | None => Self::new(E::Prefer, V::None),
            Some(SslMode::Azure(AzureSslMode::VerifyCa)) => Self::new(E::Require, V::Chain),
            Some(SslMode::Azure(AzureSslMode::VerifyFull)) => Self::new(E::Require, V::Full),
            Some(SslMode::Aws(true)) => Self::new(E::Require, V::None),
            Some(SslMode::Aws(false)) => Self::new(E::Prefer, V::None),
        }
    }

    /// A connection string's `EncryptionMethod` and `ValidateServerCertificate`
    /// values (validation has already limited them to the documented ones).
    pub(crate) fn from_connection_string(encryption: Option<&str>, validate: Option<&str>) -> Self {
        let encryption = match encryption {
            Some("1") => Encryption::Require,
            Some("6") => Encryption::Prefer,
            _ => Encryption::Disable,
        };
        let verification = match (encryption, validate) {
            (Encryption::Disable, _) | (_, Some("0")) => Verification::None,
            _ => Verification::Full,
        };
        Self::new(encryption, verification)
    }
}

/// libpq's names, so the report reads the same to anyone who knows `sslmode`.
impl fmt::Display for TlsPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match (self.encryption, self.verification) {
            (Encryption::Disable, _) => "disable",
            (Encryption::Allow, _) => "allow",
            (Encryption::Prefer, Verification::None) => "prefer",
            (Encryption::Prefer, Verification::Chain) => "prefer+verify-ca",
            (Encryption::Prefer, Verification::Full) => "prefer+verify-full",
            (Encryption::Require, Verification::None) => "require",
            (Encryption::Require, Verification::Chain) => "verify-ca",
            (Encryption::Require, Verification::Full) => "verify-full",
        };
        f.write_str(name)
    }
}

/// Why the TLS setup could not be built: nothing was probed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsSetupError {
    #[error("cannot read the CA file `{path}`: {source}")]
    CaFile {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("the CA file `{0}` holds no PEM certificate: expected `-----BEGIN CERTIFICATE-----`")]
    CaFileEmpty(PathBuf),
    #[error("the CA file `{path}` holds a certificate rustls rejects: {source}")]
    CaCertificate {
        path: PathBuf,
        source: rustls::Error,
    },
    #[error("cannot build the certificate verifier: {0}")]
    Verifier(#[from] VerifierBuilderError),
    #[error("cannot set up TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// One TLS connector per verification level, built once per run.
#[derive(Clone)]
pub(crate) struct Connectors {
    none: MakeRustlsConnect,
    chain: MakeRustlsConnect,
    full: MakeRustlsConnect,
}

impl Connectors {
    /// Trusts the system's roots plus the certificates in `ca_file`.
    pub(crate) fn new(ca_file: Option<&Path>) -> Result<Self, TlsSetupError> {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let roots = Arc::new(roots(ca_file)?);
        let full = WebPkiServerVerifier::builder_with_provider(roots, provider.clone()).build()?;
        let chain = Arc::new(ChainOnly(full.clone()));
        let none = Arc::new(NoVerification(provider.clone()));
        let make = |verifier: Arc<dyn ServerCertVerifier>| -> Result<_, TlsSetupError> {
            let config = ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            Ok(MakeRustlsConnect::new(config))
        };
        Ok(Connectors {
            none: make(none)?,
            chain: make(chain)?,
            full: make(full)?,
        })
    }

    pub(crate) fn for_verification(&self, verification: Verification) -> MakeRustlsConnect {
        match verification {
            Verification::None => self.none.clone(),
            Verification::Chain => self.chain.clone(),
            Verification::Full => self.full.clone(),
        }
    }
}

fn roots(ca_file: Option<&Path>) -> Result<RootCertStore, TlsSetupError> {
    let mut store = RootCertStore::empty();
    // Unreadable system certificates only narrow what verifies; the run goes on.
    let native = rustls_native_certs::load_native_certs();
    store.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(|source| TlsSetupError::CaFile {
            path: path.to_owned(),
            source,
        })? {
            let cert = cert.map_err(|source| TlsSetupError::CaFile {
                path: path.to_owned(),
                source,
            })?;
            store
                .add(cert)
                .map_err(|source| TlsSetupError::CaCertificate {
                    path: path.to_owned(),
                    source,
                })?;
            added += 1;
        }
        if added == 0 {
            return Err(TlsSetupError::CaFileEmpty(path.to_owned()));
        }
    }
    Ok(store)
}

/// `Verify Ca`: the full check, minus the host name.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain before the name, so a name error means the
        // chain was good.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `Allow`, `Prefer`, AWS `true`: encrypted, any certificate (libpq's
/// `require`). The handshake signatures are still checked.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(policy: TlsPolicy) -> String {
        policy.to_string()
    }

    #[test]
    fn maps_the_azure_and_aws_modes() {
        let cases = [
            (Some(SslMode::Azure(AzureSslMode::Disable)), "disable"),
            (Some(SslMode::Azure(AzureSslMode::Allow)), "allow"),
            (Some(SslMode::Azure(AzureSslMode::Prefer)), "prefer"),
            (Some(SslMode::Azure(AzureSslMode::VerifyCa)), "verify-ca"),
            (
                Some(SslMode::Azure(AzureSslMode::VerifyFull)),
                "verify-full",
            ),
            (Some(SslMode::Aws(true)), "require"),
            (Some(SslMode::Aws(false)), "prefer"),
            (None, "prefer"),
        ];
        for (mode, expected) in cases {
            assert_eq!(label(TlsPolicy::from_ssl_mode(mode)), expected, "{mode:?}");
        }
    }

    #[test]
    fn maps_the_connection_string_keys() {
        let cases = [
            (None, None, "disable"),
            (Some("0"), Some("1"), "disable"),
            (Some("1"), None, "verify-full"),
            (Some("1"), Some("1"), "verify-full"),
            (Some("1"), Some("0"), "require"),
            (Some("6"), Some("0"), "prefer"),
            (Some("6"), Some("1"), "prefer+verify-full"),
        ];
        for (encryption, validate, expected) in cases {
            assert_eq!(
                label(TlsPolicy::from_connection_string(encryption, validate)),
                expected,
                "{encryption:?} {validate:?}"
            );
        }
    }

    #[test]
    fn an_empty_ca_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = Connectors::new(Some(&path)).err().unwrap();
        assert!(
            err.to_string().contains("holds no PEM certificate"),
            "{err}"
        );
    }
}
