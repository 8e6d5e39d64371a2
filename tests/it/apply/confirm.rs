//! `apply` on a terminal shows the plan and asks for `yes`: anything else
//! cancels (exit 1, nothing sent); `--auto-approve` skips the question;
//! `--emulator` and runs without a terminal never ask. The terminal is a
//! real pseudo-terminal, from util-linux `script`.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use provision::emulator::EmulatorConfig;

use crate::support::util::{Run, provision, tools_available};
use crate::support::world::World;

const QUESTION: &str = "Do you want to carry out these actions? Only `yes` is accepted.";

/// `run` with stdin and stdout on a pseudo-terminal, `input` typed into it:
/// (exit code, everything the terminal showed).
fn on_a_terminal(run: Run, input: &str) -> (i32, String) {
    on_a_terminal_then(run, input, "")
}

/// [`on_a_terminal`], the command line followed by `after` (` | cat`: its
/// stdout piped, stdin and stderr still the terminal).
fn on_a_terminal_then(run: Run, input: &str, after: &str) -> (i32, String) {
    let cmd = run.into_command();
    let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_string_lossy().replace('\'', "'\\''"));
    let line: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(quote)
        .collect();
    let mut script = Command::new("script");
    script
        .args(["-qec", &format!("{}{after}", line.join(" ")), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cmd.get_current_dir() {
        script.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => script.env(key, value),
            None => script.env_remove(key),
        };
    }
    let mut child = script.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    // Kept open until the run ends: end of input would end the terminal.
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n"),
    )
}

fn world() -> Option<World> {
    if !tools_available("apply_on_a_terminal", &["script"]) {
        return None;
    }
    let world = World::new(EmulatorConfig::default());
    world.connections(3);
    Some(world)
}

#[test]
fn only_yes_approves_on_a_terminal() {
    let Some(world) = world() else { return };
    for answer in ["no\n", "Yes\n", "y\n", "\n"] {
        let (code, shown) = on_a_terminal(world.cmd(&["apply"]), answer);
        assert_eq!(code, 1, "{answer:?}: {shown}");
        assert!(shown.contains("+ azure/prod/db-0000"), "{shown}");
        assert!(shown.contains(QUESTION), "{shown}");
        assert!(
            shown.contains("apply cancelled (only `yes` approves): nothing was sent"),
            "{shown}"
        );
        world.assert_remote_exactly(0);
    }
    let (code, shown) = on_a_terminal(world.cmd(&["apply"]), "yes\n");
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("Apply complete: 3 created"), "{shown}");
    world.assert_remote_exactly(3);
}

#[test]
fn a_saved_plan_asks_too_and_auto_approve_skips_the_question() {
    let Some(world) = world() else { return };
    world.run(&["plan", "--out", "plan.json"]).expect_code(0);
    let (code, shown) = on_a_terminal(world.cmd(&["apply", "--plan", "plan.json"]), "nope\n");
    assert_eq!(code, 1, "{shown}");
    assert!(shown.contains(QUESTION), "{shown}");
    world.assert_remote_exactly(0);
    let (code, shown) = on_a_terminal(
        world.cmd(&["apply", "--plan", "plan.json", "--auto-approve"]),
        "",
    );
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains(QUESTION), "{shown}");
    world.assert_remote_exactly(3);
    // Without a terminal nothing asks.
    world.connections(4);
    let piped = world.run(&["apply"]).expect_code(0);
    assert!(!piped.stderr().contains(QUESTION), "{}", piped.stderr());
}

#[test]
fn the_emulator_never_asks() {
    if !tools_available("the_emulator_never_asks", &["script"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    provision()
        .current_dir(dir.path())
        .arg("init")
        .run()
        .expect_code(0);
    let run = provision()
        .current_dir(dir.path())
        .args(["apply", "--emulator"]);
    let (code, shown) = on_a_terminal(run, "");
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains(QUESTION), "{shown}");
    assert!(shown.contains("Apply complete: 1 created"), "{shown}");
}

/// The question is on stderr and the answer on stdin: stdout piped
/// (`apply | tee log`) still asks, and the progress bar is never drawn
/// while the question waits.
#[test]
fn stdout_piped_still_asks_and_no_bar_draws_before_the_answer() {
    let Some(world) = world() else { return };
    let (_, shown) = on_a_terminal_then(world.cmd(&["apply"]), "no\n", " | cat");
    assert!(shown.contains(QUESTION), "{shown}");
    assert!(
        shown.contains("apply cancelled (only `yes` approves): nothing was sent"),
        "{shown}"
    );
    world.assert_remote_exactly(0);
    let (_, shown) = on_a_terminal(world.cmd(&["apply"]), "no\n");
    assert!(
        !shown.contains("applying ["),
        "a bar before approval: {shown}"
    );
    let (code, shown) = on_a_terminal_then(world.cmd(&["apply"]), "yes\n", " | cat");
    assert_eq!(code, 0, "{shown}");
    let asked = shown.find(QUESTION).expect("asked");
    assert!(
        !shown[..asked].contains("applying ["),
        "a bar before approval: {shown}"
    );
    assert!(shown.contains("Apply complete: 3 created"), "{shown}");
    world.assert_remote_exactly(3);
}
