//! Never a secret in any output: canaries in every secret position of a
//! project and of every client call, looked for in every format and log;
//! `smoke` with the password it copies from a described connection.

mod client;
mod fuzz;
mod smoke;
