//! The pages share-link recipients see: opening `/t/{token}`, proving an
//! address with an e-mailed code, and the shipment page the link shows.

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use poem::Body;
use poem::http::StatusCode;
use poem::test::TestResponse;
use porthole_app::ports::{LinkAccess, LinkSession, Mail, StoredShareLink, VerificationCode};
use porthole_app::secret::SecretDigest;
use porthole_app::{AppSettings, CodeLimits};
use porthole_domain::{Charge, ChargeSide, CodeState, Email, ShareLinkId, ShipmentId};

use crate::fixtures::{RECIPIENT, demo_record, share_link};
use crate::support::{Client, Mocks, body, header, now, open_form, set_cookies, without_csrf_tokens};

/// The token of `lnk_verified`, a live link that asks for a recipient's
/// address first.
const VERIFIED_TOKEN: &str = "Jm3YtqvQ0lXk2rQx9bA7cWd1eFg4hIj6kLm8nOp0qRs";
/// The token of `lnk_open`, a live link anyone holding it may open.
const OPEN_TOKEN: &str = "Zx8wVu7tSr6qPo5nMl4kJi3hGf2eDc1bA0zYxWvUtSr";
/// The token of `lnk_revoked`, revoked an hour ago.
const REVOKED_TOKEN: &str = "Qq1Ww2Ee3Rr4Tt5Yy6Uu7Ii8Oo9Pp0AaSsDdFfGgHhJ";
/// A live viewer session on `lnk_open`.
const VIEWER_SESSION: &str = "ls_viewer_session_secret";
const STRANGER: &str = "someone@elsewhere.example";

/// Mocks that know the three links by their tokens, and nothing else.
fn links() -> Mocks {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_share_link_by_token().returning(|digest| Ok(link_with_token(digest)));
    mocks
}

fn link_with_token(digest: &SecretDigest) -> Option<StoredShareLink> {
    if *digest == SecretDigest::of(VERIFIED_TOKEN) {
        return Some(share_link("lnk_verified", true));
    }
    if *digest == SecretDigest::of(OPEN_TOKEN) {
        return Some(share_link("lnk_open", false));
    }
    if *digest == SecretDigest::of(REVOKED_TOKEN) {
        let mut revoked = share_link("lnk_revoked", false);
        revoked.link.revoked_at = Some(now() - Duration::hours(1));
        return Some(revoked);
    }
    None
}

/// Mails sent, for the test to read the code from.
type Outbox = Arc<Mutex<Vec<Mail>>>;

/// [`links`], plus what asking for a code needs: the newest code is kept
/// as storage would keep it, and mails land in the returned outbox.
fn codes() -> (Mocks, Outbox, Arc<Mutex<Option<VerificationCode>>>) {
    let mut mocks = links();
    let stored: Arc<Mutex<Option<VerificationCode>>> = Arc::default();
    let keep = stored.clone();
    mocks.share_links.expect_insert_verification_code().returning(move |code| {
        *keep.lock().expect("an unpoisoned store") = Some(code.clone());
        Ok(())
    });
    mocks.shipments.expect_shipment_record().returning(|_| Ok(Some(demo_record())));
    let outbox: Outbox = Arc::default();
    let sent = outbox.clone();
    mocks.mailer.expect_send().returning(move |mail| {
        sent.lock().expect("an unpoisoned outbox").push(mail.clone());
        Ok(())
    });
    (mocks, outbox, stored)
}

