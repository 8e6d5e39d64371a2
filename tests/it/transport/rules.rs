//! The transport rules (docs/contract) against real misbehaving servers on
//! 127.0.0.1: redirects never followed (Flow Service and IMS), next links
//! only on the endpoint's origin, page loops detected, bodies capped, plain
//! http to non-loopback and other schemes refused before any request,
//! server numbers of any size survived, silent servers timed out truthfully.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use provision::api::{
    ApiError, ClientConfig, Credentials, FlowService, FlowServiceClient, ListQuery, RetryPolicy,
    Scope, Timeouts,
};
use provision::secret::Secret;
use serde_json::json;

use super::server::{CONNECTIONS, Project, answer, runtime, serve, with_ims};

const SECRET: &str = "canary-client-Secret-77q";

fn client(url: &str, timeouts: Timeouts) -> FlowServiceClient {
    let credentials = Credentials::ClientCredentials {
        client_id: "provision-local".into(),
        client_secret: Secret::new(SECRET),
    };
    let mut config = ClientConfig::new(credentials).with_base_url(url);
    config.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_total_delay: Duration::from_secs(5),
    };
    config.timeouts = timeouts;
    FlowServiceClient::new(config).unwrap()
}

fn quick() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_secs(5),
        call: Duration::from_secs(10),
    }
}

fn dev() -> Scope {
    Scope::new("HOSTILE@AdobeOrg", "dev")
}

/// A server that must receive nothing: it counts what it gets.
async fn collector() -> super::server::Server {
    serve(Router::new().fallback(any(|| async { answer(200, json!({"items": []})) }))).await
}

#[tokio::test]
async fn flow_service_redirects_are_not_followed() {
    let target = collector().await;
    let to = format!("{}/collect", target.url);
    let redirect = move |status: u16| {
        let to = to.clone();
        move || async move {
            Response::builder()
                .status(status)
                .header(header::LOCATION, to)
                .body(Body::empty())
                .unwrap()
        }
    };
    let app = with_ims()
        .route(CONNECTIONS, post(redirect(307)).get(redirect(302)))
        .route(&format!("{CONNECTIONS}/{{id}}"), any(redirect(308)));
    let server = serve(app).await;
    let client = client(&server.url, quick());
    let err = client
        .create(&dev(), &crate::support::api::basic("orders"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Redirected { status: 307, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("redirects are never followed"),
        "{err}"
    );
    let err = client.list(&dev(), &ListQuery::new()).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Redirected { status: 302, .. }),
        "{err:?}"
    );
    let err = client.get(&dev(), "some-id").await.unwrap_err();
    assert!(
        matches!(err, ApiError::Redirected { status: 308, .. }),
        "{err:?}"
    );
    assert!(
        target.seen().is_empty(),
        "the redirect target was called: {:?}",
        target.seen()
    );
    assert_eq!(
        server.flow_requests().len(),
        3,
        "each call was sent once, not retried"
    );
}

#[tokio::test]
async fn ims_redirects_are_not_followed_and_the_secret_stays_home() {
    let target = collector().await;
    let to = format!("{}/ims/token/v3", target.url);
    let app = Router::new().route(
        "/ims/token/v3",
        post(move || {
            let to = to.clone();
            async move {
                Response::builder()
                    .status(307)
                    .header(header::LOCATION, to)
                    .body(Body::empty())
                    .unwrap()
            }
        }),
    );
    let server = serve(app).await;
    let err = client(&server.url, quick())
        .list(&dev(), &ListQuery::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Redirected { status: 307, .. }),
        "{err:?}"
    );
    assert!(
        target.seen().is_empty(),
        "the client secret went to the redirect target"
    );
    assert!(!err.to_string().contains(SECRET));
}

/// A page whose next link is `href`.
fn page(href: &str) -> Response {
    answer(
        200,
        json!({"items": [], "_links": {"next": {"href": href}}}),
    )
}

#[tokio::test]
async fn next_links_to_another_origin_receive_nothing() {
    let other = collector().await;
    for href in [
        format!("{}{CONNECTIONS}?continuationToken=t2", other.url),
        format!(
            "//127.0.0.1:{}{CONNECTIONS}?continuationToken=t2",
            other.port
        ),
    ] {
        let next = href.clone();
        let app = with_ims().route(
            CONNECTIONS,
            get(move || {
                let next = next.clone();
                async move { page(&next) }
            }),
        );
        let server = serve(app).await;
        let err = client(&server.url, quick())
            .list(&dev(), &ListQuery::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::ForeignLink { .. }),
            "{href}: {err:?}"
        );
        assert!(
            err.to_string().contains("not on the endpoint's origin"),
            "{err}"
        );
    }
    assert!(
        other.seen().is_empty(),
        "another origin received the token: {:?}",
        other.seen()
    );
}

