//! The README's snippets run as written. Every ```sh, ```yaml, ```console
//! and ```rust block is accounted for below: run here (shell blocks by bash
//! with the binary under test as `provision` on PATH, against an emulator
//! on 127.0.0.1), run by another named test, or not run for a stated
//! reason. A new block fails `every_block_is_accounted_for` until it is
//! listed. Placeholders (a password, a host) are replaced only where a
//! test says so, and each replaced text must be in the block, so the README
//! cannot drift from what runs. Links and file paths must exist.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use provision::emulator::{Emulator, EmulatorConfig};

use crate::support::util::root;

mod checked;
mod run;

/// How each README block is checked: (heading, language, how).
const ACCOUNTED: &[(&str, &str, &str)] = &[
    (
        "### First thing with real credentials: `provision smoke`",
        "console",
        "parsed: readme::checked::transcript_commands_parse (the run itself needs real credentials; smoke::* runs it against the emulator)",
    ),
    (
        "### The YAML fuzz",
        "sh",
        "not run: 100,000 cases take about 20 minutes; `cargo test` runs 64 cases of the same property (yaml_fuzz)",
    ),
    (
        "## Two commands to start",
        "sh",
        "run: readme::run::quick_start_runs_as_written (`cargo run --release --` runs the binary under test; `cargo test` is this suite)",
    ),
    (
        "### Prebuilt binaries",
        "sh",
        "run: release::snippets::readme_install_snippet_* against a stand-in release host",
    ),
    (
        "### From source",
        "sh",
        "not run: `cargo install` compiles for minutes (the suite's own build is that test), `--git` needs the network",
    ),
    (
        "### Which build is this?",
        "console",
        "checked: release::stamp::readme_shows_what_version_prints",
    ),
    (
        "## The file format",
        "yaml",
        "run: readme::run::file_format_examples_validate_and_plan",
    ),
    (
        "### validate",
        "console",
        "run: readme::checked::validate_transcript_is_what_validate_prints",
    ),
    (
        "### plan",
        "console",
        "parsed: readme::checked::transcript_commands_parse",
    ),
    (
        "### apply",
        "console",
        "parsed: readme::checked::transcript_commands_parse",
    ),
    (
        "### state",
        "console",
        "parsed: readme::checked::transcript_commands_parse",
    ),
    (
        "#### Setup",
        "yaml",
        "run: readme::run::postgres_state_snippets_run",
    ),
    (
        "#### Setup",
        "sh",
        "run: readme::run::postgres_state_snippets_run",
    ),
    (
        "#### Moving state: `provision state migrate`",
        "sh",
        "run: readme::run::postgres_state_snippets_run",
    ),
    (
        "### Start a project",
        "sh",
        "run: readme::run::init_and_import_run",
    ),
    (
        "### Bring existing connections under management",
        "sh",
        "run: readme::run::init_and_import_run",
    ),
    (
        "### Shell completions and man pages",
        "sh",
        "run: readme::run::completions_and_man_run (each line's `provision` command; its output goes to a temp folder instead of your shell's and man's folders)",
    ),
    (
        "### Preflight: `provision check`",
        "console",
        "parsed: readme::checked::transcript_commands_parse (tests/it/check probes real servers)",
    ),
    (
        "### Local emulator",
        "console",
        "parsed: readme::checked::transcript_commands_parse",
    ),
    (
        "### Local emulator",
        "sh",
        "run: readme::run::emulator_script_runs",
    ),
    (
        "#### Pointing `provision` at it",
        "yaml",
        "run: readme::run::pointing_provision_at_the_emulator_plans_the_repository",
    ),
    (
        "#### Pointing `provision` at it",
        "sh",
        "run: readme::run::pointing_provision_at_the_emulator_plans_the_repository",
    ),
    (
        "#### In Rust tests",
        "rust",
        "not run: a sketch of the library API; tests/it/api drives the same calls",
    ),
    (
        "## Project settings: provision.yaml",
        "yaml",
        "run: readme::run::settings_example_validates_and_plans",
    ),
    (
        "### GitHub Actions (`examples/ci/github-actions.yml`)",
        "yaml",
        "checked: readme::checked::github_actions_excerpt_is_the_template (whose commands release::workflow runs)",
    ),
    (
        "### pre-commit",
        "yaml",
        "checked: readme::checked::pre_commit_example_names_a_hook_that_exists (pre-commit itself clones from the network)",
    ),
];

/// One fenced block of the README.
#[derive(Debug)]
pub struct Block {
    pub line: usize,
    pub lang: String,
    pub heading: String,
    pub text: String,
}

pub fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

