//! Docs are tested like code: each code's explanation holds an example,
//! and a YAML example must really report its code when run as the
//! explanation says.

use provision::Code;

use super::cases::{code_of, diagnostics_in_text};
use crate::support::util::{fixtures, provision};

/// Codes whose example is the settings file, beside a valid connection.
const SETTINGS_EXAMPLES: [&str; 7] = ["P011", "S199", "V208", "V212", "V213", "V217", "V218"];
/// Codes only runs that resolve secrets report (the example runs `apply`,
/// which needs them all), with the variable their example needs.
const PLAN_EXAMPLES: [(&str, &str); 2] = [
    ("V206", "-ORDERS_DB_PASSWORD"),
    ("V207", "BILLING_DB_PASSWORD=semi;colon"),
];
/// Examples not run here, and why.
const EXCUSED_EXAMPLES: [(&str, &str); 9] = [
    (
        "V214",
        "two files (settings with `vars`, a document): fixture v214-secret-from-vars",
    ),
    (
        "V215",
        "two files (settings with environments, a document): fixture v215-undefined-in-environment",
    ),
    (
        "P001",
        "a shell session removing a link's target: fixture p001-dangling-link",
    ),
    (
        "P002",
        "a shell session writing 2 MB: fixture p002-file-too-large",
    ),
    (
        "P003",
        "a shell session writing a Latin-1 byte: fixture p003-not-utf8",
    ),
    (
        "P009",
        "a shell session in another folder: fixture p009-no-input",
    ),
    (
        "P010",
        "abbreviated, 200 problems do not fit: fixture p010-too-many-problems",
    ),
    (
        "P012",
        "a shell session making a FIFO: fixture p012-not-a-regular-file",
    ),
    (
        "P013",
        "a shell session making a link: fixture p013-linked-folder",
    ),
];

/// The first fenced block under a code's `### Example`: (info, body).
fn example(code: Code) -> (String, String) {
    let text = code.explanation();
    let section = text.split("### Example").nth(1).unwrap();
    let section = section.split("### Fix").next().unwrap();
    let (_, fenced) = section.split_once("```").unwrap();
    let (info, rest) = fenced.split_once('\n').unwrap();
    let (body, _) = rest.split_once("```").unwrap();
    (info.to_owned(), body.to_owned())
}

/// The codes `provision` reports for one code's example, run as the
/// explanation says (a connection file, the settings file, or a plan).
fn codes_for_example(code: &str, yaml: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let connections = dir.path().join("connections");
    std::fs::create_dir_all(&connections).unwrap();
    let valid = std::fs::read_to_string(fixtures("rules/ok-azure-basic.yaml")).unwrap();
    let mut run = provision().current_dir(dir.path()).arg("validate");
    if SETTINGS_EXAMPLES.contains(&code) {
        std::fs::write(dir.path().join("provision.yaml"), yaml).unwrap();
        std::fs::write(connections.join("orders.yaml"), valid).unwrap();
    } else if let Some((_, variable)) = PLAN_EXAMPLES.iter().find(|(c, _)| *c == code) {
        let settings = "orgs:\n  azure: { imsOrg: \"ABC123@AdobeOrg\" }\ncredentials:\n  clientId: ${FIXTURE_CLIENT_ID}\n  clientSecret: ${FIXTURE_CLIENT_SECRET}\n";
        std::fs::write(dir.path().join("provision.yaml"), settings).unwrap();
        std::fs::write(connections.join("example.yaml"), yaml).unwrap();
        run = provision()
            .current_dir(dir.path())
            .args(["apply", "--endpoint", "http://127.0.0.1:9"])
            .args(["--ims", "http://127.0.0.1:9"])
            .env("FIXTURE_CLIENT_ID", "fixture-id")
            .env("FIXTURE_CLIENT_SECRET", "fixture-secret");
        run = match variable.strip_prefix('-') {
            Some(name) => run.env_remove(name),
            None => {
                let (name, value) = variable.split_once('=').unwrap();
                run.env(name, value)
            }
        };
    } else {
        std::fs::write(connections.join("example.yaml"), yaml).unwrap();
    }
    let done = run.run();
    diagnostics_in_text(&(done.stdout() + &done.stderr()))
        .iter()
        .map(|d| code_of(d))
        .collect()
}

/// Docs are tested like code: each explanation's YAML example reports its
/// code; shell-session examples are excused, each with its fixture.
#[test]
fn every_yaml_example_reports_its_code() {
    let mut failures = Vec::new();
    for code in Code::ALL {
        let (info, body) = example(*code);
        let excused = EXCUSED_EXAMPLES.iter().any(|(c, _)| *c == code.as_str());
        match info.as_str() {
            _ if excused => continue,
            "yaml" => {
                let got = codes_for_example(code.as_str(), &body);
                if !got.iter().any(|c| c == code.as_str()) {
                    failures.push(format!("{}: the example reports {got:?}", code.as_str()));
                }
            }
            other => failures.push(format!(
                "{}: a ```{other} example, neither run nor excused",
                code.as_str()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
