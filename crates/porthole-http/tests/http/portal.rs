//! The portal API through HTTP: the session cookie, identical refusals,
//! rate limits, and what a signed-in user may read.

use poem::http::{Method, StatusCode};
use poem::test::TestResponse;
use porthole_app::passwords::Passwords;
use porthole_app::ports::ShipmentSearch;
use porthole_app::secret::SecretDigest;
use porthole_app::{AppSettings, SignInLimits};
use porthole_domain::{OrganizationId, TrackingRole, TrackingUser, TrackingUserId};
use serde_json::{Value, json};

use crate::fixtures::{demo_record, demo_summary, organization, session_holder, tracking_user};
use crate::support::{Mocks, assert_error, json};

const PASSWORD: &str = "correct horse battery";
/// The session a signed-in browser holds in its cookie.
const SESSION: &str = "ps_live_session";

fn lan() -> TrackingUser {
    tracking_user("tu_1", TrackingRole::Customer, "org_cust")
}

fn set_cookie(response: &TestResponse) -> String {
    response.0.headers().get("set-cookie").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned()
}

/// Mocks in which `saigontech.ops` has `PASSWORD`.
async fn with_lan() -> Mocks {
    let hash = Passwords::default().hash(PASSWORD.to_owned()).await.expect("hashing works");
    let mut mocks = Mocks::new();
    mocks
        .tracking_users
        .expect_tracking_user_by_login()
        .returning(|login| Ok((login.as_str() == "saigontech.ops").then(lan)));
    mocks.credentials.expect_password_hash().returning(move |_| Ok(Some(hash.clone())));
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![organization("org_cust")]));
    mocks
}

/// Mocks in which the browser's cookie `SESSION` is Lan's live session.
fn signed_in_as_lan() -> Mocks {
    let mut mocks = Mocks::new();
    mocks
        .credentials
        .expect_session_holder()
        .returning(|digest, _| Ok((*digest == SecretDigest::of(SESSION)).then(|| session_holder(digest, lan()))));
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(Some(lan())));
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![organization("org_cust")]));
    mocks
}

fn sign_in_body(login: &str, password: &str) -> Value {
    json!({"login": login, "password": password})
}

// ---- Signing in and out ---------------------------------------------------------

#[tokio::test]
async fn signing_in_sets_an_http_only_session_cookie_and_ends_the_old_session() {
    let mut mocks = with_lan().await;
    mocks
        .credentials
        .expect_delete_session()
        .withf(|digest| *digest == SecretDigest::of("ps_planted"))
        .times(1)
        .returning(|_| Ok(()));
    mocks
        .credentials
        .expect_insert_session()
        .withf(|session| session.tracking_user_id == TrackingUserId::new("tu_1"))
        .times(1)
        .returning(|_| Ok(()));
    let client = mocks.serve();
    let response = client
        .0
        .post("/api/portal/v1/session")
        .header("Cookie", "porthole_session=ps_planted")
        .body_json(&sign_in_body("SaigonTech.Ops", PASSWORD))
        .send()
        .await;
    let cookie = set_cookie(&response);
    response.assert_header("cache-control", "no-store");
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "user_id": "saigontech.ops",
            "first_name": "Lan",
            "last_name": null,
            "role": "customer",
            "session_expires_at": "2025-05-12T15:00:00+00:00"
        })
    );
    assert!(cookie.starts_with("porthole_session=ps_"), "{cookie}");
    assert!(!cookie.contains("ps_planted"), "the session id is rotated: {cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_login_get_the_same_401() {
    let client = with_lan().await.serve();
    let wrong_password = client
        .0
        .post("/api/portal/v1/session")
        .body_json(&sign_in_body("saigontech.ops", "not it at all"))
        .send()
        .await;
    assert_eq!(set_cookie(&wrong_password), "", "no cookie for a refusal");
    let wrong_password = assert_error(wrong_password, 401, "invalid_credentials", None).await;
    let unknown =
        client.0.post("/api/portal/v1/session").body_json(&sign_in_body("nobody.here", "not it at all")).send().await;
    let unknown = assert_error(unknown, 401, "invalid_credentials", None).await;
    assert_eq!(wrong_password, unknown);
}

