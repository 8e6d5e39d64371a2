//! The shared servers of this binary and the YAML written for each test:
//! one login role whose password is the canary, a database it owns, and
//! connection files pointing at 127.0.0.1:<port> with `${CHECK_PASSWORD}`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::postgres::{self, Options, PgServer, TlsFiles};
use crate::support::util::{Finished, provision};

/// The test role's password; it must never appear in any output.
pub const CANARY: &str = "canary-Pg-7f3a";
pub const USER: &str = "checker";
pub const DATABASE: &str = "checkdb";

/// The plain server (no TLS).
pub fn plain() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    postgres::shared(&SERVER, || {
        let pg = postgres::start(Options::default())?;
        pg.create_login(USER, CANARY, DATABASE)?;
        Ok(pg)
    })
}

/// A server with `ssl = on` and a certificate for `localhost` signed by a
/// test CA, whose PEM is in `ca_file`.
pub struct TlsServer {
    pub pg: PgServer,
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn tls() -> Option<&'static TlsServer> {
    static SERVER: OnceLock<Result<TlsServer, String>> = OnceLock::new();
    postgres::shared(&SERVER, || start_tls(false))
}

/// Like [`tls`], but pg_hba.conf turns plain TCP away (`hostssl` only).
pub fn tls_only() -> Option<&'static TlsServer> {
    static SERVER: OnceLock<Result<TlsServer, String>> = OnceLock::new();
    postgres::shared(&SERVER, || start_tls(true))
}

fn start_tls(tls_only: bool) -> Result<TlsServer, String> {
    {
        let (ca_pem, files) = certificates().map_err(|e| format!("rcgen: {e}"))?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_pem).map_err(|e| e.to_string())?;
        let pg = postgres::start(Options {
            tls: Some(files),
            tls_only,
        })?;
        pg.create_login(USER, CANARY, DATABASE)?;
        Ok(TlsServer {
            pg,
            ca_file,
            _dir: dir,
        })
    }
}

/// A CA, and a server certificate for `localhost` only (so connecting by
/// `127.0.0.1` is a hostname mismatch).
fn certificates() -> Result<(String, TlsFiles), rcgen::Error> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "provision test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate()?;
    let mut server = CertificateParams::new(vec!["localhost".to_owned()])?;
    server
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let server_cert = server.signed_by(&server_key, &issuer)?;
    Ok((
        ca_cert.pem(),
        TlsFiles {
            cert_pem: server_cert.pem(),
            key_pem: server_key.serialize_pem(),
        },
    ))
}

/// One Azure basic-auth connection document.
pub fn basic(name: &str, server: &str, port: u16, database: &str, ssl_mode: &str) -> String {
    format!(
        "name: {name}\nsandbox: dev\ncloud: azure\nauth:\n  type: basic\n  server: {server}\n  port: {port}\n  database: {database}\n  username: {USER}\n  password: ${{CHECK_PASSWORD}}\n  sslMode: {ssl_mode}\n"
    )
}

/// One AWS basic-auth connection document.
pub fn aws(name: &str, port: u16, ssl_mode: bool) -> String {
    format!(
        "name: {name}\nsandbox: dev\ncloud: aws\nauth:\n  type: basic\n  server: 127.0.0.1\n  port: {port}\n  database: {DATABASE}\n  username: {USER}\n  password: ${{CHECK_PASSWORD}}\n  sslMode: {ssl_mode}\n"
    )
}

/// One Azure connection-string document.
pub fn connection_string(name: &str, server: &str, port: u16, tls: &str) -> String {
    format!(
        "name: {name}\nsandbox: dev\ncloud: azure\nauth:\n  type: connectionString\n  connectionString: Server={server};Database={DATABASE};Port={port};UID={USER};Password=${{CHECK_PASSWORD}}{tls}\n"
    )
}

/// A temp folder holding `connections/<n>.yaml` for each document.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new(documents: &[String]) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let connections = dir.path().join("connections");
        std::fs::create_dir(&connections).unwrap();
        for (i, doc) in documents.iter().enumerate() {
            std::fs::write(connections.join(format!("c{i}.yaml")), doc).unwrap();
        }
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `provision check` in the project folder with `CHECK_PASSWORD` set.
    pub fn check(&self, password: &str, extra: &[&str]) -> Finished {
        provision()
            .current_dir(self.path())
            .env("CHECK_PASSWORD", password)
            .arg("check")
            .args(extra)
            .run()
    }
}

/// Asserts the canary is nowhere in a run's output.
pub fn assert_no_canary(run: &Finished) {
    assert!(
        !run.stdout().contains(CANARY) && !run.stderr().contains(CANARY),
        "the password leaked\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout(),
        run.stderr()
    );
}
