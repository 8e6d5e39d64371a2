//! The docs' shell and YAML blocks run as written, against an emulator
//! (and, for the PostgreSQL state, the suite's throwaway server).

use super::{EXAMPLE_PASSWORDS, Platform, Shell, blocks_at, replace, repository_copy};
use crate::support::state_db::{fresh_namespace, state_server, state_url};
use crate::support::util::provision;

#[test]
fn quick_start_runs_as_written() {
    let block = &blocks_at("README.md", "## Two commands to start", "sh")[0];
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
        first.contains("Apply complete: 6 created, 0 adopted, 0 updated, 0 deleted, 0 failed."),
        "{first}"
    );
    let again = shell.ok(&script, dir.path(), &[]);
    assert!(
        again.contains("No changes: 5 connection(s) and 1 dataflow(s) match the config."),
        "run it again and it has nothing to do: {again}"
    );
    assert!(dir.path().join(".provision/emulator.json").is_file());
    assert!(dir.path().join(".provision/emulator-state.json").is_file());
}

#[test]
fn file_format_examples_validate_and_plan() {
    let examples = blocks_at(
        "docs/reference/file-format.md",
        "## A connection document",
        "yaml",
    );
    let documents: usize = examples
        .iter()
        .map(|b| b.text.matches("\n---\n").count() + 1)
        .sum();
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
    let files = examples.len();
    assert!(
        out.contains(&format!(
            "{files} files, {documents} connections: 0 errors, 0 warnings"
        )),
        "{out}"
    );
    let plan = shell.ok("provision plan --emulator", dir.path(), &[]);
    assert!(
        plan.contains(&format!("Plan: {documents} to create")),
        "{plan}"
    );
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
    let migrate = &blocks_at(
        "docs/guides/postgres-state.md",
        "## Moving state: `provision state migrate`",
        "sh",
    )[0];
    let with_url = [env.as_slice(), &[("PROVISION_STATE_URL", url.as_str())]].concat();
    let out = shell.ok(&migrate.text, moving.path(), &with_url);
    assert!(out.contains("copied 5 connection(s)"), "{out}");
    assert!(moving.path().join(".provision/state-copy.json").is_file());

    // Setup: the settings block, pointed at the emulator, then the shell block.
    let setup = repository_copy();
    let settings = &blocks_at("docs/guides/postgres-state.md", "## Setup", "yaml")[0];
    let namespace = fresh_namespace("readme");
    let settings_text = replace(&settings.text, "payments-team", &namespace);
    std::fs::write(
        setup.path().join("provision.yaml"),
        settings_text + &platform.settings(),
    )
    .unwrap();
    let apply = &blocks_at("docs/guides/postgres-state.md", "## Setup", "sh")[0];
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
    let start = &blocks_at("docs/reference/commands/init.md", "# provision init", "sh")[0];
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
    let import = &blocks_at(
        "docs/guides/importing.md",
        "# Importing existing connections",
        "sh",
    )[0];
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
        secret_version: None,
        renamed_from: None,
        protect: false,
        environments: None,
    }
}

#[test]
fn completions_and_man_run() {
    let shell = Shell::new();
    let dir = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for (file, heading) in [
        (
            "docs/reference/commands/completions.md",
            "# provision completions",
        ),
        ("docs/reference/commands/man.md", "# provision man"),
    ] {
        let block = &blocks_at(file, heading, "sh")[0];
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
    }
    assert_eq!(ran, 6);
    assert!(dir.path().join("provision.1").is_file());
    assert!(dir.path().join("provision-plan.1").is_file());
}

#[test]
fn emulator_script_runs() {
    let block = &blocks_at(
        "docs/reference/commands/emulator.md",
        "# provision emulator",
        "sh",
    )[0];
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "{}\ncase \"$URL\" in http://127.0.0.1:*) ;; *) echo \"no URL: $URL\"; exit 1 ;; esac\nwait \"$EMULATOR_PID\" || true\n",
        block.text
    );
    Shell::new().ok(&script, dir.path(), &[]);
}

#[test]
fn pointing_provision_at_the_emulator_plans_the_repository() {
    let settings = &blocks_at(
        "docs/reference/commands/emulator.md",
        "## Pointing `provision` at it",
        "yaml",
    )[0];
    let commands = &blocks_at(
        "docs/reference/commands/emulator.md",
        "## Pointing `provision` at it",
        "sh",
    )[0];
    let shell = Shell::new();
    let dir = repository_copy();
    // The page's emulator, started as it says, on a free port.
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
    assert!(stdout.contains("Plan: 6 to create"), "{stdout}");
    assert!(stdout.contains("Apply complete: 6 created"), "{stdout}");
}

#[test]
fn settings_example_validates_and_plans() {
    let block = &blocks_at(
        "docs/reference/settings.md",
        "# Settings: provision.yaml",
        "yaml",
    )[0];
    let dir = repository_copy();
    std::fs::write(dir.path().join("provision.yaml"), &block.text).unwrap();
    let shell = Shell::new();
    let out = shell.ok("provision validate", dir.path(), &[]);
    assert!(out.contains(": 0 errors, 0 warnings"), "{out}");
    shell.ok("provision plan --emulator", dir.path(), &[]);
}

