//! The portal's pages: sign-in forms and their CSRF protection, one-time
//! link pages, and the shipment pages a signed-in viewer sees.

use poem::http::StatusCode;
use porthole_app::passwords::Passwords;
use porthole_app::ports::{RepoError, ShipmentSearch, TokenPurpose};
use porthole_app::secret::SecretDigest;
use porthole_app::{AppSettings, SignInLimits};
use porthole_domain::projection::ShipmentSummary;
use porthole_domain::{
    Classifier, EventCode, OrganizationId, ShipmentId, ShipmentReference, Status, TrackingRole, TrackingUserId,
};

use crate::fixtures::{demo_record, demo_summary, event, location, organization, session_holder, tracking_user};
use crate::support::{Mocks, body, csrf_field, header, open_form, set_cookies, without_csrf_tokens};

const SESSION: &str = "ps_test_session_secret";
const SETUP_TOKEN: &str = "pt_setup_token";
const LINK_TOKEN: &str = "pt_link_token";
const PASSWORD: &str = "correct horse battery";

fn session_cookie() -> String {
    format!("porthole_session={SESSION}")
}

/// Mocks on which [`SESSION`] is the live session of Lan, a customer-role
/// user of `org_cust`.
fn signed_in() -> Mocks {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_session_holder().returning(|digest, _| {
        let lan = tracking_user("tu_lan", TrackingRole::Customer, "org_cust");
        Ok((*digest == SecretDigest::of(SESSION)).then(|| session_holder(digest, lan)))
    });
    mocks
        .tracking_users
        .expect_tracking_user()
        .returning(|_| Ok(Some(tracking_user("tu_lan", TrackingRole::Customer, "org_cust"))));
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![organization("org_cust")]));
    mocks
}

// ---- Sign-in ------------------------------------------------------------------------

#[tokio::test]
async fn the_login_page_is_a_form_with_a_csrf_field_and_a_protected_cookie() {
    let client = Mocks::new().serve();
    let response = client.0.get("/portal/login").send().await;
    response.assert_status_is_ok();
    response.assert_content_type("text/html; charset=utf-8");
    response.assert_header("cache-control", "no-store");
    let csrf_cookie = set_cookies(&response).into_iter().find(|c| c.contains("porthole_csrf=")).unwrap_or_default();
    // The site is HTTPS, so the cookie is host-only and Secure.
    for attribute in ["__Host-porthole_csrf=", "HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(csrf_cookie.contains(attribute), "{attribute} missing: {csrf_cookie}");
    }
    let page = body(response).await;
    assert!(csrf_field(&page).is_some_and(|token| token.len() > 20), "{page}");
    for expected in ["<html lang=\"en\">", "<label for=\"login\">", "<label for=\"password\">", "/portal/login-link"] {
        assert!(page.contains(expected), "{expected} missing: {page}");
    }
    assert!(!page.contains("<script"), "pages need no script");
    assert!(!page.contains("style="), "pages need no inline style");
}

#[tokio::test]
async fn the_sign_in_pages_say_that_a_user_without_a_password_gets_a_link_to_choose_one() {
    // Such a user asking for a sign-in link is sent a password link instead;
    // the pages must not promise that a sign-in link works without one.
    let client = Mocks::new().serve();
    let login = body(client.0.get("/portal/login").send().await).await;
    assert!(login.contains("Forgot your password, or never chose one? Ask for a sign-in link."), "{login}");
    assert!(login.contains("we will send you a link to choose one"), "{login}");
    assert!(!login.contains("works without one"), "{login}");
    let request = body(client.0.get("/portal/login-link").send().await).await;
    assert!(
        request.contains("If you have not chosen a password yet, we will send you a link to choose one instead."),
        "{request}"
    );
}

