//! The canary secret goes into every kind of body and credential; it must
//! not come out in TRACE logs, error messages (Display or Debug) or any
//! emulator answer. The capturing subscriber must be the process's global
//! one (tracing caches per-callsite interest, and a scoped subscriber loses
//! events to other tests racing it for that cache), so the test runs itself
//! again in a child process of this binary, alone.

use std::io::Write;
use std::sync::{Arc, Mutex};

use provision::api::wire::{AuthParams, CreateAuth, CreateConnectionRequest, SpecRef};
use provision::api::{ApiError, FlowService, FlowServiceClient, ListQuery};
use provision::emulator::EmulatorConfig;
use provision::secret::Secret;
use reqwest::Method;

use crate::support::api::{self as support, CANARY, basic, scope};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn connection_string(name: &str) -> CreateConnectionRequest {
    CreateConnectionRequest {
        name: name.into(),
        description: None,
        auth: CreateAuth {
            spec_name: "Connection String Based Authentication".into(),
            params: AuthParams::ConnectionString {
                connection_string: Secret::new(format!(
                    "Server=h;Database=d;Port=5432;UID=u;Password={CANARY}"
                )),
            },
        },
        connection_spec: SpecRef::postgres(),
    }
}

const CHILD: &str = "PROVISION_CANARY_CHILD";

#[test]
fn canary_never_leaks() {
    let run = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "secrets::client::canary_never_leaks_alone",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success() && out.contains("1 passed"),
        "{out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// The body of [`canary_never_leaks`], run by it in a child process.
#[tokio::test]
#[ignore = "run by canary_never_leaks in its own process"]
async fn canary_never_leaks_alone() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let config = EmulatorConfig {
        fail_rate: 0.2,
        drop_after_commit_rate: 0.2,
        seed: 3,
        ..support::config()
    };
    let emulator = support::start(config).await;
    let client = support::client(&emulator);
    let dev = scope("dev");
    let mut errors: Vec<ApiError> = Vec::new();
    let mut answers = Vec::new();
    for i in 0..10 {
        for body in [basic(&format!("b{i}")), connection_string(&format!("s{i}"))] {
            assert!(!format!("{body:?}").contains(CANARY));
            match client.create(&dev, &body).await {
                Ok(created) => match client.get(&dev, &created.id).await {
                    Ok(item) => answers.push(serde_json::to_string(&item).unwrap()),
                    Err(e) => errors.push(e),
                },
                Err(e) => errors.push(e),
            }
        }
    }
    match client.list(&dev, &ListQuery::new()).await {
        Ok(items) => answers.push(serde_json::to_string(&items).unwrap()),
        Err(e) => errors.push(e),
    }
    // An invalid body with the canary in it: the 400 names the field, not the value.
    let mut bad = basic("bad");
    if let AuthParams::Basic { ssl_mode, .. } = &mut bad.auth.params {
        *ssl_mode = Some(CANARY.into());
    }
    let mut clean = support::client_config(&emulator.url());
    clean.retry.max_attempts = 20;
    let patient = FlowServiceClient::new(clean).unwrap();
    let err = loop {
        match patient.create(&dev, &bad).await {
            Err(ApiError::CreateOutcomeUnknown { .. }) => continue,
            other => break other.unwrap_err(),
        }
    };
    assert_eq!(err.status(), Some(400), "{err}");
    assert!(err.to_string().contains("`auth.params.sslMode`"), "{err}");
    errors.push(err);
    // A wrong client secret that is the canary too.
    let mut wrong = support::client_config(&emulator.url());
    wrong.credentials = provision::api::Credentials::ClientCredentials {
        client_id: "someone".into(),
        client_secret: Secret::new(CANARY),
    };
    let wrong = FlowServiceClient::new(wrong).unwrap();
    assert!(!format!("{wrong:?}").contains(CANARY));
    errors.push(wrong.get(&dev, "x").await.unwrap_err());
    // Raw answers of every kind, read as text.
    let token = support::token(&emulator.url()).await;
    let hs = support::headers(&token, "dev");
    for _ in 0..20 {
        let answer = support::raw(Method::GET, &emulator.url(), "", &hs)
            .send()
            .await
            .unwrap();
        let ok = answer.status() == 200;
        let text = answer.text().await.unwrap();
        assert!(!text.contains(CANARY), "{text}");
        if ok {
            answers.push(text);
            break;
        }
    }

    assert!(!errors.is_empty() && !answers.is_empty());
    for err in &errors {
        assert!(!err.to_string().contains(CANARY), "{err}");
        assert!(!format!("{err:?}").contains(CANARY), "{err:?}");
    }
    for answer in &answers {
        assert!(!answer.contains(CANARY), "{answer}");
        assert!(answer.contains("********"), "{answer}");
    }
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("flow service request"),
        "logs were captured: {} bytes: {}",
        logs.len(),
        &logs[..logs.len().min(3000)]
    );
    assert!(!logs.contains(CANARY), "canary in logs");
}
