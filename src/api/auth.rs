//! IMS OAuth server-to-server: fetch an access token with the client
//! credentials, keep it in memory, fetch a new one shortly before it expires
//! or when the gateway calls it invalid (`401013`). Or use a ready token.

use std::time::{Duration, Instant};

use reqwest::header::LOCATION;
use tokio::sync::Mutex;

use super::error::ApiError;
use super::redact::Redactor;
use super::transport::{BodyError, read_capped};
use super::wire::TokenResponse;
use crate::secret::Secret;

/// The longest a token is kept, whatever IMS says (its tokens live 24 h).
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

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
    /// `scope=` of the token request, comma-separated.
    scopes: String,
    connect_timeout: Duration,
    request_timeout: Duration,
    body_limit: usize,
    redactor: Redactor,
    cached: Mutex<Option<Cached>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url)
            .field("credentials", &self.credentials)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// How a `TokenSource` reaches IMS.
pub(crate) struct ImsSetup {
    /// The IMS base URL, already checked by the transport rules.
    pub ims: url::Url,
    pub scopes: Vec<String>,
    /// The client's connect timeout (for truthful timeout messages).
    pub connect_timeout: Duration,
    /// Longest a token request may take, answer included.
    pub request_timeout: Duration,
    pub body_limit: usize,
    pub redactor: Redactor,
}

impl TokenSource {
    pub(crate) fn new(http: reqwest::Client, setup: ImsSetup, credentials: Credentials) -> Self {
        let token_url = format!("{}/ims/token/v3", setup.ims.as_str().trim_end_matches('/'));
        match &credentials {
            Credentials::ClientCredentials { client_secret, .. } => {
                setup.redactor.add(client_secret.expose());
            }
            Credentials::AccessToken { token, .. } => setup.redactor.add(token.expose()),
        }
        TokenSource {
            http,
            token_url,
            credentials,
            scopes: setup.scopes.join(","),
            connect_timeout: setup.connect_timeout,
            request_timeout: setup.request_timeout,
            body_limit: setup.body_limit,
            redactor: setup.redactor,
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
        let fresh = self
            .fetch(client_id, client_secret)
            .await
            .map_err(|e| e.redacted(&self.redactor))?;
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
            ("scope", self.scopes.as_str()),
        ];
        let sent = Instant::now();
        let limits = (self.connect_timeout, self.request_timeout);
        let mut answer = self
            .http
            .post(&self.token_url)
            .timeout(self.request_timeout)
            .form(&form)
            .send()
            .await
            .map_err(|e| ApiError::from_transport(&self.token_url, &e, limits))?;
        let status = answer.status().as_u16();
        if answer.status().is_redirection() {
            let location = answer
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no location)")
                .to_owned();
            return Err(ApiError::Redirected {
                status,
                url: self.token_url.clone(),
                location,
            });
        }
        let body = read_capped(&mut answer, &self.token_url, self.body_limit)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge(e) => e,
                BodyError::Transport(e) => ApiError::from_transport(&self.token_url, &e, limits),
            })?;
        if !(200..300).contains(&status) {
            return Err(ApiError::from_ims(
                status,
                &body,
                &self.scopes,
                &self.redactor,
            ));
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| ApiError::Decode {
                url: self.token_url.clone(),
                message: format!("expected `access_token` and `expires_in` (whole seconds): {e}"),
            })?;
        if parsed.access_token.expose().is_empty() {
            return Err(ApiError::Decode {
                url: self.token_url.clone(),
                message: "`access_token` is empty".into(),
            });
        }
        self.redactor.add(parsed.access_token.expose());
        Ok(Cached {
            token: parsed.access_token,
            refresh_at: refresh_at(sent, parsed.expires_in),
        })
    }
}

/// When to fetch the next token: a minute early, or at 90% of a short
/// lifetime; a lifetime beyond a week (any number IMS may send) counts as a week.
fn refresh_at(sent: Instant, expires_in: u64) -> Instant {
    let lifetime = Duration::from_secs(expires_in).min(MAX_TOKEN_LIFETIME);
    let margin = Duration::from_secs(60).min(lifetime / 10);
    tracing::debug!(expires_in, "ims access token issued");
    sent.checked_add(lifetime.saturating_sub(margin))
        .unwrap_or(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_lifetime_gives_a_refresh_time_without_overflow() {
        let now = Instant::now();
        assert!(refresh_at(now, u64::MAX) <= now + MAX_TOKEN_LIFETIME);
        assert_eq!(refresh_at(now, 0), now);
        assert_eq!(refresh_at(now, 100), now + Duration::from_secs(90));
        assert_eq!(refresh_at(now, 86399), now + Duration::from_secs(86339));
    }
}
