//! Each command's page holds its options section as the clap definitions
//! render it (`provision::reference`), between marker comments. A stale
//! page fails here; `PROVISION_UPDATE_DOCS=1` rewrites the pages instead.

use provision::reference::{BEGIN, END, command_names, command_reference};

use crate::support::util::root;

/// Pages of commands that another branch of the work adds to the program.
/// Once the command exists, remove it here and regenerate the pages.
const NOT_YET_IN_THE_PROGRAM: [&str; 0] = [];

fn update_requested() -> bool {
    std::env::var_os("PROVISION_UPDATE_DOCS").is_some_and(|v| v == "1")
}

/// `page` with the text between the markers replaced by `section`.
fn with_section(name: &str, page: &str, section: &str) -> String {
    let start = page
        .find(BEGIN)
        .unwrap_or_else(|| panic!("the page of `{name}` has no `{BEGIN}` line"));
    let end = page[start..]
        .find(END)
        .map(|i| start + i + END.len() + 1)
        .unwrap_or_else(|| panic!("the page of `{name}` has no `{END}` line"));
    format!(
        "{}{section}{}",
        &page[..start],
        page.get(end..).unwrap_or("")
    )
}

#[test]
fn command_pages_show_the_current_options() {
    let names = command_names();
    assert!(names.len() >= 12, "{names:?}");
    let mut stale = Vec::new();
    for name in &names {
        let path = root().join(format!("docs/reference/commands/{name}.md"));
        let page = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("`provision {name}` has no page: write {}", path.display()));
        let section = command_reference(name).unwrap();
        let current = with_section(name, &page, &section);
        if current != page {
            if update_requested() {
                std::fs::write(&path, current).unwrap();
            } else {
                stale.push(name.clone());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "the options of {stale:?} changed: run `PROVISION_UPDATE_DOCS=1 cargo test --test it docs::reference` and commit the pages"
    );
}

#[test]
fn every_command_page_is_a_command() {
    let names = command_names();
    for pending in NOT_YET_IN_THE_PROGRAM {
        assert!(
            !names.iter().any(|n| n == pending),
            "`provision {pending}` exists now: remove it from NOT_YET_IN_THE_PROGRAM and regenerate the pages"
        );
    }
    for entry in std::fs::read_dir(root().join("docs/reference/commands")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            names.contains(&name) || NOT_YET_IN_THE_PROGRAM.contains(&name.as_str()),
            "{} documents no command of the program",
            path.display()
        );
    }
}

#[test]
fn the_section_names_every_flag_of_apply() {
    let section = command_reference("apply").unwrap();
    for flag in [
        "--plan <FILE>",
        "--lock-timeout <DURATION>",
        "--prune",
        "[PATH]...",
    ] {
        assert!(section.contains(flag), "{flag} missing:\n{section}");
    }
    let state = command_reference("state").unwrap();
    assert!(state.contains("### `provision state migrate`"), "{state}");
    assert!(command_reference("no-such-command").is_none());
}
