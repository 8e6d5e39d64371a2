//! Shell completions: the bash script is sourced in a real bash and asked to
//! complete `provision ap`, as bash itself would on <TAB>.

use crate::support::util::provision;

fn bash_complete(script: &str, words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provision.bash");
    std::fs::write(&path, script).unwrap();
    let words_array = words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let probe = format!(
        r#"source '{}'
spec=$(complete -p provision) || exit 3
fn=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
COMP_WORDS=({words_array})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
COMP_TYPE=9
"$fn" provision "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        path.display()
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_flags() {
    let script = provision()
        .args(["completions", "bash"])
        .run()
        .expect_code(0)
        .stdout();
    assert_eq!(bash_complete(&script, &["provision", "ap"]), ["apply"]);
    let imports = bash_complete(&script, &["provision", "import", "--dr"]);
    assert_eq!(imports, ["--dry-run"]);
}

#[test]
fn every_shell_gets_a_script() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = provision()
            .args(["completions", shell])
            .run()
            .expect_code(0)
            .stdout();
        assert!(script.contains("provision"), "{shell}");
    }
    provision()
        .args(["completions", "tcsh"])
        .run()
        .expect_code(64);
}
