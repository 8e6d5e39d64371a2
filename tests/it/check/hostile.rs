//! `check` against a server that is not PostgreSQL's friend: its error
//! text is shown on one line and capped, so it can neither inject CI
//! workflow commands nor flood the log.

use std::io::{Read, Write};
use std::net::TcpListener;

use super::fixture::{CANARY, DATABASE, Project, basic};

/// Answers every startup message with a FATAL `ErrorResponse` carrying
/// `message`; returns its port.
fn error_server(message: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut length = [0u8; 4];
            if stream.read_exact(&mut length).is_err() {
                continue;
            }
            let mut rest = vec![0u8; (u32::from_be_bytes(length) as usize).saturating_sub(4)];
            let _ = stream.read_exact(&mut rest);
            let mut fields = Vec::new();
            for (tag, value) in [(b'S', "FATAL"), (b'V', "FATAL"), (b'C', "08P01")] {
                fields.push(tag);
                fields.extend_from_slice(value.as_bytes());
                fields.push(0);
            }
            fields.push(b'M');
            fields.extend_from_slice(message.as_bytes());
            fields.extend_from_slice(&[0, 0]);
            let mut answer = vec![b'E'];
            answer.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
            answer.extend_from_slice(&fields);
            let _ = stream.write_all(&answer);
        }
    });
    port
}

#[test]
fn a_server_message_cannot_start_a_workflow_command_line() {
    let port = error_server(
        "denied\n::error file=connections/c0.yaml,line=1::pwned\n::add-mask::x\r\u{1b}[2J".into(),
    );
    let project = Project::new(&[basic("evil", "127.0.0.1", port, DATABASE, "Disable")]);
    for format in ["text", "github", "json"] {
        let run = project.check(CANARY, &["--format", format]).expect_code(1);
        let all = format!("{}{}", run.stdout(), run.stderr());
        for line in all.lines() {
            assert!(
                !line
                    .trim_start()
                    .starts_with("::error file=connections/c0.yaml,line=1::pwned")
                    && !line.trim_start().starts_with("::add-mask::")
                    && !line.contains('\u{1b}'),
                "a server line reached the output as its own line ({format}):\n{all}"
            );
        }
        assert!(all.contains("denied"), "{all}");
    }
}

#[test]
fn a_huge_server_message_is_capped() {
    let port = error_server("x".repeat(20 << 20));
    let project = Project::new(&[basic("huge", "127.0.0.1", port, DATABASE, "Disable")]);
    let run = project.check(CANARY, &[]).expect_code(1);
    assert!(
        run.stdout().len() < 64 << 10,
        "{} bytes printed",
        run.stdout().len()
    );
    assert!(run.stdout().contains("bytes more)"), "{}", run.stdout());
}
