//! Signing in to the portal (SPEC §4): refusals that do not tell who
//! exists, session cookies, sign-out, the password-setup and one-time
//! sign-in links read from the mail the server wrote, and rate limits.

use porthole_app::SignInLimits;
use porthole_e2e::portal::{ListQuery, MISSING_SHIPMENT_ID, PortalClient, SESSION_COOKIE};
use porthole_e2e::staff::{shipment_body, tracking_user_body};
use porthole_e2e::{Reply, TestApp, read};
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "harbour-lights-42";

/// One customer organization with one active user, and one shipment.
#[derive(Debug)]
struct Customer {
    organization: String,
    login: String,
    email: String,
    shipment: String,
}

async fn customer(app: &TestApp, code: &str) -> Customer {
    let organization = app.create_organization(code, &format!("{code} Trading"), true).await;
    let login = format!("{}.ops", code.to_lowercase());
    let email = format!("ops@{}.example.com", code.to_lowercase());
    app.create_active_user(&tracking_user_body(&login, &email, "customer", &[&organization]), PASSWORD).await;
    let mut body = shipment_body(&format!("SHP/{code}/00001"), &organization);
    body["hbl_no"] = json!(format!("HBL{code}00001"));
    body["status"] = json!("confirmed");
    let shipment = app.upsert_shipment(&body).await;
    Customer { organization, login, email, shipment }
}

/// A user created with `send_setup_email: true`, in state invited.
async fn invited(app: &TestApp, organization: &str, login: &str, email: &str) -> String {
    let mut body = tracking_user_body(login, email, "customer", &[organization]);
    body["send_setup_email"] = json!(true);
    app.create_tracking_user(&body).await
}

async fn set_password(app: &TestApp, token: &str, password: &str, confirmation: &str) -> Reply {
    let body = json!({ "token": token, "password": password, "password_confirmation": confirmation });
    app.portal_client().post_json("/api/portal/v1/password", &body).await
}

async fn can_list(client: &PortalClient) -> StatusCode {
    client.shipments_page(&ListQuery::default()).await.status
}

/// A request presenting `session` as the session cookie, outside any jar.
async fn list_with_session(app: &TestApp, session: &str) -> Reply {
    let request = app
        .client
        .request(Method::GET, app.url("/api/portal/v1/shipments"))
        .header(reqwest::header::COOKIE, format!("{SESSION_COOKIE}={session}"));
    read(request).await
}

