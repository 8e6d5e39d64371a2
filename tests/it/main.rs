//! The CLI test suite: one integration binary, grouped by what users run
//! (validate, plan, apply, state, import, check, smoke, emulator, docs)
//! plus cross-cutting groups (secrets, hostile input, transport, release,
//! architecture). `support` holds what the groups share.

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
                super::$name(crate::support::world::Backend::File)
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                super::$name(crate::support::world::Backend::Postgres)
            })*
        }
    };
}

mod apply;
mod architecture;
mod check;
mod docs;
mod emulator;
mod environments;
mod hostile;
mod import;
mod output_schemas;
mod plan;
mod release;
mod secrets;
mod smoke;
mod state;
mod support;
mod transport;
mod validate;