#[tokio::test]
async fn a_sign_in_post_without_a_valid_csrf_token_is_refused_before_anything_is_tried() {
    // No storage expectations: any lookup would panic and answer 500.
    let client = Mocks::new().serve();
    let missing = client.0.post("/portal/login").form(&[("login", "saigontech.ops"), ("password", PASSWORD)]).send();
    let missing = missing.await;
    missing.assert_status(StatusCode::FORBIDDEN);
    assert!(body(missing).await.contains("This form has expired"));

    let form = open_form(&client, "/portal/login").await;
    let forged = client
        .0
        .post("/portal/login")
        .header("cookie", &form.cookie)
        .form(&[("csrf_token", "Zm9yZ2Vk"), ("login", "saigontech.ops"), ("password", PASSWORD)])
        .send()
        .await;
    forged.assert_status(StatusCode::FORBIDDEN);

    let token_without_cookie = client
        .0
        .post("/portal/login")
        .form(&[("csrf_token", form.token.as_str()), ("login", "saigontech.ops"), ("password", PASSWORD)])
        .send()
        .await;
    token_without_cookie.assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_read_exactly_the_same() {
    let hash = Passwords::default().hash(PASSWORD.to_owned()).await.expect("hashes");
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user_by_login().returning(|login| {
        Ok((login.as_str() == "saigontech.ops").then(|| tracking_user("tu_lan", TrackingRole::Customer, "org_cust")))
    });
    mocks.credentials.expect_password_hash().returning(move |_| Ok(Some(hash.clone())));
    let client = mocks.serve();

    let mut pages = Vec::new();
    for login in ["saigontech.ops", "nobody.here"] {
        let form = open_form(&client, "/portal/login").await;
        let response = client
            .0
            .post("/portal/login")
            .header("cookie", &form.cookie)
            .form(&[("csrf_token", form.token.as_str()), ("login", login), ("password", "not the password")])
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(set_cookies(&response).iter().all(|cookie| !cookie.starts_with("porthole_session=")));
        let page = body(response).await;
        assert!(page.contains("role=\"alert\""), "{page}");
        assert!(page.contains("do not match an account that can sign in"), "{page}");
        pages.push(without_csrf_tokens(&page).replace(login, "LOGIN"));
    }
    assert_eq!(pages[0], pages[1], "the page must not tell which login exists");
}

#[tokio::test]
async fn signing_in_sets_a_fresh_session_cookie_and_ends_the_previous_session() {
    let hash = Passwords::default().hash(PASSWORD.to_owned()).await.expect("hashes");
    let mut mocks = Mocks::new();
    mocks
        .tracking_users
        .expect_tracking_user_by_login()
        .returning(|_| Ok(Some(tracking_user("tu_lan", TrackingRole::Customer, "org_cust"))));
    mocks.credentials.expect_password_hash().returning(move |_| Ok(Some(hash.clone())));
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![organization("org_cust")]));
    mocks
        .credentials
        .expect_delete_session()
        .withf(|digest| *digest == SecretDigest::of("ps_planted"))
        .times(1)
        .returning(|_| Ok(()));
    mocks.credentials.expect_insert_session().times(1).returning(|_| Ok(()));
    let client = mocks.serve();

    let form = open_form(&client, "/portal/login?next=/portal/shipments/shp_1").await;
    let response = client
        .0
        .post("/portal/login")
        .header("cookie", format!("{}; porthole_session=ps_planted", form.cookie))
        .form(&[
            ("csrf_token", form.token.as_str()),
            ("login", "saigontech.ops"),
            ("password", PASSWORD),
            ("next", "/portal/shipments/shp_1"),
        ])
        .send()
        .await;
    response.assert_status(StatusCode::SEE_OTHER);
    response.assert_header("location", "/portal/shipments/shp_1");
    let session = set_cookies(&response).into_iter().find(|c| c.starts_with("porthole_session=")).unwrap_or_default();
    assert!(!session.starts_with("porthole_session=ps_planted"), "{session}");
    for attribute in ["porthole_session=ps_", "HttpOnly", "SameSite=Lax", "Path=/", "Secure", "Max-Age=43200"] {
        assert!(session.contains(attribute), "{attribute} missing: {session}");
    }
}

#[tokio::test]
async fn a_crafted_return_address_never_leaves_the_portal() {
    let client = Mocks::new().serve();
    let page = body(client.0.get("/portal/login?next=https://evil.example/").send().await).await;
    assert!(!page.contains("evil.example"), "{page}");
}

