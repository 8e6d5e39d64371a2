//! The Flow Service client and the emulator: contract tests (raw HTTP),
//! client behaviour, faults, and secret hygiene.

mod cli;
mod client;
mod contract;
mod faults;
mod secrets;
mod seed;
pub mod support;
