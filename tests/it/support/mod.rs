//! What the test groups share: running the binary (`util`), throwaway
//! projects against an in-process emulator (`world`, `project`, `api`), and
//! throwaway PostgreSQL servers (`postgres`, `state_db`) and stand-ins that
//! stop answering (`blackhole`).

pub mod api;
pub mod blackhole;
pub mod postgres;
pub mod project;
pub mod state_db;
pub mod util;
pub mod world;