#[tokio::test]
async fn too_many_attempts_ask_politely_to_wait() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user_by_login().returning(|_| Ok(None));
    let client = mocks.serve();
    let form = open_form(&client, "/portal/login").await;
    let attempt = || {
        client
            .0
            .post("/portal/login")
            .header("cookie", &form.cookie)
            .form(&[("csrf_token", form.token.as_str()), ("login", "nobody.here"), ("password", "guess")])
            .send()
    };
    let mut last = attempt().await;
    for _ in 0..20 {
        if last.0.status() == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        last.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        last = attempt().await;
    }
    last.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&last, "retry-after").is_some_and(|seconds| seconds.parse::<u64>().is_ok_and(|s| s > 0)));
    let page = body(last).await;
    assert!(page.contains("Too many sign-in attempts. Please wait 1 minute and try again."), "{page}");
    assert!(page.contains("role=\"alert\""), "{page}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_sign_in_page_counts_each_client_it_names() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user_by_login().returning(|_| Ok(None));
    let limits = SignInLimits {
        per_account_burst: 100,
        per_account_per_minute: 100,
        per_address_burst: 1,
        per_address_per_minute: 1,
    };
    let settings = AppSettings { sign_in_limits: limits, ..AppSettings::default() };
    let client = mocks.serve_from("10.0.0.7:40000", &["10.0.0.7"], settings);
    let form = open_form(&client, "/portal/login").await;
    let attempt = |forwarded_for: &'static str| {
        client
            .0
            .post("/portal/login")
            .header("cookie", &form.cookie)
            .header("x-forwarded-for", forwarded_for)
            .form(&[("csrf_token", form.token.as_str()), ("login", "nobody.here"), ("password", "guess")])
            .send()
    };
    attempt("198.51.100.1").await.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    attempt("198.51.100.1").await.assert_status(StatusCode::TOO_MANY_REQUESTS);
    attempt("198.51.100.2").await.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let mut mocks = signed_in();
    mocks
        .credentials
        .expect_delete_session()
        .withf(|digest| *digest == SecretDigest::of(SESSION))
        .times(1)
        .returning(|_| Ok(()));
    let client = mocks.serve();
    let form = open_form(&client, "/portal/login").await;
    let response = client
        .0
        .post("/portal/logout")
        .header("cookie", format!("{}; {}", form.cookie, session_cookie()))
        .form(&[("csrf_token", form.token.as_str())])
        .send()
        .await;
    response.assert_status(StatusCode::SEE_OTHER);
    response.assert_header("location", "/portal/login?notice=signed_out");
    let cleared = set_cookies(&response).into_iter().find(|c| c.starts_with("porthole_session=")).unwrap_or_default();
    assert!(cleared.contains("Max-Age=0") && cleared.contains("Path=/"), "{cleared}");
}

// ---- One-time links ------------------------------------------------------------------

#[tokio::test]
async fn looking_at_a_password_link_does_not_use_it() {
    let mut mocks = Mocks::new();
    mocks
        .credentials
        .expect_live_login_token()
        .withf(|digest, purpose, _| *digest == SecretDigest::of(SETUP_TOKEN) && *purpose == TokenPurpose::PasswordSetup)
        .returning(|_, _, _| Ok(Some(TrackingUserId::new("tu_lan"))));
    mocks.credentials.expect_complete_password_setup().never();
    mocks.credentials.expect_consume_login_token().never();
    let client = mocks.serve();

    let response = client.0.get(format!("/portal/set-password?token={SETUP_TOKEN}")).send().await;
    response.assert_status_is_ok();
    let page = body(response).await;
    assert!(page.contains(&format!("name=\"token\" value=\"{SETUP_TOKEN}\"")), "{page}");
    assert!(page.contains("autocomplete=\"new-password\""), "{page}");
    assert!(page.contains("At least 8 characters."), "{page}");
}

