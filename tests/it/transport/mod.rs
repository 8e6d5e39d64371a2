//! The client against the platform's transport: misbehaving servers
//! (redirects, foreign links, huge or slow answers), injected faults, create
//! answers that never arrive, and the wire choices the client makes.

mod client;
mod faults;
mod hosts;
mod ingestion;
mod local_errors;
mod rules;
mod server;
mod server_text;
mod settle;
mod wire;
