//! `provision emulator` as a process: the base URL alone on the first stdout
//! line, a working IMS endpoint behind it, a clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn emulator_command_prints_its_url_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_provision"))
        .args([
            "emulator",
            "--port",
            "0",
            "--org",
            "ORG@AdobeOrg=aws",
            "--seed",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.trim_end().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.len() > "http://127.0.0.1:".len(),
        "{first:?}"
    );
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "provision-local"),
        ("client_secret", "provision-local-secret"),
    ];
    let answer = reqwest::Client::new()
        .post(format!("{url}/ims/token/v3"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "emulator did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
}