#[test]
fn environments_example_validates_and_plans() {
    let block = &blocks_at("docs/reference/settings.md", "## Environments", "yaml")[0];
    let dir = repository_copy();
    std::fs::write(dir.path().join("provision.yaml"), &block.text).unwrap();
    let shell = Shell::new();
    let out = shell.ok("provision validate", dir.path(), &[]);
    assert!(out.contains(": 0 errors, 0 warnings"), "{out}");
    let out = shell.ok("provision env list --names", dir.path(), &[]);
    assert_eq!(out.trim(), "dev\nprod");
    shell.ok("provision plan --emulator -e dev", dir.path(), &[]);
    shell.ok("provision plan --emulator -e prod", dir.path(), &[]);
}

#[test]
fn environments_guide_examples_validate_and_plan() {
    let guide = "docs/guides/environments-and-promotion.md";
    let sandboxes = blocks_at(guide, "## One org with several sandboxes", "yaml");
    let per_org = &blocks_at(guide, "## One org per environment", "yaml")[0];
    let document = &sandboxes[1].text;
    for settings in [&sandboxes[0].text, &per_org.text] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("provision.yaml"), settings).unwrap();
        std::fs::create_dir_all(dir.path().join("connections")).unwrap();
        std::fs::write(dir.path().join("connections/orders.yaml"), document).unwrap();
        let shell = Shell::new();
        let out = shell.ok("provision validate", dir.path(), &[]);
        assert!(out.contains(": 0 errors"), "{out}");
        let out = shell.ok("provision plan --emulator -e dev", dir.path(), &[]);
        assert!(out.contains("azure/dev/orders-db"), "{out}");
        let out = shell.ok("provision plan --emulator -e prod", dir.path(), &[]);
        assert!(out.contains("azure/prod/orders-db"), "{out}");
    }
}

/// `text` with every UUID replaced by `…`, as the docs write ids.
fn without_ids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let candidate = rest.get(..36).unwrap_or("");
        let is_uuid = candidate.len() == 36
            && candidate.char_indices().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            });
        if is_uuid {
            out.push('…');
            rest = &rest[36..];
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Runs each `$ ` command of a console block in `dir` and compares its
/// stdout with the lines shown under it (ids as `…`; an apply's action
/// lines in any order, since they come as they finish).
fn run_transcript(shell: &Shell, text: &str, dir: &std::path::Path) {
    let mut steps: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            steps.push((command.to_owned(), String::new()));
        } else {
            let shown = &mut steps.last_mut().expect("a command first").1;
            shown.push_str(line);
            shown.push('\n');
        }
    }
    for (command, shown) in steps {
        let printed = without_ids(&shell.ok(&command, dir, &[]));
        let sorted = |s: &str| {
            let mut lines: Vec<&str> = s.lines().collect();
            if command.starts_with("provision apply") {
                lines.sort_unstable();
            }
            lines.join("\n")
        };
        assert_eq!(sorted(&printed), sorted(&shown), "`{command}`");
    }
}

#[test]
fn readme_tour_prints_what_it_shows() {
    let shell = Shell::new();
    let dir = repository_copy();
    let tour = &blocks_at("README.md", "## A five-minute tour", "console")[0];
    run_transcript(&shell, &tour.text, dir.path());
    let orders = dir.path().join("connections/prod/orders.yaml");
    let text = std::fs::read_to_string(&orders).unwrap();
    std::fs::write(
        &orders,
        replace(
            &text,
            "description: Orders replica\n",
            "description: Orders replica (EU)\n",
        ),
    )
    .unwrap();
    let change = &blocks_at("README.md", "### Change something", "console")[0];
    run_transcript(&shell, &change.text, dir.path());
}

#[test]
fn getting_started_runs_from_init_to_apply() {
    let file = "docs/getting-started.md";
    let shell = Shell::new();
    let home = tempfile::tempdir().unwrap();
    let start = &blocks_at(file, "## 1. Start a project", "sh")[0];
    shell.ok(&start.text, home.path(), &[]);
    let project = home.path().join("my-connections");
    assert!(project.join("provision.yaml").is_file());

    let rehearse = &blocks_at(file, "## 2. Rehearse on the emulator", "sh")[0];
    let out = shell.ok(&rehearse.text, &project, &[]);
    assert!(out.contains("Apply complete: 1 created"), "{out}");
    assert!(out.contains("No changes"), "{out}");

    // Steps 3 and 4 against an emulator standing in for the platform: the
    // settings as shown, plus its address.
    let platform = Platform::start();
    let heading = "## 3. Check the platform with `provision smoke`";
    let settings = &blocks_at(file, heading, "yaml")[0];
    let url = platform.url();
    std::fs::write(
        project.join("provision.yaml"),
        format!("{}endpoint: {url}\nims: {url}\n", settings.text),
    )
    .unwrap();
    let smoke = &blocks_at(file, heading, "sh")[0];
    let smoke = replace(
        &smoke.text,
        "AEP_CLIENT_ID=… AEP_CLIENT_SECRET=…",
        "AEP_CLIENT_ID=provision-local AEP_CLIENT_SECRET=provision-local-secret",
    );
    let out = shell.ok(&smoke, &project, &[]);
    assert!(out.contains("Smoke complete"), "{out}");

    let apply = &blocks_at(file, "## 4. The first real apply", "sh")[0];
    let apply = replace(&apply.text, "ORDERS_DB_PASSWORD=…", "ORDERS_DB_PASSWORD=pw");
    let env = [
        ("AEP_CLIENT_ID", "provision-local"),
        ("AEP_CLIENT_SECRET", "provision-local-secret"),
    ];
    let out = shell.ok(&apply, &project, &env);
    assert!(out.contains("Apply complete: 1 created"), "{out}");
    assert!(project.join(".provision/state.json").is_file());
}
