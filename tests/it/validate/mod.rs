//! `provision validate` and what it stands on: every rule's fixtures at
//! their exact positions, the messages a newcomer meets, the generated
//! schemas, SARIF output, and editors that agree with the command.

mod codes;
mod editor;
mod messages;
mod mistakes;
pub mod rules;
mod sarif;
mod schema;
