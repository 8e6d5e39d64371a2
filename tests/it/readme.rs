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

use crate::state_db::{fresh_namespace, state_server, state_url};
use crate::util::{provision, root};

/// How each README block is checked: (heading, language, how).
const ACCOUNTED: &[(&str, &str, &str)] = &[
    (
        "## Two commands to start",
        "sh",
        "run: quick_start_runs_as_written (`cargo run --release --` runs the binary under test; `cargo test` is this suite)",
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
        "run: file_format_examples_validate_and_plan",
    ),
    (
        "### validate",
        "console",
        "run: validate_transcript_is_what_validate_prints",
    ),
    ("### plan", "console", "parsed: transcript_commands_parse"),
    ("### apply", "console", "parsed: transcript_commands_parse"),
    ("### state", "console", "parsed: transcript_commands_parse"),
    ("#### Setup", "yaml", "run: postgres_state_snippets_run"),
    ("#### Setup", "sh", "run: postgres_state_snippets_run"),
    (
        "#### Moving state: `provision state migrate`",
        "sh",
        "run: postgres_state_snippets_run",
    ),
    ("### Start a project", "sh", "run: init_and_import_run"),
    (
        "### Bring existing connections under management",
        "sh",
        "run: init_and_import_run",
    ),
    (
        "### Shell completions and man pages",
        "sh",
        "run: completions_and_man_run (each line's `provision` command; its output goes to a temp folder instead of your shell's and man's folders)",
    ),
    (
        "### Preflight: `provision check`",
        "console",
        "parsed: transcript_commands_parse (tests/it/check probes real servers)",
    ),
    (
        "### Local emulator",
        "console",
        "parsed: transcript_commands_parse",
    ),
    ("### Local emulator", "sh", "run: emulator_script_runs"),
    (
        "#### Pointing `provision` at it",
        "yaml",
        "run: pointing_provision_at_the_emulator_plans_the_repository",
    ),
    (
        "#### Pointing `provision` at it",
        "sh",
        "run: pointing_provision_at_the_emulator_plans_the_repository",
    ),
    (
        "#### In Rust tests",
        "rust",
        "not run: a sketch of the library API; tests/it/api drives the same calls",
    ),
    (
        "## Project settings: provision.yaml",
        "yaml",
        "run: settings_example_validates_and_plans",
    ),
    (
        "### GitHub Actions (`examples/ci/github-actions.yml`)",
        "yaml",
        "checked: github_actions_excerpt_is_the_template (whose commands release::workflow runs)",
    ),
    (
        "### pre-commit",
        "yaml",
        "checked: pre_commit_example_names_a_hook_that_exists (pre-commit itself clones from the network)",
    ),
];

