//! The docs are tested like code: every fenced block of `README.md`,
//! `CHANGELOG.md` and `docs/**/*.md` is accounted for below, keyed by
//! (file, heading, language): run here (shell blocks by bash with the
//! binary under test as `provision` on PATH, against an emulator on
//! 127.0.0.1), checked against what the program prints, run by another
//! named test, or not run for a stated reason. A new block fails
//! `every_block_is_accounted_for` until it is listed. Placeholders (a
//! password, a host) are replaced only where a test says so, and each
//! replaced text must be in the block, so the docs cannot drift from what
//! runs. Links, anchors and named files must exist, and nothing points
//! outside the repository (`checked`). Command pages' options sections are
//! generated from the clap definitions (`reference`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use provision::emulator::{Emulator, EmulatorConfig};

use crate::support::util::root;

mod checked;
mod reference;
mod run;

/// Pages another part of the project writes, with what keeps them right:
/// their blocks are not accounted here (their links are still checked).
const WRITTEN_ELSEWHERE: &[(&str, &str)] = &[
    (
        "docs/reference/codes.md",
        "generated from the diagnostic code table; its own test keeps it current",
    ),
    (
        "docs/reference/emulator-fixtures.md",
        "the emulator's fixtures page, checked by the emulator's tests",
    ),
];