/// The six digits in a code mail.
fn code_in(mail: &Mail) -> String {
    mail.text
        .split_whitespace()
        .find(|word| word.len() == 6 && word.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no code in {}", mail.text))
}

/// Asserts what every page behind a share link sends: nothing in the
/// `Referer` of what it links to, nothing kept by any cache.
fn assert_token_page(response: &TestResponse) {
    response.assert_header("referrer-policy", "no-referrer");
    response.assert_header("cache-control", "no-store");
}

/// Whether a page links into the portal (its stylesheet aside): link
/// recipients have no account there.
fn links_into_the_portal(page: &str) -> bool {
    page.match_indices("href=\"/portal/").any(|(at, _)| !page[at..].starts_with("href=\"/portal/static/"))
}

async fn post_address(client: &Client, email: &str) -> TestResponse {
    let form = open_form(client, &format!("/t/{VERIFIED_TOKEN}")).await;
    client
        .0
        .post(format!("/t/{VERIFIED_TOKEN}"))
        .header("cookie", &form.cookie)
        .form(&[("csrf_token", form.token.as_str()), ("email", email)])
        .send()
        .await
}

async fn post_code(client: &Client, email: &str, code: &str) -> TestResponse {
    let form = open_form(client, &format!("/t/{VERIFIED_TOKEN}")).await;
    client
        .0
        .post(format!("/t/{VERIFIED_TOKEN}/code"))
        .header("cookie", &form.cookie)
        .form(&[("csrf_token", form.token.as_str()), ("email", email), ("code", code)])
        .send()
        .await
}

// ---- Links that do not work --------------------------------------------------------

#[tokio::test]
async fn every_link_that_does_not_work_gets_the_same_page() {
    let mut mocks = links();
    mocks.share_links.expect_link_session().returning(|_, _| Ok(None));
    let client = mocks.serve();
    let addresses = [
        "/t/AnUnknownTokenOfTheRightShape0123456789abc".to_owned(),
        format!("/t/{REVOKED_TOKEN}"),
        format!("/t/{}", "x".repeat(300)),
        format!("/t/{OPEN_TOKEN}/"),
        format!("/t/{OPEN_TOKEN}/more"),
        "/t/%FF%FE".to_owned(),
        "/share/%FF%FE".to_owned(),
        // Refused before any handler, as they hold a control character.
        "/t/%00".to_owned(),
        format!("/t/{OPEN_TOKEN}%0A/code"),
        format!("/t/{OPEN_TOKEN}?utm=%1B"),
        "/share/lnk_open%00".to_owned(),
        "/share/lnk_open".to_owned(),
    ];
    let mut pages = Vec::new();
    for address in &addresses {
        let response = client.0.get(address).header("cookie", "porthole_link=ls_ended").send().await;
        response.assert_status(StatusCode::NOT_FOUND);
        assert_token_page(&response);
        pages.push(body(response).await);
    }
    assert!(pages[0].contains("This link is not valid"), "{}", pages[0]);
    assert!(!links_into_the_portal(&pages[0]), "no way into the portal: {}", pages[0]);
    for (address, page) in addresses.iter().zip(&pages) {
        assert_eq!(page, &pages[0], "{address} must read exactly like an unknown link");
    }
}

#[tokio::test]
async fn a_shipment_page_without_a_live_session_is_not_valid_and_its_cookie_is_dropped() {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_link_session().returning(|_, _| Ok(None));
    let client = mocks.serve();
    let no_cookie = client.0.get("/share/lnk_open").send().await;
    no_cookie.assert_status(StatusCode::NOT_FOUND);
    assert_token_page(&no_cookie);
    assert!(set_cookies(&no_cookie).iter().all(|cookie| !cookie.starts_with("porthole_link=")));

    let ended = client.0.get("/share/lnk_open").header("cookie", "porthole_link=ls_ended").send().await;
    ended.assert_status(StatusCode::NOT_FOUND);
    let cleared = set_cookies(&ended).into_iter().find(|c| c.starts_with("porthole_link=")).unwrap_or_default();
    assert!(cleared.contains("Max-Age=0") && cleared.contains("Path=/share/lnk_open"), "{cleared}");
}

// ---- Opening a link --------------------------------------------------------------------

#[tokio::test]
async fn a_link_without_verification_swaps_its_token_for_a_cookie_bound_to_the_link() {
    let mut mocks = links();
    let started: Arc<Mutex<Option<LinkSession>>> = Arc::default();
    let keep = started.clone();
    mocks.share_links.expect_insert_link_session().times(1).returning(move |session| {
        *keep.lock().expect("an unpoisoned slot") = Some(session.clone());
        Ok(())
    });
    let client = mocks.serve();
    let response = client.0.get(format!("/t/{OPEN_TOKEN}")).send().await;
    response.assert_status(StatusCode::SEE_OTHER);
    response.assert_header("location", "/share/lnk_open");
    assert_token_page(&response);
    let cookie = set_cookies(&response).into_iter().find(|c| c.starts_with("porthole_link=")).unwrap_or_default();
    for attribute in
        ["porthole_link=ls_", "HttpOnly", "SameSite=Lax", "Secure", "Path=/share/lnk_open", "Max-Age=43200"]
    {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    let secret = cookie.trim_start_matches("porthole_link=").split(';').next().unwrap_or_default().to_owned();
    let session = started.lock().expect("an unpoisoned slot").clone().expect("a session was stored");
    assert_eq!(session.digest, SecretDigest::of(&secret), "the cookie holds the session; storage its digest");
    assert_eq!(session.link_id, ShareLinkId::new("lnk_open"));
}

#[tokio::test]
async fn a_link_with_verification_asks_for_an_address_and_sends_nothing_yet() {
    let mut mocks = links();
    mocks.mailer.expect_send().never();
    mocks.share_links.expect_insert_link_session().never();
    let client = mocks.serve();
    let response = client.0.get(format!("/t/{VERIFIED_TOKEN}")).send().await;
    response.assert_status_is_ok();
    assert_token_page(&response);
    let page = body(response).await;
    for expected in [
        "Confirm your e-mail address",
        &format!("action=\"/t/{VERIFIED_TOKEN}\""),
        "name=\"csrf_token\"",
        "<label for=\"email\">",
        "type=\"email\"",
    ] {
        assert!(page.contains(expected), "{expected} missing: {page}");
    }
    assert!(!page.contains("<script"), "pages need no script");
    assert!(!page.contains("style="), "pages need no inline style");
    assert!(!links_into_the_portal(&page), "no way into the portal: {page}");
}

#[tokio::test]
async fn forms_without_their_csrf_token_do_nothing() {
    // No storage expectations: any lookup would panic and answer 500.
    let client = Mocks::new().serve();
    for action in [format!("/t/{VERIFIED_TOKEN}"), format!("/t/{VERIFIED_TOKEN}/code")] {
        let response = client.0.post(&action).form(&[("email", RECIPIENT), ("code", "123456")]).send().await;
        response.assert_status(StatusCode::FORBIDDEN);
        assert_token_page(&response);
        assert!(body(response).await.contains("This form has expired"));
    }
}

// ---- Proving an address ------------------------------------------------------------------

#[tokio::test]
async fn the_code_page_reads_the_same_for_a_recipient_and_a_stranger() {
    let (mocks, outbox, _) = codes();
    let client = mocks.serve();
    let mut pages = Vec::new();
    for email in [RECIPIENT, STRANGER] {
        let response = post_address(&client, email).await;
        response.assert_status_is_ok();
        assert_token_page(&response);
        let page = body(response).await;
        assert!(page.contains(&format!("name=\"email\" value=\"{email}\"")), "{page}");
        pages.push(without_csrf_tokens(&page).replace(email, "EMAIL"));
    }
    assert_eq!(pages[0], pages[1], "the page must not tell who is a recipient");
    for expected in [
        "If this address may open the link, we have e-mailed it a 6-digit code.",
        &format!("action=\"/t/{VERIFIED_TOKEN}/code\""),
        "autocomplete=\"one-time-code\"",
        "Send me a new code",
    ] {
        assert!(pages[0].contains(expected), "{expected} missing: {}", pages[0]);
    }
    let sent = outbox.lock().expect("an unpoisoned outbox").clone();
    assert_eq!(sent.len(), 1, "only the recipient gets a code");
    assert_eq!(sent[0].to, vec![Email::parse(RECIPIENT).expect("a valid e-mail")]);
}

#[tokio::test]
async fn a_malformed_address_is_asked_for_again() {
    let client = links().serve();
    let response = post_address(&client, "not an address").await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(response).await;
    assert!(page.contains("role=\"alert\"") && page.contains("value=\"not an address\""), "{page}");
}

#[tokio::test]
async fn the_right_code_opens_the_link_in_a_cookie_and_leaves_the_token_behind() {
    let (mut mocks, outbox, stored) = codes();
    let for_lookup = stored.clone();
    mocks.share_links.expect_verification_code().returning(move |_, _| {
        let code = for_lookup.lock().expect("an unpoisoned store").clone();
        Ok(code.map(|code| {
            let state = CodeState { sent_at: code.sent_at, attempts: 0, used: false };
            (code, state)
        }))
    });
    mocks.share_links.expect_claim_code_attempt().times(1).returning(|_| Ok(true));
    let redeemed: Arc<Mutex<Option<LinkSession>>> = Arc::default();
    let keep = redeemed.clone();
    mocks.share_links.expect_redeem_verification_code().times(1).returning(move |_, session| {
        *keep.lock().expect("an unpoisoned slot") = Some(session.clone());
        Ok(true)
    });
    mocks
        .share_links
        .expect_record_link_access()
        .withf(|id, entry| {
            id.as_str() == "lnk_verified"
                && entry.access == LinkAccess::Verified
                && entry.email.as_ref().map(ToString::to_string).as_deref() == Some(RECIPIENT)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let client = mocks.serve();

    post_address(&client, RECIPIENT).await.assert_status_is_ok();
    let mail = outbox.lock().expect("an unpoisoned outbox").first().cloned().expect("a code mail");
    let code = code_in(&mail);
    // Typed with a space in the middle, as people copy it.
    let typed = format!("{} {}", &code[..3], &code[3..]);
    let response = post_code(&client, RECIPIENT, &typed).await;
    response.assert_status(StatusCode::SEE_OTHER);
    response.assert_header("location", "/share/lnk_verified");
    assert_token_page(&response);
    let cookie = set_cookies(&response).into_iter().find(|c| c.starts_with("porthole_link=")).unwrap_or_default();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/share/lnk_verified", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains(VERIFIED_TOKEN), "{cookie}");
    let secret = cookie.trim_start_matches("porthole_link=").split(';').next().unwrap_or_default().to_owned();
    let session = redeemed.lock().expect("an unpoisoned slot").clone().expect("a session was started");
    assert_eq!(session.digest, SecretDigest::of(&secret));
    assert_eq!(session.email.map(|email| email.to_string()).as_deref(), Some(RECIPIENT));
}

/// Mocks on which the recipient's newest code was sent `age` ago and has
/// already been mistyped `failed` times; any entry is wrong.
fn code_on_file(age: Duration, failed: u32) -> Mocks {
    let mut mocks = links();
    mocks.share_links.expect_verification_code().returning(move |link_id, email| {
        let code = VerificationCode {
            link_id: link_id.clone(),
            email: email.clone(),
            digest: SecretDigest::of("a code nobody will type"),
            sent_at: now() - age,
        };
        Ok(Some((code, CodeState { sent_at: now() - age, attempts: failed, used: false })))
    });
    mocks.share_links.expect_claim_code_attempt().returning(|_| Ok(true));
    mocks.share_links.expect_redeem_verification_code().never();
    mocks
}

#[tokio::test]
async fn a_wrong_code_says_how_many_tries_are_left() {
    let client = code_on_file(Duration::minutes(1), 2).serve();
    let response = post_code(&client, RECIPIENT, "000000").await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_token_page(&response);
    assert!(set_cookies(&response).iter().all(|cookie| !cookie.starts_with("porthole_link=")));
    let page = body(response).await;
    assert!(page.contains("That code is not right. 2 tries left."), "{page}");
    assert!(page.contains("role=\"alert\"") && page.contains("aria-invalid=\"true\""), "{page}");
    assert!(page.contains(&format!("name=\"email\" value=\"{RECIPIENT}\"")), "{page}");
}

#[tokio::test]
async fn the_last_wrong_try_offers_a_new_code_instead_of_the_form() {
    let client = code_on_file(Duration::minutes(1), 4).serve();
    let page = body(post_code(&client, RECIPIENT, "000000").await).await;
    assert!(page.contains("cannot be tried again"), "{page}");
    assert!(!page.contains("name=\"code\""), "{page}");
    assert!(page.contains("Send me a new code"), "{page}");
}

#[tokio::test]
async fn an_expired_code_offers_a_new_one() {
    let client = code_on_file(Duration::minutes(11), 0).serve();
    let response = post_code(&client, RECIPIENT, "123456").await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_token_page(&response);
    let page = body(response).await;
    assert!(page.contains("This code has expired or was used up"), "{page}");
    assert!(!page.contains("name=\"code\""), "{page}");
    assert!(page.contains(&format!("action=\"/t/{VERIFIED_TOKEN}\"")), "the new-code button: {page}");
    assert!(page.contains("Send me a new code"), "{page}");
}

#[tokio::test]
async fn a_code_that_is_not_six_digits_is_asked_for_again() {
    let client = links().serve();
    let page = body(post_code(&client, RECIPIENT, "12345a").await).await;
    assert!(page.contains("Enter the 6 digits from the e-mail."), "{page}");
}

#[tokio::test]
async fn too_many_codes_ask_politely_to_wait() {
    let (mocks, _, _) = codes();
    let limits =
        CodeLimits { per_link_burst: 1, per_link_per_minute: 1, per_address_burst: 1, per_address_per_minute: 1 };
    let client = mocks.serve_with(AppSettings { code_limits: limits, ..AppSettings::default() });
    post_address(&client, RECIPIENT).await.assert_status_is_ok();
    let response = post_address(&client, RECIPIENT).await;
    response.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert_token_page(&response);
    assert!(header(&response, "retry-after").is_some_and(|seconds| seconds.parse::<u64>().is_ok_and(|s| s > 0)));
    let page = body(response).await;
    assert!(page.contains("Please wait 1 minute and try again."), "{page}");
}

#[tokio::test]
async fn an_oversized_form_is_refused_before_it_is_read() {
    // No storage expectation: nothing may look the link up.
    let client = Mocks::new().serve();
    let form = format!("csrf_token=x&email={}", "a".repeat(70 * 1024));
    let declared = client
        .0
        .post(format!("/t/{VERIFIED_TOKEN}"))
        .content_type("application/x-www-form-urlencoded")
        .header("content-length", form.len())
        .body(form.clone())
        .send()
        .await;
    let chunked = client
        .0
        .post(format!("/t/{VERIFIED_TOKEN}"))
        .content_type("application/x-www-form-urlencoded")
        .body(Body::from_async_read(Cursor::new(form.into_bytes())))
        .send()
        .await;
    for response in [declared, chunked] {
        response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
        response.assert_content_type("text/html; charset=utf-8");
        assert_token_page(&response);
        let page = body(response).await;
        assert!(page.contains("More was sent than this page accepts."), "{page}");
        assert!(!links_into_the_portal(&page), "no way into the portal: {page}");
    }
}

// ---- The shipment page ------------------------------------------------------------------

fn session_on_open_link(digest: &SecretDigest) -> LinkSession {
    LinkSession {
        digest: digest.clone(),
        link_id: ShareLinkId::new("lnk_open"),
        email: None,
        created_at: now(),
        expires_at: now() + Duration::hours(12),
    }
}

/// Mocks on which [`VIEWER_SESSION`] is a live session on `lnk_open`,
/// whose shipment is the demo record with a hostile note and charges.
fn viewing() -> Mocks {
    let mut mocks = Mocks::new();
    mocks
        .share_links
        .expect_link_session()
        .returning(|digest, _| Ok((*digest == SecretDigest::of(VIEWER_SESSION)).then(|| session_on_open_link(digest))));
    mocks.share_links.expect_share_link().returning(|id| Ok(Some(share_link(id.as_str(), false))));
    mocks.shipments.expect_shipment_record().withf(|id| *id == ShipmentId::new("shp_1")).returning(|_| {
        let mut record = demo_record();
        record.shipment.customer_note = Some("<script>alert('note')</script> Call before delivery".to_owned());
        record.shipment.charges = vec![
            Charge {
                side: ChargeSide::Sell,
                description: "Ocean freight sell".to_owned(),
                amount_minor: 150_000,
                currency: "USD".to_owned(),
            },
            Charge {
                side: ChargeSide::Buy,
                description: "Ocean freight buy".to_owned(),
                amount_minor: 90_000,
                currency: "USD".to_owned(),
            },
        ];
        Ok(Some(record))
    });
    mocks
}

#[tokio::test]
async fn the_shipment_page_shows_what_the_link_shares_escaped_and_nothing_else() {
    let mut mocks = viewing();
    mocks
        .share_links
        .expect_record_link_accesses()
        .withf(
            |views| matches!(views, [(id, entry)] if id.as_str() == "lnk_open" && entry.access == LinkAccess::Opened),
        )
        .times(1)
        .returning(|_| Ok(()));
    let client = mocks.serve();
    let response =
        client.0.get("/share/lnk_open").header("cookie", format!("porthole_link={VIEWER_SESSION}")).send().await;
    response.assert_status_is_ok();
    assert_token_page(&response);
    let page = body(response).await;
    for expected in [
        "<h1><span class=\"visually-hidden\">Shipment </span>SHP/202505/00080</h1>",
        "In Transit",
        "&#60;script&#62;alert(&#39;note&#39;)&#60;/script&#62; Call before delivery",
        "<progress max=\"10\"",
        "Cat Lai",
        "Long Beach",
        "10 May 2025, 19:30 (UTC+07:00)",
        "Local time at Cat Lai (VNSGN)",
        "Timeline",
        "CSQU3054383",
    ] {
        assert!(page.contains(expected), "{expected} missing: {page}");
    }
    for leaked in [
        "<script>",
        "Charges",
        "Ocean freight",
        "USD",
        "Margin is thin",
        "HBL80",
        "Org org_cust",
        "27 May 2025",
        "Documents",
        "Cargo",
        "csrf_token",
    ] {
        assert!(!page.contains(leaked), "{leaked} must not be on the page: {page}");
    }
    assert!(!links_into_the_portal(&page), "{page}");
}

#[tokio::test]
async fn the_access_log_records_the_client_a_trusted_proxy_names() {
    let mut mocks = viewing();
    mocks
        .share_links
        .expect_record_link_accesses()
        .withf(|views| matches!(views, [(_, entry)] if entry.client_address.as_deref() == Some("198.51.100.1")))
        .times(1)
        .returning(|_| Ok(()));
    let client = mocks.serve_from("[::ffff:10.0.0.7]:40000", &["10.0.0.0/8"], AppSettings::default());
    let response = client
        .0
        .get("/share/lnk_open")
        .header("cookie", format!("porthole_link={VIEWER_SESSION}"))
        .header("x-forwarded-for", "1.2.3.4, 198.51.100.1")
        .send()
        .await;
    response.assert_status_is_ok();
}

#[tokio::test]
async fn the_access_log_records_an_untrusted_peer_whatever_it_claims() {
    let mut mocks = viewing();
    mocks
        .share_links
        .expect_record_link_accesses()
        .withf(|views| matches!(views, [(_, entry)] if entry.client_address.as_deref() == Some("203.0.113.9")))
        .times(1)
        .returning(|_| Ok(()));
    let client = mocks.serve_from("203.0.113.9:40000", &["10.0.0.0/8"], AppSettings::default());
    let response = client
        .0
        .get("/share/lnk_open")
        .header("cookie", format!("porthole_link={VIEWER_SESSION}"))
        .header("x-forwarded-for", "198.51.100.1")
        .send()
        .await;
    response.assert_status_is_ok();
}

#[tokio::test]
async fn the_shipment_page_belongs_to_its_own_link_only() {
    let client = viewing().serve();
    // A live session on lnk_open does not open another link's page.
    let response =
        client.0.get("/share/lnk_other").header("cookie", format!("porthole_link={VIEWER_SESSION}")).send().await;
    response.assert_status(StatusCode::NOT_FOUND);
    assert!(body(response).await.contains("This link is not valid"));
}

#[tokio::test]
async fn a_link_that_expired_during_the_visit_ends_the_page() {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_link_session().returning(|digest, _| Ok(Some(session_on_open_link(digest))));
    mocks.share_links.expect_share_link().returning(|id| {
        let mut expired = share_link(id.as_str(), false);
        expired.link.expires_at = Some(now() - Duration::minutes(1));
        Ok(Some(expired))
    });
    mocks.share_links.expect_record_link_accesses().never();
    let client = mocks.serve();
    let response =
        client.0.get("/share/lnk_open").header("cookie", format!("porthole_link={VIEWER_SESSION}")).send().await;
    response.assert_status(StatusCode::NOT_FOUND);
    assert!(body(response).await.contains("This link is not valid"));
}
