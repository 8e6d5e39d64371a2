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

/// A server that offers no TLS and asks for the password in clear text;
/// returns its port and every password it received.
fn cleartext_server() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let seen = std::sync::Arc::clone(&seen);
            std::thread::spawn(move || -> std::io::Result<()> {
                let read_startup = |stream: &mut std::net::TcpStream| -> std::io::Result<Vec<u8>> {
                    let mut length = [0u8; 4];
                    stream.read_exact(&mut length)?;
                    let mut rest =
                        vec![0u8; (u32::from_be_bytes(length) as usize).saturating_sub(4)];
                    stream.read_exact(&mut rest)?;
                    Ok(rest)
                };
                let mut first = read_startup(&mut stream)?;
                if first.len() == 4 && first[..4] == 80_877_103u32.to_be_bytes() {
                    stream.write_all(b"N")?;
                    first = read_startup(&mut stream)?;
                }
                drop(first);
                // AuthenticationCleartextPassword.
                stream.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3])?;
                let mut tag = [0u8; 1];
                stream.read_exact(&mut tag)?;
                let mut length = [0u8; 4];
                stream.read_exact(&mut length)?;
                let mut body = vec![0u8; (u32::from_be_bytes(length) as usize).saturating_sub(4)];
                stream.read_exact(&mut body)?;
                if tag[0] == b'p' {
                    let password = String::from_utf8_lossy(&body)
                        .trim_end_matches('\0')
                        .to_owned();
                    seen.lock().unwrap().push(password);
                }
                let mut fields =
                    b"SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed\0\0".to_vec();
                let mut answer = vec![b'E'];
                answer.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
                answer.append(&mut fields);
                stream.write_all(&answer)
            });
        }
    });
    (port, received)
}

#[test]
fn a_password_is_never_sent_in_clear_text_when_certificate_validation_was_asked_for() {
    let (port, received) = cleartext_server();
    let project = Project::new(&[super::fixture::connection_string(
        "validated",
        "127.0.0.1",
        port,
        ";EncryptionMethod=6;ValidateServerCertificate=1",
    )]);
    let run = project.check(CANARY, &[]).expect_code(1);
    assert!(
        run.stdout()
            .contains("the password was not sent over an unencrypted connection"),
        "{}",
        run.stdout()
    );
    assert!(received.lock().unwrap().is_empty(), "the password was sent");
}

#[test]
fn check_warns_loudly_when_a_password_crosses_the_network_without_tls() {
    let (port, received) = cleartext_server();
    let project = Project::new(&[basic("plain", "127.0.0.1", port, DATABASE, "Allow")]);
    let run = project.check(CANARY, &[]).expect_code(1);
    let stdout = run.stdout();
    assert!(
        stdout.contains("WARNING: the password was offered without TLS (tls=allow)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("WARNING: 1 connection(s) offered the password without TLS"),
        "{stdout}"
    );
    // Documented semantics are kept: `Allow` does try plain text first.
    assert_eq!(received.lock().unwrap().len(), 1);
    let json = project
        .check(CANARY, &["--format", "json"])
        .expect_code(1)
        .json();
    assert_eq!(json["summary"]["unencrypted"], 1, "{json:#}");
    assert!(json["results"][0]["warning"].is_string(), "{json:#}");
}

#[test]
fn check_says_what_it_cannot_prove() {
    let (port, _) = cleartext_server();
    let project = Project::new(&[basic("any", "127.0.0.1", port, DATABASE, "Disable")]);
    let run = project.check(CANARY, &[]).expect_code(1);
    assert!(
        run.stdout().contains("Note: checked from this machine")
            && run.stdout().contains("ip-address-allow-list"),
        "{}",
        run.stdout()
    );
}
