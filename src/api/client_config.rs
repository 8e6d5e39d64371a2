//! What a `FlowServiceClient` is built from: hosts, credentials, the retry
//! budget and network timeouts, with the platform's defaults.

use std::time::Duration;

use super::auth::Credentials;
use super::retry::RetryPolicy;

/// Network timeouts; reqwest has none by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// Longest silence while reading an answer.
    pub read: Duration,
    /// Whole request, answer included.
    pub overall: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            overall: Duration::from_secs(60),
        }
    }
}

/// Everything needed to build a client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Flow Service host, e.g. `https://platform.adobe.io` or the emulator's URL.
    pub endpoint: String,
    /// IMS host, e.g. `https://ims-na1.adobelogin.com` or the emulator's URL.
    pub ims: String,
    pub credentials: Credentials,
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
}

impl ClientConfig {
    /// Production hosts, default retries and timeouts.
    pub fn new(credentials: Credentials) -> Self {
        ClientConfig {
            endpoint: "https://platform.adobe.io".into(),
            ims: "https://ims-na1.adobelogin.com".into(),
            credentials,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
        }
    }

    /// Hosts from the settings (defaults where absent), with default retries and timeouts.
    pub fn from_settings(settings: &crate::config::Settings, credentials: Credentials) -> Self {
        let mut config = ClientConfig::new(credentials);
        if let Some(endpoint) = &settings.endpoint {
            config.endpoint = endpoint.clone();
        }
        if let Some(ims) = &settings.ims {
            config.ims = ims.clone();
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
