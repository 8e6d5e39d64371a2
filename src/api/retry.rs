//! When to try a Flow Service call again and how long to wait: exponential
//! backoff with full jitter, `Retry-After` honoured, a bounded budget. The
//! client's single send loop asks this module; nothing else retries.

use std::time::Duration;

use rand::Rng;

use super::error::ApiError;

/// How hard to try before giving up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time (full jitter).
    pub base_delay: Duration,
    /// Cap on one backoff (a longer `Retry-After` still wins).
    pub max_delay: Duration,
    /// Cap on the total time one call spends waiting between attempts.
    pub max_total_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_total_delay: Duration::from_secs(60),
        }
    }
}

/// What kind of call failed, which decides whether a retry is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// GET, list, DELETE: repeating them changes nothing.
    Idempotent,
    /// POST: repeating a create that landed makes a duplicate.
    Create,
    /// PATCH: repeating it is harmless only if the first did not apply.
    Patch,
}

/// How a failed attempt may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Do not retry: the answer is final.
    Final,
    /// The request provably did not take effect (429, connect failure): retry any call.
    NotApplied,
    /// The request may have taken effect (5xx, timeout, reset): retry idempotent calls only.
    Unknown,
}

/// Classifies an error answer by status.
pub(super) fn verdict_for_status(status: u16) -> Verdict {
    match status {
        // The gateway's 429 rejects the call before the service sees it.
        429 => Verdict::NotApplied,
        500 | 502 | 503 | 504 => Verdict::Unknown,
        _ => Verdict::Final,
    }
}

/// Classifies a transport failure.
pub(super) fn verdict_for_transport(err: &ApiError) -> Verdict {
    match err {
        ApiError::Transport { connect: true, .. } => Verdict::NotApplied,
        ApiError::Transport { .. } => Verdict::Unknown,
        _ => Verdict::Final,
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (1-based `attempt` just failed):
    /// full jitter over the doubling backoff, but never less than `Retry-After`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let ceiling = exp.min(self.max_delay);
        let jitter =
            Duration::from_millis(rand::rng().random_range(0..=ceiling.as_millis() as u64));
        match retry_after {
            Some(after) => after.max(jitter),
            None => jitter,
        }
    }
}

/// Parses `Retry-After` in seconds (the HTTP-date form is not used by the gateway).
pub(super) fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_a_floor_and_backoff_is_capped() {
        let policy = RetryPolicy::default();
        for attempt in 1..30 {
            assert!(policy.delay(attempt, None) <= policy.max_delay);
            assert!(policy.delay(attempt, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
        }
    }

    #[test]
    fn only_proven_non_effects_are_safe_for_posts() {
        assert_eq!(verdict_for_status(429), Verdict::NotApplied);
        assert_eq!(verdict_for_status(503), Verdict::Unknown);
        assert_eq!(verdict_for_status(412), Verdict::Final);
        assert_eq!(parse_retry_after(Some(" 2 ")), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(Some("soon")), None);
    }
}
