//! `provision check` against real, throwaway PostgreSQL servers: one plain,
//! one serving TLS with a certificate from a CA made at test time.

mod dataflows;
mod fixture;
mod hostile;
mod probes;
mod streaming;
mod tls;
