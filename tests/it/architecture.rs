//! The layout the README's "Design" section promises, checked on the
//! source itself: no import cycles between modules (top-level modules, and
//! the files of each folder), imports only in the allowed direction (the
//! domain never reaches the orchestration or output layers; only commands,
//! the reporter and `lib` use the terminal writer), no function over 80
//! lines but the listed flat `match`es, and commands that stay glue (about
//! 40 lines at most).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Functions allowed past 80 lines, and why.
const LONG_FUNCTIONS: [(&str, &str, &str); 1] = [(
    "src/validate/schema_messages.rs",
    "describe",
    "one flat match over JSON Schema error kinds, each arm a few lines",
)];
const MAX_LINES: usize = 80;
const MAX_COMMAND_LINES: usize = 45;

/// What a connection, a plan or state is: modules that know nothing of
/// how a run is orchestrated or shown.
const DOMAIN: [&str; 7] = [
    "config",
    "validate",
    "diagnostic",
    "desired",
    "plan",
    "state",
    "api",
];
/// Orchestration and output: they use the domain, never the reverse.
const UPPER: [&str; 9] = [
    "commands",
    "apply",
    "output",
    "reporter",
    "workspace",
    "import",
    "check",
    "smoke",
    "scaffold",
];
/// The only modules that may use the terminal writer (`output`).
const WRITERS: [&str; 4] = ["commands", "reporter", "lib", "output"];
/// Imports that cross those lines and stay, with the only names they may
/// use and why.
const CROSSINGS: [(&str, &str, &[&str], &str); 0] = [];

fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    let root = crate::support::util::root();
    let mut out = Vec::new();
    walk(&root.join("src"), &mut out);
    out.into_iter()
        .map(|(p, t)| (p.strip_prefix(&root).unwrap().to_owned(), t))
        .collect()
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are module `a::b`.
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix("src").unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The text before the file's `#[cfg(test)] mod tests`: tests may reach anywhere.
fn code(text: &str) -> &str {
    text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text)
}

/// Identifiers named right after `prefix` (`prefix::name` or `prefix::{a, b}`).
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in text.match_indices(prefix) {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &text[i + prefix.len()..];
        let group = if let Some(inner) = rest.strip_prefix('{') {
            inner.split('}').next().unwrap_or("")
        } else {
            rest
        };
        for part in group.split(',') {
            let name: String = part
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
            if !rest.starts_with('{') {
                break;
            }
        }
    }
    names
}

/// A cycle in `graph`, if any, as the list of nodes along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

fn module_graphs() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let files: Vec<(Vec<String>, String)> = sources()
        .into_iter()
        .map(|(path, text)| (module_path(&path), code(&text).to_owned()))
        .collect();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    // One graph for the top-level modules, one per folder for its files.
    let mut graphs: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, text) in &files {
        let Some(top) = module.first() else { continue };
        let top_graph = graphs.entry("crate".into()).or_default();
        let deps = top_graph.entry(top.clone()).or_default();
        for name in names_after(text, "crate::") {
            if &name != top && modules.contains(&vec![name.clone()]) {
                deps.insert(name);
            }
        }
        if module.len() < 2 {
            continue;
        }
        let (folder, me) = module.split_at(module.len() - 1);
        let mut siblings = names_after(text, "super::");
        siblings.extend(names_after(
            text,
            &format!("crate::{}::", folder.join("::")),
        ));
        let graph = graphs.entry(folder.join("::")).or_default();
        let deps = graph.entry(me[0].clone()).or_default();
        for name in siblings {
            let mut sibling = folder.to_vec();
            sibling.push(name.clone());
            if name != me[0] && modules.contains(&sibling) {
                deps.insert(name);
            }
        }
    }
    graphs
}

