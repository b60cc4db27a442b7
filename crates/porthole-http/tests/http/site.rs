//! Probes, pages, headers and the last-resort panic answer.

use poem::http::StatusCode;
use porthole_app::ports::RepoError;
use serde_json::json;

use crate::support::{Mocks, assert_error, json};

#[tokio::test]
async fn healthz_is_ok_without_touching_storage() {
    let client = Mocks::new().serve();
    let (status, body) = json(client.0.get("/healthz").send().await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn readyz_follows_storage() {
    let mut mocks = Mocks::new();
    mocks.health.expect_ping().times(1).returning(|| Ok(()));
    let (status, _) = json(mocks.serve().0.get("/readyz").send().await).await;
    assert_eq!(status, StatusCode::OK);

    let mut mocks = Mocks::new();
    mocks.health.expect_ping().returning(|| Err(RepoError::Unavailable("refused".to_owned())));
    assert_error(mocks.serve().0.get("/readyz").send().await, 503, "unavailable", None).await;
}

#[tokio::test]
async fn the_root_leads_to_the_portal() {
    let client = Mocks::new().serve();
    let response = client.0.get("/").send().await;
    response.assert_status(StatusCode::SEE_OTHER);
    response.assert_header("location", "/portal/login");
}

#[tokio::test]
async fn pages_carry_the_strict_policy_and_every_response_the_security_headers() {
    let client = Mocks::new().serve();
    let page = client.0.get("/portal/login").send().await;
    page.assert_status_is_ok();
    page.assert_header("content-security-policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    for response in [page, client.0.get("/healthz").send().await, client.0.get("/api/v1/nothing").send().await] {
        response.assert_header("x-content-type-options", "nosniff");
        response.assert_header("x-frame-options", "DENY");
        response.assert_header("referrer-policy", "no-referrer");
    }
}

#[tokio::test]
async fn unknown_pages_are_a_404_page() {
    let client = Mocks::new().serve();
    let response = client.0.get("/no/such/page").send().await;
    response.assert_status(StatusCode::NOT_FOUND);
    response.assert_content_type("text/html; charset=utf-8");
}

#[tokio::test]
async fn swagger_ui_admits_only_its_own_scripts() {
    let client = Mocks::new().serve();
    let response = client.0.get("/api/docs").send().await;
    response.assert_status_is_ok();
    let policy = response
        .0
        .headers()
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(policy.contains("script-src 'sha256-"), "{policy}");
    assert!(!policy.contains("script-src 'unsafe-inline'"), "{policy}");
}

#[tokio::test]
async fn a_panic_becomes_a_json_500() {
    // No expectation on the health check: the mock panics when called.
    let client = Mocks::new().serve();
    let response = client.0.get("/readyz").send().await;
    assert_error(response, 500, "internal_error", None).await;
}