/// How each block is checked: (file, heading, language, how).
const ACCOUNTED: &[(&str, &str, &str, &str)] = &[
    (
        "README.md",
        "## Two commands to start",
        "sh",
        "run: docs::run::quick_start_runs_as_written (`cargo run --release --` runs the binary under test; `cargo test` is this suite)",
    ),
    (
        "README.md",
        "## Install",
        "sh",
        "not run: `cargo install` compiles for minutes (the suite's own build is that test)",
    ),
    (
        "README.md",
        "## A five-minute tour",
        "console",
        "run: docs::run::readme_tour_prints_what_it_shows",
    ),
    (
        "README.md",
        "### Change something",
        "console",
        "run: docs::run::readme_tour_prints_what_it_shows",
    ),
    (
        "README.md",
        "### Break something",
        "console",
        "run: docs::checked::validate_transcripts_are_what_validate_prints",
    ),
    (
        "docs/install.md",
        "## From source",
        "sh",
        "not run: `cargo install` compiles for minutes (the suite's own build is that test), `--git` needs the network",
    ),
    (
        "docs/install.md",
        "## Prebuilt binaries (from the first release on)",
        "sh",
        "run: release::snippets::readme_install_snippet_* against a stand-in release host",
    ),
    (
        "docs/install.md",
        "## Which build is this?",
        "console",
        "checked: release::stamp::readme_shows_what_version_prints",
    ),
    (
        "docs/getting-started.md",
        "## 1. Start a project",
        "sh",
        "run: docs::run::getting_started_runs_from_init_to_apply",
    ),
    (
        "docs/getting-started.md",
        "## 2. Rehearse on the emulator",
        "sh",
        "run: docs::run::getting_started_runs_from_init_to_apply",
    ),
    (
        "docs/getting-started.md",
        "## 3. Check the platform with `provision smoke`",
        "yaml",
        "run: docs::run::getting_started_runs_from_init_to_apply (with the emulator's endpoint added)",
    ),
    (
        "docs/getting-started.md",
        "## 3. Check the platform with `provision smoke`",
        "sh",
        "run: docs::run::getting_started_runs_from_init_to_apply (against the emulator)",
    ),
    (
        "docs/getting-started.md",
        "## 4. The first real apply",
        "sh",
        "run: docs::run::getting_started_runs_from_init_to_apply (against the emulator)",
    ),
    (
        "docs/reference/file-format.md",
        "## A connection document",
        "yaml",
        "run: docs::run::file_format_examples_validate_and_plan; editor::* opens them in yaml-language-server",
    ),
    (
        "docs/reference/file-format.md",
        "### `renamedFrom`",
        "yaml",
        "run: apply::rename::the_file_format_example_renames_in_place",
    ),
    (
        "docs/guides/dataflows-as-code.md",
        "## A dataflow document",
        "yaml",
        "checked: docs::checked::dataflows_guide_example_is_the_repositorys_example (the README's main job applies that file)",
    ),
    (
        "docs/guides/dataflows-as-code.md",
        "## Renaming",
        "yaml",
        "run: apply::dataflows::rename::the_dataflows_guide_shows_what_a_rename_plans (the repository's example renamed, applied, then this renaming planned)",
    ),
    (
        "docs/guides/dataflows-as-code.md",
        "## Renaming",
        "text",
        "checked: apply::dataflows::rename::the_dataflows_guide_shows_what_a_rename_plans (what `plan` prints, the flow id aside)",
    ),
    (
        "docs/reference/file-format.md",
        "## Dataflow documents",
        "yaml",
        "run: validate::dataflows::the_file_format_example_validates (and check-jsonschema per document)",
    ),
    (
        "docs/guides/secrets.md",
        "### With `secretVersion` (no state key needed)",
        "yaml",
        "run: apply::secret_version::the_secrets_guide_example_validates",
    ),
    (
        "docs/reference/settings.md",
        "# Settings: provision.yaml",
        "yaml",
        "run: docs::run::settings_example_validates_and_plans",
    ),
    (
        "docs/guides/environments-and-promotion.md",
        "## One org with several sandboxes",
        "yaml",
        "run: docs::run::environments_guide_examples_validate_and_plan",
    ),
    (
        "docs/guides/environments-and-promotion.md",
        "## One org per environment",
        "yaml",
        "run: docs::run::environments_guide_examples_validate_and_plan",
    ),
    (
        "docs/guides/environments-and-promotion.md",
        "## Moving an existing project onto environments",
        "sh",
        "run: environments::state::moving_a_project_onto_environments_goes_through_migrate_to_env",
    ),
    (
        "docs/reference/settings.md",
        "## Environments",
        "yaml",
        "run: docs::run::environments_example_validates_and_plans",
    ),
    (
        "docs/reference/output-formats.md",
        "## Diagnostics: `validate --format json`",
        "json",
        "checked: docs::checked::validate_json_example_is_what_validate_prints",
    ),
    (
        "docs/reference/commands/validate.md",
        "# provision validate",
        "console",
        "run: docs::checked::validate_transcripts_are_what_validate_prints",
    ),
    (
        "docs/reference/commands/plan.md",
        "# provision plan",
        "console",
        "parsed: docs::checked::transcript_commands_parse",
    ),
    (
        "docs/reference/commands/apply.md",
        "# provision apply",
        "console",
        "parsed: docs::checked::transcript_commands_parse",
    ),
    (
        "docs/reference/commands/state.md",
        "# provision state",
        "console",
        "parsed: docs::checked::transcript_commands_parse",
    ),
    (
        "docs/reference/commands/state.md",
        "# provision state",
        "text",
        "checked: state::protect::list_and_show_present_dataflows_complete_and_partial (the partial line, org replaced)",
    ),
    (
        "docs/guides/deleting.md",
        "## Protecting a connection",
        "text",
        "checked: plan::protect::the_deleting_guide_shows_what_provision_prints",
    ),
    (
        "docs/guides/deleting.md",
        "## Protecting a connection",
        "console",
        "checked: plan::protect::the_deleting_guide_shows_what_provision_prints",
    ),
    (
        "docs/reference/commands/check.md",
        "# provision check",
        "console",
        "parsed: docs::checked::transcript_commands_parse (tests/it/check probes real servers)",
    ),
    (
        "docs/reference/commands/check.md",
        "## Dataflows",
        "text",
        "not run: it needs the described PostgreSQL server; check::dataflows::each_problem_names_its_field_and_what_is_wrong snapshots the same lines from a real one",
    ),
    (
        "docs/reference/commands/smoke.md",
        "# provision smoke",
        "console",
        "parsed: docs::checked::transcript_commands_parse (the run itself needs real credentials; smoke::* runs it against the emulator)",
    ),
    (
        "docs/reference/commands/smoke.md",
        "### Reading a real table: `--dataflow-connection`",
        "sh",
        "run: smoke::dataflow::connection::the_smoke_pages_example_runs_against_the_emulator (the repository's documents, settings pointing at an emulator with its fixtures)",
    ),
    (
        "docs/reference/commands/init.md",
        "# provision init",
        "sh",
        "run: docs::run::init_and_import_run",
    ),
    (
        "docs/reference/commands/completions.md",
        "# provision completions",
        "sh",
        "run: docs::run::completions_and_man_run (each line's `provision` command; its output goes to a temp folder instead of your shell's folders)",
    ),
    (
        "docs/reference/commands/man.md",
        "# provision man",
        "sh",
        "run: docs::run::completions_and_man_run (the output goes to a temp folder instead of man's)",
    ),
    (
        "docs/reference/commands/emulator.md",
        "# provision emulator",
        "console",
        "parsed: docs::checked::transcript_commands_parse",
    ),
    (
        "docs/reference/commands/emulator.md",
        "# provision emulator",
        "sh",
        "run: docs::run::emulator_script_runs",
    ),
    (
        "docs/reference/commands/emulator.md",
        "## Pointing `provision` at it",
        "yaml",
        "run: docs::run::pointing_provision_at_the_emulator_plans_the_repository",
    ),
    (
        "docs/reference/commands/emulator.md",
        "## Pointing `provision` at it",
        "sh",
        "run: docs::run::pointing_provision_at_the_emulator_plans_the_repository",
    ),
    (
        "docs/reference/commands/emulator.md",
        "## In Rust tests",
        "rust",
        "not run: a sketch of the library API; tests/it/api drives the same calls",
    ),
    (
        "docs/guides/importing.md",
        "# Importing existing connections",
        "sh",
        "run: docs::run::init_and_import_run",
    ),
    (
        "docs/guides/postgres-state.md",
        "## Setup",
        "yaml",
        "run: docs::run::postgres_state_snippets_run",
    ),
    (
        "docs/guides/postgres-state.md",
        "## Setup",
        "sh",
        "run: docs::run::postgres_state_snippets_run",
    ),
    (
        "docs/guides/postgres-state.md",
        "## Moving state: `provision state migrate`",
        "sh",
        "run: docs::run::postgres_state_snippets_run",
    ),
    (
        "docs/guides/ci.md",
        "## GitHub Actions (`examples/ci/github-actions.yml`)",
        "yaml",
        "checked: docs::checked::github_actions_excerpt_is_the_template (whose commands release::workflow runs)",
    ),
    (
        "docs/guides/ci.md",
        "## pre-commit",
        "yaml",
        "checked: docs::checked::pre_commit_example_names_a_hook_that_exists (pre-commit itself clones from the network)",
    ),
    (
        "docs/contract/platform-api.md",
        "## Create: `POST /connections`",
        "json",
        "checked: docs::checked::create_body_example_is_json_for_the_postgres_spec (tests/it/contract_openapi checks the real bodies against Adobe's file)",
    ),
    (
        "docs/internals/reliability.md",
        "## The YAML fuzz",
        "sh",
        "not run: 100,000 cases take about 20 minutes; `cargo test` runs 64 cases of the same property (yaml_fuzz)",
    ),
    (
        "docs/internals/contributing.md",
        "## Running the tests",
        "sh",
        "not run: these commands run this suite",
    ),
    (
        "docs/internals/contributing.md",
        "## The docs are tested",
        "sh",
        "run: it is docs::reference::command_pages_show_the_current_options, with the variable set",
    ),
];

