//! The `provision` binary: parse arguments, run the library, map the outcome
//! to an exit code. Everything else lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    provision::run()
}