#[tokio::test]
async fn token_pages_send_no_referrer_and_are_never_stored() {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_live_login_token().returning(|digest, _, _| {
        let live = *digest == SecretDigest::of(SETUP_TOKEN) || *digest == SecretDigest::of(LINK_TOKEN);
        Ok(live.then(|| TrackingUserId::new("tu_lan")))
    });
    let client = mocks.serve();
    let addresses = [
        (format!("/portal/set-password?token={SETUP_TOKEN}"), StatusCode::OK),
        ("/portal/set-password?token=pt_dead".to_owned(), StatusCode::GONE),
        (format!("/portal/login-link?token={LINK_TOKEN}"), StatusCode::OK),
        ("/portal/login-link?token=pt_dead".to_owned(), StatusCode::GONE),
    ];
    for (address, status) in addresses {
        let response = client.0.get(&address).send().await;
        response.assert_status(status);
        response.assert_header("referrer-policy", "no-referrer");
        response.assert_header("cache-control", "no-store");
    }
    let dead = body(client.0.get("/portal/set-password?token=pt_dead").send().await).await;
    assert!(dead.contains("This link is no longer valid"), "{dead}");
    assert!(!dead.contains("name=\"password\""), "{dead}");
    // Asking for a sign-in link brings a user without a password a new
    // password link, so that is where the page sends them.
    assert!(dead.contains("href=\"/portal/login-link\""), "{dead}");
}

#[tokio::test]
async fn choosing_a_password_uses_the_link_and_leads_to_sign_in_with_a_note() {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_live_login_token().returning(|_, _, _| Ok(Some(TrackingUserId::new("tu_lan"))));
    mocks
        .credentials
        .expect_complete_password_setup()
        .withf(|digest, _, _| *digest == SecretDigest::of(SETUP_TOKEN))
        .times(1)
        .returning(|_, _, _| Ok(Some(TrackingUserId::new("tu_lan"))));
    let client = mocks.serve();
    let form = open_form(&client, &format!("/portal/set-password?token={SETUP_TOKEN}")).await;
    let post = |password: &'static str, confirmation: &'static str| {
        client
            .0
            .post("/portal/set-password")
            .header("cookie", &form.cookie)
            .form(&[
                ("csrf_token", form.token.as_str()),
                ("token", SETUP_TOKEN),
                ("password", password),
                ("password_confirmation", confirmation),
            ])
            .send()
    };

    let short = post("short", "short").await;
    short.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    short.assert_header("referrer-policy", "no-referrer");
    assert!(body(short).await.contains("The password must be at least 8 characters."));
    let mismatch = body(post(PASSWORD, "something else").await).await;
    assert!(mismatch.contains("The two passwords do not match."), "{mismatch}");

    let done = post(PASSWORD, PASSWORD).await;
    done.assert_status(StatusCode::SEE_OTHER);
    done.assert_header("location", "/portal/login?notice=password_set");
    let login = body(client.0.get("/portal/login?notice=password_set").send().await).await;
    assert!(login.contains("Your password is set. Sign in with it now."), "{login}");
}

#[tokio::test]
async fn a_login_link_signs_in_only_when_its_button_is_pressed() {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_live_login_token().returning(|_, _, _| Ok(Some(TrackingUserId::new("tu_lan"))));
    mocks
        .credentials
        .expect_consume_login_token()
        .withf(|digest, purpose, _| *digest == SecretDigest::of(LINK_TOKEN) && *purpose == TokenPurpose::MagicLink)
        .times(1)
        .returning(|_, _, _| Ok(Some(TrackingUserId::new("tu_lan"))));
    mocks
        .tracking_users
        .expect_tracking_user()
        .returning(|_| Ok(Some(tracking_user("tu_lan", TrackingRole::Customer, "org_cust"))));
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![organization("org_cust")]));
    mocks.credentials.expect_insert_session().times(1).returning(|_| Ok(()));
    let client = mocks.serve();

    // Opening the link twice (a mail scanner, then the person) uses nothing.
    let _scanned = client.0.get(format!("/portal/login-link?token={LINK_TOKEN}")).send().await;
    let form = open_form(&client, &format!("/portal/login-link?token={LINK_TOKEN}")).await;
    let response = client
        .0
        .post("/portal/login-link")
        .header("cookie", &form.cookie)
        .form(&[("csrf_token", form.token.as_str()), ("token", LINK_TOKEN)])
        .send()
        .await;
    response.assert_status(StatusCode::SEE_OTHER);
    response.assert_header("location", "/portal/shipments");
    response.assert_header("referrer-policy", "no-referrer");
    assert!(set_cookies(&response).iter().any(|cookie| cookie.starts_with("porthole_session=ps_")));
}

