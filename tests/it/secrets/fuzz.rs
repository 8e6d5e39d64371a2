//! Never a secret in any output: a property test plants a
//! random canary in every secret position (`auth.password` on both clouds,
//! a connection string's `Password`, `credentials.clientSecret` and
//! `accessToken`, the password of `state.url`), each written in a quoting
//! style YAML has (plain, single, double with escapes, double over two
//! lines, folded, literal, inside a flow mapping), with LF, CRLF or CR line
//! endings and keys spelled through escapes, sometimes broken so the file
//! does not parse, and asserts that no piece of the canary appears in
//! `validate`'s output in any format (text, json, github, sarif).

use std::path::Path;

use proptest::prelude::*;

use crate::support::util::provision;

/// Cases per `cargo test` run; `PROVISION_SECRET_CASES` raises it.
fn cases() -> u32 {
    std::env::var("PROVISION_SECRET_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24)
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Characters that push a value into quoting or escapes.
const SPECIALS: [&str; 22] = [
    "#", ":", " ", "'", "\"", "\\", "{", "}", "[", "]", ",", "&", "*", "!", "|", ">", "%", "@",
    "`", "é", "漢", "?",
];
/// What a URL password may hold unescaped.
const URL_SPECIALS: [&str; 7] = ["-", ".", "_", "~", "!", "*", "("];

/// A canary: three random chunks of 8 letters and digits (each checked on
/// its own, so a partly masked secret is caught) joined by special characters.
#[derive(Debug, Clone)]
struct Canary {
    chunks: [String; 3],
    joins: [usize; 2],
}

impl Canary {
    /// The whole value, for a position that allows `specials`.
    fn value(&self, specials: &[&str]) -> String {
        let j = |i: usize| specials[self.joins[i] % specials.len()];
        format!(
            "{}{}{}{}{}",
            self.chunks[0],
            j(0),
            self.chunks[1],
            j(1),
            self.chunks[2]
        )
    }
}

fn canary() -> impl Strategy<Value = Canary> {
    let chunk = || {
        proptest::collection::vec(0..ALNUM.len(), 8)
            .prop_map(|ix| ix.iter().map(|i| ALNUM[*i] as char).collect::<String>())
    };
    (chunk(), chunk(), chunk(), 0..64usize, 0..64usize).prop_map(|(a, b, c, x, y)| Canary {
        chunks: [a, b, c],
        joins: [x, y],
    })
}

/// How one secret value is written.
#[derive(Debug, Clone, Copy)]
enum Style {
    Plain,
    Single,
    Double,
    /// Double-quoted with one character of the middle chunk as `\xNN`.
    DoubleEscaped,
    /// Double-quoted, folded over two lines.
    DoubleTwoLines,
    Folded,
    Literal,
}

const STYLES: [Style; 7] = [
    Style::Plain,
    Style::Single,
    Style::Double,
    Style::DoubleEscaped,
    Style::DoubleTwoLines,
    Style::Folded,
    Style::Literal,
];

fn double(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `key: value` in `style` at `indent` (block context), or the value alone
/// for a flow mapping (`flow`: only the quoted and plain styles apply).
fn write_value(value: &str, plain_safe: &str, style: Style, indent: usize, flow: bool) -> String {
    let pad = " ".repeat(indent + 2);
    let style = match style {
        Style::Folded | Style::Literal | Style::DoubleTwoLines if flow => Style::Double,
        other => other,
    };
    match style {
        Style::Plain => plain_safe.to_owned(),
        Style::Single => format!("'{}'", value.replace('\'', "''")),
        Style::Double => format!("\"{}\"", double(value)),
        Style::DoubleEscaped => {
            let escaped = double(value);
            // The first letter after the first chunk's 8 characters... of the
            // middle chunk: find it by its text.
            match value.char_indices().nth(value.chars().count() / 2) {
                Some((i, c)) if c.is_ascii_alphanumeric() => format!(
                    "\"{}\\x{:02X}{}\"",
                    double(&value[..i]),
                    c as u32,
                    double(&value[i + 1..])
                ),
                _ => format!("\"{escaped}\""),
            }
        }
        Style::DoubleTwoLines => {
            let mid = value.len() / 2;
            let mid = (mid..value.len())
                .find(|i| value.is_char_boundary(*i))
                .unwrap_or(value.len());
            format!(
                "\"{}\n{pad}{}\"",
                double(&value[..mid]),
                double(&value[mid..])
            )
        }
        Style::Folded => format!(">-\n{pad}{value}"),
        Style::Literal => format!("|-\n{pad}{value}"),
    }
}

/// How a case breaks one file, if at all.
#[derive(Debug, Clone, Copy)]
enum Break {
    None,
    /// A syntax error after everything else.
    TrailingSyntaxError,
    /// The file ends in the middle of the secret.
    Truncated,
    /// The same secret key twice (P005 at the second).
    DuplicateKey,
    /// A tab where indentation is expected, right after the secret.
    Tab,
}

const BREAKS: [Break; 5] = [
    Break::None,
    Break::TrailingSyntaxError,
    Break::Truncated,
    Break::DuplicateKey,
    Break::Tab,
];

#[derive(Debug, Clone)]
struct Case {
    canary: Canary,
    styles: [usize; 6],
    flow: [bool; 3],
    key_spelling: usize,
    line_ending: usize,
    broken_file: usize,
    breakage: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (
        canary(),
        proptest::array::uniform6(0..STYLES.len()),
        proptest::array::uniform3(any::<bool>()),
        0..5usize,
        0..3usize,
        0..5usize,
        0..BREAKS.len(),
    )
        .prop_map(
            |(canary, styles, flow, key_spelling, line_ending, broken_file, breakage)| Case {
                canary,
                styles,
                flow,
                key_spelling,
                line_ending,
                broken_file,
                breakage,
            },
        )
}

/// The spellings of `password` a key may have; the parser decodes them all.
const PASSWORD_KEYS: [&str; 5] = [
    "password",
    "\"password\"",
    "'password'",
    "\"pass\\u0077ord\"",
    "\"pass\\x77ord\"",
];

/// The four connection files and the settings of a case, by file name.
fn files(case: &Case) -> Vec<(String, String)> {
    let c = &case.canary;
    let any = c.value(&SPECIALS);
    let plain = c.value(&["-", "_", "."]);
    let cs_specials: Vec<&str> = SPECIALS
        .iter()
        .copied()
        .filter(|s| ![";", "=", "\""].contains(s))
        .collect();
    let key = PASSWORD_KEYS[case.key_spelling];
    let basic = |cloud: &str, ssl: &str, style: usize, flow: bool| {
        let value = write_value(&any, &plain, STYLES[style], 2, flow);
        if flow {
            format!(
                "name: db-{cloud}\nsandbox: prod\ncloud: {cloud}\nauth: {{type: basic, server: s, port: 5432, database: d, username: u, {key}: {value}{ssl}}}\n"
            )
        } else {
            format!(
                "name: db-{cloud}\nsandbox: prod\ncloud: {cloud}\nauth:\n  type: basic\n  server: s\n  port: 5432\n  database: d\n  username: u\n  {key}: {value}\n"
            )
        }
    };
    let cs_password = c.value(&cs_specials);
    let cs = |password: &str, key: &str| {
        format!("Server=h;Database=d;Port=5432;UID=u;{key}={password};EncryptionMethod=1")
    };
    let cs_style = STYLES[case.styles[2]];
    let cs_key = match (case.key_spelling, cs_style) {
        (3 | 4, Style::Double | Style::DoubleTwoLines) => "Pass\\x77ord",
        (1, _) => "PASSWORD",
        _ => "Password",
    };
    let cs_value = write_value(
        &cs(&cs_password, cs_key),
        &cs(&plain, "Password"),
        cs_style,
        2,
        case.flow[2],
    )
    .replace("Pass\\\\x77ord", "Pass\\x77ord");
    let connection_string = if case.flow[2] {
        format!(
            "name: db-cs\nsandbox: prod\ncloud: azure\nauth: {{type: connectionString, connectionString: {cs_value}}}\n"
        )
    } else {
        format!(
            "name: db-cs\nsandbox: prod\ncloud: azure\nauth:\n  type: connectionString\n  connectionString: {cs_value}\n"
        )
    };
    let url_password = c.value(&URL_SPECIALS);
    let url = format!("postgres://prov:{url_password}@db:5432/state?password={url_password}");
    let settings = format!(
        "orgs:\n  azure: {{ imsOrg: \"A@AdobeOrg\" }}\n  aws: {{ imsOrg: \"B@AdobeOrg\" }}\ncredentials:\n  clientId: id\n  clientSecret: {}\n  accessToken: {}\nstate:\n  backend: postgres\n  url: {}\n",
        write_value(&any, &plain, STYLES[case.styles[3]], 2, false),
        write_value(&any, &plain, STYLES[case.styles[4]], 2, false),
        write_value(&url, &url, STYLES[case.styles[5]], 2, false),
    );
    vec![
        (
            "connections/azure.yaml".into(),
            basic(
                "azure",
                ", sslMode: Verify Full",
                case.styles[0],
                case.flow[0],
            ),
        ),
        (
            "connections/aws.yaml".into(),
            basic("aws", "", case.styles[1], case.flow[1]),
        ),
        ("connections/cs.yaml".into(), connection_string),
        ("provision.yaml".into(), settings),
    ]
}

/// Breaks `text` as the case says, with the canary's first chunk as anchor.
fn break_text(text: &str, how: Break, first_chunk: &str) -> String {
    match how {
        Break::None => text.to_owned(),
        Break::TrailingSyntaxError => format!("{text}broken: [unclosed\n"),
        Break::Truncated => match text.find(first_chunk) {
            Some(i) => {
                let mut end = (i + first_chunk.len() + 1).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text[..end].to_owned()
            }
            None => text.to_owned(),
        },
        Break::DuplicateKey => {
            let line = text.lines().find(|l| l.contains(first_chunk)).unwrap_or("");
            format!("{text}{line}\n")
        }
        Break::Tab => match text.find(first_chunk) {
            Some(i) => {
                let end = text[i..].find('\n').map_or(text.len(), |e| i + e);
                format!("{}\n\tx: 1{}", &text[..end], &text[end..])
            }
            None => text.to_owned(),
        },
    }
}

fn write_case(dir: &Path, case: &Case) {
    let ending = ["\n", "\r\n", "\r"][case.line_ending];
    for (i, (name, text)) in files(case).into_iter().enumerate() {
        let text = if i == case.broken_file {
            break_text(&text, BREAKS[case.breakage], &case.canary.chunks[0])
        } else {
            text
        };
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text.replace('\n', ending)).unwrap();
    }
}

/// The files of a case as written (broken one included), for a failure.
fn written(dir: &Path) -> Vec<(String, String)> {
    [
        "connections/azure.yaml",
        "connections/aws.yaml",
        "connections/cs.yaml",
        "provision.yaml",
    ]
    .iter()
    .map(|name| {
        let text = std::fs::read(dir.join(name)).unwrap_or_default();
        (
            (*name).to_owned(),
            String::from_utf8_lossy(&text).into_owned(),
        )
    })
    .collect()
}

/// Every output format of `validate` on the case: stdout and stderr.
fn outputs(dir: &Path) -> Vec<(&'static str, String)> {
    ["text", "json", "github", "sarif"]
        .into_iter()
        .map(|format| {
            let run = provision()
                .args(["validate", "connections", "--format", format])
                .current_dir(dir)
                .run();
            assert!(
                matches!(run.code(), 0 | 1),
                "{format}: exit {}\n{}",
                run.code(),
                run.stderr()
            );
            (format, run.stdout() + &run.stderr())
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_output_format_shows_any_part_of_a_secret(case in case()) {
        let dir = tempfile::tempdir().unwrap();
        write_case(dir.path(), &case);
        for (format, out) in outputs(dir.path()) {
            for chunk in &case.canary.chunks {
                prop_assert!(
                    !out.contains(chunk.as_str()),
                    "{format} output shows `{chunk}` of the canary:\n{out}\n--- files\n{:#?}",
                    written(dir.path())
                );
            }
        }
    }
}

/// The leaks an adversarial review found, each as written then: a regression test apart
/// from the property, so each stays covered whatever the random cases pick.
#[test]
fn the_leaks_issue_10_found_stay_closed() {
    let canary = "Zq81canaryXw";
    let basic = |auth: &str| {
        format!(
            "name: a\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: s\n  port: 5432\n  database: d\n  username: u\n{auth}"
        )
    };
    let cs = |value: &str| {
        format!(
            "name: a\nsandbox: prod\ncloud: azure\nauth:\n  type: connectionString\n  connectionString: {value}\n"
        )
    };
    let cases = [
        format!(
            "name: a\nsandbox: prod\ncloud: azure\nauth: {{type: basic, server: s, port: 5432, database: d, username: u, password: \"{canary}, x\"}}\n"
        ),
        cs(&format!(
            "'Server=h;Database=d;Port=5432;UID=u;Password=\"{canary}\"'"
        )),
        cs(&format!(
            "Server=h;Database=d;Port=5432;UID=u;Password=pw'{canary}"
        )),
        cs(&format!(
            "\"Server=h;Database=d;Port=5432;UID=u;Pass\\x77ord={canary}\""
        )),
        basic(&format!("  \"pass\\u0077ord\": {canary}\n")),
        basic(&format!("  password: {canary}\n")).replace('\n', "\r"),
        // A copy of a secret's written line (escapes and all) on a stray
        // line after it, which stops the file from parsing (found by the
        // property at 300 cases).
        cs(
            "\"Server=h;Database=d;Port=5432;UID=u;Password=\n    Zq81canaryXw\\\\x;EncryptionMethod=1\"",
        ) + "    Zq81canaryXw\\\\x;EncryptionMethod=1\"\n",
        // An alias of the password as a field whose message quotes its value.
        format!(
            "name: a\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  password: &pw {canary}\n  server: s\n  port: 5432\n  database: d\n  username: u\n  sslMode: *pw\n"
        ),
    ];
    for text in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("connections")).unwrap();
        std::fs::write(dir.path().join("connections/a.yaml"), &text).unwrap();
        for (format, out) in outputs(dir.path()) {
            assert!(!out.contains("canary"), "{format}: {text:?}\n{out}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("connections")).unwrap();
    std::fs::write(
        dir.path().join("connections/a.yaml"),
        basic("  password: ${P}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("provision.yaml"),
        format!("state: {{backend: postgres, url: \"postgres://u:{canary}@h/db\"}}\n"),
    )
    .unwrap();
    for (format, out) in outputs(dir.path()) {
        assert!(!out.contains("canary"), "{format}: state.url\n{out}");
        if format == "text" {
            assert!(out.contains("V203"), "{out}");
        }
    }
}