/// Every Markdown page: the README, the changelog and the book, as paths
/// relative to the repository root, sorted.
pub fn pages() -> Vec<String> {
    let mut out = vec!["README.md".to_owned(), "CHANGELOG.md".to_owned()];
    let mut dirs = vec![root().join("docs")];
    let mut found = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let relative = path.strip_prefix(root()).unwrap();
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    out.extend(found);
    out
}

/// The text of a page (a path relative to the repository root).
pub fn page(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// One fenced block of a page.
#[derive(Debug)]
pub struct Block {
    pub file: String,
    pub line: usize,
    pub lang: String,
    pub heading: String,
    pub text: String,
}

/// The fenced blocks of one page, each with the heading line above it.
pub fn blocks_of(file: &str) -> Vec<Block> {
    let text = page(file);
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
                file: file.to_owned(),
                line: i + 1,
                lang: lang.trim().to_owned(),
                heading: heading.clone(),
                text: body.join("\n") + "\n",
            });
        }
    }
    out
}

/// The blocks of every page whose blocks this suite accounts for.
pub fn blocks() -> Vec<Block> {
    pages()
        .iter()
        .filter(|p| !WRITTEN_ELSEWHERE.iter().any(|(w, _)| w == p))
        .flat_map(|p| blocks_of(p))
        .collect()
}