#[tokio::test]
async fn asking_for_a_login_link_answers_the_same_whether_or_not_the_address_exists() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(Vec::new()));
    let client = mocks.serve();
    let form = open_form(&client, "/portal/login-link").await;
    let post = |email: &'static str| {
        client
            .0
            .post("/portal/login-link")
            .header("cookie", &form.cookie)
            .form(&[("csrf_token", form.token.as_str()), ("email", email)])
            .send()
    };
    let sent = post("nobody@example.com").await;
    sent.assert_status_is_ok();
    let page = body(sent).await;
    assert!(page.contains("If that address belongs to an account, we have sent it a link"), "{page}");
    assert!(page.contains("if you have not chosen a password yet, one to choose it"), "{page}");

    let malformed = post("not an address").await;
    malformed.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(malformed).await;
    assert!(page.contains("role=\"alert\"") && page.contains("value=\"not an address\""), "{page}");
}

// ---- Shipment pages -------------------------------------------------------------------

#[tokio::test]
async fn signed_out_visits_to_shipment_pages_go_to_sign_in_and_come_back() {
    let client = Mocks::new().serve();
    let list = client.0.get("/portal/shipments").send().await;
    list.assert_status(StatusCode::SEE_OTHER);
    list.assert_header("location", "/portal/login");
    client.0.get("/portal/").send().await.assert_header("location", "/portal/shipments");

    let detail = client.0.get("/portal/shipments/shp_1").send().await;
    detail.assert_status(StatusCode::SEE_OTHER);
    detail.assert_header("location", "/portal/login?next=%2Fportal%2Fshipments%2Fshp_1");

    let page = body(client.0.get("/portal/login?next=%2Fportal%2Fshipments%2Fshp_1").send().await).await;
    assert!(page.contains("name=\"next\" value=\"/portal/shipments/shp_1\""), "{page}");
}

#[tokio::test]
async fn an_ended_session_is_sent_to_sign_in_and_its_cookie_cleared() {
    let client = signed_in().serve();
    let response = client.0.get("/portal/shipments").header("cookie", "porthole_session=ps_expired").send().await;
    response.assert_status(StatusCode::SEE_OTHER);
    response.assert_header("location", "/portal/login?notice=session_ended");
    assert!(set_cookies(&response).iter().any(|c| c.starts_with("porthole_session=") && c.contains("Max-Age=0")));
}

#[tokio::test]
async fn the_list_shows_the_viewers_shipments_with_escaped_text() {
    let mut mocks = signed_in();
    mocks
        .shipments
        .expect_shipments_in_scope()
        .withf(|_, query| {
            query.search == Some(ShipmentSearch::Text("SHP/2025".to_owned())) && query.status == Some(Status::Confirmed)
        })
        .returning(|_, _| {
            let mut summary = demo_summary();
            summary.pol = location("VNSGN", "Cat Lai <img src=x onerror=alert(1)>");
            Ok(vec![summary])
        });
    let client = mocks.serve();
    let response =
        client.0.get("/portal/shipments?q=shp%2F2025&status=confirmed").header("cookie", session_cookie()).send().await;
    response.assert_status_is_ok();
    response.assert_header("cache-control", "no-store");
    let page = body(response).await;
    for expected in [
        "SHP/202505/00080",
        "href=\"/portal/shipments/shp_1\"",
        "Cat Lai &#60;img src=x onerror=alert(1)&#62;",
        "VNSGN",
        "USLGB",
        "10 May 2025",
        "<time datetime=\"2025-05-10T19:30:00+07:00\"",
        "value=\"shp/2025\"",
        "<option value=\"confirmed\" selected>",
        "aria-current=\"page\"",
        "action=\"/portal/logout\"",
        "Lan",
    ] {
        assert!(page.contains(expected), "{expected} missing: {page}");
    }
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(!page.contains("Next page"), "one page only: {page}");
}