pub fn blocks() -> Vec<Block> {
    let text = readme();
    let mut lines = text.lines().enumerate();
    let mut heading = String::new();
    let mut out = Vec::new();
    while let Some((i, line)) = lines.next() {
        if line.starts_with('#') {
            heading = line.to_owned();
        } else if let Some(lang) = line.strip_prefix("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .map(|(_, l)| l)
                .take_while(|l| !l.starts_with("```"))
                .collect();
            out.push(Block {
                line: i + 1,
                lang: lang.trim().to_owned(),
                heading: heading.clone(),
                text: body.join("\n") + "\n",
            });
        }
    }
    out
}

/// The blocks under `heading` in `lang`, at least one.
pub fn blocks_at(heading: &str, lang: &str) -> Vec<Block> {
    let found: Vec<Block> = blocks()
        .into_iter()
        .filter(|b| b.heading == heading && b.lang == lang)
        .collect();
    assert!(
        !found.is_empty(),
        "README has no ```{lang} under `{heading}`"
    );
    found
}

/// `text` with `placeholder` replaced, which must be there.
pub fn replace(text: &str, placeholder: &str, with: &str) -> String {
    assert!(
        text.contains(placeholder),
        "the README block no longer holds `{placeholder}`:\n{text}"
    );
    text.replace(placeholder, with)
}

#[test]
fn every_block_is_accounted_for() {
    let blocks = blocks();
    assert!(blocks.len() > 20, "the README was read");
    for block in &blocks {
        assert!(
            ACCOUNTED
                .iter()
                .any(|(h, l, _)| *h == block.heading && *l == block.lang),
            "README.md:{}: a ```{} block under `{}` that no test runs: run it in tests/it/readme.rs, or list it in ACCOUNTED with why not",
            block.line,
            block.lang,
            block.heading
        );
    }
    for (heading, lang, how) in ACCOUNTED {
        assert!(
            blocks
                .iter()
                .any(|b| b.heading == *heading && b.lang == *lang),
            "ACCOUNTED lists ```{lang} under `{heading}` ({how}), which the README no longer has"
        );
    }
}

/// A folder with `provision` (the binary under test) for PATH.
pub struct Shell {
    bin: tempfile::TempDir,
}

impl Shell {
    pub fn new() -> Shell {
        let bin = tempfile::tempdir().unwrap();
        #[allow(deprecated)] // the replacement macro needs a literal binary name
        let binary = std::env::var_os("PROVISION_TEST_BIN")
            .map_or_else(|| assert_cmd::cargo::cargo_bin("provision"), PathBuf::from);
        std::os::unix::fs::symlink(binary, bin.path().join("provision")).unwrap();
        Shell { bin }
    }

    /// Runs `script` with bash (`set -eu`) in `dir`.
    pub fn run(&self, script: &str, dir: &Path, env: &[(&str, &str)]) -> Output {
        let path = format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new("bash");
        command
            .args(["-c", &format!("set -eu\n{script}")])
            .current_dir(dir)
            .env("PATH", path)
            .env("NO_COLOR", "1");
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().unwrap()
    }

    /// Like [`Shell::run`], asserting success; returns stdout.
    pub fn ok(&self, script: &str, dir: &Path, env: &[(&str, &str)]) -> String {
        let out = self.run(script, dir, env);
        assert!(
            out.status.success(),
            "this README snippet failed:\n{script}\n--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// A temp folder holding a copy of the repository's `connections/`.
pub fn repository_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(root().join("connections"))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(copied.success());
    dir
}

/// The password variables of the repository's example connections.
pub const EXAMPLE_PASSWORDS: [(&str, &str); 5] = [
    ("ORDERS_DB_PASSWORD", "pw"),
    ("BILLING_DB_PASSWORD", "pw"),
    ("INVOICES_DB_PASSWORD", "pw"),
    ("DEV_ORDERS_DB_PASSWORD", "pw"),
    ("EVENTS_DB_PASSWORD", "pw"),
];

/// An in-process emulator with its runtime.
pub struct Platform {
    pub runtime: tokio::runtime::Runtime,
    emulator: Option<Emulator>,
}

impl Platform {
    pub fn start() -> Platform {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime
            .block_on(Emulator::start(EmulatorConfig::default()))
            .unwrap();
        Platform {
            runtime,
            emulator: Some(emulator),
        }
    }

    pub fn url(&self) -> String {
        self.emulator
            .as_ref()
            .map(Emulator::url)
            .unwrap_or_default()
    }

    /// Settings that point `provision` at this emulator (both clouds' orgs).
    pub fn settings(&self) -> String {
        let url = self.url();
        format!(
            "endpoint: {url}\nims: {url}\ncredentials:\n  clientId: provision-local\n  clientSecret: ${{PROVISION_CLIENT_SECRET}}\norgs:\n  azure: {{ imsOrg: TESTORG@AdobeOrg }}\n  aws: {{ imsOrg: TESTAWS@AdobeOrg }}\n"
        )
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}
