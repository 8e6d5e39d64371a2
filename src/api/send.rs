//! The client's one send loop: the five headers, token renewal on
//! `401013`, retries within the attempt and time budget, each attempt's
//! timeout, the body cap, redirects refused, errors typed and redacted, and
//! no blind repeat of a create or patch.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, IF_MATCH, LOCATION, RETRY_AFTER};
use tokio::time::Instant;

use super::Scope;
use super::client::{Answer, Attempt, Call, FlowServiceClient};
use super::error::{AnswerContext, ApiError};
use super::retry::{self, CallKind, Verdict};
use super::transport::{self, BodyError};
use crate::secret::Secret;

impl FlowServiceClient {
    /// Sends one call: the five headers, token renewal on `401013`, retries
    /// within the attempt and time budget, and no blind repeat of a create or patch.
    pub(super) async fn send(&self, scope: &Scope, call: &Call<'_>) -> Result<Answer, ApiError> {
        let started = Instant::now();
        let deadline = started.checked_add(self.timeouts.call);
        let left = || {
            deadline.map_or(self.timeouts.call, |d| {
                d.saturating_duration_since(Instant::now())
            })
        };
        let mut attempt = 0u32;
        let mut waited = Duration::ZERO;
        let mut renewed = false;
        loop {
            attempt = attempt.saturating_add(1);
            let limit = self
                .timeouts
                .request
                .min(left())
                .max(Duration::from_millis(1));
            let (error, verdict, retry_after) =
                match self.attempt(scope, call, !renewed, limit).await {
                    Attempt::Answered(answer) => return Ok(answer),
                    Attempt::Renew => {
                        // The gateway rejected the token before doing anything: renew once, resend.
                        renewed = true;
                        attempt -= 1;
                        continue;
                    }
                    Attempt::Failed(error, verdict, retry_after) => (error, verdict, retry_after),
                };
            match (verdict, call.kind) {
                (Verdict::Final, _) => return Err(error),
                (Verdict::Unknown, CallKind::Create) => {
                    let name = call.name.unwrap_or_default().into();
                    return Err(ApiError::CreateOutcomeUnknown {
                        name,
                        source: Box::new(error),
                    });
                }
                (Verdict::Unknown, CallKind::Patch) => {
                    let id = call.id.unwrap_or_default().into();
                    return Err(ApiError::PatchOutcomeUnknown {
                        id,
                        source: Box::new(error),
                    });
                }
                _ => {}
            }
            let delay = self.retry.delay(attempt, retry_after);
            let budget = left().min(self.retry.max_total_delay.saturating_sub(waited));
            if attempt >= self.retry.max_attempts || delay >= budget {
                let last = Box::new(error);
                return Err(match retry_after {
                    Some(after)
                        if after == delay
                            && delay >= budget
                            && attempt < self.retry.max_attempts =>
                    {
                        ApiError::RetryAfterTooLong {
                            after_secs: after.as_secs(),
                            left: budget,
                            last,
                        }
                    }
                    _ => ApiError::RetriesExhausted {
                        attempts: attempt,
                        elapsed: started.elapsed(),
                        last,
                    },
                });
            }
            tracing::info!(attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying flow service call");
            tokio::time::sleep(delay).await;
            waited = waited.saturating_add(delay);
        }
    }

    /// One try: get a token, send, read the answer within the cap, classify.
    async fn attempt(
        &self,
        scope: &Scope,
        call: &Call<'_>,
        may_renew: bool,
        limit: Duration,
    ) -> Attempt {
        let token = match self.auth.token().await {
            Ok(token) => token,
            // No token, nothing sent: safe to try again if IMS was only unavailable.
            Err(error) => {
                let verdict = match &error {
                    ApiError::Ims { status, .. }
                        if retry::verdict_for_status(*status) == Verdict::Final =>
                    {
                        Verdict::Final
                    }
                    ApiError::Ims { .. } | ApiError::Transport { .. } => Verdict::NotApplied,
                    _ => Verdict::Final,
                };
                return Attempt::Failed(error, verdict, None);
            }
        };
        // A value no header can carry fails the same way on every attempt:
        // say which setting holds it, and do not retry.
        if let Some(error) = unsendable(scope, self.auth.client_id(), &token) {
            return Attempt::Failed(error, Verdict::Final, None);
        }
        // A next page's URL came from the server: redacted like any server text.
        let shown = self.redactor.redact(call.url.as_str());
        tracing::debug!(method = %call.method, url = %shown, "flow service request");
        let limits = (self.timeouts.connect, limit);
        let url = call.url.as_str();
        let answer = match self.request(scope, call, &token, limit).send().await {
            Ok(answer) => answer,
            Err(err) => {
                let error = ApiError::from_transport(url, &err, limits).redacted(&self.redactor);
                tracing::debug!(error = %error, "flow service transport failure");
                let verdict = retry::verdict_for_transport(&error);
                return Attempt::Failed(error, verdict, None);
            }
        };
        match self.read(scope, call, answer, limits).await {
            Ok(answer) => Attempt::Answered(answer),
            Err((error, status, retry_after)) => {
                let renew = status == Some(401) && error.code() == Some("401013");
                if renew && may_renew && self.auth.can_renew() {
                    self.auth.invalidate(&token).await;
                    return Attempt::Renew;
                }
                let verdict = match status {
                    Some(status) => retry::verdict_for_status(status),
                    None => error_verdict(&error, call.kind),
                };
                Attempt::Failed(error, verdict, retry_after)
            }
        }
    }

    /// The request with the five headers and this attempt's timeout.
    fn request(
        &self,
        scope: &Scope,
        call: &Call<'_>,
        token: &Secret,
        limit: Duration,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .timeout(limit)
            .bearer_auth(token.expose())
            .header("x-api-key", self.auth.client_id())
            .header("x-gw-ims-org-id", &scope.org)
            .header("x-sandbox-name", &scope.sandbox);
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        if let Some(etag) = call.if_match {
            request = request.header(IF_MATCH, etag);
        }
        request
    }

    /// Reads an answer within the cap: a success, or the typed error with
    /// the status it came with (none when the answer itself failed) and
    /// any `Retry-After`.
    async fn read(
        &self,
        scope: &Scope,
        call: &Call<'_>,
        mut answer: reqwest::Response,
        limits: (Duration, Duration),
    ) -> Result<Answer, (ApiError, Option<u16>, Option<Duration>)> {
        let url = call.url.as_str();
        let status = answer.status().as_u16();
        tracing::debug!(status, "flow service answer");
        if answer.status().is_redirection() {
            let location = answer
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no location)")
                .to_owned();
            let error = ApiError::Redirected {
                status,
                url: url.into(),
                location,
            };
            return Err((error.redacted(&self.redactor), Some(status), None));
        }
        let retry_after = answer
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok());
        let retry_after = retry::parse_retry_after(retry_after);
        let success = answer.status().is_success();
        let body = match transport::read_capped(&mut answer, url, self.body_limit).await {
            Ok(body) => body,
            // A create or patch that answered 2xx happened, whatever its size.
            Err(BodyError::TooLarge(error)) if success => {
                return Err((error.redacted(&self.redactor), None, None));
            }
            Err(BodyError::TooLarge(error)) => {
                return Err((error.redacted(&self.redactor), Some(status), None));
            }
            Err(BodyError::Transport(err)) => {
                let error = ApiError::from_transport(url, &err, limits).redacted(&self.redactor);
                return Err((error, None, None));
            }
        };
        if success {
            return Ok(Answer {
                url: url.to_owned(),
                body,
            });
        }
        let cx = AnswerContext {
            url,
            id: call.id,
            what: call.what,
            sandbox: &scope.sandbox,
            redactor: &self.redactor,
        };
        let error = ApiError::from_answer(status, &body, &cx).redacted(&self.redactor);
        tracing::debug!(status, error = %error, "flow service error answer");
        Err((error, Some(status), retry_after))
    }
}

