//! The CLI test suite: one integration binary, scenarios grouped by command.

#![allow(clippy::print_stderr)] // a skipped test says why on stderr
#![allow(clippy::unwrap_used)] // test helpers fail loudly; a panic is a test failure

mod apply;
mod hostile;
#[path = "../support/postgres.rs"]
mod postgres;
mod postgres_state;
mod schema;
mod util;
mod validate;
mod world;
