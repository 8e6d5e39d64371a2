//! State commands after the quick start, `init`'s
//! output, and help texts that show only what matters.

use crate::support::util::provision;

/// The quick start: the repository's own connections (and the
/// `emulator.yaml` its dataflow needs) applied on the emulator.
fn quick_start() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .arg(crate::support::util::root().join("connections"))
        .arg(crate::support::util::root().join("emulator.yaml"))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(copy.success());
    provision()
        .current_dir(dir.path())
        .args(["apply", "connections/", "--emulator"])
        .run()
        .expect_code(0);
    dir
}

#[test]
fn state_commands_say_what_keys_look_like_and_where_the_emulator_state_is() {
    let dir = quick_start();
    let run = |args: &[&str]| provision().current_dir(dir.path()).args(args).run();

    let list = run(&["state", "list"]).expect_code(0);
    assert_eq!(list.stdout(), "");
    insta::assert_snapshot!("list_hint", list.stderr());
    let listed = run(&["state", "list", "--emulator"]).expect_code(0);
    // The five example connections and the example dataflow.
    assert_eq!(listed.stdout().lines().count(), 6, "{}", listed.stdout());
    assert!(
        listed
            .stdout()
            .contains("dataflow/azure/prod/orders-to-lake\t"),
        "{}",
        listed.stdout()
    );
    assert_eq!(listed.stderr(), "");

    let show = run(&["state", "show", "orders-db", "--emulator"]).expect_code(1);
    insta::assert_snapshot!("show_name", show.stderr());
    let show = run(&["state", "show", "azure/prod/orders", "--emulator"]).expect_code(1);
    insta::assert_snapshot!("show_near_key", show.stderr());
    let rm = run(&["state", "rm", "billing", "--emulator"]).expect_code(1);
    assert!(
        rm.stderr()
            .contains("for a dataflow; did you mean `azure/prod/billing-db`?"),
        "{}",
        rm.stderr()
    );
    run(&["state", "show", "azure/prod/orders-db", "--emulator"]).expect_code(0);
}

#[test]
fn init_is_quiet_with_q_and_says_it_appended_to_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "target/\n").unwrap();
    let init = provision()
        .current_dir(dir.path())
        .args(["init", "-q"])
        .run()
        .expect_code(0);
    let out = init.stdout();
    assert!(!out.contains("Next:"), "{out}");
    assert!(
        out.contains("appended `.provision/` to `.gitignore`\n"),
        "{out}"
    );
    assert!(!out.contains("created `.gitignore`"), "{out}");
    let fresh = tempfile::tempdir().unwrap();
    let init = provision()
        .current_dir(fresh.path())
        .arg("init")
        .run()
        .expect_code(0);
    assert!(
        init.stdout().contains("created `.gitignore`\n"),
        "{}",
        init.stdout()
    );
    assert!(init.stdout().contains("Next:"), "{}", init.stdout());
}

/// Every subcommand path: `validate`, `state list`, ...
fn subcommands() -> Vec<Vec<String>> {
    let help = provision().arg("--help").run().expect_code(0).stdout();
    let mut out = Vec::new();
    let names = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        // `  name  description`; wrapped descriptions are indented further.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help");
    for name in names {
        out.push(vec![name.clone()]);
        if name == "state" {
            for sub in [
                "list",
                "show",
                "rm",
                "protect",
                "unprotect",
                "import",
                "unlock",
                "migrate",
            ] {
                out.push(vec![name.clone(), sub.to_owned()]);
            }
        }
    }
    out
}

#[test]
fn help_shows_no_internal_names_and_state_commands_only_their_flags() {
    let all = subcommands();
    assert!(all.len() > 15, "{all:?}");
    for path in &all {
        let help = provision()
            .args(path)
            .arg("--help")
            .run()
            .expect_code(0)
            .stdout();
        assert!(
            !help.contains("crate::"),
            "`{}` help: {help}",
            path.join(" ")
        );
        let state_only = path.len() == 2 && path[0] == "state" && path[1] != "import";
        if state_only {
            for flag in [
                "--endpoint",
                "--ims",
                "Rehearse against",
                "--allow-plaintext-secrets",
            ] {
                assert!(
                    !help.contains(flag),
                    "`{}` offers {flag}:\n{help}",
                    path.join(" ")
                );
            }
            assert!(help.contains("--emulator"), "{help}");
            assert!(help.contains("emulator-state.json"), "{help}");
        }
    }
    let man = tempfile::tempdir().unwrap();
    provision()
        .arg("man")
        .arg("--out")
        .arg(man.path())
        .run()
        .expect_code(0);
    for page in std::fs::read_dir(man.path()).unwrap() {
        let text = std::fs::read_to_string(page.unwrap().path()).unwrap();
        assert!(!text.contains("crate::"), "{text}");
    }
}