/// How a failure without an error status may be retried: a too-large
/// success answer to a create or patch means it happened (unknown outcome);
/// a body cut off mid-way may have been any answer.
fn error_verdict(error: &ApiError, kind: CallKind) -> Verdict {
    match error {
        ApiError::TooLarge { .. } if kind == CallKind::Idempotent => Verdict::Final,
        _ => Verdict::Unknown,
    }
}

/// The first header value of a call that HTTP cannot carry (a line break or
/// control character from a secret store), as an error naming its setting.
fn unsendable(scope: &Scope, client_id: &str, token: &Secret) -> Option<ApiError> {
    let bad = |value: &str| reqwest::header::HeaderValue::from_str(value).is_err();
    let (what, value) = if bad(&scope.org) {
        (
            "the IMS org id (settings `orgs.<cloud>.imsOrg`, or the variable it names)",
            Some(scope.org.as_str()),
        )
    } else if bad(client_id) {
        (
            "the client id (settings `credentials.clientId`, or `AEP_CLIENT_ID`)",
            Some(client_id),
        )
    } else if bad(&scope.sandbox) {
        ("the connection's `sandbox`", Some(scope.sandbox.as_str()))
    } else if bad(&format!("Bearer {}", token.expose())) {
        // A secret: never shown, not even escaped.
        (
            "the access token (settings `credentials.accessToken`, or `AEP_ACCESS_TOKEN`)",
            None,
        )
    } else {
        return None;
    };
    let shown = value.map_or_else(String::new, |v| format!(" `{}`", v.escape_debug()));
    Some(ApiError::Config(format!(
        "{what}{shown} holds a line break or control character, which no HTTP header can carry: fix the value (nothing was sent; not retried)"
    )))
}