#[tokio::test]
async fn a_page_loop_is_an_error_not_a_hang() {
    // Page 1 -> token a -> token b -> token a again.
    let app = with_ims().route(
        CONNECTIONS,
        get(
            |axum::extract::RawQuery(q): axum::extract::RawQuery| async move {
                let q = q.unwrap_or_default();
                if q.contains("continuationToken=a") {
                    page("/connections?continuationToken=b")
                } else {
                    page("/connections?continuationToken=a")
                }
            },
        ),
    );
    let server = serve(app).await;
    let started = Instant::now();
    let err = client(&server.url, quick())
        .list(&dev(), &ListQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::PageLoop { .. }), "{err:?}");
    assert!(err.to_string().contains("repeats an earlier page"), "{err}");
    assert_eq!(server.flow_requests().len(), 3);
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// An answer of `size` bytes of spaces, made lazily as it is read; `sent`
/// counts what went out.
fn huge(size: usize, sent: Arc<AtomicUsize>, announce: bool) -> Response {
    let mut response = Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/json");
    if announce {
        response = response.header(header::CONTENT_LENGTH, size.to_string());
    }
    response
        .body(Body::new(Blocks { left: size, sent }))
        .unwrap()
}

struct Blocks {
    left: usize,
    sent: Arc<AtomicUsize>,
}

impl http_body::Body for Blocks {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let size = self.left.min(64 * 1024);
        if size == 0 {
            return std::task::Poll::Ready(None);
        }
        self.left -= size;
        self.sent.fetch_add(size, Ordering::Relaxed);
        let block = axum::body::Bytes::from(vec![b' '; size]);
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(block))))
    }
}

#[tokio::test]
async fn huge_answers_are_capped_not_buffered() {
    for announce in [false, true] {
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&sent);
        let app = with_ims().route(
            CONNECTIONS,
            get(move || {
                let counter = Arc::clone(&counter);
                async move { huge(300 << 20, counter, announce) }
            }),
        );
        let server = serve(app).await;
        let started = Instant::now();
        let err = client(&server.url, quick())
            .list(&dev(), &ListQuery::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::TooLarge { limit, .. } if limit == 16 << 20),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("larger than 16777216 bytes"),
            "{err}"
        );
        assert_eq!(
            server.flow_requests().len(),
            1,
            "a too-large answer is not retried"
        );
        // The server may run ahead of the client by socket buffers, not by 300 MB.
        let out = sent.load(Ordering::Relaxed);
        assert!(
            out < 64 << 20,
            "announce={announce}: {out} bytes were produced"
        );
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}

