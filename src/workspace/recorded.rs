//! What the state commands that name one KEY act on (`state show`, `rm`,
//! `protect`, `unprotect`): a connection (recorded, or a pending create)
//! or a dataflow, found by its key, or an error naming the closest keys.

use std::time::Duration;

use super::hints::{closest, did_you_mean};
use crate::config::{ConnectionKey, DataflowKey, ResourceKey};
use crate::error::Error;
use crate::state::{Change, DataflowRecord, Pending, Record, State, StateBackend};

/// One resource state records under a key.
#[derive(Debug, Clone)]
pub(crate) enum Recorded {
    Connection(ConnectionKey, Record),
    /// A create sent (or about to be) whose outcome is not recorded yet.
    Pending(ConnectionKey, Pending),
    Dataflow(DataflowKey, Box<DataflowRecord>),
}

impl Recorded {
    /// The key as users type it.
    pub(crate) fn key(&self) -> String {
        match self {
            Recorded::Connection(key, _) | Recorded::Pending(key, _) => key.to_string(),
            Recorded::Dataflow(key, _) => key.to_string(),
        }
    }

    pub(crate) fn is_protected(&self) -> bool {
        match self {
            Recorded::Connection(_, record) => record.protect,
            Recorded::Pending(_, pending) => pending.protect,
            Recorded::Dataflow(_, record) => record.protect,
        }
    }

    /// The change that records it with `protect` set to `protect`.
    fn with_protect(&self, protect: bool) -> Change {
        match self {
            Recorded::Connection(key, record) => Change::Upsert(
                key.clone(),
                Record {
                    protect,
                    ..record.clone()
                },
            ),
            Recorded::Pending(key, pending) => Change::Pending(
                key.clone(),
                Pending {
                    protect,
                    ..pending.clone()
                },
            ),
            Recorded::Dataflow(key, record) => Change::Dataflow(
                key.clone(),
                Box::new(DataflowRecord {
                    protect,
                    ..(**record).clone()
                }),
            ),
        }
    }

    /// The change that forgets it.
    fn removal(&self) -> Change {
        match self {
            Recorded::Connection(key, _) | Recorded::Pending(key, _) => Change::Remove(key.clone()),
            Recorded::Dataflow(key, _) => Change::RemoveDataflow(key.clone()),
        }
    }
}

/// The resource `text` names in `state` (a recorded connection before a
/// pending create of the same key), or an error that says what keys look
/// like and which recorded keys come closest.
pub(crate) fn find(
    text: &str,
    state: &State,
    backend: &dyn StateBackend,
) -> Result<Recorded, Error> {
    let parsed = text.parse::<ResourceKey>();
    let found = match &parsed {
        Ok(ResourceKey::Connection(key)) => state
            .connections
            .get(key)
            .map(|r| Recorded::Connection(key.clone(), r.clone()))
            .or_else(|| {
                state
                    .pending
                    .get(key)
                    .map(|p| Recorded::Pending(key.clone(), p.clone()))
            }),
        Ok(ResourceKey::Dataflow(key)) => state
            .dataflows
            .get(key)
            .map(|r| Recorded::Dataflow(key.clone(), Box::new(r.clone()))),
        Err(_) => None,
    };
    if let Some(found) = found {
        return Ok(found);
    }
    let head = match parsed {
        Ok(key) => format!("`{key}` is not in state {}", backend.describe()),
        Err(_) if text.starts_with("dataflow/") => {
            format!("`{}` is not a dataflow key", text.escape_debug())
        }
        Err(_) => format!("`{}` is not a connection key", text.escape_debug()),
    };
    let known: Vec<ResourceKey> = state
        .connections
        .keys()
        .chain(state.pending.keys())
        .cloned()
        .map(ResourceKey::Connection)
        .chain(state.dataflows.keys().cloned().map(ResourceKey::Dataflow))
        .collect();
    fn name(key: &ResourceKey) -> &str {
        match key {
            ResourceKey::Connection(key) => key.name.as_str(),
            ResourceKey::Dataflow(key) => key.name(),
        }
    }
    let shapes = if state.dataflows.is_empty() && !text.starts_with("dataflow/") {
        "keys are `cloud/sandbox/name`"
    } else {
        "keys are `cloud/sandbox/name`, or `dataflow/cloud/sandbox/name` for a dataflow"
    };
    let tail = match closest(text, known.iter(), name).as_slice() {
        [] if known.is_empty() => "; state records no connections".to_owned(),
        [] => "; `provision state list` shows the recorded ones".to_owned(),
        many => did_you_mean(many),
    };
    Err(Error::Failed(format!("{head}: {shapes}{tail}")))
}

/// What a state command changed.
#[derive(Debug)]
pub(crate) struct Edited {
    /// The resource as it was before.
    pub before: Recorded,
    /// Whether anything was written (not when it was already so).
    pub written: bool,
}

/// Sets the protect flag of the resource `text` names, under the lock.
pub(crate) fn set_protect(
    backend: &dyn StateBackend,
    command: &str,
    text: &str,
    protect: bool,
) -> Result<Edited, Error> {
    let _lock = backend.lock(command, Duration::ZERO)?;
    let mut state = backend.load_unchecked()?;
    let before = find(text, &state, backend)?;
    let written = before.is_protected() != protect;
    if written {
        backend.record(&mut state, &[before.with_protect(protect)])?;
    }
    Ok(Edited { before, written })
}

/// Forgets the resource `text` names, under the lock; nothing on the
/// platform changes. `state rm` repairs state, so it reads a state that
/// `load` refuses.
pub(crate) fn forget(
    backend: &dyn StateBackend,
    command: &str,
    text: &str,
) -> Result<Edited, Error> {
    let _lock = backend.lock(command, Duration::ZERO)?;
    let mut state = backend.load_unchecked()?;
    let before = find(text, &state, backend)?;
    backend.record(&mut state, &[before.removal()])?;
    Ok(Edited {
        before,
        written: true,
    })
}
