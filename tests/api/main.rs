//! One integration binary for the Flow Service client and the emulator:
//! contract tests (raw HTTP), client behaviour, faults, and secret hygiene.

mod client;
mod contract;
mod faults;
mod support;
