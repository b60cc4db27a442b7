//! Probes, pages, headers and the last-resort panic answer.

use std::io::Cursor;

use poem::Body;
use poem::http::{Method, StatusCode};
use porthole_app::ports::RepoError;
use serde_json::json;

use crate::support::{Mocks, assert_error, body as body_text, json};

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

// ---- Refused before routing ------------------------------------------------------------

#[tokio::test]
async fn a_control_character_in_an_api_address_is_a_json_400() {
    // No storage expectation: nothing may reach it.
    let client = Mocks::new().serve();
    for address in [
        "/api/portal/v1/shipments/%00",
        "/api/portal/v1/shipments?q=%00",
        "/api/portal/v1/shipments?q=MSKU%0A1234",
        "/api/v1/shipments/shp%1F1",
    ] {
        let response = client.0.get(address).header("cookie", "porthole_session=ps_any").send().await;
        let body = assert_error(response, 400, "bad_request", None).await;
        assert_eq!(body["message"], "the address contains a control character", "{address}");
    }
}

#[tokio::test]
async fn a_control_character_in_a_page_address_is_a_400_page() {
    let client = Mocks::new().serve();
    for address in ["/portal/shipments/%00", "/portal/shipments?q=%00", "/portal/login?next=%7F"] {
        let response = client.0.get(address).send().await;
        response.assert_status(StatusCode::BAD_REQUEST);
        response.assert_content_type("text/html; charset=utf-8");
    }
}

#[tokio::test]
async fn percent_signs_that_are_not_control_characters_pass() {
    let client = Mocks::new().serve();
    // `%2500` is the text "%00", and a `%` without hex digits is itself.
    for address in ["/portal/login?next=%2500", "/portal/login?next=100%"] {
        client.0.get(address).send().await.assert_status_is_ok();
    }
}

/// A JSON body of about `bytes` bytes.
fn json_of_size(bytes: usize) -> String {
    format!(r#"{{"login": "saigontech.ops", "password": "{}"}}"#, "x".repeat(bytes))
}

#[tokio::test]
async fn an_oversized_portal_body_is_a_json_413_with_or_without_its_length() {
    let client = Mocks::new().serve();
    let body = json_of_size(70 * 1024);
    let declared = client
        .0
        .post("/api/portal/v1/session")
        .content_type("application/json")
        .header("content-length", body.len())
        .body(body.clone())
        .send()
        .await;
    let chunked = client
        .0
        .post("/api/portal/v1/session")
        .content_type("application/json")
        .body(Body::from_async_read(Cursor::new(body.into_bytes())))
        .send()
        .await;
    // Refused by its header alone: nothing follows it.
    let promised = client
        .0
        .post("/api/portal/v1/session")
        .content_type("application/json")
        .header("content-length", 64 * 1024 * 1024)
        .send()
        .await;
    for response in [declared, chunked, promised] {
        let body = assert_error(response, 413, "payload_too_large", None).await;
        assert_eq!(body["message"], "the request body is larger than the 64 KiB this address accepts");
    }
}

#[tokio::test]
async fn an_oversized_form_is_a_413_page_with_or_without_its_length() {
    let client = Mocks::new().serve();
    let form = format!("csrf_token=x&login=a&password={}", "x".repeat(70 * 1024));
    let declared = client
        .0
        .post("/portal/login")
        .content_type("application/x-www-form-urlencoded")
        .header("content-length", form.len())
        .body(form.clone())
        .send()
        .await;
    let chunked = client
        .0
        .post("/portal/login")
        .content_type("application/x-www-form-urlencoded")
        .body(Body::from_async_read(Cursor::new(form.into_bytes())))
        .send()
        .await;
    for response in [declared, chunked] {
        response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
        response.assert_content_type("text/html; charset=utf-8");
        assert!(body_text(response).await.contains("More was sent than this page accepts."));
    }
}

#[tokio::test]
async fn a_body_within_the_bound_is_read_whole() {
    // Just under the bound, sent without its length: it parses, and the
    // sign-in finds the password wrong rather than the body cut.
    let client = Mocks::new().serve();
    let body = json_of_size(60 * 1024);
    let response = client
        .0
        .post("/api/portal/v1/session")
        .content_type("application/json")
        .body(Body::from_async_read(Cursor::new(body.into_bytes())))
        .send()
        .await;
    assert_error(response, 401, "invalid_credentials", None).await;
}

#[tokio::test]
async fn the_staff_api_keeps_its_larger_bound() {
    let client = Mocks::new().serve();
    let body = format!(r#"{{"events": [], "padding": "{}"}}"#, "x".repeat(1024 * 1024));
    for declared in [true, false] {
        let request = client.staff(Method::POST, "/api/v1/shipments/shp_1/events").content_type("application/json");
        let request = if declared { request.header("content-length", body.len()) } else { request };
        let response = request.body(Body::from_async_read(Cursor::new(body.clone().into_bytes()))).send().await;
        // Read whole: refused for what it says, not for its size.
        assert_error(response, 400, "bad_request", Some("padding")).await;
    }
}
