//! `provision validate` and what it stands on: every rule's fixtures at
//! their exact positions, the messages a newcomer meets, the generated
//! schemas, SARIF output, and editors that agree with the command.

mod codes;
mod dataflows;
mod editor;
mod messages;
mod mistakes;
mod renames;
pub mod rules;
mod sarif;
mod schema;
