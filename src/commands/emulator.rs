//! `provision emulator`: start the emulator, print its base URL as the first
//! stdout line, serve until Ctrl-C or SIGTERM.

use crate::emulator::{Emulator, EmulatorArgs};
use crate::exit;
use crate::output;

pub fn run(args: &EmulatorArgs) -> u8 {
    let Some(runtime) = super::runtime() else {
        return exit::FAILURE;
    };
    runtime.block_on(async {
        let emulator = match Emulator::start(args.to_config()).await {
            Ok(emulator) => emulator,
            Err(err) => {
                output::error(&err.to_string());
                return exit::FAILURE;
            }
        };
        output::result_line(&emulator.url());
        stop_signal().await;
        tracing::info!("emulator shutting down");
        emulator.shutdown().await;
        exit::OK
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
