//! Hostile input: malformed and huge files, FIFOs and link loops, hand-edited
//! state, and a YAML fuzz. Each ends in a clear message and a non-zero exit,
//! never a panic, a hang or a duplicate.

mod files;
mod input;
mod state;
mod yaml_fuzz;
