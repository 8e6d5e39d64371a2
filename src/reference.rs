//! The options section of each command's page in `docs/reference/commands/`,
//! rendered from the clap definitions so the docs cannot drift from the
//! binary: a test compares every page with this and rewrites it on request.

use std::fmt::Write as _;

use clap::{Arg, Command, CommandFactory};

use crate::commands::Cli;

/// The marker lines that enclose the generated section of a page.
#[doc(hidden)]
pub const BEGIN: &str = "<!-- options: begin -->";
#[doc(hidden)]
pub const END: &str = "<!-- options: end -->";

/// The names of the top-level commands, in the order `--help` lists them.
#[doc(hidden)]
#[must_use]
pub fn command_names() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_owned())
        .collect()
}

/// The Markdown options section of `provision NAME` (usage, arguments,
/// options with help, defaults and values; each subcommand of a group such
/// as `state`), markers included; `None` for an unknown command.
#[doc(hidden)]
#[must_use]
pub fn command_reference(name: &str) -> Option<String> {
    let mut cli = Cli::command();
    cli.build();
    let command = cli.find_subcommand(name)?;
    let mut out = format!(
        "{BEGIN}\n<!-- generated from the command-line definitions: `PROVISION_UPDATE_DOCS=1 cargo test --test it docs::reference` rewrites it -->\n\n"
    );
    let subcommands: Vec<&Command> = command
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .collect();
    if subcommands.is_empty() {
        render(&mut out, command);
    } else {
        for sub in subcommands {
            let _ = writeln!(out, "### `provision {name} {}`\n", sub.get_name());
            if let Some(about) = sub.get_about() {
                let _ = writeln!(out, "{}\n", sentence(&about.to_string()));
            }
            render(&mut out, sub);
        }
    }
    out.push_str("Global options `-v`/`--verbose` and `-q`/`--quiet` apply too ([commands](../commands.md#global-options)).\n");
    out.push_str(END);
    out.push('\n');
    Some(out)
}

/// Usage, then the arguments, then the options of one command.
fn render(out: &mut String, command: &Command) {
    let usage = command.clone().render_usage().to_string();
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    let _ = writeln!(out, "Usage: `{usage}`\n");
    let shown: Vec<&Arg> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_global_set())
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
        .collect();
    let (positionals, options): (Vec<&Arg>, Vec<&Arg>) =
        shown.into_iter().partition(|a| a.is_positional());
    for (title, args) in [("Arguments", positionals), ("Options", options)] {
        if args.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}:\n");
        for arg in args {
            let _ = writeln!(out, "- `{}`: {}", spelling(arg), describe(arg));
        }
        out.push('\n');
    }
}

/// How the argument is written: `--state <FILE>`, `-o, --out <DIR>`, `[PATH]...`.
fn spelling(arg: &Arg) -> String {
    let values: Vec<String> = arg
        .get_value_names()
        .map(|names| names.iter().map(ToString::to_string).collect())
        .unwrap_or_else(|| vec![arg.get_id().as_str().to_uppercase()]);
    if arg.is_positional() {
        let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
        let name = values.join(" ");
        let name = if arg.is_required_set() {
            format!("<{name}>")
        } else {
            format!("[{name}]")
        };
        return if many { format!("{name}...") } else { name };
    }
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("--{long}"));
    }
    let mut text = names.join(", ");
    if arg.get_action().takes_values() {
        for value in values {
            let _ = write!(text, " <{value}>");
        }
    }
    text
}

/// The help text, then the environment variable, default and values.
fn describe(arg: &Arg) -> String {
    let help = arg
        .get_long_help()
        .or_else(|| arg.get_help())
        .map(|h| sentence(&h.to_string()))
        .unwrap_or_default();
    let mut text = help;
    if let Some(env) = arg.get_env() {
        let _ = write!(text, " Environment: `{}`.", env.to_string_lossy());
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| format!("`{}`", v.to_string_lossy()))
        .collect();
    if !defaults.is_empty() && arg.get_action().takes_values() {
        let _ = write!(text, " Default: {}.", defaults.join(", "));
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| match v.get_help() {
            Some(help) => format!("`{}` ({})", v.get_name(), one_paragraph(&help.to_string())),
            None => format!("`{}`", v.get_name()),
        })
        .collect();
    let is_flag = !arg.get_action().takes_values();
    if !values.is_empty() && !is_flag {
        let _ = write!(text, " Values: {}.", values.join(", "));
    }
    text.trim().to_owned()
}

/// Help text on one line, ending with a full stop (clap drops it from
/// one-line doc comments).
fn sentence(text: &str) -> String {
    let mut line = one_paragraph(text);
    if !line.is_empty() && !line.ends_with(['.', '!', '?']) {
        line.push('.');
    }
    line
}

/// Help text on one line: wrapped lines joined, paragraphs kept apart by a space.
fn one_paragraph(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
