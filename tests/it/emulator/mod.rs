//! The emulator as users and tests meet it: its HTTP contract by raw
//! requests, the seed guide's requests byte for byte, the platform rules it
//! models, running it as a process, what paging costs it, and Adobe's
//! OpenAPI files as its judge.

mod contract;
mod ingestion;
pub mod openapi;
mod paging;
mod platform_rules;
mod process;
mod seed;
