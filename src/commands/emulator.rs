//! `provision emulator`: start the emulator, print its base URL as the first
//! stdout line, serve until Ctrl-C or SIGTERM.

use crate::cli::EmulatorArgs;
use crate::emulator::Emulator;
use crate::error::{Error, Result, Status};
use crate::output;

pub(super) fn run(args: &EmulatorArgs) -> Result<Status> {
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let config = args
            .to_config_with_fixtures()
            .map_err(|err| Error::Failed(err.to_string()))?;
        let emulator = Emulator::start(config)
            .await
            .map_err(|err| Error::Failed(err.to_string()))?;
        output::result_line(&emulator.url());
        stop_signal().await;
        tracing::info!("emulator shutting down");
        emulator.shutdown().await;
        Ok(Status::Success)
    })
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
