//! SIGINT/SIGTERM during an apply (cli.md, apply semantics 7): the first
//! interrupt stops new actions from starting while the requests in flight
//! finish or time out and are recorded; a second one exits at once (state
//! stays consistent: every state write is atomic).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use crate::error::exit;
use crate::output;

/// Raised by the first interrupt; shared by everything a run starts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interrupt {
    inner: Arc<(AtomicBool, Notify)>,
}

impl Interrupt {
    /// Raises it; true the first time.
    pub(crate) fn raise(&self) -> bool {
        let first = !self.inner.0.swap(true, Ordering::SeqCst);
        self.inner.1.notify_waiters();
        first
    }

    pub(crate) fn is_raised(&self) -> bool {
        self.inner.0.load(Ordering::SeqCst)
    }

    /// Resolves once it is raised.
    pub(crate) async fn raised(&self) {
        loop {
            let notified = self.inner.1.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_raised() {
                return;
            }
            notified.await;
        }
    }

    /// Listens for SIGINT and SIGTERM for as long as the run lasts.
    pub(crate) async fn watch(self) {
        while next_signal().await.is_ok() {
            if self.raise() {
                output::progress(
                    "\ninterrupted: no new action starts; the requests in flight finish or time out and are recorded (interrupt again to exit at once)\n",
                );
            } else {
                output::progress("interrupted again: exiting now\n");
                std::process::exit(i32::from(exit::INTERRUPTED));
            }
        }
    }
}

#[cfg(unix)]
async fn next_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn next_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
