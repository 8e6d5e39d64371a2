//! `provision check` against real, throwaway PostgreSQL servers: one plain,
//! one serving TLS with a certificate from a CA made at test time.

#![allow(clippy::print_stderr)] // a skipped test says why on stderr
#![allow(clippy::unwrap_used)] // test helpers may unwrap too

mod fixture;
#[path = "../support/postgres.rs"]
mod postgres;
mod probes;
mod tls;
#[path = "../it/util.rs"]
mod util;