#[tokio::test]
async fn a_full_page_links_to_the_next_one_by_cursor() {
    let mut mocks = signed_in();
    mocks.shipments.expect_shipments_in_scope().returning(|_, query| {
        let count = usize::try_from(query.limit).unwrap_or_default();
        Ok((0..count).map(|n| numbered_summary(999 - n)).collect())
    });
    let client = mocks.serve();
    let page = body(client.0.get("/portal/shipments?q=shp").header("cookie", session_cookie()).send().await).await;
    assert!(page.contains("Next page"), "{page}");
    assert!(page.contains("/portal/shipments?q=shp&amp;status=&amp;cursor="), "{page}");
}

fn numbered_summary(number: usize) -> ShipmentSummary {
    let mut summary = demo_summary();
    summary.id = ShipmentId::new(format!("shp_{number}"));
    summary.reference = ShipmentReference::parse(&format!("SHP/202505/{number:05}")).expect("a valid reference");
    summary
}

#[tokio::test]
async fn an_empty_list_speaks_to_what_narrowed_it() {
    let mut mocks = signed_in();
    mocks.shipments.expect_shipments_in_scope().returning(|_, _| Ok(Vec::new()));
    let client = mocks.serve();
    let search_advice = "Check the reference, house bill or container number";
    let cases = [
        ("/portal/shipments", "There are no shipments to show yet.", false),
        ("/portal/shipments?q=&status=cancelled", "No shipments have the status Cancelled.", false),
        ("/portal/shipments?q=SHP%2F2024", "No shipments match this search.", true),
        (
            "/portal/shipments?q=SHP%2F2024&status=in_transit",
            "No shipments with the status In Transit match this search.",
            true,
        ),
        // A cursor is the last reference of the page before, encoded.
        ("/portal/shipments?q=SHP&cursor=U0hQLzIwMjUwNS8wMDAwMQ", "There are no more shipments.", false),
    ];
    for (uri, message, advises_on_search) in cases {
        let page = body(client.0.get(uri).header("cookie", session_cookie()).send().await).await;
        assert!(page.contains(message), "{uri}: {message} missing: {page}");
        assert_eq!(page.contains(search_advice), advises_on_search, "{uri}: {page}");
    }
}

#[tokio::test]
async fn a_tampered_filter_is_a_page_saying_so_not_an_error() {
    let client = signed_in().serve();
    let response = client.0.get("/portal/shipments?status=sailing").header("cookie", session_cookie()).send().await;
    response.assert_status(StatusCode::BAD_REQUEST);
    let page = body(response).await;
    assert!(page.contains("That filter is not one this list offers."), "{page}");
}

#[tokio::test]
async fn the_detail_shows_local_times_the_timeline_and_escaped_text_but_nothing_internal() {
    let mut record = demo_record();
    record.shipment.customer_note = Some("<script>alert('note')</script>\nCall before delivery".to_owned());
    let pol = record.shipment.pol.clone();
    let mut wrong_time = event("evt-depa-0", EventCode::Depa, Classifier::Act, "2025-05-10T09:00:00+07:00", &pol, true);
    wrong_time.remark = Some("<b>typo</b>".to_owned());
    let mut correction =
        event("evt-depa-fix", EventCode::Gtin, Classifier::Act, "2025-05-09T08:00:00+07:00", &pol, true);
    correction.retracts = Some("evt-depa-0".to_owned());
    record.events.extend([wrong_time, correction]);
    let mut mocks = signed_in();
    mocks
        .shipments
        .expect_shipment_record()
        .withf(|id| id.as_str() == "shp_1")
        .returning(move |_| Ok(Some(record.clone())));
    let client = mocks.serve();

    let response = client.0.get("/portal/shipments/shp_1").header("cookie", session_cookie()).send().await;
    response.assert_status_is_ok();
    response.assert_header("cache-control", "no-store");
    let page = body(response).await;
    for expected in [
        "<h1><span class=\"visually-hidden\">Shipment </span>SHP/202505/00080</h1>",
        "In Transit",
        "10 May 2025, 19:30 (UTC+07:00)",
        "25 May 2025, 08:00 (UTC-07:00)",
        "Local time at Cat Lai (VNSGN)",
        "&#60;script&#62;alert(&#39;note&#39;)&#60;/script&#62;",
        "&#60;b&#62;typo&#60;/b&#62;",
        "Corrected",
        "<del>",
        "Correction",
        "CSQU3054383",
        "40&#39; high cube (45G1)",
        "aria-current=\"step\"",
        "<progress max=\"10\"",
        "HBL80",
    ] {
        assert!(page.contains(expected), "{expected} missing: {page}");
    }
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("<b>typo"), "{page}");
    assert!(!page.contains("Margin is thin"), "the internal note leaked: {page}");
    assert!(!page.contains("27 May 2025"), "an unpublished estimate leaked: {page}");
    assert!(!page.contains("Charges"), "charges are not this viewer's: {page}");
    assert!(page.contains("Documents"), "documents are on by default: {page}");
}

