//! Records state changes the moment they happen, on one writer thread with
//! group commit: changes that arrive while a write is under way go into the
//! next write together, so 16 parallel creates do not queue behind 16
//! fsyncs, and each caller resumes only once its change is durable.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::state::{Change, State, StateBackend};

struct Job {
    changes: Vec<Change>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The writer thread's handle.
pub(crate) struct Recorder {
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<State>>,
}

impl Recorder {
    /// Starts the writer over a loaded (and locked) state.
    pub(crate) fn start(backend: Arc<dyn StateBackend>, mut state: State) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                batch.extend(rx.try_iter());
                let changes: Vec<Change> = batch
                    .iter()
                    .flat_map(|j| j.changes.iter().cloned())
                    .collect();
                let result = backend
                    .record(&mut state, &changes)
                    .map_err(|e| e.to_string());
                for job in batch {
                    let _ = job.done.send(result.clone());
                }
            }
            state
        });
        Recorder {
            tx: Some(tx),
            thread: Some(thread),
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
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
