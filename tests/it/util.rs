//! A small fluent helper for running `provision` in tests, in the spirit of
//! ripgrep's `tests/util.rs`: build a command, run it, assert on the result.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use std::process::Command;

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<rel>`.
pub fn fixtures(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// A `provision` invocation under construction.
pub struct Run {
    cmd: Command,
}

/// Starts a `provision` command with a deterministic environment.
pub fn provision() -> Run {
    #[allow(deprecated)] // the replacement macro needs a literal binary name per call site
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("provision"));
    cmd.env("NO_COLOR", "1").env_remove("RUST_LOG");
    Run { cmd }
}

impl Run {
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.cmd.env_remove(key);
        self
    }

    /// The underlying command, for spawning a child to kill.
    pub fn into_command(self) -> Command {
        self.cmd
    }

    /// Runs and returns the finished process.
    pub fn run(mut self) -> Finished {
        #[allow(clippy::unwrap_used)]
        let output = self.cmd.output().unwrap();
        Finished { output }
    }
}

/// A finished run.
pub struct Finished {
    pub output: Output,
}

impl Finished {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout()))
    }
}
