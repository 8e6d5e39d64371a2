//! The CLI test suite: one integration binary, scenarios grouped by command.

#![allow(clippy::print_stderr)] // a skipped test says why on stderr
#![allow(clippy::unwrap_used)] // test helpers fail loudly; a panic is a test failure
#![allow(unreachable_pub)] // helpers shared between test modules are `pub`

/// `mod file` and `mod postgres`, one `#[test]` per scenario in each: the
/// apply suites run over both state backends.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod file {
            $(#[test]
            fn $name() {
                super::$name(crate::world::Backend::File)
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                super::$name(crate::world::Backend::Postgres)
            })*
        }
    };
}

mod api;
mod apply;
mod apply_changes;
mod architecture;
mod check;
mod completions;
mod contract_openapi;
mod editor;
mod first_hour;
mod gitops;
mod hostile;
mod hostile_files;
mod hostile_state;
mod import;
mod ingestion;
mod interrupt;
mod platform;
mod postgres;
mod postgres_state;
mod readme;
mod release;
mod sarif;
mod schema;
mod secrets_fuzz;
mod smoke;
mod state_cmds;
mod state_db;
mod util;
mod validate;
mod world;
mod yaml_fuzz;
