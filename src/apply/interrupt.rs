//! SIGINT/SIGTERM during an apply: the first interrupt stops new actions
//! from starting while the requests in flight finish or time out and are
//! recorded; a second one exits at once (state stays consistent: every
//! state write is atomic). The reporter tells the user either way.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use super::{Event, Reporter};
use crate::error::exit;

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

    /// Listens for SIGINT and SIGTERM for as long as the run lasts; never
    /// resolves (when signals cannot be watched, it waits forever).
    pub(crate) async fn watch(&self, reporter: &dyn Reporter) -> Infallible {
        while next_signal().await.is_ok() {
            if self.raise() {
                reporter.event(Event::Interrupted { again: false });
            } else {
                reporter.event(Event::Interrupted { again: true });
                std::process::exit(i32::from(exit::INTERRUPTED));
            }
        }
        std::future::pending().await
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
