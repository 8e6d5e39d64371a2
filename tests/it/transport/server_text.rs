//! Text a server sends (an error `title`, a message, a body excerpt) is
//! shown on one line, control characters escaped, at most 4 KiB: in every
//! format, so it cannot start a CI workflow command (`::error`,
//! `::add-mask::`) or flood the log.

use axum::routing::get;
use serde_json::json;

use super::server::{CONNECTIONS, Project, answer, runtime, serve, with_ims};

const INJECTED: &str = "broken\n::error file=connections/orders.yaml,line=1::pwned\n::add-mask::hostile-token\r\n\u{1b}]8;;https://evil.example\u{7}";

fn assert_no_injected_line(all: &str, format: &str) {
    for line in all.lines() {
        let line = line.trim_start();
        assert!(
            !line.starts_with("::error file=connections/orders.yaml,line=1::pwned")
                && !line.starts_with("::add-mask::")
                && !line.contains('\u{1b}'),
            "server text reached the output as its own line ({format}):\n{all}"
        );
    }
}

#[test]
fn an_error_title_with_line_breaks_stays_on_one_line_in_every_format() {
    let rt = runtime();
    let app = with_ims().route(
        CONNECTIONS,
        get(|| async { answer(200, json!({"items": []})) }).post(|| async {
            answer(
                400,
                json!({"type": "https://ns.adobe.com/aep/errors/FLOW-1400-400", "title": INJECTED, "status": 400, "report": {"detailed-message": INJECTED}}),
            )
        }),
    );
    let server = rt.block_on(serve(app));
    let project = Project::new("");
    for format in ["text", "json"] {
        let run = project
            .run(&server.url, "pw", "secret", &["apply", "--format", format])
            .expect_code(1);
        let all = format!("{}{}", run.stdout(), run.stderr());
        assert_no_injected_line(&all, format);
        assert!(all.contains("broken"), "{all}");
    }
}

#[test]
fn a_huge_error_message_is_cut_at_4_kib() {
    let rt = runtime();
    let huge = "é".repeat(200 << 10);
    let app = with_ims().route(
        CONNECTIONS,
        get(|| async { answer(200, json!({"items": []})) }).post(move || {
            let huge = huge.clone();
            async move {
                answer(
                    400,
                    json!({"type": "https://ns.adobe.com/aep/errors/FLOW-1400-400", "title": "t", "status": 400, "report": {"detailed-message": huge}}),
                )
            }
        }),
    );
    let server = rt.block_on(serve(app));
    let project = Project::new("");
    let run = project
        .run(&server.url, "pw", "secret", &["apply"])
        .expect_code(1);
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert!(all.len() < 32 << 10, "{} bytes printed", all.len());
    assert!(all.contains("bytes more)"), "{all}");
}
