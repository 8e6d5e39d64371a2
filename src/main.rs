//! The `provision` binary: parse arguments, run the library, map the outcome
//! to an exit code. Everything else lives in the library.

use std::process::ExitCode;

// Parsing 10,000 files is mostly small allocations; mimalloc keeps them cheap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    provision::run()
}