#[tokio::test]
async fn too_many_attempts_are_a_429_with_retry_after() {
    let limits = SignInLimits { per_account_burst: 1, per_account_per_minute: 1, ..SignInLimits::default() };
    let client = with_lan().await.serve_with(AppSettings { sign_in_limits: limits, ..AppSettings::default() });
    let first =
        client.0.post("/api/portal/v1/session").body_json(&sign_in_body("saigontech.ops", "guess one")).send().await;
    assert_error(first, 401, "invalid_credentials", None).await;
    let second =
        client.0.post("/api/portal/v1/session").body_json(&sign_in_body("saigontech.ops", "guess two")).send().await;
    let retry_after = second
        .0
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|seconds| (1..=60).contains(&seconds)), "{retry_after:?}");
    assert_error(second, 429, "rate_limited", None).await;
}

/// Sign-in limits of one attempt per client address, and plenty per account.
fn one_attempt_per_address() -> AppSettings {
    let sign_in_limits = SignInLimits {
        per_account_burst: 100,
        per_account_per_minute: 100,
        per_address_burst: 1,
        per_address_per_minute: 1,
    };
    AppSettings { sign_in_limits, ..AppSettings::default() }
}

/// Status of a wrong sign-in sent with `X-Forwarded-For: forwarded_for`.
async fn attempt_from(client: &crate::support::Client, forwarded_for: &str) -> u16 {
    let response = client
        .0
        .post("/api/portal/v1/session")
        .header("x-forwarded-for", forwarded_for)
        .body_json(&sign_in_body("saigontech.ops", "a guess"))
        .send()
        .await;
    response.0.status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limit_counts_each_client_it_names() {
    let client = with_lan().await.serve_from("10.0.0.7:40000", &["10.0.0.0/8"], one_attempt_per_address());
    assert_eq!(attempt_from(&client, "198.51.100.1").await, 401);
    assert_eq!(attempt_from(&client, "198.51.100.1").await, 429, "the same client again");
    assert_eq!(attempt_from(&client, "198.51.100.2").await, 401, "another client is not locked out");
    assert_eq!(attempt_from(&client, "198.51.100.2, 10.0.0.8").await, 429, "through a second proxy");
    assert_eq!(attempt_from(&client, "198.51.100.3, 198.51.100.1").await, 429, "a made-up entry changes nothing");
}

#[tokio::test]
async fn the_header_of_an_untrusted_peer_cannot_dodge_the_limit() {
    let client = with_lan().await.serve_from("203.0.113.9:40000", &["10.0.0.0/8"], one_attempt_per_address());
    assert_eq!(attempt_from(&client, "198.51.100.1").await, 401);
    assert_eq!(attempt_from(&client, "198.51.100.2").await, 429, "counted against the peer");
}

#[tokio::test]
async fn a_sign_in_form_post_is_refused_unread() {
    // A cross-site page can post a form, but not JSON without a preflight.
    let client = Mocks::new().serve();
    let response = client
        .0
        .post("/api/portal/v1/session")
        .content_type("application/x-www-form-urlencoded")
        .body("login=saigontech.ops&password=x")
        .send()
        .await;
    assert_error(response, 400, "bad_request", None).await;
}

#[tokio::test]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let mut mocks = Mocks::new();
    mocks
        .credentials
        .expect_delete_session()
        .withf(|digest| *digest == SecretDigest::of(SESSION))
        .times(1)
        .returning(|_| Ok(()));
    let client = mocks.serve();
    let response = client.signed_in(Method::DELETE, "/api/portal/v1/session", SESSION).send().await;
    response.assert_status(StatusCode::NO_CONTENT);
    let cookie = set_cookie(&response);
    for attribute in ["porthole_session=;", "Max-Age=0", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
}

#[tokio::test]
async fn signing_out_without_a_session_still_clears_the_cookie() {
    let client = Mocks::new().serve();
    let response = client.0.delete("/api/portal/v1/session").send().await;
    response.assert_status(StatusCode::NO_CONTENT);
    assert!(set_cookie(&response).contains("Max-Age=0"));
}

// ---- Login links and passwords -------------------------------------------------

#[tokio::test]
async fn a_login_link_request_is_accepted_whether_or_not_the_address_is_known() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(Vec::new()));
    let client = mocks.serve();
    let response =
        client.0.post("/api/portal/v1/login-link").body_json(&json!({"email": "stranger@example.com"})).send().await;
    response.assert_status(StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_malformed_address_is_a_422_naming_email() {
    let client = Mocks::new().serve();
    let response =
        client.0.post("/api/portal/v1/login-link").body_json(&json!({"email": "not an address"})).send().await;
    assert_error(response, 422, "invalid_field", Some("email")).await;
}

#[tokio::test]
async fn portal_bodies_refuse_numbers_and_booleans_in_text_fields_by_name() {
    // No expectations: nothing may be looked up for a body that is refused.
    let client = Mocks::new().serve();
    let cases = [
        ("/api/portal/v1/session", json!({"login": 1234, "password": PASSWORD}), "login"),
        ("/api/portal/v1/login-link", json!({"email": true}), "email"),
        (
            "/api/portal/v1/password",
            json!({"token": "pt_live", "password": PASSWORD, "password_confirmation": 1.5}),
            "password_confirmation",
        ),
    ];
    for (uri, body, field) in cases {
        let response = client.0.post(uri).body_json(&body).send().await;
        assert_error(response, 400, "bad_request", Some(field)).await;
    }
}

#[tokio::test]
async fn a_dead_setup_token_is_refused_without_saying_why() {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_live_login_token().returning(|_, _, _| Ok(None));
    let client = mocks.serve();
    let response = client
        .0
        .post("/api/portal/v1/password")
        .body_json(&json!({"token": "pt_used", "password": PASSWORD, "password_confirmation": PASSWORD}))
        .send()
        .await;
    assert_error(response, 401, "invalid_token", None).await;
}

#[tokio::test]
async fn a_live_setup_token_sets_the_password() {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_live_login_token().returning(|_, _, _| Ok(Some(TrackingUserId::new("tu_1"))));
    mocks
        .credentials
        .expect_complete_password_setup()
        .withf(|digest, hash, _| *digest == SecretDigest::of("pt_live") && hash.starts_with("$argon2id$"))
        .times(1)
        .returning(|_, _, _| Ok(Some(TrackingUserId::new("tu_1"))));
    let client = mocks.serve();
    let response = client
        .0
        .post("/api/portal/v1/password")
        .body_json(&json!({"token": "pt_live", "password": PASSWORD, "password_confirmation": PASSWORD}))
        .send()
        .await;
    response.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_mismatched_confirmation_is_a_422_naming_it() {
    let client = Mocks::new().serve();
    let response = client
        .0
        .post("/api/portal/v1/password")
        .body_json(&json!({"token": "pt_live", "password": PASSWORD, "password_confirmation": "something else"}))
        .send()
        .await;
    assert_error(response, 422, "invalid_field", Some("password_confirmation")).await;
}

// ---- Reading shipments ------------------------------------------------------------

#[tokio::test]
async fn without_a_live_session_the_shipments_are_a_401() {
    let client = signed_in_as_lan().serve();
    let no_cookie =
        assert_error(client.0.get("/api/portal/v1/shipments").send().await, 401, "unauthorized", None).await;
    let dead = client.signed_in(Method::GET, "/api/portal/v1/shipments/shp_1", "ps_ended").send().await;
    assert!(dead.0.headers().get("www-authenticate").is_none(), "no bearer challenge for the portal");
    let dead = assert_error(dead, 401, "unauthorized", None).await;
    assert_eq!(no_cookie, dead);
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_at_once() {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_session_holder().returning(|digest, _| {
        let mut user = lan();
        user.state = porthole_domain::UserState::Disabled;
        Ok(Some(session_holder(digest, user)))
    });
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![organization("org_cust")]));
    let client = mocks.serve();
    let response = client.signed_in(Method::GET, "/api/portal/v1/shipments", SESSION).send().await;
    assert_error(response, 401, "unauthorized", None).await;
}

#[tokio::test]
async fn the_list_shows_the_users_shipments_with_their_offsets() {
    let mut mocks = signed_in_as_lan();
    mocks
        .shipments
        .expect_shipments_in_scope()
        .withf(|_, query| query.search == Some(ShipmentSearch::Text("SHP/2025".to_owned())) && query.limit == 51)
        .times(1)
        .returning(|_, _| Ok(vec![demo_summary()]));
    let client = mocks.serve();
    let response = client.signed_in(Method::GET, "/api/portal/v1/shipments?q=shp/2025", SESSION).send().await;
    response.assert_header("cache-control", "no-store");
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["next_cursor"], Value::Null);
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["reference"], "SHP/202505/00080");
    assert_eq!(items[0]["pol"], json!({"unlocode": "VNSGN", "name": "Cat Lai"}));
    assert_eq!(items[0]["atd"], "2025-05-10T19:30:00+07:00");
    assert_eq!(items[0]["eta"], "2025-05-25T08:00:00-07:00");
}

