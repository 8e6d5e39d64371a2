//! Small misbehaving servers on 127.0.0.1:0 for the transport tests: each
//! test builds an axum router for one behaviour (redirecting, echoing,
//! silent, looping, huge, slow-commit proxy); this wraps it with a log of
//! every request it received and offers an IMS stand-in.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use tokio::sync::oneshot;

/// One request a server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
}

pub type Log = Arc<Mutex<Vec<Seen>>>;

/// A running server; stops when dropped.
pub struct Server {
    pub url: String,
    pub port: u16,
    pub log: Log,
    _stop: oneshot::Sender<()>,
}

impl Server {
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    /// Requests other than the IMS token request.
    pub fn flow_requests(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.path != "/ims/token/v3")
            .collect()
    }
}

/// Serves `app` on 127.0.0.1:0 (inside the current tokio runtime).
pub async fn serve(app: Router) -> Server {
    let log: Log = Arc::default();
    let recorded = Arc::clone(&log);
    let app = app.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let log = Arc::clone(&recorded);
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 64 << 20)
                    .await
                    .unwrap_or_default();
                log.lock().unwrap().push(Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_owned(),
                });
                next.run(Request::from_parts(parts, Body::from(body))).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Server {
        url: format!("http://127.0.0.1:{port}"),
        port,
        log,
        _stop: stop,
    }
}

/// A router whose IMS endpoint hands out a token, for servers that
/// misbehave on the Flow Service side only.
pub fn with_ims() -> Router {
    Router::new().route("/ims/token/v3", post(token))
}

async fn token() -> Response {
    axum::Json(
        json!({"access_token": "hostile-token", "token_type": "bearer", "expires_in": 86399}),
    )
    .into_response()
}

/// A JSON answer with a status.
pub fn answer(status: u16, body: serde_json::Value) -> Response {
    let status = axum::http::StatusCode::from_u16(status).unwrap();
    (status, axum::Json(body)).into_response()
}

pub const CONNECTIONS: &str = "/data/foundation/flowservice/connections";

/// A multi-thread runtime for tests that also run `provision` as a process.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A throwaway project whose one Azure connection has `password` as its
/// password, pointed at `url` for both hosts, with `extra` settings.
pub struct Project {
    pub dir: tempfile::TempDir,
}

pub const PROJECT_ORG: &str = "HOSTILE@AdobeOrg";

impl Project {
    pub fn new(extra: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("provision.yaml"),
            format!(
                "orgs:\n  azure: {{ imsOrg: \"{PROJECT_ORG}\" }}\ncredentials:\n  clientId: provision-local\n  clientSecret: ${{CLIENT_SECRET}}\n{extra}"
            ),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("connections")).unwrap();
        std::fs::write(
            dir.path().join("connections/orders.yaml"),
            "name: orders-db\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: orders.example.com\n  port: 5432\n  database: orders\n  username: aep\n  password: ${DB_PASSWORD}\n  sslMode: Verify Full\n",
        )
        .unwrap();
        Project { dir }
    }

    /// `provision <args> --endpoint url --ims url` in the project.
    pub fn run(
        &self,
        url: &str,
        password: &str,
        client_secret: &str,
        args: &[&str],
    ) -> crate::support::util::Finished {
        crate::support::util::provision()
            .current_dir(self.dir.path())
            .args(args)
            .args(["--endpoint", url, "--ims", url])
            .env("DB_PASSWORD", password)
            .env("CLIENT_SECRET", client_secret)
            .run()
    }

    pub fn state(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.dir.path().join(".provision/state.json"))
            .unwrap_or_else(|_| "{}".into());
        serde_json::from_str(&text).unwrap()
    }
}
