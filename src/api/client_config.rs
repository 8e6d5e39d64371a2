//! What a `FlowServiceClient` is built from: hosts (one per org where the
//! settings say so), credentials and IMS scopes, the retry budget, network
//! timeouts, the body cap and the secrets to redact, with the platform's defaults.

use std::time::Duration;

use super::auth::Credentials;
use super::redact::Redactor;
use super::retry::RetryPolicy;
use super::transport::MAX_BODY_BYTES;
use super::wire::DEFAULT_IMS_SCOPES;

/// Network timeouts; reqwest has none by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the TCP connection and the TLS handshake.
    pub connect: Duration,
    /// One attempt, from sending the request to the last byte of the answer.
    pub request: Duration,
    /// One call with all its retries and the waits between them.
    pub call: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(30),
            call: Duration::from_secs(120),
        }
    }
}

/// Everything needed to build a client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Flow Service host, e.g. `https://platform.adobe.io` or the emulator's URL.
    pub endpoint: String,
    /// Hosts for particular orgs (`orgs.<cloud>.endpoint`): (org id, host).
    pub org_endpoints: Vec<(String, String)>,
    /// IMS host, e.g. `https://ims-na1.adobelogin.com` or the emulator's URL.
    pub ims: String,
    pub credentials: Credentials,
    /// The scopes asked of IMS (`credentials.scopes`).
    pub scopes: Vec<String>,
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
    /// The most of one answer that is read.
    pub body_limit: usize,
    /// Secrets to mask in any text a server sends back (the client adds
    /// its own credentials and tokens).
    pub redactor: Redactor,
    /// Hosts other than Adobe's and loopback that may receive credentials:
    /// `PROVISION_ALLOW_HOSTS` from the process environment, never a setting.
    pub allowed_hosts: Vec<String>,
}

impl ClientConfig {
    /// Production hosts, default scopes, retries and timeouts.
    pub fn new(credentials: Credentials) -> Self {
        ClientConfig {
            endpoint: "https://platform.adobe.io".into(),
            org_endpoints: Vec::new(),
            ims: "https://ims-na1.adobelogin.com".into(),
            credentials,
            scopes: DEFAULT_IMS_SCOPES.map(str::to_owned).to_vec(),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            body_limit: MAX_BODY_BYTES,
            redactor: Redactor::new(),
            allowed_hosts: super::hosts::allowed_from_env(),
        }
    }

    /// Hosts and scopes from the settings (defaults where absent).
    pub fn from_settings(settings: &crate::config::Settings, credentials: Credentials) -> Self {
        let mut config = ClientConfig::new(credentials);
        if let Some(endpoint) = &settings.endpoint {
            config.endpoint = endpoint.clone();
        }
        if let Some(ims) = &settings.ims {
            config.ims = ims.clone();
        }
        if let Some(scopes) = settings
            .credentials
            .as_ref()
            .and_then(|c| c.scopes.as_ref())
        {
            config.scopes = scopes.clone();
        }
        config
    }

    /// Points both Flow Service and IMS at one base URL (the emulator).
    pub fn with_base_url(mut self, url: &str) -> Self {
        self.endpoint = url.into();
        self.ims = url.into();
        self
    }
}
