//! `secretVersion`: a way to say "the password was rotated" that needs no
//! `PROVISION_STATE_KEY`. A declared version that differs from the one state
//! recorded (or none recorded) sends the secret once, in a PATCH.

use super::{Desired, FieldChange};
use crate::state::Record;

/// Why `d`'s secret is sent because of its `secretVersion`, if it is; adds
/// the secret's (sensitive) change to `changes` unless already there.
pub(super) fn push(d: &Desired, record: &Record, changes: &mut Vec<FieldChange>) -> Option<String> {
    let declared = d.connection.secret_version?;
    let reason = match record.secret_version {
        Some(recorded) if recorded == declared => return None,
        Some(recorded) => format!("secretVersion {declared} (recorded {recorded})"),
        None => format!("secretVersion {declared} (none recorded)"),
    };
    if !changes.iter().any(|c| c.sensitive && c.field == "secret") {
        changes.push(FieldChange {
            field: "secret".into(),
            from: None,
            to: None,
            sensitive: true,
        });
    }
    Some(reason)
}
