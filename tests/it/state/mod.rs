//! `provision state` and the state backends: the commands on an applied
//! project, their hints, and what only the PostgreSQL backend promises
//! (and what its writes cost).

mod commands;
mod dataflow_records;
mod fencing_file;
mod fencing_postgres;
mod hints;
mod import_dataflow;
mod postgres;
mod postgres_cost;
mod protect;