/// One fenced block of the README.
#[derive(Debug)]
struct Block {
    line: usize,
    lang: String,
    heading: String,
    text: String,
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

fn blocks() -> Vec<Block> {
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
fn blocks_at(heading: &str, lang: &str) -> Vec<Block> {
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
fn replace(text: &str, placeholder: &str, with: &str) -> String {
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
struct Shell {
    bin: tempfile::TempDir,
}

impl Shell {
    fn new() -> Shell {
        let bin = tempfile::tempdir().unwrap();
        #[allow(deprecated)] // the replacement macro needs a literal binary name
        let binary = std::env::var_os("PROVISION_TEST_BIN")
            .map_or_else(|| assert_cmd::cargo::cargo_bin("provision"), PathBuf::from);
        std::os::unix::fs::symlink(binary, bin.path().join("provision")).unwrap();
        Shell { bin }
    }

    /// Runs `script` with bash (`set -eu`) in `dir`.
    fn run(&self, script: &str, dir: &Path, env: &[(&str, &str)]) -> Output {
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
    fn ok(&self, script: &str, dir: &Path, env: &[(&str, &str)]) -> String {
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
fn repository_copy() -> tempfile::TempDir {
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
const EXAMPLE_PASSWORDS: [(&str, &str); 5] = [
    ("ORDERS_DB_PASSWORD", "pw"),
    ("BILLING_DB_PASSWORD", "pw"),
    ("INVOICES_DB_PASSWORD", "pw"),
    ("DEV_ORDERS_DB_PASSWORD", "pw"),
    ("EVENTS_DB_PASSWORD", "pw"),
];

/// An in-process emulator with its runtime.
struct Platform {
    runtime: tokio::runtime::Runtime,
    emulator: Option<Emulator>,
}

impl Platform {
    fn start() -> Platform {
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

    fn url(&self) -> String {
        self.emulator
            .as_ref()
            .map(Emulator::url)
            .unwrap_or_default()
    }

    /// Settings that point `provision` at this emulator (both clouds' orgs).
    fn settings(&self) -> String {
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

#[test]
fn quick_start_runs_as_written() {
    let block = &blocks_at("## Two commands to start", "sh")[0];
    let dir = repository_copy();
    // `cargo run --release -- ARGS` is the binary under test with ARGS;
    // `cargo test` is the suite running this very test.
    let script = format!(
        "cargo() {{ case \"$1\" in\n  run) while [ \"$1\" != -- ]; do shift; done; shift; provision \"$@\" ;;\n  test) echo '(cargo test: this suite)' ;;\n  *) return 1 ;;\nesac; }}\n{}",
        block.text
    );
    let shell = Shell::new();
    let first = shell.ok(&script, dir.path(), &[]);
    assert!(
        first.contains("Apply complete: 5 created, 0 adopted, 0 updated, 0 deleted, 0 failed."),
        "{first}"
    );
    let again = shell.ok(&script, dir.path(), &[]);
    assert!(
        again.contains("No changes: 5 connection(s) match the config."),
        "run it again and it has nothing to do: {again}"
    );
    assert!(dir.path().join(".provision/emulator.json").is_file());
    assert!(dir.path().join(".provision/emulator-state.json").is_file());
}

#[test]
fn file_format_examples_validate_and_plan() {
    let examples = blocks_at("## The file format", "yaml");
    assert_eq!(examples.len(), 3);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("connections/prod")).unwrap();
    for (i, block) in examples.iter().enumerate() {
        std::fs::write(
            dir.path()
                .join(format!("connections/prod/example-{i}.yaml")),
            &block.text,
        )
        .unwrap();
    }
    let shell = Shell::new();
    let out = shell.ok("provision validate --warnings-as-errors", dir.path(), &[]);
    assert!(
        out.contains("3 files, 3 connections: 0 errors, 0 warnings"),
        "{out}"
    );
    let plan = shell.ok("provision plan --emulator", dir.path(), &[]);
    assert!(plan.contains("Plan: 3 to create"), "{plan}");
}

#[test]
fn validate_transcript_is_what_validate_prints() {
    let block = &blocks_at("### validate", "console")[0];
    let (command, shown) = block.text.split_once('\n').unwrap();
    assert_eq!(command, "$ provision validate connections/");
    let dir = repository_copy();
    let orders = dir.path().join("connections/prod/orders.yaml");
    let text = std::fs::read_to_string(&orders).unwrap();
    std::fs::write(
        &orders,
        replace(&text, "sslMode: Verify Full", "sslMode: verify-full"),
    )
    .unwrap();
    let out = Shell::new().run("provision validate connections/", dir.path(), &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), shown);
}

#[test]
fn transcript_commands_parse() {
    let shell = Shell::new();
    let dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for block in blocks().into_iter().filter(|b| b.lang == "console") {
        for line in block.text.lines() {
            let Some(command) = line.strip_prefix("$ provision ") else {
                continue;
            };
            let command = command.split(" #").next().unwrap().trim();
            // `--help` after the arguments: clap rejects an unknown flag first.
            let script = format!("provision {command} --help >/dev/null");
            let out = shell.run(&script, dir.path(), &[]);
            assert!(
                out.status.success(),
                "README.md:{}: `provision {command}` is not a valid command line: {}",
                block.line,
                String::from_utf8_lossy(&out.stderr)
            );
            seen += 1;
        }
    }
    assert!(seen >= 8, "{seen} transcript commands");
}

#[test]
fn postgres_state_snippets_run() {
    let Some(pg) = state_server() else { return };
    let platform = Platform::start();
    let shell = Shell::new();
    let url = state_url(pg);
    let placeholder = "postgres://provision:…@db.example.com:5432/provision?sslmode=verify-full";

    // Moving state: a file state to PostgreSQL and a copy back to a file.
    let moving = repository_copy();
    std::fs::write(moving.path().join("provision.yaml"), platform.settings()).unwrap();
    let mut env = vec![("PROVISION_CLIENT_SECRET", "provision-local-secret")];
    env.extend(EXAMPLE_PASSWORDS);
    shell.ok("provision apply", moving.path(), &env);
    let migrate = &blocks_at("#### Moving state: `provision state migrate`", "sh")[0];
    let with_url = [env.as_slice(), &[("PROVISION_STATE_URL", url.as_str())]].concat();
    let out = shell.ok(&migrate.text, moving.path(), &with_url);
    assert!(out.contains("copied 5 connection(s)"), "{out}");
    assert!(moving.path().join(".provision/state-copy.json").is_file());

    // Setup: the settings block, pointed at the emulator, then the shell block.
    let setup = repository_copy();
    let settings = &blocks_at("#### Setup", "yaml")[0];
    let namespace = fresh_namespace("readme");
    let settings_text = replace(&settings.text, "payments-team", &namespace);
    std::fs::write(
        setup.path().join("provision.yaml"),
        settings_text + &platform.settings(),
    )
    .unwrap();
    let apply = &blocks_at("#### Setup", "sh")[0];
    let script = replace(&apply.text, placeholder, &url);
    let out = shell.ok(&script, setup.path(), &env);
    assert!(out.contains("Apply complete"), "{out}");
    assert!(
        !setup.path().join(".provision/state.json").exists(),
        "state went to PostgreSQL"
    );
}

#[test]
fn init_and_import_run() {
    let shell = Shell::new();
    let start = &blocks_at("### Start a project", "sh")[0];
    let fresh = tempfile::tempdir().unwrap();
    let out = shell.ok(&start.text, fresh.path(), &[]);
    assert!(out.contains("created `provision.yaml`"), "{out}");
    let other = replace(&start.text, "provision init            # or: ", "");
    shell.ok(&other, fresh.path(), &[]);
    assert!(fresh.path().join("my-connections/provision.yaml").is_file());

    let platform = Platform::start();
    let client = {
        use provision::api::{ClientConfig, Credentials, FlowServiceClient};
        let credentials = Credentials::ClientCredentials {
            client_id: "provision-local".into(),
            client_secret: provision::secret::Secret::new("provision-local-secret"),
        };
        FlowServiceClient::new(ClientConfig::new(credentials).with_base_url(&platform.url()))
            .unwrap()
    };
    let body = provision::api::wire::CreateConnectionRequest::from_connection(&ledger_connection());
    platform
        .runtime
        .block_on(provision::api::FlowService::create(
            &client,
            &provision::api::Scope::new("TESTORG@AdobeOrg", "prod"),
            &body,
        ))
        .unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("provision.yaml"), platform.settings()).unwrap();
    let import = &blocks_at("### Bring existing connections under management", "sh")[0];
    let out = shell.ok(
        &import.text,
        project.path(),
        &[("PROVISION_CLIENT_SECRET", "provision-local-secret")],
    );
    assert!(
        out.contains("--- would write `connections/prod/ledger-db.yaml`"),
        "{out}"
    );
    assert!(out.contains("Import complete: 1 written"), "{out}");
    assert!(
        project
            .path()
            .join("connections/prod/ledger-db.yaml")
            .is_file()
    );
}

/// A connection as it exists on the platform before `import`.
fn ledger_connection() -> provision::config::Connection {
    use provision::config::{Auth, AzureSslMode, BasicAuth, Cloud, Connection, SslMode};
    Connection {
        name: "ledger-db".into(),
        description: Some("Ledger".into()),
        sandbox: "prod".into(),
        cloud: Cloud::Azure,
        auth: Auth::Basic(BasicAuth {
            server: "ledger.example.com".into(),
            port: 5432,
            database: "ledger".into(),
            username: "aep".into(),
            password: "never-returned".into(),
            ssl_mode: Some(SslMode::Azure(AzureSslMode::VerifyFull)),
        }),
    }
}

#[test]
fn completions_and_man_run() {
    let block = &blocks_at("### Shell completions and man pages", "sh")[0];
    let shell = Shell::new();
    let dir = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for line in block.text.lines() {
        let command = line.split(" #").next().unwrap().trim();
        // The `provision …` part, before any `>`/`>>`/`|`: its output is the
        // script or page; where it goes is the user's shell and man setup.
        let provision_part = command.split(['>', '|']).next().unwrap().trim().replace(
            "/usr/local/share/man/man1",
            &dir.path().display().to_string(),
        );
        assert!(provision_part.starts_with("provision "), "{line}");
        let out = shell.ok(&provision_part, dir.path(), &[]);
        if !provision_part.contains("--out") {
            assert!(
                out.len() > 500,
                "`{provision_part}` printed {} bytes",
                out.len()
            );
        }
        ran += 1;
    }
    assert_eq!(ran, 6);
    assert!(dir.path().join("provision.1").is_file());
    assert!(dir.path().join("provision-plan.1").is_file());
}

#[test]
fn emulator_script_runs() {
    let block = &blocks_at("### Local emulator", "sh")[0];
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "{}\ncase \"$URL\" in http://127.0.0.1:*) ;; *) echo \"no URL: $URL\"; exit 1 ;; esac\nwait \"$EMULATOR_PID\" || true\n",
        block.text
    );
    Shell::new().ok(&script, dir.path(), &[]);
}

#[test]
fn pointing_provision_at_the_emulator_plans_the_repository() {
    let settings = &blocks_at("#### Pointing `provision` at it", "yaml")[0];
    let commands = &blocks_at("#### Pointing `provision` at it", "sh")[0];
    let shell = Shell::new();
    let dir = repository_copy();
    // The README's emulator, started as it says, on a free port.
    let mut emulator = provision()
        .args(["emulator", "--port", "0"])
        .into_command()
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(emulator.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        line.trim().to_owned()
    };
    let port = url.rsplit(':').next().unwrap().to_owned();
    std::fs::write(
        dir.path().join("provision.yaml"),
        replace(&settings.text, "41234", &port),
    )
    .unwrap();
    let out = shell.run(&commands.text, dir.path(), &EXAMPLE_PASSWORDS);
    let _ = emulator.kill();
    let _ = emulator.wait();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Plan: 5 to create"), "{stdout}");
    assert!(stdout.contains("Apply complete: 5 created"), "{stdout}");
}

#[test]
fn settings_example_validates_and_plans() {
    let block = &blocks_at("## Project settings: provision.yaml", "yaml")[0];
    let dir = repository_copy();
    std::fs::write(dir.path().join("provision.yaml"), &block.text).unwrap();
    let shell = Shell::new();
    let out = shell.ok("provision validate", dir.path(), &[]);
    assert!(out.contains(": 0 errors, 0 warnings"), "{out}");
    shell.ok("provision plan --emulator", dir.path(), &[]);
}

#[test]
fn github_actions_excerpt_is_the_template() {
    let block = &blocks_at(
        "### GitHub Actions (`examples/ci/github-actions.yml`)",
        "yaml",
    )[0];
    let template = std::fs::read_to_string(root().join("examples/ci/github-actions.yml")).unwrap();
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        squeeze(&template).contains(&squeeze(&block.text)),
        "the README's excerpt is not in examples/ci/github-actions.yml:\n{}",
        block.text
    );
}

#[test]
fn pre_commit_example_names_a_hook_that_exists() {
    let block = &blocks_at("### pre-commit", "yaml")[0];
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let id = block
        .text
        .split("id: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    assert!(
        hooks.contains(&format!("id: {id}")),
        "{id} is not in .pre-commit-hooks.yaml"
    );
}

/// Files the README names that `provision init` writes into a new project
/// (they are not in this repository).
const WRITTEN_BY_INIT: [&str; 2] = [".github/workflows/provision.yml", ".gitlab-ci.yml"];

#[test]
fn links_and_named_files_exist() {
    let text = readme();
    let mut missing = Vec::new();
    // Markdown links: files must exist, anchors must be headings.
    for (i, _) in text.match_indices("](") {
        let target = text[i + 2..].split(')').next().unwrap();
        if target.starts_with("http") {
            continue;
        }
        if let Some(anchor) = target.strip_prefix('#') {
            if !text
                .lines()
                .any(|l| l.starts_with('#') && slug(l) == anchor)
            {
                missing.push(format!("anchor #{anchor}"));
            }
        } else if !root().join(target).exists() {
            missing.push(target.to_owned());
        }
    }
    // Paths in code spans that name this repository's files.
    for span in text.split('`').skip(1).step_by(2) {
        let path = span.split_whitespace().next().unwrap_or("");
        let named = [
            "src/",
            "scripts/",
            "benches/",
            "examples/",
            "tests/",
            ".ci/",
            ".github/",
            "docs/",
            "schema/",
        ]
        .iter()
        .any(|p| path.starts_with(p))
            || path.ends_with(".md");
        if named
            && !path.contains(['*', '<', '{'])
            && !WRITTEN_BY_INIT.contains(&path)
            && !root().join(path).exists()
        {
            missing.push(path.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "the README names what is not here: {missing:?}"
    );
}

/// GitHub's heading anchor: lowercase, spaces to `-`, punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}
