//! `provision apply` against the in-process emulator over real HTTP: the
//! recovery promises (idempotence, lost state and answers, crashes), the
//! change promises (updates, drift, prune, saved plans), and interrupts.

mod changes;
mod confirm;
mod dataflows;
pub mod interrupt;
mod pending;
mod recovery;
mod rename;
mod secret_version;
