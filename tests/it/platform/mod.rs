//! Working against the real Flow Service and IMS: the transport rules
//! against misbehaving servers, unknown create outcomes (slow commits,
//! lagging listings), the client's wire choices and the stricter emulator.

mod emulator_rules;
mod server;
mod settle;
mod transport;
mod wire;
