//! `provision import`: connections on the platform become YAML that
//! validates and plans to nothing, and files already describing a key are
//! never written twice.

mod environments;
mod existing;
pub mod remote;
mod warnings;
