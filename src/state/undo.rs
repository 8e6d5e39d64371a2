//! Recording a change in place with a way back: a write that fails must
//! leave the in-memory state as it was, and copying the whole state before
//! every write made a run's cost grow with the square of its connections.

use super::{
    Change, DataflowRecord, FORMAT_VERSION, MAX_SERIAL, Pending, Record, State, StateError,
};
use crate::config::{ConnectionKey, DataflowKey};

/// What one [`State::apply_undoable`] replaced: enough to put it back.
#[derive(Debug)]
#[must_use = "an undo not used is a write that can never be reverted"]
pub struct Undo {
    serial: u64,
    version: u32,
    lineage: Option<String>,
    /// Each touched key's record and pending entry before the change, in
    /// the order the changes were applied.
    before: Vec<Before>,
}

/// One touched key as it was.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one entry per key a single write touches, dropped with the write"
)]
enum Before {
    Connection(ConnectionKey, Option<Record>, Option<Pending>),
    Dataflow(DataflowKey, Option<DataflowRecord>),
}

impl Undo {
    /// Puts `state` back as it was before the change.
    pub fn revert(self, state: &mut State) {
        for before in self.before.into_iter().rev() {
            match before {
                Before::Connection(key, record, pending) => {
                    match record {
                        Some(record) => state.connections.insert(key.clone(), record),
                        None => state.connections.remove(&key),
                    };
                    match pending {
                        Some(pending) => state.pending.insert(key, pending),
                        None => state.pending.remove(&key),
                    };
                }
                Before::Dataflow(key, record) => {
                    match record {
                        Some(record) => state.dataflows.insert(key, record),
                        None => state.dataflows.remove(&key),
                    };
                }
            }
        }
        if let Some(lineage) = self.lineage {
            state.lineage = lineage;
        }
        state.serial = self.serial;
        state.version = self.version;
    }
}

impl State {
    /// Applies changes in place and counts one write; the returned [`Undo`]
    /// reverts them. Costs what the changes touch, not the whole state.
    /// Nothing changes when the serial cannot count one more.
    pub fn apply_undoable(&mut self, changes: &[Change]) -> Result<Undo, StateError> {
        let serial = self
            .serial
            .checked_add(1)
            .filter(|s| *s <= MAX_SERIAL)
            .ok_or(StateError::SerialExhausted(self.serial))?;
        let mut undo = Undo {
            serial: self.serial,
            version: self.version,
            lineage: None,
            before: Vec::with_capacity(changes.len()),
        };
        if self.lineage.is_empty() {
            undo.lineage = Some(std::mem::replace(
                &mut self.lineage,
                uuid::Uuid::new_v4().to_string(),
            ));
        }
        for change in changes {
            undo.before
                .push(match (change.key(), change.dataflow_key()) {
                    (Some(key), _) => Before::Connection(
                        key.clone(),
                        self.connections.get(key).cloned(),
                        self.pending.get(key).cloned(),
                    ),
                    (None, Some(key)) => {
                        Before::Dataflow(key.clone(), self.dataflows.get(key).cloned())
                    }
                    (None, None) => continue,
                });
            match change {
                Change::Pending(key, pending) => {
                    self.pending.insert(key.clone(), pending.clone());
                }
                Change::Upsert(key, record) => {
                    self.pending.remove(key);
                    self.connections.insert(key.clone(), record.clone());
                }
                Change::Remove(key) => {
                    self.pending.remove(key);
                    self.connections.remove(key);
                }
                Change::Dataflow(key, record) => {
                    self.dataflows.insert(key.clone(), (**record).clone());
                }
                Change::RemoveDataflow(key) => {
                    self.dataflows.remove(key);
                }
            }
        }
        self.serial = serial;
        self.version = FORMAT_VERSION;
        Ok(undo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> Record {
        Record {
            id: id.into(),
            etag: "e".into(),
            org: "O@AdobeOrg".into(),
            fingerprint: "f".into(),
            secret_hmac: None,
            created_at: "t".into(),
            updated_at: "t".into(),
            source: None,
            secret_version: None,
            connection_string_parts: None,
            protect: false,
        }
    }

    #[test]
    fn a_reverted_change_leaves_the_state_exactly_as_it_was() {
        let a: ConnectionKey = "azure/dev/a".parse().unwrap();
        let b: ConnectionKey = "azure/dev/b".parse().unwrap();
        let mut state = State::new();
        state
            .apply(&[Change::Upsert(a.clone(), record("1"))])
            .unwrap();
        let before = state.clone();
        let pending = Pending {
            org: "O@AdobeOrg".into(),
            started_at: "t".into(),
            protect: false,
        };
        let undo = state
            .apply_undoable(&[
                Change::Pending(b.clone(), pending),
                Change::Upsert(b.clone(), record("2")),
                Change::Remove(a.clone()),
                Change::Upsert(a, record("3")),
                Change::Dataflow(
                    "dataflow/azure/dev/f".parse().unwrap(),
                    Box::new(DataflowRecord::new("O@AdobeOrg", "1", "t")),
                ),
            ])
            .unwrap();
        assert_eq!(state.serial, before.serial + 1);
        assert_ne!(state, before);
        undo.revert(&mut state);
        assert_eq!(state, before);
    }

    #[test]
    fn reverting_the_first_write_forgets_its_lineage() {
        let mut state = State::new();
        let undo = state
            .apply_undoable(&[Change::Remove("azure/dev/a".parse().unwrap())])
            .unwrap();
        assert!(!state.lineage.is_empty());
        undo.revert(&mut state);
        assert_eq!(state, State::new());
    }
}
