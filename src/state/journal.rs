//! The file backend's journal (`state.json.journal`): each recorded change
//! is one appended line, so a write costs what it changes instead of a
//! rewrite of the whole file. Folded into `state.json` at the end of a run,
//! once it outgrows the snapshot, and replayed on every load.

use serde::{Deserialize, Serialize};

use super::{Change, DataflowRecord, Pending, Record, State, StateError};
use crate::config::{ConnectionKey, DataflowKey};

/// One write: the serial it moved the state to and what it changed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Entry {
    serial: u64,
    lineage: String,
    changes: Vec<Op>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
enum Op {
    Pending {
        key: ConnectionKey,
        pending: Pending,
    },
    Upsert {
        key: ConnectionKey,
        record: Record,
    },
    Remove {
        key: ConnectionKey,
    },
    Dataflow {
        key: DataflowKey,
        record: Box<DataflowRecord>,
    },
    RemoveDataflow {
        key: DataflowKey,
    },
}

/// The line recording `changes` as the write that made `state` (already
/// applied) what it is, newline included.
pub(super) fn line(state: &State, changes: &[Change]) -> Result<Vec<u8>, StateError> {
    let entry = Entry {
        serial: state.serial,
        lineage: state.lineage.clone(),
        changes: changes
            .iter()
            .map(|change| match change.clone() {
                Change::Pending(key, pending) => Op::Pending { key, pending },
                Change::Upsert(key, record) => Op::Upsert { key, record },
                Change::Remove(key) => Op::Remove { key },
                Change::Dataflow(key, record) => Op::Dataflow { key, record },
                Change::RemoveDataflow(key) => Op::RemoveDataflow { key },
            })
            .collect(),
    };
    let mut text = serde_json::to_vec(&entry).map_err(|e| StateError::Backend(e.to_string()))?;
    text.push(b'\n');
    Ok(text)
}

/// Replays a journal's writes newer than `state` onto it. Returns the
/// length of the journal's complete lines: a last line without its newline
/// is a write that was never acknowledged (the run died inside it) and is
/// ignored, and cut off before the next append.
pub(super) fn replay(state: &mut State, text: &[u8], path: &str) -> Result<u64, StateError> {
    let corrupt = |line: usize, message: String| StateError::Corrupt {
        path: path.to_owned(),
        message: format!("journal line {line}: {message}"),
    };
    let mut good = 0usize;
    for (index, raw) in text.split_inclusive(|b| *b == b'\n').enumerate() {
        let number = index + 1;
        if !raw.ends_with(b"\n") {
            break;
        }
        let entry: Entry =
            serde_json::from_slice(raw).map_err(|e| corrupt(number, e.to_string()))?;
        good += raw.len();
        if entry.serial <= state.serial {
            // Folded into the snapshot already (the run died between the
            // snapshot's rename and the journal's removal).
            continue;
        }
        if entry.serial != state.serial + 1 {
            return Err(corrupt(
                number,
                format!(
                    "it records serial {} after serial {}: expected {}",
                    entry.serial,
                    state.serial,
                    state.serial + 1
                ),
            ));
        }
        if !state.lineage.is_empty() && state.lineage != entry.lineage {
            return Err(corrupt(
                number,
                format!(
                    "lineage `{}` is not the state's `{}`: the journal belongs to another state; move it away",
                    entry.lineage, state.lineage
                ),
            ));
        }
        let changes: Vec<Change> = entry
            .changes
            .into_iter()
            .map(|op| match op {
                Op::Pending { key, pending } => Change::Pending(key, pending),
                Op::Upsert { key, record } => Change::Upsert(key, record),
                Op::Remove { key } => Change::Remove(key),
                Op::Dataflow { key, record } => Change::Dataflow(key, record),
                Op::RemoveDataflow { key } => Change::RemoveDataflow(key),
            })
            .collect();
        state.apply(&changes)?;
        state.lineage = entry.lineage;
    }
    Ok(good as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Pending {
        Pending {
            org: "O@AdobeOrg".into(),
            started_at: "t".into(),
            protect: false,
        }
    }

    #[test]
    fn lines_replay_to_the_same_state_and_a_torn_tail_is_ignored() {
        let key: ConnectionKey = "azure/dev/a".parse().unwrap();
        let mut written = State::new();
        let mut journal = Vec::new();
        for change in [
            Change::Pending(key.clone(), pending()),
            Change::Remove(key.clone()),
        ] {
            written.apply(std::slice::from_ref(&change)).unwrap();
            journal.extend(line(&written, &[change]).unwrap());
        }
        let complete = journal.len() as u64;
        journal.extend_from_slice(br#"{"serial": 3, "lin"#);
        let mut replayed = State::new();
        assert_eq!(replay(&mut replayed, &journal, "j").unwrap(), complete);
        assert_eq!(replayed, written);
    }

    #[test]
    fn a_gap_or_a_garbled_line_is_an_error_naming_the_line() {
        let key: ConnectionKey = "azure/dev/a".parse().unwrap();
        let mut state = State::new();
        state.apply(&[Change::Remove(key.clone())]).unwrap();
        state.serial = 5;
        let text = line(&state, &[Change::Remove(key)]).unwrap();
        let err = replay(&mut State::new(), &text, "j").unwrap_err();
        assert!(err.to_string().contains("journal line 1"), "{err}");
        let err = replay(&mut State::new(), b"{}\n", "j").unwrap_err();
        assert!(err.to_string().contains("journal line 1"), "{err}");
    }
}
