//! `provision plan`: what it may reach (prune only under the given paths).
//! Plans of changes against a live emulator are in `apply::changes`.

mod anywhere;
mod header;
mod no_passwords;
mod orgs;
mod protect;
mod prune;
mod rename;
mod shown;