/// The blocks of `file` under `heading` in `lang`, at least one.
pub fn blocks_at(file: &str, heading: &str, lang: &str) -> Vec<Block> {
    let found: Vec<Block> = blocks_of(file)
        .into_iter()
        .filter(|b| b.heading == heading && b.lang == lang)
        .collect();
    assert!(
        !found.is_empty(),
        "{file} has no ```{lang} under `{heading}`"
    );
    found
}

/// `text` with `placeholder` replaced, which must be there.
pub fn replace(text: &str, placeholder: &str, with: &str) -> String {
    assert!(
        text.contains(placeholder),
        "the docs block no longer holds `{placeholder}`:\n{text}"
    );
    text.replace(placeholder, with)
}

#[test]
fn every_block_is_accounted_for() {
    let blocks = blocks();
    assert!(blocks.len() > 30, "the docs were read");
    for block in &blocks {
        assert!(
            ACCOUNTED.iter().any(|(f, h, l, _)| {
                *f == block.file && *h == block.heading && *l == block.lang
            }),
            "{}:{}: a ```{} block under `{}` that no test runs: run it in tests/it/docs/, or list it in ACCOUNTED with why not",
            block.file,
            block.line,
            block.lang,
            block.heading
        );
    }
    for (file, heading, lang, how) in ACCOUNTED {
        assert!(
            blocks
                .iter()
                .any(|b| b.file == *file && b.heading == *heading && b.lang == *lang),
            "ACCOUNTED lists ```{lang} under `{heading}` in {file} ({how}), which is no longer there"
        );
    }
}

#[test]
fn the_summary_lists_every_page_of_the_book() {
    let summary = page("docs/SUMMARY.md");
    for file in pages().iter().filter_map(|p| p.strip_prefix("docs/")) {
        if file != "SUMMARY.md" {
            assert!(
                summary.contains(&format!("]({file})")),
                "docs/SUMMARY.md does not list docs/{file}"
            );
        }
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
            "this docs snippet failed:\n{script}\n--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// A temp folder holding a copy of the repository's `connections/` and
/// the `emulator.yaml` its example dataflow needs.
pub fn repository_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(root().join("connections"))
        .arg(root().join("emulator.yaml"))
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

/// An emulator seeded with the repository's `emulator.yaml`, as
/// `--emulator` runs in a checkout are.
pub fn repository_fixtures() -> EmulatorConfig {
    let text = std::fs::read_to_string(root().join("emulator.yaml")).unwrap();
    let fixtures = provision::emulator::Fixtures::parse(&text).unwrap();
    EmulatorConfig::default().with_fixtures(&fixtures)
}

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
            .block_on(Emulator::start(repository_fixtures()))
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
