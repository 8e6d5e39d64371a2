//! A state bound to the settings environment that runs against it: the
//! state records its environment on the first write, and a run of another
//! environment (or of a project without environments) refuses it, so the
//! prod settings can never act on state dev wrote, whatever path or
//! namespace flags point at.

use std::sync::Arc;
use std::time::Duration;

use super::{Change, LockInfo, State, StateBackend, StateError, StateLock};

/// Says which environment each record of a pre-environments state belongs
/// to, with the `state migrate --to-env` runs that move them.
pub type Owners = Box<dyn Fn(&State) -> String + Send + Sync>;

/// `inner`, refused unless written by `environment` (or by nobody yet).
pub struct EnvironmentBound {
    inner: Arc<dyn StateBackend>,
    environment: Option<String>,
    /// The state a project used before it had environments: when it holds
    /// records and this one is empty, the run stops and says how to move them.
    legacy: Option<Arc<dyn StateBackend>>,
    /// Groups the legacy state's records for the refusal.
    owners: Option<Owners>,
}

impl EnvironmentBound {
    pub fn new(
        inner: Arc<dyn StateBackend>,
        environment: Option<String>,
        legacy: Option<Arc<dyn StateBackend>>,
        owners: Option<Owners>,
    ) -> Self {
        EnvironmentBound {
            inner,
            environment,
            legacy,
            owners,
        }
    }

    fn checked(&self, mut state: State) -> Result<State, StateError> {
        if state.environment != self.environment && state.environment.is_some() {
            return Err(StateError::OtherEnvironment {
                state: self.inner.describe(),
                recorded: state.environment.unwrap_or_default(),
                running: self.environment.clone(),
            });
        }
        let empty = state.is_empty();
        if let (true, Some(legacy), Some(name)) = (empty, &self.legacy, &self.environment) {
            // An unreadable old state is no reason to stop this one.
            if let Ok(old) = legacy.load_unchecked() {
                let count = old.connections.len() + old.pending.len();
                if count > 0 && old.environment.is_none() {
                    return Err(StateError::Unmigrated {
                        state: self.inner.describe(),
                        legacy: legacy.describe(),
                        count,
                        environment: name.clone(),
                        owners: self.owners.as_ref().map_or_else(
                            || format!("move them with `provision state migrate --to-env {name}`"),
                            |owners| owners(&old),
                        ),
                    });
                }
            }
        }
        if state.environment.is_none() {
            // Recorded with the next write (and a format-3 state upgraded).
            state.environment.clone_from(&self.environment);
        }
        Ok(state)
    }
}

impl StateBackend for EnvironmentBound {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn load_unchecked(&self) -> Result<State, StateError> {
        self.checked(self.inner.load_unchecked()?)
    }

    fn lock(&self, command: &str, timeout: Duration) -> Result<StateLock, StateError> {
        self.inner.lock(command, timeout)
    }

    fn record(&self, state: &mut State, changes: &[Change]) -> Result<(), StateError> {
        if state.environment.is_none() {
            state.environment.clone_from(&self.environment);
        }
        self.inner.record(state, changes)
    }

    fn unlock(&self) -> Result<Option<LockInfo>, StateError> {
        self.inner.unlock()
    }
}
