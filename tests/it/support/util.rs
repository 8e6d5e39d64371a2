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

/// Whether `tool` runs here (`pyyaml` is Python's `yaml` module).
pub fn installed(tool: &str) -> bool {
    let probe = match tool {
        "pyyaml" => Command::new("python3").args(["-c", "import yaml"]).output(),
        // dash, a common sh, has no --version.
        "sh" => Command::new("sh").args(["-c", "true"]).output(),
        _ => Command::new(tool).arg("--version").output(),
    };
    probe.is_ok_and(|out| out.status.success())
}

/// What a test whose `missing` tools are not installed does: run (`None`),
/// skip with the reason (`Some`), or, under `CI=true`, fail (`Err`).
pub fn skip_reason(test: &str, missing: &[&str], ci: bool) -> Result<Option<String>, String> {
    if missing.is_empty() {
        return Ok(None);
    }
    let list = missing.join(", ");
    if ci {
        return Err(format!(
            "{test}: {list} not installed, and CI=true requires it (.ci/run installs it)"
        ));
    }
    Ok(Some(format!(
        "SKIPPED {test}: {list} not installed (.ci/run installs it; CI=true makes this a failure)"
    )))
}

/// Whether every tool in `tools` runs here. Under `CI=true` a missing one
/// fails the test; elsewhere the test is skipped and says so on the
/// terminal, past the harness's output capture, so a passing `cargo test`
/// does not hide that a check did not run.
pub fn tools_available(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !installed(t)).collect();
    let ci = std::env::var("CI").as_deref() == Ok("true");
    match skip_reason(test, &missing, ci) {
        Ok(None) => true,
        Ok(Some(reason)) => {
            say_on_terminal(&reason);
            false
        }
        Err(failure) => panic!("{failure}"),
    }
}

/// A line on the real stderr: `eprintln!` in a test is captured and shown
/// only when the test fails.
pub fn say_on_terminal(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A `provision` invocation under construction.
pub struct Run {
    cmd: Command,
}

/// Starts a `provision` command with a deterministic environment.
/// `PROVISION_TEST_BIN` runs another build instead (e.g. `main`'s, to see
/// a new test fail without its fix).
pub fn provision() -> Run {
    #[allow(deprecated)] // the replacement macro needs a literal binary name per call site
    let bin = std::env::var_os("PROVISION_TEST_BIN")
        .map_or_else(|| assert_cmd::cargo::cargo_bin("provision"), PathBuf::from);
    let mut cmd = Command::new(bin);
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