#[tokio::test]
async fn a_bad_list_parameter_is_named() {
    let client = signed_in_as_lan().serve();
    let response = client.signed_in(Method::GET, "/api/portal/v1/shipments?cursor=%25%25", SESSION).send().await;
    assert_error(response, 422, "invalid_field", Some("cursor")).await;
    let response = client.signed_in(Method::GET, "/api/portal/v1/shipments?limit=abc", SESSION).send().await;
    let error = assert_error(response, 400, "bad_request", Some("limit")).await;
    assert_eq!(error["message"], "limit must be a whole number, 0 or more");
}

#[tokio::test]
async fn the_detail_is_the_projection_without_anything_internal() {
    let mut mocks = signed_in_as_lan();
    mocks.shipments.expect_shipment_record().returning(|_| Ok(Some(demo_record())));
    let client = mocks.serve();
    let (status, body) =
        json(client.signed_in(Method::GET, "/api/portal/v1/shipments/shp_1", SESSION).send().await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "shp_1");
    assert_eq!(body["hbl_no"], "HBL80");
    assert_eq!(body["status"], "in_transit");
    assert_eq!(body["customer"], json!({"name": "Org org_cust"}));
    assert_eq!(body["customer_note"], "Handle with care");
    assert_eq!(body["eta"], "2025-05-25T08:00:00-07:00", "the unpublished estimate stays with staff");
    assert_eq!(body["progress"]["percent"], 50);
    assert_eq!(body["documents"], json!([]), "documents are on by default");
    for hidden in ["internal_note", "mbl_no", "charges", "published"] {
        assert!(body.get(hidden).is_none(), "{hidden} must not be there: {body}");
    }
    let events = body["events"].as_array().expect("events");
    assert_eq!(events.len(), 1, "only published events: {body}");
    assert_eq!(
        events[0],
        json!({
            "code": "DEPA",
            "label": events[0]["label"],
            "classifier": "ACT",
            "event_time": "2025-05-10T19:30:00+07:00",
            "location": {"unlocode": "VNSGN", "name": "Cat Lai"},
            "container_number": null,
            "vessel": null,
            "voyage": null,
            "delay_reason": null,
            "remark": null,
            "retracted": false,
            "is_correction": false
        })
    );
    assert!(!body.to_string().contains("Margin is thin"), "{body}");
}

#[tokio::test]
async fn another_customers_shipment_and_a_missing_one_are_the_same_404() {
    let mut mocks = signed_in_as_lan();
    mocks.shipments.expect_shipment_record().returning(|id| {
        Ok((id.as_str() == "shp_theirs").then(|| {
            let mut record = demo_record();
            record.shipment.customer_id = OrganizationId::new("org_other");
            record.customer = organization("org_other");
            record
        }))
    });
    let client = mocks.serve();
    let theirs = client.signed_in(Method::GET, "/api/portal/v1/shipments/shp_theirs", SESSION).send().await;
    let theirs = assert_error(theirs, 404, "not_found", None).await;
    let missing = client.signed_in(Method::GET, "/api/portal/v1/shipments/shp_nope", SESSION).send().await;
    let missing = assert_error(missing, 404, "not_found", None).await;
    assert_eq!(theirs, missing);
}

#[tokio::test]
async fn the_session_is_checked_before_anything_is_read() {
    // No session expectation: a storage call would panic the mock.
    let client = Mocks::new().serve();
    let response = client.0.get("/api/portal/v1/shipments/shp_1").send().await;
    assert_error(response, 401, "unauthorized", None).await;
}
