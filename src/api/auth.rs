//! IMS OAuth server-to-server: fetch an access token with the client
//! credentials, keep it in memory, fetch a new one shortly before it expires
//! or when the gateway calls it invalid (`401013`). Or use a ready token.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::error::ApiError;
use super::wire::{IMS_SCOPE, TokenResponse};
use crate::secret::Secret;

/// How the client authenticates. The client id is also the `x-api-key`.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// OAuth server-to-server: IMS issues tokens for this client.
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    /// A token obtained elsewhere; it cannot be renewed.
    AccessToken { client_id: String, token: Secret },
}

impl Credentials {
    /// From the settings' `credentials` block with its `${VAR}`s already
    /// substituted: a ready `accessToken` wins over `clientSecret`; the
    /// `clientId` is needed either way (it is the `x-api-key`).
    pub fn from_settings(settings: &crate::config::Credentials) -> Result<Self, ApiError> {
        let client_id = settings
            .client_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| ApiError::Config("`credentials.clientId` is required".into()))?;
        match (&settings.access_token, &settings.client_secret) {
            (Some(token), _) if !token.is_empty() => Ok(Credentials::AccessToken {
                client_id,
                token: Secret::new(token.clone()),
            }),
            (_, Some(secret)) if !secret.is_empty() => Ok(Credentials::ClientCredentials {
                client_id,
                client_secret: Secret::new(secret.clone()),
            }),
            _ => Err(ApiError::Config(
                "`credentials` needs `clientSecret` or `accessToken`".into(),
            )),
        }
    }

    pub fn client_id(&self) -> &str {
        match self {
            Credentials::ClientCredentials { client_id, .. }
            | Credentials::AccessToken { client_id, .. } => client_id,
        }
    }
}

#[derive(Clone)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// Hands out a valid access token, fetching one from IMS when needed.
/// The lock makes concurrent callers share a single fetch.
pub struct TokenSource {
    http: reqwest::Client,
    token_url: String,
    credentials: Credentials,
    cached: Mutex<Option<Cached>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// `ims` is the IMS base URL, e.g. `https://ims-na1.adobelogin.com`.
    pub fn new(http: reqwest::Client, ims: &str, credentials: Credentials) -> Self {
        let token_url = format!("{}/ims/token/v3", ims.trim_end_matches('/'));
        TokenSource {
            http,
            token_url,
            credentials,
            cached: Mutex::new(None),
        }
    }

    pub fn client_id(&self) -> &str {
        self.credentials.client_id()
    }

    /// Whether a rejected token can be replaced by a new one.
    pub fn can_renew(&self) -> bool {
        matches!(self.credentials, Credentials::ClientCredentials { .. })
    }

    /// A token to send now.
    pub async fn token(&self) -> Result<Secret, ApiError> {
        let (client_id, client_secret) = match &self.credentials {
            Credentials::AccessToken { token, .. } => return Ok(token.clone()),
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => (client_id, client_secret),
        };
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let fresh = self.fetch(client_id, client_secret).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Forgets `rejected` so the next `token()` fetches a new one (unless
    /// another caller already replaced it).
    pub async fn invalidate(&self, rejected: &Secret) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| &c.token == rejected) {
            *cached = None;
        }
    }

    async fn fetch(&self, client_id: &str, client_secret: &Secret) -> Result<Cached, ApiError> {
        tracing::debug!(url = %self.token_url, client_id, "requesting ims access token");
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret.expose()),
            ("scope", IMS_SCOPE),
        ];
        let sent = Instant::now();
        let answer = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| ApiError::from_transport(&self.token_url, &e))?;
        let status = answer.status().as_u16();
        let body = answer
            .bytes()
            .await
            .map_err(|e| ApiError::from_transport(&self.token_url, &e))?;
        if !(200..300).contains(&status) {
            return Err(ApiError::from_ims(status, &body));
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| ApiError::Decode {
                url: self.token_url.clone(),
                message: e.to_string(),
            })?;
        let lifetime = Duration::from_secs(parsed.expires_in);
        // Renew a minute early, or at 90% of a short lifetime.
        let margin = Duration::from_secs(60).min(lifetime / 10);
        tracing::debug!(expires_in = parsed.expires_in, "ims access token issued");
        Ok(Cached {
            token: parsed.access_token,
            refresh_at: sent + lifetime - margin,
        })
    }
}
