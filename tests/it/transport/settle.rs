//! A create whose answer never arrives is not sent again
//! in the same run. Its name is looked up with backoff over the settle
//! window (listings may lag writes); found: recorded; still absent: the
//! action fails "outcome unknown" with its pending record kept, and the
//! next run's listing decides. Against a slow-commit proxy in front of the
//! emulator, and the emulator's own `--commit-delay-ms` / `--list-lag-ms`.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use provision::emulator::EmulatorConfig;

use super::server::{CONNECTIONS, serve};
use crate::support::world::World;

/// Forwards everything to the emulator at `upstream`; a create is
/// forwarded only after `hold`, on a task of its own, so the emulator
/// commits it even though the client stopped waiting long before.
async fn proxy(State((upstream, hold)): State<(String, Duration)>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let url = format!(
        "{upstream}{}",
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let slow = parts.method == Method::POST && parts.uri.path() == CONNECTIONS;
    let forward = tokio::spawn(async move {
        if slow {
            tokio::time::sleep(hold).await;
        }
        let mut out = reqwest::Client::new().request(parts.method.clone(), url);
        for (name, value) in &parts.headers {
            if name != "host" && name != "content-length" {
                out = out.header(name, value);
            }
        }
        let answer = out.body(body).send().await.ok()?;
        let status = answer.status();
        let headers = answer.headers().clone();
        let bytes = answer.bytes().await.ok()?;
        Some((status, headers, bytes))
    });
    match forward.await.ok().flatten() {
        Some((status, headers, bytes)) => {
            let mut response = (status, bytes).into_response();
            if let Some(kind) = headers.get("content-type") {
                response.headers_mut().insert("content-type", kind.clone());
            }
            response
        }
        None => axum::http::StatusCode::BAD_GATEWAY.into_response(),
    }
}

fn posts(world: &World) -> usize {
    world
        .emulator
        .as_ref()
        .map(|e| e.requests())
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method == "POST" && r.path == CONNECTIONS)
        .count()
}

#[test]
fn a_slow_commit_proxy_never_gets_a_second_post() {
    let world = World::new(EmulatorConfig::default());
    world.connections(3);
    world.append_settings("timeouts:\n  request: 400ms\n  settle: 15s\n");
    let app = Router::new()
        .fallback(any(proxy))
        .with_state((world.url(), Duration::from_millis(1500)));
    let server = world.runtime.block_on(serve(app));
    let run = world.cmd_via(&server.url, &["apply"]).run().expect_code(0);
    assert!(
        run.stdout()
            .contains("Apply complete: 3 created, 0 adopted"),
        "{}",
        run.stdout()
    );
    world.assert_remote_exactly(3);
    assert_eq!(posts(&world), 3, "one POST per connection");
    let proxied = server
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.path == CONNECTIONS)
        .count();
    assert_eq!(proxied, 3, "the client sent each create once");
    world
        .run(&["plan", "--refresh", "--detailed-exitcode"])
        .expect_code(0);
}

#[test]
fn a_listing_that_lags_past_the_settle_window_leaves_it_pending_for_the_next_run() {
    let world = World::new(EmulatorConfig {
        commit_delay: Duration::from_millis(800),
        list_lag: Duration::from_secs(3),
        ..EmulatorConfig::default()
    });
    world.connections(2);
    world.append_settings("timeouts:\n  request: 300ms\n  settle: 1s\n");
    let run = world.run(&["apply"]).expect_code(1);
    assert!(
        run.stdout().contains("0 created") && run.stdout().contains("2 failed"),
        "{}",
        run.stdout()
    );
    let failure = run.stdout();
    assert!(
        failure.contains("outcome unknown")
            && failure.contains("it was not sent again, it stays pending in state"),
        "{failure}"
    );
    let state = world.state();
    assert_eq!(
        state["pending"].as_object().map(|p| p.len()),
        Some(2),
        "{state:#}"
    );
    assert_eq!(posts(&world), 2, "no create was sent twice");
    world.wait(Duration::from_secs(3));
    world.assert_remote_exactly(2);
    let run = world.run(&["apply"]).expect_code(0);
    assert!(
        run.stdout().contains("0 created, 2 adopted"),
        "{}",
        run.stdout()
    );
    assert_eq!(posts(&world), 2, "the next run adopted, created nothing");
    let state = world.state();
    assert_eq!(
        state["pending"].as_object().map_or(0, |p| p.len()),
        0,
        "{state:#}"
    );
}

#[test]
fn a_settle_window_longer_than_the_lag_finds_the_create() {
    let world = World::new(EmulatorConfig {
        commit_delay: Duration::from_millis(800),
        list_lag: Duration::from_secs(1),
        ..EmulatorConfig::default()
    });
    world.connections(2);
    world.append_settings("timeouts:\n  request: 300ms\n  settle: 20s\n");
    let run = world.run(&["apply"]).expect_code(0);
    assert!(run.stdout().contains("2 created"), "{}", run.stdout());
    assert_eq!(posts(&world), 2);
    world.assert_remote_exactly(2);
}
