//! Records state changes the moment they happen, on one writer thread with
//! group commit: changes that arrive while a write is under way go into the
//! next write together, so 16 parallel creates do not queue behind 16
//! fsyncs, and each caller resumes only once its change is durable. The
//! first write that fails (lock lost, state unreachable) stops the run.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::Interrupt;
use crate::state::{Change, State, StateBackend};

struct Job {
    changes: Vec<Change>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The writer thread's handle.
pub(crate) struct Recorder {
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<State>>,
    /// Why the first write failed; no write is tried after it.
    failure: Arc<Mutex<Option<String>>>,
}

/// What a caller is told when its change was not written.
fn refusal(changes: &[Change], reason: &str) -> String {
    if !changes.is_empty() && changes.iter().all(|c| matches!(c, Change::Pending(..))) {
        format!("nothing sent: state could not record the create as pending ({reason})")
    } else {
        format!("state could not be written: {reason}")
    }
}

impl Recorder {
    /// Starts the writer over a loaded (and locked) state. The first write
    /// that fails raises `stop`, so no further action starts.
    pub(crate) fn start(backend: Arc<dyn StateBackend>, mut state: State, stop: Interrupt) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let failure: Arc<Mutex<Option<String>>> = Arc::default();
        let failed = Arc::clone(&failure);
        let thread = std::thread::spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                batch.extend(rx.try_iter());
                let earlier = failed.lock().ok().and_then(|f| f.clone());
                let result = match earlier {
                    Some(reason) => Err(format!("an earlier state write failed ({reason})")),
                    None => {
                        let changes: Vec<Change> = batch
                            .iter()
                            .flat_map(|j| j.changes.iter().cloned())
                            .collect();
                        backend
                            .record(&mut state, &changes)
                            .map_err(|e| e.to_string())
                    }
                };
                if let Err(reason) = &result {
                    if let Ok(mut slot) = failed.lock() {
                        slot.get_or_insert_with(|| reason.clone());
                    }
                    stop.raise();
                }
                for job in batch {
                    let told = result
                        .clone()
                        .map_err(|reason| refusal(&job.changes, &reason));
                    let _ = job.done.send(told);
                }
            }
            state
        });
        Recorder {
            tx: Some(tx),
            thread: Some(thread),
            failure,
        }
    }

    /// Persists `changes`; returns once they are durable.
    pub(crate) async fn commit(&self, changes: Vec<Change>) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        let tx = self.tx.as_ref().ok_or("state writer has stopped")?;
        tx.send(Job { changes, done })
            .map_err(|_| "state writer has stopped".to_owned())?;
        wait.await
            .map_err(|_| "state writer has stopped".to_owned())?
    }

    /// Why a write failed, once one has: the run must not report success.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
