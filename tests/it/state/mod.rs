//! `provision state` and the state backends: the commands on an applied
//! project, their hints, and what only the PostgreSQL backend promises.

mod commands;
mod fencing_file;
mod hints;
mod postgres;