#[tokio::test]
async fn server_numbers_of_any_size_are_survived() {
    // IMS says the token lives u64::MAX seconds; the gateway asks to retry
    // after u64::MAX seconds. Neither may panic or hang.
    let app = Router::new()
        .route(
            "/ims/token/v3",
            post(|| async {
                axum::http::Response::builder()
                    .status(200)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(r#"{"access_token":"t","token_type":"bearer","expires_in":18446744073709551615}"#))
                    .unwrap()
            }),
        )
        .route(
            CONNECTIONS,
            get(|| async {
                let mut answer = answer(429, json!({"error_code": "429050", "message": "Too many requests"}));
                answer.headers_mut().insert("retry-after", "18446744073709551615".parse().unwrap());
                answer
            }),
        );
    let server = serve(app).await;
    let started = Instant::now();
    let err = client(&server.url, quick())
        .list(&dev(), &ListQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::RetryAfterTooLong { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("asked to retry after 18446744073709551615 s"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_silent_server_times_out_and_the_message_says_which_timeout() {
    let app = with_ims().route(
        CONNECTIONS,
        get(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            answer(200, json!({"items": []}))
        }),
    );
    let server = serve(app).await;
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_millis(300),
        call: Duration::from_secs(2),
    };
    let started = Instant::now();
    let err = client(&server.url, timeouts)
        .list(&dev(), &ListQuery::new())
        .await
        .unwrap_err();
    let took = started.elapsed();
    let shown = err.to_string();
    assert!(matches!(err, ApiError::RetriesExhausted { .. }), "{err:?}");
    assert!(
        shown.contains("no complete answer within 300 ms (request timeout)"),
        "{shown}"
    );
    assert!(shown.starts_with("gave up after 3 attempts in "), "{shown}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // The message's elapsed time is the real one, requests included.
    assert!(took >= Duration::from_millis(900), "{took:?}");
}

#[test]
fn plain_http_to_other_hosts_and_other_schemes_are_refused_before_any_request() {
    let rt = runtime();
    let server = rt.block_on(serve(
        with_ims().fallback(any(|| async { answer(200, json!({"items": []})) })),
    ));
    let project = Project::new("");
    // 0.0.0.0 is not a loopback address, but a connection to it reaches
    // this machine: had the rule failed, the server would have seen it.
    let unspecified = format!("http://0.0.0.0:{}", server.port);
    let cases = [
        (
            unspecified.clone(),
            server.url.clone(),
            "uses plain http to a host that is not loopback",
        ),
        (
            server.url.clone(),
            unspecified.clone(),
            "uses plain http to a host that is not loopback",
        ),
        (
            "file:///etc/passwd".to_owned(),
            server.url.clone(),
            "has the scheme `file`",
        ),
        (
            "ftp://127.0.0.1/x".to_owned(),
            server.url.clone(),
            "has the scheme `ftp`",
        ),
    ];
    for (endpoint, ims, message) in cases {
        let started = Instant::now();
        let run = crate::support::util::provision()
            .current_dir(project.dir.path())
            .args(["plan", "--endpoint", &endpoint, "--ims", &ims])
            .env("DB_PASSWORD", "pw")
            .env("CLIENT_SECRET", SECRET)
            .run()
            .expect_code(1);
        assert!(
            run.stderr().contains(message),
            "{endpoint} {ims}: {}",
            run.stderr()
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "refused at once, not retried"
        );
    }
    assert!(
        server.seen().is_empty(),
        "a refused url was called: {:?}",
        server.seen()
    );
}

#[test]
fn echoed_secrets_are_redacted_in_output_and_logs() {
    const PASSWORD: &str = "canary-Db-Pw-echo-31";
    let rt = runtime();
    // Flow Service echoes the create body in a 400 (three error shapes);
    // IMS is fine. A second server's IMS echoes the form with the secret.
    let app = with_ims()
        .route(
            CONNECTIONS,
            get(|| async { answer(200, json!({"items": []})) }).post(|body: String| async move {
                answer(400, json!({"type": "https://ns.adobe.com/aep/errors/FLOW-1400-400", "title": body.clone(), "status": 400, "report": {"detailed-message": format!("bad body: {body}")}}))
            }),
        );
    let server = rt.block_on(serve(app));
    let project = Project::new("");
    let run = project
        .run(&server.url, PASSWORD, SECRET, &["apply", "-vv"])
        .expect_code(1);
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        !all.contains(PASSWORD),
        "the echoed password was printed:
{all}"
    );
    assert!(
        all.contains("bad body: {") && all.contains("********"),
        "{all}"
    );

    let ims_echo = Router::new().route(
        "/ims/token/v3",
        post(|body: String| async move {
            (
                axum::http::StatusCode::UNAUTHORIZED,
                format!("denied for {body}"),
            )
                .into_response()
        }),
    );
    let ims = rt.block_on(serve(ims_echo));
    let run = project
        .run(&ims.url, PASSWORD, SECRET, &["plan", "-vv"])
        .expect_code(1);
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        !all.contains(SECRET),
        "the echoed client secret was printed:
{all}"
    );
    assert!(
        all.contains("denied for grant_type=client_credentials"),
        "{all}"
    );
}

#[test]
fn a_create_answered_without_a_usable_id_is_an_unknown_outcome() {
    let rt = runtime();
    let app = with_ims().route(
        CONNECTIONS,
        get(|| async { answer(200, json!({"items": []})) })
            .post(|| async { answer(201, json!({"id": "", "etag": "\"e\""})) }),
    );
    let server = rt.block_on(serve(app));
    let project = Project::new("timeouts:\n  settle: 500ms\n");
    let run = project
        .run(&server.url, "pw", SECRET, &["apply"])
        .expect_code(1);
    assert!(run.stdout().contains("outcome unknown"), "{}", run.stdout());
    assert!(
        run.stdout().contains("without a usable connection id"),
        "{}",
        run.stdout()
    );
    let state = project.state();
    assert_eq!(
        state["connections"],
        json!({}),
        "nothing recorded with an empty id"
    );
    assert!(
        state["pending"]["azure/prod/orders-db"].is_object(),
        "{state:#}"
    );
    let posts = server
        .flow_requests()
        .iter()
        .filter(|s| s.method == "POST")
        .count();
    assert_eq!(posts, 1, "the create was sent once");
}

#[test]
fn a_silent_create_stops_at_the_action_deadline_and_stays_pending() {
    let rt = runtime();
    let app = with_ims().route(
        CONNECTIONS,
        get(|| async { answer(200, json!({"items": []})) }).post(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            answer(201, json!({"id": "late", "etag": "\"e\""}))
        }),
    );
    let server = rt.block_on(serve(app));
    let project = Project::new("timeouts:\n  action: 1s\n");
    let started = Instant::now();
    let run = project
        .run(&server.url, "pw", SECRET, &["apply"])
        .expect_code(1);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let err = run.stdout();
    assert!(
        err.contains("did not finish within 1.0 s (`timeouts.action`)"),
        "{err}"
    );
    assert!(
        err.contains("the create's outcome is unknown: it stays pending"),
        "{err}"
    );
    assert!(project.state()["pending"]["azure/prod/orders-db"].is_object());
}
