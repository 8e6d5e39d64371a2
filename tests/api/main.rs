//! One integration binary for the Flow Service client and the emulator:
//! contract tests (raw HTTP), client behaviour, and faults (secret hygiene is `tests/secrets.rs`).

// Test helpers may unwrap too (clippy.toml allows it only inside #[test] fns).
#![allow(clippy::unwrap_used)]

mod cli;
mod client;
mod contract;
mod faults;
mod seed;
mod support;
