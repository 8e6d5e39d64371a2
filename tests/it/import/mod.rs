//! `provision import`: connections and dataflows on the platform become
//! YAML that validates and plans to nothing, what a document cannot express
//! is skipped with the reason, and files already describing a key are never
//! written twice.

mod dataflow_skips;
pub mod dataflows;
mod environments;
mod existing;
pub mod remote;
mod warnings;
