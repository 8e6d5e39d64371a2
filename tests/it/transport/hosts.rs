//! Credentials go only to Adobe: a `provision.yaml` (which a pull request
//! can edit) that points `ims`, `endpoint` or an org's endpoint elsewhere is
//! refused before any request, unless the process environment allows the
//! host with `PROVISION_ALLOW_HOSTS`.

use std::time::{Duration, Instant};

use axum::routing::any;
use serde_json::json;

use super::server::{Project, answer, runtime, serve, with_ims};

#[test]
fn a_foreign_ims_or_endpoint_in_settings_is_refused_before_any_request() {
    let rt = runtime();
    let server = rt.block_on(serve(
        with_ims().fallback(any(|| async { answer(200, json!({"items": []})) })),
    ));
    for (settings, flag, named) in [
        (
            "ims: https://evil.example\n",
            "--endpoint",
            "ims `https://evil.example`",
        ),
        (
            "endpoint: https://evil.example/\n",
            "--ims",
            "endpoint `https://evil.example/`",
        ),
    ] {
        let project = Project::new(settings);
        let started = Instant::now();
        let run = crate::support::util::provision()
            .current_dir(project.dir.path())
            .args(["plan", flag, &server.url])
            .env("DB_PASSWORD", "pw")
            .env("CLIENT_SECRET", "canary-client-secret")
            .env_remove("PROVISION_ALLOW_HOSTS")
            .run()
            .expect_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains(named) && stderr.contains("is not an Adobe host"),
            "{stderr}"
        );
        assert!(
            stderr.contains("PROVISION_ALLOW_HOSTS=evil.example"),
            "{stderr}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "not retried");
    }
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[test]
fn an_org_endpoint_elsewhere_is_refused_and_the_environment_can_allow_a_host() {
    let project = Project::new("");
    let settings = project.dir.path().join("provision.yaml");
    let text = std::fs::read_to_string(&settings).unwrap().replace(
        "imsOrg: \"HOSTILE@AdobeOrg\" }",
        "imsOrg: \"HOSTILE@AdobeOrg\", endpoint: \"https://platform.evil.example\" }",
    );
    std::fs::write(&settings, text).unwrap();
    let plan = |allow: Option<&str>| {
        let mut run = crate::support::util::provision()
            .current_dir(project.dir.path())
            .args(["plan", "--ims", "http://127.0.0.1:9"])
            .env("DB_PASSWORD", "pw")
            .env("CLIENT_SECRET", "canary-client-secret")
            .env_remove("PROVISION_ALLOW_HOSTS");
        if let Some(allow) = allow {
            run = run.env("PROVISION_ALLOW_HOSTS", allow);
        }
        run.run()
    };
    let refused = plan(None);
    assert!(
        refused
            .stderr()
            .contains("endpoint of org `HOSTILE@AdobeOrg` `https://platform.evil.example`"),
        "{}",
        refused.stderr()
    );
    // Allowed: the client is built, and the run fails later, reaching IMS.
    let allowed = plan(Some("*.evil.example"));
    assert!(
        !allowed.stderr().contains("is not an Adobe host"),
        "{}",
        allowed.stderr()
    );
}
