//! Creates state keeps as pending (sent, outcome never seen): the plan says
//! truthfully what apply does with each, since a listing can lag the create
//! it must find. Within the settle window (from the recorded start) nothing
//! is concluded from a missing name; after it, a missing name is final.

use std::time::Duration;

use super::{Action, PlanOptions, Step};
use crate::api::wire::ConnectionItem;
use crate::config::ConnectionKey;
use crate::state::{Pending, State, timestamp};

/// When a plan is made and how long a create may take to be listed: the
/// plan itself stays pure, these come from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PendingWindow {
    /// Seconds since the epoch when the plan is made.
    pub now: u64,
    /// Settings `timeouts.settle`.
    pub settle: Duration,
}

impl PendingWindow {
    /// Now, with the given settle window.
    pub(crate) fn starting_now(settle: Duration) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        PendingWindow { now, settle }
    }

    /// The end of the window of a create started at `started_at`, in
    /// seconds since the epoch (`None`: an unreadable timestamp).
    fn end(&self, started_at: &str) -> Option<u64> {
        parse_timestamp(started_at)?.checked_add(self.settle.as_secs())
    }

    /// Whether a create started at `started_at` has had its whole window:
    /// an unreadable start never has (the safe side: keep looking).
    pub(crate) fn has_passed(&self, started_at: &str) -> bool {
        self.end(started_at).is_some_and(|end| self.now >= end)
    }
}

/// `2026-11-26T19:26:21Z` (what `timestamp::now` writes) as seconds since
/// the epoch.
pub(crate) fn parse_timestamp(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() != 20 || bytes[19] != b'Z' || bytes[10] != b'T' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // Howard Hinnant's days_from_civil, the inverse of `format_unix`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second.min(60);
    u64::try_from(secs).ok()
}

/// The reason a create of a key with a pending record gives: apply looks
/// the name up first (until the window from the recorded start ends).
pub(crate) fn create_reason(pending: &Pending, window: Option<&PendingWindow>) -> String {
    let until = window
        .and_then(|w| w.end(&pending.started_at))
        .map(|end| format!(" until {}", timestamp::format_unix(end)))
        .unwrap_or_default();
    format!(
        "an earlier create (started {}) did not finish and its name is not listed yet: apply looks it up{until} and adopts it if found, else creates it",
        pending.started_at
    )
}

/// Pending creates whose document is gone: looked up in the listing of
/// their scope. Found: adopted then pruned with `--prune` (else kept
/// pending, with a warning); not found after the window: the stale record
/// is dropped; not found within it: kept for a later run.
pub(crate) fn without_document(
    key: &ConnectionKey,
    pending: &Pending,
    state: &State,
    items: Option<&Vec<ConnectionItem>>,
    options: &PlanOptions,
    warnings: &mut Vec<String>,
) -> Option<Action> {
    let items = items?;
    let action = |reason: String, step: Step| Action {
        key: key.clone(),
        org: pending.org.clone(),
        reasons: vec![reason],
        step,
        pending_since: Some(pending.started_at.clone()),
    };
    let namesakes: Vec<&ConnectionItem> = items
        .iter()
        .filter(|i| i.name == key.name && i.is_live())
        .filter(|i| !state.connections.values().any(|r| r.id == i.id))
        .collect();
    match namesakes.as_slice() {
        [item] if options.prune => Some(action(
            format!(
                "an earlier create landed as `{}` but no file describes it any more: would adopt, then prune (--prune)",
                item.id
            ),
            Step::Delete {
                id: item.id.clone(),
            },
        )),
        [item] => {
            warnings.push(format!(
                "`{key}`: an earlier create landed as `{}` but no file describes it any more: it stays pending in state; use `--prune` to adopt, then delete it",
                item.id
            ));
            None
        }
        [] => match &options.pending_window {
            Some(window) if window.has_passed(&pending.started_at) => Some(action(
                format!(
                    "an earlier create (started {}) is not listed after the settle window and no file describes it any more: would drop the stale pending record",
                    pending.started_at
                ),
                Step::DropPending,
            )),
            _ => {
                warnings.push(format!(
                    "`{key}`: an earlier create (started {}) is not listed yet and no file describes it any more: it stays pending until its settle window has passed",
                    pending.started_at
                ));
                None
            }
        },
        many => {
            warnings.push(format!(
                "`{key}`: an earlier create is pending and {} connections named `{}` exist in sandbox `{}`: it stays pending; delete the extra ones on the platform",
                many.len(),
                key.name,
                key.sandbox
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_back_what_format_unix_writes() {
        for secs in [0, 86_399, 951_782_400, 1_764_000_000, 4_102_444_800] {
            let text = timestamp::format_unix(secs);
            assert_eq!(parse_timestamp(&text), Some(secs), "{text}");
        }
        assert_eq!(parse_timestamp("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn an_unreadable_start_never_ends_its_window() {
        let window = PendingWindow {
            now: u64::MAX,
            settle: Duration::from_secs(30),
        };
        assert!(!window.has_passed("soon"));
        assert!(window.has_passed("2026-11-26T19:26:21Z"));
    }
}
