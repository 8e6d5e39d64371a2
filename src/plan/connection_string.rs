//! A connection string's changes, part by part: the platform masks the
//! whole string, so the plan compares the parts state recorded at the last
//! apply (`Password` never among them) with the config's.

use super::{Desired, FieldChange};
use crate::connection_string::KEYS;
use crate::desired::connection_string_parts;
use crate::state::Record;

/// `auth.connectionString.<Key>` for each part that differs from the
/// recorded ones; nothing when state recorded none (an older state).
pub(super) fn changes(d: &Desired, record: &Record) -> Vec<FieldChange> {
    let (Some(before), Some(after)) = (
        record.connection_string_parts.as_ref(),
        connection_string_parts(&d.connection),
    ) else {
        return Vec::new();
    };
    KEYS.iter()
        .filter(|key| **key != "Password")
        .filter_map(|key| {
            let from = before.get(*key);
            let to = after.get(*key);
            (from != to).then(|| FieldChange {
                field: format!("auth.connectionString.{key}"),
                from: from.cloned(),
                to: to.cloned(),
                sensitive: false,
            })
        })
        .collect()
}