fn assert_client_error(reply: &Reply, what: &str) {
    assert!(reply.status.is_client_error(), "{what}: expected a 4xx, got {} {}", reply.status, reply.text);
    assert!(reply.is_json_error(), "{what}: not a JSON error: {}", reply.text);
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_are_refused_alike() {
    let app = TestApp::spawn().await;
    let known = customer(&app, "STE").await;

    let unknown = app.portal_client().sign_in("nobody.here", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED, "{}", unknown.text);
    assert_eq!(unknown.error_code(), Some("invalid_credentials"), "{}", unknown.text);
    assert!(!sets_session(&unknown), "a refused sign-in set a session: {:?}", unknown.set_cookies());

    let attempts = [
        (known.login.as_str(), "wrong-password-1"),
        (known.email.as_str(), "wrong-password-1"),
        ("nobody@example.com", "wrong-password-1"),
        (known.login.as_str(), ""),
        ("", PASSWORD),
    ];
    for (login, password) in attempts {
        let client = app.portal_client();
        let reply = client.sign_in(login, password).await;
        assert_eq!(reply.status, unknown.status, "{login:?}/{password:?}: {}", reply.text);
        assert_eq!(reply.text, unknown.text, "{login:?}/{password:?} must read like an unknown user");
        assert!(!sets_session(&reply) && client.session_cookie().is_none(), "{login:?} got a session");
        assert_eq!(can_list(&client).await, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_foreign_shipment_and_a_missing_one_answer_alike() {
    let app = TestApp::spawn().await;
    let ours = customer(&app, "STE").await;
    let theirs = customer(&app, "MKT").await;
    let client = app.signed_in(&ours.login, PASSWORD).await;

    let own = client.shipment(&ours.shipment).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let missing = client.shipment(MISSING_SHIPMENT_ID).await;
    let foreign = client.shipment(&theirs.shipment).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    assert_eq!(foreign.status, missing.status, "{}", foreign.text);
    assert_eq!(foreign.text, missing.text);
    assert!(foreign.is_json_error(), "{}", foreign.text);

    let anonymous = app.portal_client().shipment(&ours.shipment).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "no session, no shipment: {}", anonymous.text);
}

#[tokio::test]
async fn users_sign_in_by_user_id_or_by_e_mail() {
    let app = TestApp::spawn().await;
    let known = customer(&app, "STE").await;
    for login in [known.login.clone(), known.email.clone(), known.login.to_uppercase(), known.email.to_uppercase()] {
        let client = app.portal_client();
        let reply = client.sign_in(&login, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "sign-in as {login}: {}", reply.text);
        let items = client.shipments(&ListQuery::default()).await;
        assert_eq!(items.len(), 1, "{login} sees the one shipment: {items:?}");
        assert_eq!(items[0]["id"], known.shipment.as_str());
    }
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_rotates_on_every_sign_in() {
    let app = TestApp::spawn().await;
    let known = customer(&app, "STE").await;
    let client = app.portal_client();

    let first = client.sign_in(&known.login, PASSWORD).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let cookies = first.set_cookies();
    let Some(session) = cookies.iter().find(|c| c.starts_with(&format!("{SESSION_COOKIE}="))) else {
        panic!("no {SESSION_COOKIE} cookie set: {cookies:?}")
    };
    let attributes: Vec<String> = session.split(';').map(|a| a.trim().to_ascii_lowercase()).collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "not HttpOnly: {session}");
    assert!(attributes.iter().any(|a| a == "path=/"), "not for the whole site: {session}");
    let old = client.session_cookie().expect("the jar holds the session");
    assert!(old.len() >= 22, "a session id of at least 128 bits: {old}");

    let second = client.sign_in(&known.login, PASSWORD).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let new = client.session_cookie().expect("the jar holds the new session");
    assert_ne!(new, old, "signing in again must issue a new session id");
    assert_eq!(list_with_session(&app, &old).await.status, StatusCode::UNAUTHORIZED, "the replaced session ended");
    assert_eq!(list_with_session(&app, &new).await.status, StatusCode::OK);
    assert_eq!(can_list(&client).await, StatusCode::OK);

    let elsewhere = app.signed_in(&known.email, PASSWORD).await;
    assert_ne!(elsewhere.session_cookie(), Some(new.clone()), "each sign-in has its own session");
    assert_eq!(can_list(&client).await, StatusCode::OK, "a second device does not end the first one's session");
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let known = customer(&app, "STE").await;
    let client = app.signed_in(&known.login, PASSWORD).await;
    let session = client.session_cookie().expect("signed in");
    assert_eq!(can_list(&client).await, StatusCode::OK);

    let out = client.sign_out().await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    assert_eq!(can_list(&client).await, StatusCode::UNAUTHORIZED);
    let replayed = list_with_session(&app, &session).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "a copied cookie must die with the session");
    assert!(replayed.is_json_error(), "{}", replayed.text);
}

#[tokio::test]
async fn an_organization_with_the_portal_off_lets_none_of_its_users_in() {
    let app = TestApp::spawn().await;
    let open = customer(&app, "STE").await;
    let closed = app.create_organization("OFF", "Closed Trading", false).await;
    let mut users = Vec::new();
    for (login, role) in [("closed.customer", "customer"), ("closed.consignee", "consignee")] {
        let email = format!("{login}@example.com");
        app.create_active_user(&tracking_user_body(login, &email, role, &[&closed]), PASSWORD).await;
        users.push((login.to_owned(), email));
    }
    let unknown = app.portal_client().sign_in("nobody.here", PASSWORD).await;
    for (login, email) in &users {
        for attempt in [login, email] {
            let reply = app.portal_client().sign_in(attempt, PASSWORD).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{attempt}: {}", reply.text);
            assert_eq!(reply.text, unknown.text, "{attempt}: must read like an unknown user");
        }
    }

    // Switching the portal off ends the sessions its users already have.
    let client = app.signed_in(&open.login, PASSWORD).await;
    app.set_portal_enabled(&open.organization, false).await;
    assert_eq!(can_list(&client).await, StatusCode::UNAUTHORIZED);
    assert_eq!(client.shipment(&open.shipment).await.status, StatusCode::UNAUTHORIZED);
    app.set_portal_enabled(&open.organization, true).await;
    let back = app.signed_in(&open.login, PASSWORD).await;
    assert_eq!(can_list(&back).await, StatusCode::OK);
}

#[tokio::test]
async fn the_password_setup_link_is_used_only_on_post_and_only_once() {
    let app = TestApp::builder().min_password_length(10).spawn().await;
    let organization = app.create_organization("STE", "Saigon Tech Export", true).await;
    let mut watch = app.watch_mail();
    invited(&app, &organization, "anh.nguyen", "anh.nguyen@saigontech.example").await;

    let before = app.portal_client().sign_in("anh.nguyen", PASSWORD).await;
    assert_eq!(before.status, StatusCode::UNAUTHORIZED, "no password yet: {}", before.text);

    let mail = watch.next_to("anh.nguyen@saigontech.example").await;
    let link = mail.link_to("/portal/set-password").unwrap_or_else(|| panic!("no setup link in {mail:?}"));
    let token = mail.token_for("/portal/set-password").unwrap_or_else(|| panic!("no token in {link}"));
    assert!(link.as_str().starts_with(&app.base_url), "links use http.public_url: {link}");
    assert!(token.len() >= 22, "a token of at least 128 bits: {token}");

    // Mail scanners open links: looking must not use the token up.
    for _ in 0..2 {
        let page = app.portal_client().get(&format!("{}?{}", link.path(), link.query().unwrap_or_default())).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("<form"), "the set-password page shows a form: {}", page.text);
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"), "token pages leak no referrer");
        assert!(page.header("cache-control").is_some_and(|c| c.contains("no-store")), "token pages are not cached");
    }

    let short = set_password(&app, &token, "nine-char", "nine-char").await;
    assert_client_error(&short, "a password shorter than portal.min_password_length");
    assert!(short.is_error_naming("password"), "{}", short.text);
    let mismatch = set_password(&app, &token, PASSWORD, "harbour-lights-43").await;
    assert_client_error(&mismatch, "a confirmation that differs");
    assert!(mismatch.is_error_naming("password_confirmation"), "{}", mismatch.text);

    let chosen = set_password(&app, &token, PASSWORD, PASSWORD).await;
    assert_eq!(chosen.status, StatusCode::NO_CONTENT, "refused input did not burn the token: {}", chosen.text);
    let again = set_password(&app, &token, "another-password-7", "another-password-7").await;
    assert_client_error(&again, "a used setup token");

    let client = app.signed_in("anh.nguyen", PASSWORD).await;
    assert_eq!(can_list(&client).await, StatusCode::OK);
    let second = app.portal_client().sign_in("anh.nguyen", "another-password-7").await;
    assert_eq!(second.status, StatusCode::UNAUTHORIZED, "the reused token set nothing: {}", second.text);
}

#[tokio::test]
async fn resending_the_setup_email_kills_the_old_link() {
    let app = TestApp::spawn().await;
    let organization = app.create_organization("STE", "Saigon Tech Export", true).await;
    let address = "linh.tran@saigontech.example";
    let mut watch = app.watch_mail();
    let user = invited(&app, &organization, "linh.tran", address).await;
    let first = watch.next_to(address).await.token_for("/portal/set-password").expect("a setup link");

    let resent = app.post_empty(&format!("/api/v1/tracking-users/{user}/setup-email")).await;
    assert_eq!(resent.status, StatusCode::ACCEPTED, "{}", resent.text);
    let second = watch.next_to(address).await.token_for("/portal/set-password").expect("a new setup link");
    assert_ne!(first, second, "a resend mails a new token");

    let old = set_password(&app, &first, PASSWORD, PASSWORD).await;
    assert_client_error(&old, "the replaced setup token");
    let refused = app.portal_client().sign_in("linh.tran", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "the old link set no password: {}", refused.text);

    let new = set_password(&app, &second, PASSWORD, PASSWORD).await;
    assert_eq!(new.status, StatusCode::NO_CONTENT, "{}", new.text);
    app.signed_in("linh.tran", PASSWORD).await;
}

#[tokio::test]
async fn a_magic_link_signs_in_once() {
    let app = TestApp::spawn().await;
    let known = customer(&app, "STE").await;
    let mut watch = app.watch_mail();

    let unknown =
        app.portal_client().post_json("/api/portal/v1/login-link", &json!({ "email": "x@nowhere.example" })).await;
    let asked = app.portal_client().post_json("/api/portal/v1/login-link", &json!({ "email": known.email })).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.text);
    assert_eq!(unknown.status, asked.status, "the answer does not tell who exists: {}", unknown.text);
    assert_eq!(unknown.text, asked.text);

    let mail = watch.next_to(&known.email).await;
    assert!(watch.new_to("x@nowhere.example").is_empty(), "no mail to an address nobody has");
    let link = mail.link_to("/portal/login-link").unwrap_or_else(|| panic!("no sign-in link in {mail:?}"));
    assert!(mail.token_for("/portal/login-link").is_some(), "{link}");
    let path = format!("{}?{}", link.path(), link.query().unwrap_or_default());

    // A mail scanner opening the link does not use it.
    let scanner = app.portal_client();
    let scanned = scanner.get(&path).await;
    assert_eq!(scanned.status, StatusCode::OK, "{}", scanned.text);
    assert_eq!(scanned.header("referrer-policy"), Some("no-referrer"), "token pages leak no referrer");
    assert!(scanned.header("cache-control").is_some_and(|c| c.contains("no-store")), "token pages are not cached");
    assert_eq!(can_list(&scanner).await, StatusCode::UNAUTHORIZED, "opening the link alone signs nobody in");

    let browser = app.portal_client();
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let used = browser.submit_form(link.as_str(), &page, &[]).await;
    assert!(used.status.is_success(), "using the link: {} {}", used.status, used.text);
    assert!(browser.session_cookie().is_some(), "the link gave a session");
    let items = browser.shipments(&ListQuery::default()).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], known.shipment.as_str());

    // The same link again, from another browser: no session.
    let late = app.portal_client();
    let page = late.get(&path).await;
    if page.status.is_success() && page.text.contains("<form") && page.text.to_lowercase().contains("method=\"post\"") {
        let reply = late.submit_form(link.as_str(), &page, &[]).await;
        assert!(!reply.text.contains(&known.shipment), "a used link showed the user's shipments");
    }
    assert_eq!(can_list(&late).await, StatusCode::UNAUTHORIZED, "a used link signs nobody in");
    assert_eq!(can_list(&browser).await, StatusCode::OK, "the first use's session lives on");
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_account_and_per_address() {
    const ADDRESS_BURST: u32 = 8;
    let limits = SignInLimits {
        per_account_burst: 3,
        per_account_per_minute: 1,
        per_address_burst: ADDRESS_BURST,
        per_address_per_minute: 1,
    };
    let app = TestApp::builder().sign_in_limits(limits).spawn().await;
    let alice = customer(&app, "ALC").await;
    let bob = customer(&app, "BOB").await;
    let mut attempts_from_here: u32 = 0;

    for i in 0..3 {
        let reply = app.portal_client().sign_in(&alice.login, &format!("guess-{i}-wrong")).await;
        attempts_from_here += 1;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}: {}", reply.text);
    }
    let limited = app.portal_client().sign_in(&alice.login, PASSWORD).await;
    attempts_from_here += 1;
    assert_rate_limited(&limited, "the account's fourth attempt, even with the right password");

    let other = app.portal_client().sign_in(&bob.login, PASSWORD).await;
    attempts_from_here += 1;
    assert_eq!(other.status, StatusCode::OK, "another account is not limited: {}", other.text);

    let mut limited_address = None;
    for i in 0..ADDRESS_BURST {
        let reply = app.portal_client().sign_in(&format!("unknown.{i}"), "whatever-it-is").await;
        attempts_from_here += 1;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            limited_address = Some(reply);
            break;
        }
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    }
    let Some(limited_address) = limited_address else {
        panic!("{attempts_from_here} attempts from one address and none limited (burst {ADDRESS_BURST})")
    };
    assert!(attempts_from_here <= ADDRESS_BURST + 1, "limited only after {attempts_from_here} attempts");
    assert_rate_limited(&limited_address, "the address past its burst");
    let bob_again = app.portal_client().sign_in(&bob.login, PASSWORD).await;
    assert_rate_limited(&bob_again, "any account from the limited address");
}

fn assert_rate_limited(reply: &Reply, what: &str) {
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{what}: {}", reply.text);
    let retry_after = reply.header("retry-after").unwrap_or_else(|| panic!("{what}: no Retry-After header"));
    let seconds: u64 = retry_after.trim().parse().unwrap_or_else(|_| panic!("{what}: Retry-After '{retry_after}'"));
    assert!(seconds >= 1, "{what}: Retry-After {seconds}");
    assert!(reply.is_json_error(), "{what}: {}", reply.text);
    assert!(!sets_session(reply), "{what}: a refused sign-in set a session");
}

/// Whether the answer hands out a (non-empty) session cookie.
fn sets_session(reply: &Reply) -> bool {
    reply.set_cookies().iter().any(|cookie| {
        cookie
            .split(';')
            .next()
            .and_then(|pair| pair.trim().split_once('='))
            .is_some_and(|(name, value)| name == SESSION_COOKIE && !value.trim_matches('"').is_empty())
    })
}
