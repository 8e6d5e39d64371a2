//! The GitLab template posts the plan as one merge-request note and edits it
//! on later pipelines: its note script runs against a stand-in GitLab API on
//! 127.0.0.1 that pages the notes like GitLab (`X-Next-Page`).

use serde_json::{Value, json};

use super::http::{Request, Response, Server};
use super::{available, sh, streams, yaml};

const MARKER: &str = "<!-- provision-plan -->";
const NOTES: &str = "/api/v4/projects/42/merge_requests/5/notes";
/// The token's own user.
const ME: u64 = 7;

/// A GitLab whose merge request has `pages` of notes.
fn gitlab(pages: Vec<Vec<Value>>) -> Server {
    Server::start(move |request: &Request| {
        if request.header("private-token") != Some("glpat-test") {
            return Response::bytes(401, r#"{"message":"401 Unauthorized"}"#);
        }
        let target = request.target.as_str();
        match request.method.as_str() {
            "GET" if target == "/api/v4/user" => Response::bytes(
                200,
                json!({"id": ME, "username": "project_42_bot"}).to_string(),
            ),
            "GET" if target.starts_with(&format!("{NOTES}?")) => {
                let page: usize =
                    url::form_urlencoded::parse(target.split_once('?').unwrap().1.as_bytes())
                        .find(|(k, _)| k == "page")
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(1);
                let next = if page < pages.len() {
                    (page + 1).to_string()
                } else {
                    String::new()
                };
                let body = pages.get(page - 1).cloned().unwrap_or_default();
                Response::bytes(200, Value::from(body).to_string()).header("X-Next-Page", &next)
            }
            "PUT" if target.starts_with(&format!("{NOTES}/")) => Response::bytes(200, "{}"),
            "POST" if target == NOTES => Response::bytes(201, "{}"),
            _ => Response::not_found(),
        }
    })
}

fn note(id: u64, author: u64, body: &str) -> Value {
    json!({"id": id, "author": {"id": author}, "body": body, "system": false})
}

/// Runs the plan job's note script with `plan.md` already written.
fn post_plan(server: &Server) -> (std::process::Output, Vec<Request>) {
    let pipeline = yaml("examples/ci/gitlab-ci.yml");
    let script = pipeline["plan"]["script"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|item| item.contains("/notes"))
        .expect("the plan job posts a note")
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plan.md"), "Plan: 1 to create\n").unwrap();
    let out = sh(
        &script,
        dir.path(),
        &[
            ("CI_API_V4_URL", format!("{}/api/v4", server.url())),
            ("CI_PROJECT_ID", "42".to_owned()),
            ("CI_MERGE_REQUEST_IID", "5".to_owned()),
            ("GITLAB_API_TOKEN", "glpat-test".to_owned()),
        ],
    );
    (out, server.requests())
}

fn writes(requests: &[Request]) -> Vec<(String, String)> {
    requests
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| (r.method.clone(), r.target.clone()))
        .collect()
}

#[test]
fn gitlab_plan_note_is_edited_in_place() {
    if !available("GitLab note", &["sh", "curl", "jq"]) {
        return;
    }
    // The earlier plan note is on the second page; a reviewer quoting the
    // marker on the first page is not this token's note.
    let server = gitlab(vec![
        vec![
            note(1, 9, &format!("{MARKER}\nquoted by a reviewer")),
            note(2, ME, "LGTM"),
        ],
        vec![note(3, ME, &format!("{MARKER}\nPlan: 2 to create"))],
    ]);
    let (out, requests) = post_plan(&server);
    assert!(out.status.success(), "{}", streams(&out));
    assert_eq!(
        writes(&requests),
        [("PUT".to_owned(), format!("{NOTES}/3"))]
    );
    let put = requests.iter().find(|r| r.method == "PUT").unwrap();
    assert_eq!(
        put.form("body").unwrap(),
        format!("{MARKER}\nPlan: 1 to create\n")
    );
}

#[test]
fn gitlab_plan_note_is_posted_when_there_is_none() {
    if !available("GitLab note", &["sh", "curl", "jq"]) {
        return;
    }
    let server = gitlab(vec![vec![note(1, 9, "please rebase")], vec![]]);
    let (out, requests) = post_plan(&server);
    assert!(out.status.success(), "{}", streams(&out));
    assert_eq!(writes(&requests), [("POST".to_owned(), NOTES.to_owned())]);
    let post = requests.iter().find(|r| r.method == "POST").unwrap();
    assert!(post.form("body").unwrap().starts_with(MARKER));
    let pages = requests
        .iter()
        .filter(|r| r.target.starts_with(&format!("{NOTES}?")))
        .count();
    assert_eq!(pages, 2, "every page was searched before posting");
}

#[test]
fn gitlab_plan_note_fails_the_job_when_the_api_refuses() {
    if !available("GitLab note", &["sh", "curl", "jq"]) {
        return;
    }
    let server =
        Server::start(|_: &Request| Response::bytes(403, r#"{"message":"403 Forbidden"}"#));
    let (out, requests) = post_plan(&server);
    assert!(!out.status.success(), "{}", streams(&out));
    assert!(writes(&requests).is_empty());
}