#[tokio::test]
async fn the_timeline_tags_an_estimate_only_where_its_label_does_not_say_so() {
    let mut record = demo_record();
    let (pol, pod) = (record.shipment.pol.clone(), record.shipment.pod.clone());
    record.events = vec![
        event("evt-eta", EventCode::Arri, Classifier::Est, "2025-05-25T08:00:00-07:00", &pod, true),
        event("evt-etd", EventCode::Depa, Classifier::Pln, "2025-05-10T18:00:00+07:00", &pol, true),
        event("evt-load", EventCode::Load, Classifier::Est, "2025-05-10T12:00:00+07:00", &pol, true),
    ];
    let mut mocks = signed_in();
    mocks.shipments.expect_shipment_record().returning(move |_| Ok(Some(record.clone())));
    let client = mocks.serve();
    let page = body(client.0.get("/portal/shipments/shp_1").header("cookie", session_cookie()).send().await).await;
    let title = |label: &str| {
        let start =
            page.find(&format!("<p class=\"event__title\">{label}")).unwrap_or_else(|| panic!("{label}: {page}"));
        let end = start + page[start..].find("</p>").unwrap_or_default();
        page[start..end].to_owned()
    };
    assert!(!title("Estimated arrival").contains("tag"), "{page}");
    assert!(!title("Planned departure").contains("tag"), "{page}");
    assert!(title("Loaded on vessel").contains("<span class=\"tag tag--estimate\">Estimated</span>"), "{page}");
    assert!(!page.contains("event__title\">Arrived"), "an estimate must not read as an arrival: {page}");
}

#[tokio::test]
async fn unknown_and_not_yours_shipments_are_the_same_404() {
    let mut mocks = signed_in();
    mocks.shipments.expect_shipment_record().returning(|id| {
        Ok((id.as_str() == "shp_other").then(|| {
            let mut record = demo_record();
            record.shipment.id = id.clone();
            record.shipment.customer_id = OrganizationId::new("org_other");
            record.customer = organization("org_other");
            record
        }))
    });
    let client = mocks.serve();
    let mut pages = Vec::new();
    for id in ["shp_other", "shp_missing"] {
        let response = client.0.get(format!("/portal/shipments/{id}")).header("cookie", session_cookie()).send().await;
        response.assert_status(StatusCode::NOT_FOUND);
        pages.push(without_csrf_tokens(&body(response).await));
    }
    assert_eq!(pages[0], pages[1]);
    assert!(!pages[0].contains("SHP/202505/00080"));
}

#[tokio::test]
async fn storage_trouble_is_a_calm_503_page() {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_session_holder().returning(|_, _| Err(RepoError::Unavailable("refused".to_owned())));
    let client = mocks.serve();
    let response = client.0.get("/portal/shipments").header("cookie", session_cookie()).send().await;
    response.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert!(body(response).await.contains("Please try again in a minute."));
}

// ---- Layout -------------------------------------------------------------------------------

#[tokio::test]
async fn the_stylesheet_is_served_for_long_caching_under_its_fingerprint() {
    let client = Mocks::new().serve();
    let page = body(client.0.get("/portal/login").send().await).await;
    let href_start = page.find("/portal/static/portal.css?v=").expect("the page links the stylesheet");
    let href_end = href_start + page[href_start..].find('"').expect("a closed attribute");
    let response = client.0.get(&page[href_start..href_end]).send().await;
    response.assert_status_is_ok();
    response.assert_content_type("text/css; charset=utf-8");
    response.assert_header("cache-control", "public, max-age=31536000, immutable");
    assert!(set_cookies(&response).is_empty(), "a cacheable file sets no cookie");
}