#[test]
fn no_import_cycles_between_modules() {
    let graphs = module_graphs();
    assert!(graphs["crate"].len() > 10, "the scan found the modules");
    for (scope, graph) in &graphs {
        if let Some(cycle) = find_cycle(graph) {
            panic!("import cycle in `{scope}`: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_cycle_check_can_fail() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
    assert_eq!(
        names_after("use crate::{config, desired::X};", "crate::"),
        BTreeSet::from(["config".to_owned(), "desired".to_owned()])
    );
}

/// Every import against the layering of `files` (path, code), as
/// `file: a -> b` lines.
fn wrong_direction(files: &[(PathBuf, String)]) -> Vec<String> {
    let mut wrong = Vec::new();
    for (path, text) in files {
        let Some(top) = module_path(path).first().cloned() else {
            continue;
        };
        for name in names_after(code(text), "crate::") {
            let reaches_up = DOMAIN.contains(&top.as_str()) && UPPER.contains(&name.as_str());
            let writes = name == "output" && !WRITERS.contains(&top.as_str());
            if !(reaches_up || writes) {
                continue;
            }
            let used = names_after(code(text), &format!("crate::{name}::"));
            let allowed = CROSSINGS.iter().any(|(file, to, names, _)| {
                Path::new(file) == path
                    && *to == name
                    && !used.is_empty()
                    && used.iter().all(|u| names.contains(&u.as_str()))
            });
            if !allowed {
                wrong.push(format!("{}: {top} -> {name}", path.display()));
            }
        }
    }
    wrong
}

#[test]
fn imports_go_from_orchestration_to_domain_and_only_writers_write() {
    let files = sources();
    assert!(files.len() > 50, "the scan found the sources");
    let wrong = wrong_direction(&files);
    assert!(
        wrong.is_empty(),
        "the domain must not import orchestration or output, and only commands, the reporter and lib write to the terminal: {wrong:#?}"
    );
}

#[test]
fn the_direction_check_can_fail() {
    let file = |path: &str, text: &str| (PathBuf::from(path), text.to_owned());
    let wrong = wrong_direction(&[
        file(
            "src/plan/render.rs",
            "use crate::{config, workspace::Workspace};",
        ),
        file("src/apply/run.rs", "use crate::output;\nuse crate::plan;"),
        file(
            "src/diagnostic/text.rs",
            "use crate::output::{escape_controls, error};",
        ),
        file("src/commands/plan.rs", "use crate::output;"),
        file("src/diagnostic/json.rs", "use crate::escape::escape_value;"),
    ]);
    assert_eq!(
        wrong,
        [
            "src/plan/render.rs: plan -> workspace",
            "src/apply/run.rs: apply -> output",
            "src/diagnostic/text.rs: diagnostic -> output",
        ]
    );
}

/// `(file, name, lines)` of every `fn` in `src/`; a body ends at the first
/// line that closes it at the `fn`'s own indentation (rustfmt's layout).
fn functions() -> Vec<(PathBuf, String, usize)> {
    let mut out = Vec::new();
    for (path, text) in sources() {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            let signature = ["pub(crate) ", "pub(super) ", "pub ", "async ", "const "]
                .iter()
                .fold(trimmed, |s, p| s.strip_prefix(p).unwrap_or(s));
            let Some(rest) = signature.strip_prefix("fn ") else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let close = format!("{indent}}}");
            let Some(end) = lines[i..].iter().position(|l| *l == close) else {
                continue;
            };
            out.push((path.clone(), name, end + 1));
        }
    }
    out
}

#[test]
fn no_function_over_80_lines_but_the_listed_flat_matches() {
    let all = functions();
    assert!(all.len() > 300, "the scan found the functions");
    let long: Vec<String> = all
        .iter()
        .filter(|(_, _, n)| *n > MAX_LINES)
        .filter(|(path, name, _)| {
            !LONG_FUNCTIONS
                .iter()
                .any(|(f, n, _)| Path::new(f) == path && n == name)
        })
        .map(|(path, name, n)| format!("{}: `{name}` has {n} lines", path.display()))
        .collect();
    assert!(
        long.is_empty(),
        "split these (or list them, with why): {long:#?}"
    );
}

#[test]
fn commands_are_glue() {
    let long: Vec<String> = functions()
        .iter()
        .filter(|(path, _, n)| path.starts_with("src/commands") && *n > MAX_COMMAND_LINES)
        .map(|(path, name, n)| format!("{}: `{name}` has {n} lines", path.display()))
        .collect();
    assert!(
        long.is_empty(),
        "move the logic into the library: {long:#?}"
    );
}
