//! Share links end to end (SPEC §3, §4, §8): staff make them through the
//! API; recipients open them, prove their address with an e-mailed code
//! where the link asks for it, and read one shipment, for as long as the
//! link lives by the server's clock.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use porthole_app::CodeLimits;
use porthole_e2e::html::{unescape, without_csrf_tokens};
use porthole_e2e::share::{
    IssuedLink, LINK_COOKIE, UNKNOWN_TOKEN, assert_no_store, assert_token_page_headers, filled, link_cookie_set,
    redirect_path, share_link_body, share_path,
};
use porthole_e2e::staff::shipment_body;
use porthole_e2e::{GENEROUS_CODE_LIMITS, Reply, TestApp, read};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

const REFERENCE: &str = "SHP/202505/00080";
const OTHER_REFERENCE: &str = "SHP/202505/00090";
const MBL: &str = "MAEU245019876";

const RECIPIENT: &str = "desk@pacifichome.example";
const SECOND_RECIPIENT: &str = "ops@pacifichome.example";
const STRANGER: &str = "someone@elsewhere.example";

// What viewers of the link see…
const CUSTOMER_NOTE: &str = "Please arrange a customs broker in Long Beach.";
const GATE_IN_REMARK: &str = "Full container gated in at the Cat Lai terminal";
// …only where the link includes its section…
const CARGO_DESCRIPTION: &str = "Wireless earbuds in retail boxes";
const SEAL: &str = "VN4471208";
// …and never.
const INTERNAL_NOTE: &str = "Margin is thin on this booking, do not discount";
const BUY_CHARGE: &str = "Carrier ocean freight cost";
const SELL_CHARGE: &str = "Ocean freight Cat Lai to Long Beach";
const UNPUBLISHED_REMARK: &str = "Customs x-ray, staff only";
const OTHER_CONTAINER: &str = "TGHU9182731";
const OTHER_NOTE: &str = "Mekong garments for the spring collection";

/// Two customers' shipments: the one links are made for, and another
/// whose data must never appear on them.
#[derive(Debug)]
struct World {
    shipment: String,
    other_shipment: String,
}

async fn world(app: &TestApp) -> World {
    let customer = app.create_organization("STE", "Saigon Tech Export", true).await;
    let consignee = app.create_organization("PHG", "Pacific Home Goods", true).await;
    let other_customer = app.create_organization("MKG", "Mekong Garments", true).await;
    let master = app.create_master(MBL, None).await;

    let mut body = shipment_body(REFERENCE, &customer);
    body["hbl_no"] = json!("STEHCM2505080");
    body["master_id"] = json!(master);
    body["consignee_id"] = json!(consignee);
    body["status"] = json!("confirmed");
    body["etd"] = json!("2025-05-10T18:00:00+07:00");
    body["eta"] = json!("2025-05-25T08:00:00-07:00");
    body["cargo"] =
        json!({ "packages": 1240, "weight_kg": 18650.5, "volume_m3": 61.2, "description": CARGO_DESCRIPTION });
    body["containers"] = json!([{ "number": "CSQU3054383", "iso_type": "45G1", "seal": SEAL }]);
    body["customer_note"] = json!(CUSTOMER_NOTE);
    body["internal_note"] = json!(INTERNAL_NOTE);
    body["charges"] = json!([
        { "side": "buy", "description": BUY_CHARGE, "amount_minor": 180_000, "currency": "USD" },
        { "side": "sell", "description": SELL_CHARGE, "amount_minor": 245_000, "currency": "USD" },
    ]);
    let shipment = app.upsert_shipment(&body).await;
    let at_cat_lai = json!({ "unlocode": "VNSGN", "name": "Cat Lai" });
    app.add_events(
        &shipment,
        json!([
            { "event_id": "conf", "event_type": "SHIPMENT", "event_code": "CONF", "classifier": "ACT",
              "event_time": "2025-05-02T09:00:00+07:00", "published": true },
            { "event_id": "gtin", "event_type": "EQUIPMENT", "event_code": "GTIN", "classifier": "ACT",
              "event_time": "2025-05-08T14:20:00+07:00", "location": at_cat_lai,
              "container_number": "CSQU3054383", "remark": GATE_IN_REMARK, "published": true },
            { "event_id": "insp", "event_type": "EQUIPMENT", "event_code": "INSP", "classifier": "ACT",
              "event_time": "2025-05-09T10:00:00+07:00", "location": at_cat_lai,
              "container_number": "CSQU3054383", "remark": UNPUBLISHED_REMARK, "published": false },
            { "event_id": "depa", "event_type": "TRANSPORT", "event_code": "DEPA", "classifier": "ACT",
              "event_time": "2025-05-10T21:30:00+07:00", "location": at_cat_lai,
              "vessel": "MAERSK ESSEN", "voyage": "519E", "published": true }
        ]),
    )
    .await;

    let mut other = shipment_body(OTHER_REFERENCE, &other_customer);
    other["hbl_no"] = json!("MKGHCM2505090");
    other["status"] = json!("confirmed");
    other["containers"] = json!([{ "number": OTHER_CONTAINER, "iso_type": "42G1" }]);
    other["customer_note"] = json!(OTHER_NOTE);
    let other_shipment = app.upsert_shipment(&other).await;
    World { shipment, other_shipment }
}

/// A link without verification, with `extra` fields on its body.
async fn open_link(app: &TestApp, shipment: &str, extra: Value) -> IssuedLink {
    let mut body = share_link_body(shipment, &[], false);
    merge(&mut body, extra);
    app.create_share_link(&body).await
}

/// A link for `recipients` that asks for a code.
async fn verified_link(app: &TestApp, shipment: &str, recipients: &[&str]) -> IssuedLink {
    app.create_share_link(&share_link_body(shipment, recipients, true)).await
}

fn merge(body: &mut Value, extra: Value) {
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
}

/// The page as a person reads it: character references decoded.
fn text_of(reply: &Reply) -> String {
    unescape(&reply.text)
}

/// The answer every link that does not work gets: a 404 that shows no
/// shipment and hands out no session.
fn assert_dead(reply: &Reply, what: &str) {
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{what}: {}", reply.text);
    assert!(!text_of(reply).contains(REFERENCE), "{what} shows the shipment: {}", reply.text);
    assert!(link_cookie_set(reply).is_none(), "{what} set a link session: {:?}", reply.set_cookies());
    assert_no_store(reply, what);
}

/// Where the code form of the link whose e-mail form posts to `address_form`
/// posts: `/t/{token}/code`.
fn code_action(address_form: &Url) -> Url {
    match address_form.join(&format!("{}/code", address_form.path())) {
        Ok(target) => target,
        Err(error) => panic!("{address_form}: {error}"),
    }
}

/// A code that is not `code`.
fn wrong_code(code: &str) -> String {
    let number: u32 = code.parse().unwrap_or_default();
    format!("{:06}", (number + 1) % 1_000_000)
}

fn opens(details: &Value) -> Vec<Value> {
    match details.get("opens").and_then(Value::as_array) {
        Some(opens) => opens.clone(),
        None => panic!("no opens in {details}"),
    }
}

// ---- Opening and revoking --------------------------------------------------

/// Both kinds of link: a viewer gets in, the cookie alone opens the page
/// again, and revoking ends it for the cookie and for the URL at once.
async fn a_link_works_until_it_is_revoked(require_verification: bool) {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let link = if require_verification {
        verified_link(&app, &world.shipment, &[RECIPIENT]).await
    } else {
        open_link(&app, &world.shipment, json!({})).await
    };
    assert_eq!(link.body["status"], "active", "{}", link.body);
    let email = require_verification.then_some(RECIPIENT);

    if require_verification {
        let mut someone = app.link_visitor();
        let form = someone.open(&link).await;
        assert_eq!(form.status, StatusCode::OK, "the link asks for an address: {}", form.text);
        assert!(!text_of(&form).contains(REFERENCE), "the shipment before verification: {}", form.text);
        assert!(link_cookie_set(&form).is_none(), "a session before verification: {:?}", form.set_cookies());
        assert_dead(&someone.share_page(&link.id).await, "the share page without verifying");
    }

    let mut viewer = app.visitor_in(&link, email).await;
    assert!(viewer.link_cookie(&link.id).is_some(), "the viewer holds a {LINK_COOKIE} cookie");
    let again = viewer.share_page(&link.id).await;
    assert_eq!(again.status, StatusCode::OK, "the cookie alone opens the page again: {}", again.text);
    assert!(text_of(&again).contains(REFERENCE), "{}", again.text);

    app.revoke_share_link(&link.id).await;
    assert_eq!(app.share_link_status(&link.id).await, "revoked");
    assert_dead(&viewer.share_page(&link.id).await, "the share page with the revoked link's cookie");
    assert_dead(&viewer.open(&link).await, "the revoked URL, opened by the same viewer");
    let fresh = app.link_visitor().open(&link).await;
    assert_dead(&fresh, "the revoked URL in a new browser");
    assert_token_page_headers(&fresh, "the revoked URL");
}

#[tokio::test]
async fn a_link_without_verification_works_until_it_is_revoked() {
    a_link_works_until_it_is_revoked(false).await;
}

#[tokio::test]
async fn a_verified_link_works_until_it_is_revoked() {
    a_link_works_until_it_is_revoked(true).await;
}

#[tokio::test]
async fn unknown_and_revoked_links_answer_alike() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let verified = verified_link(&app, &world.shipment, &[RECIPIENT]).await;
    let open = open_link(&app, &world.shipment, json!({})).await;

    // A visitor who got the e-mail form while the link still worked.
    let mut early = app.link_visitor();
    let form = early.open(&verified).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    let (address_target, address_form) = early.email_form();
    let address_fields = filled(&address_form, &[("email", RECIPIENT)]);
    app.revoke_share_link(&verified.id).await;
    app.revoke_share_link(&open.id).await;

    let mut probe = app.link_visitor();
    let unknown = probe.get(&format!("/t/{UNKNOWN_TOKEN}")).await;
    assert_dead(&unknown, "an unknown token");
    assert_token_page_headers(&unknown, "an unknown token");
    let answers = [
        ("the revoked verified link", probe.open(&verified).await),
        ("the revoked open link", probe.open(&open).await),
        ("a malformed token", probe.get("/t/not-a-token").await),
        ("an overlong token", probe.get(&format!("/t/{}", "A".repeat(400))).await),
        ("a link page without a session", probe.get(&share_path(&open.id)).await),
        ("a share page of no link", probe.get(&share_path("lnk_00000000000000000000000000000000")).await),
    ];
    for (what, reply) in answers {
        assert_eq!(reply.status, unknown.status, "{what}: {}", reply.text);
        assert_eq!(without_csrf_tokens(&reply.text), without_csrf_tokens(&unknown.text), "{what} reads differently");
    }

    let watch = app.watch_mail();
    let base = Url::parse(&app.base_url).unwrap_or_else(|e| panic!("{e}"));
    let unknown_target = base.join(&format!("/t/{UNKNOWN_TOKEN}")).unwrap_or_else(|e| panic!("{e}"));
    let to_revoked = early.post_form_to(address_target.clone(), &address_fields).await;
    let to_unknown = early.post_form_to(unknown_target.clone(), &address_fields).await;
    assert_dead(&to_revoked, "asking a revoked link for a code");
    assert_eq!(to_unknown.status, to_revoked.status, "{}", to_unknown.text);
    assert_eq!(without_csrf_tokens(&to_unknown.text), without_csrf_tokens(&to_revoked.text));

    let code_fields = filled(&address_form, &[("email", RECIPIENT), ("code", "123456")]);
    let code_revoked = early.post_form_to(code_action(&address_target), &code_fields).await;
    let code_unknown = early.post_form_to(code_action(&unknown_target), &code_fields).await;
    assert_dead(&code_revoked, "entering a code on a revoked link");
    assert_eq!(code_unknown.status, code_revoked.status, "{}", code_unknown.text);
    assert_eq!(without_csrf_tokens(&code_unknown.text), without_csrf_tokens(&code_revoked.text));
    assert!(watch.new_to(RECIPIENT).is_empty(), "a revoked link sent a code");
}

// ---- Expiry by the server's clock ---------------------------------------------

#[tokio::test]
async fn a_link_expires_at_its_date() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let expires_at = app.clock.now() + TimeDelta::hours(2);
    let link = open_link(&app, &world.shipment, json!({ "expires_at": expires_at.to_rfc3339() })).await;
    let listed = link.body["expires_at"].as_str().and_then(|at| DateTime::parse_from_rfc3339(at).ok());
    assert_eq!(listed.map(|at| at.timestamp()), Some(expires_at.timestamp()), "{}", link.body);
    let mut viewer = app.visitor_in(&link, None).await;

    app.clock.advance(TimeDelta::hours(1));
    assert_eq!(viewer.share_page(&link.id).await.status, StatusCode::OK, "an hour before expiry");
    assert_eq!(app.link_visitor().open(&link).await.status, StatusCode::SEE_OTHER, "an hour before expiry");
    assert_eq!(app.share_link_status(&link.id).await, "active");

    app.clock.advance(TimeDelta::hours(1) + TimeDelta::minutes(1));
    assert_eq!(app.share_link_status(&link.id).await, "expired");
    assert_dead(&viewer.share_page(&link.id).await, "the share page after expiry");
    let expired = app.link_visitor().open(&link).await;
    assert_dead(&expired, "the URL after expiry");
    let unknown = app.link_visitor().get(&format!("/t/{UNKNOWN_TOKEN}")).await;
    assert_eq!(expired.text, unknown.text, "an expired link reads like one that never was");

    let past = (app.clock.now() - TimeDelta::minutes(1)).to_rfc3339();
    let mut body = share_link_body(&world.shipment, &[], false);
    body["expires_at"] = json!(past);
    let refused = app.post_json("/api/v1/share/links", &body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.is_error_naming("expires_at"), "{}", refused.text);
}

#[tokio::test]
async fn a_delivery_link_expires_a_grace_period_after_delivery() {
    const GRACE_HOURS: i64 = 48;
    let app = TestApp::builder().delivery_grace_hours(48).spawn().await;
    let world = world(&app).await;
    let on_delivery = open_link(&app, &world.shipment, json!({ "expire_on_delivery": true })).await;
    let lasting = open_link(&app, &world.shipment, json!({})).await;

    app.clock.advance(TimeDelta::days(30));
    assert_eq!(app.share_link_status(&on_delivery.id).await, "active", "not delivered, however long it sails");

    let delivered_at = app.clock.now() - TimeDelta::minutes(1);
    let delivered = json!([{ "event_id": "dlvd", "event_type": "SHIPMENT", "event_code": "DLVD", "classifier": "ACT",
        "event_time": delivered_at.to_rfc3339(), "published": true }]);
    app.add_events(&world.shipment, delivered).await;
    let staff = app.get(&format!("/api/v1/shipments/{}", world.shipment)).await;
    assert_eq!(staff.body["status"], "done", "the delivery makes the shipment Done: {}", staff.text);

    app.clock.advance(TimeDelta::hours(GRACE_HOURS - 1));
    assert_eq!(app.share_link_status(&on_delivery.id).await, "active", "within the grace");
    app.visitor_in(&on_delivery, None).await;
    // A later delivery event does not start the grace again.
    let proof = json!([{ "event_id": "podc", "event_type": "SHIPMENT", "event_code": "PODC", "classifier": "ACT",
        "event_time": app.clock.now().to_rfc3339(), "published": true }]);
    app.add_events(&world.shipment, proof).await;

    app.clock.advance(TimeDelta::hours(2));
    assert_eq!(app.share_link_status(&on_delivery.id).await, "expired");
    assert_dead(&app.link_visitor().open(&on_delivery).await, "the URL after the grace");
    assert_eq!(app.share_link_status(&lasting.id).await, "active", "a link not tied to delivery lives on");
    app.visitor_in(&lasting, None).await;
}

// ---- Recipients and codes -----------------------------------------------------

#[tokio::test]
async fn a_link_names_at_most_five_recipients() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let six: Vec<String> = (1..=6).map(|i| format!("desk{i}@pacifichome.example")).collect();
    let six: Vec<&str> = six.iter().map(String::as_str).collect();

    let refused = app.post_json("/api/v1/share/links", &share_link_body(&world.shipment, &six, true)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.is_error_naming("recipients"), "{}", refused.text);
    let mut bulk = share_link_body(&world.shipment, &six, false);
    bulk["shipment_ids"] = json!([world.shipment, world.other_shipment]);
    if let Some(body) = bulk.as_object_mut() {
        body.remove("shipment_id");
    }
    let refused = app.post_json("/api/v1/share/links/bulk", &bulk).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.is_error_naming("recipients"), "{}", refused.text);
    assert!(app.share_links_of(&world.shipment).await.is_empty(), "a refused request made no link");

    let no_one = app.post_json("/api/v1/share/links", &share_link_body(&world.shipment, &[], true)).await;
    assert_eq!(no_one.status, StatusCode::UNPROCESSABLE_ENTITY, "verification needs a recipient: {}", no_one.text);
    assert!(no_one.is_error_naming("recipients"), "{}", no_one.text);

    let link = app.create_share_link(&share_link_body(&world.shipment, &six[..5], true)).await;
    let recipients = link.body["recipients"].to_string();
    assert!(six[..5].iter().all(|email| recipients.contains(email)), "{}", link.body);
}

#[tokio::test]
async fn a_code_goes_only_to_a_recipient_and_the_page_does_not_tell() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let link = verified_link(&app, &world.shipment, &[RECIPIENT]).await;
    let mut watch = app.watch_mail();

    let mut stranger = app.link_visitor();
    assert_eq!(stranger.open(&link).await.status, StatusCode::OK);
    let for_stranger = stranger.request_code(STRANGER).await;
    let mut recipient = app.link_visitor();
    assert_eq!(recipient.open(&link).await.status, StatusCode::OK);
    let for_recipient = recipient.request_code(RECIPIENT).await;

    assert_eq!(for_recipient.status, StatusCode::OK, "{}", for_recipient.text);
    assert_eq!(for_stranger.status, for_recipient.status, "{}", for_stranger.text);
    let same = |reply: &Reply, email: &str| without_csrf_tokens(&reply.text).replace(email, "ADDRESS");
    assert_eq!(same(&for_stranger, STRANGER), same(&for_recipient, RECIPIENT), "the pages tell who is a recipient");
    assert_token_page_headers(&for_stranger, "the page after asking for a code");

    let mail = watch.next_to(RECIPIENT).await;
    assert!(mail.subject.contains(REFERENCE), "{}", mail.subject);
    assert!(mail.six_digit_code().is_some(), "{}", mail.text);
    assert!(watch.new_to(STRANGER).is_empty(), "a code went to an address that is no recipient");
    let codes: Vec<Vec<String>> =
        app.sent_mails().into_iter().filter(|mail| mail.six_digit_code().is_some()).map(|mail| mail.to).collect();
    assert_eq!(codes, vec![vec![RECIPIENT.to_owned()]], "exactly one code, to the recipient");
    assert!(app.mails_to(STRANGER).is_empty(), "nothing ever went to the stranger");

    let guessed = stranger.enter_code(STRANGER, "123456").await;
    assert_eq!(guessed.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", guessed.text);
    assert!(link_cookie_set(&guessed).is_none(), "a stranger got in");
}

#[tokio::test]
async fn five_wrong_codes_lock_the_code() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let link = verified_link(&app, &world.shipment, &[RECIPIENT]).await;
    let mut viewer = app.link_visitor();
    let code = viewer.ask_code(&app, &link, RECIPIENT).await;
    let (target, form) = viewer.code_form();

    for attempt in 1..=5u32 {
        let wrong = viewer.post_form_to(target.clone(), &filled(&form, &[("code", &wrong_code(&code))])).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "wrong code {attempt}: {}", wrong.text);
        assert!(link_cookie_set(&wrong).is_none(), "a wrong code set a session");
        let left = 5 - attempt;
        if left >= 2 {
            assert!(text_of(&wrong).contains(&format!("{left} tries left")), "attempt {attempt}: {}", wrong.text);
        }
    }
    let right = viewer.post_form_to(target.clone(), &filled(&form, &[("code", &code)])).await;
    assert_eq!(right.status, StatusCode::UNPROCESSABLE_ENTITY, "the right code after five wrong: {}", right.text);
    assert!(link_cookie_set(&right).is_none(), "a locked code let the viewer in");
    assert!(text_of(&right).to_lowercase().contains("expired"), "{}", right.text);
    assert_dead(&viewer.share_page(&link.id).await, "the share page after a locked code");

    let page = viewer.verify(&app, &link, RECIPIENT).await;
    assert_eq!(page.status, StatusCode::OK, "a new code works: {}", page.text);
}

#[tokio::test]
async fn only_the_newest_code_counts() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let link = verified_link(&app, &world.shipment, &[RECIPIENT]).await;
    let mut viewer = app.link_visitor();
    let first = viewer.ask_code(&app, &link, RECIPIENT).await;
    let mut second = viewer.ask_code(&app, &link, RECIPIENT).await;
    // One in a million draws repeats the code; a third one differs.
    while second == first {
        second = viewer.ask_code(&app, &link, RECIPIENT).await;
    }

    let old = viewer.enter_code(RECIPIENT, &first).await;
    assert_eq!(old.status, StatusCode::UNPROCESSABLE_ENTITY, "the older code: {}", old.text);
    assert!(link_cookie_set(&old).is_none(), "the older code let the viewer in");
    let new = viewer.enter_code(RECIPIENT, &second).await;
    assert_eq!(new.status, StatusCode::SEE_OTHER, "the newest code: {}", new.text);
    assert_eq!(redirect_path(&app.base_url, &new), Some(link.share_path()));
    let page = viewer.follow(&new).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);

    // The used code, entered again in another browser without asking anew.
    let mut again = app.link_visitor();
    assert_eq!(again.open(&link).await.status, StatusCode::OK);
    let (target, form) = again.email_form();
    let code_target = code_action(&target);
    let used = again.post_form_to(code_target, &filled(&form, &[("email", RECIPIENT), ("code", &second)])).await;
    assert_eq!(used.status, StatusCode::UNPROCESSABLE_ENTITY, "a used code works once: {}", used.text);
    assert!(link_cookie_set(&used).is_none(), "a used code let another browser in");
}

#[tokio::test]
async fn codes_are_rate_limited_per_link() {
    let limits = CodeLimits { per_link_burst: 3, per_link_per_minute: 1, ..GENEROUS_CODE_LIMITS };
    let app = TestApp::builder().code_limits(limits).spawn().await;
    let world = world(&app).await;
    let link = verified_link(&app, &world.shipment, &[RECIPIENT]).await;
    let other = verified_link(&app, &world.shipment, &[RECIPIENT]).await;

    let mut viewer = app.link_visitor();
    for _ in 0..3 {
        viewer.ask_code(&app, &link, RECIPIENT).await;
    }
    let watch = app.watch_mail();
    assert_eq!(viewer.open(&link).await.status, StatusCode::OK);
    let limited = viewer.request_code(RECIPIENT).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{}", limited.text);
    assert!(limited.header("retry-after").is_some(), "{:?}", limited.headers);
    assert!(watch.new_to(RECIPIENT).is_empty(), "a code past the limit was sent");

    let page = app.link_visitor().verify(&app, &other, RECIPIENT).await;
    assert_eq!(page.status, StatusCode::OK, "another link has its own limit: {}", page.text);
}

// ---- New tokens ---------------------------------------------------------------------

#[tokio::test]
async fn regenerating_kills_the_old_url_and_its_sessions() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let open = open_link(&app, &world.shipment, json!({})).await;
    let verified = verified_link(&app, &world.shipment, &[RECIPIENT]).await;
    let mut open_viewer = app.visitor_in(&open, None).await;
    let mut verified_viewer = app.visitor_in(&verified, Some(RECIPIENT)).await;
    let mut pending = app.link_visitor();
    let pending_code = pending.ask_code(&app, &verified, RECIPIENT).await;
    let (pending_target, pending_form) = pending.code_form();

    let renewed_open = app.regenerate_share_link(&open.id).await;
    let renewed_verified = app.regenerate_share_link(&verified.id).await;
    for (old, new) in [(&open, &renewed_open), (&verified, &renewed_verified)] {
        assert_eq!(new.id, old.id, "the same link");
        assert_ne!(new.token, old.token, "a new token");
        assert_eq!(app.share_link_status(&old.id).await, "active");
        assert_dead(&app.link_visitor().open(old).await, "the old URL");
    }
    assert_dead(&open_viewer.share_page(&open.id).await, "the old cookie of the open link");
    assert_dead(&verified_viewer.share_page(&verified.id).await, "the old cookie of the verified link");
    let late = pending.post_form_to(pending_target, &filled(&pending_form, &[("code", &pending_code)])).await;
    assert_dead(&late, "a code asked for through the old URL");

    // The code sent before the new token does not open the new URL either.
    let mut newcomer = app.link_visitor();
    assert_eq!(newcomer.open(&renewed_verified).await.status, StatusCode::OK);
    let (target, form) = newcomer.email_form();
    let code_target = code_action(&target);
    let stale =
        newcomer.post_form_to(code_target, &filled(&form, &[("email", RECIPIENT), ("code", &pending_code)])).await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", stale.text);
    assert!(link_cookie_set(&stale).is_none(), "a code from before the new token let the viewer in");

    let page = app.visitor_in(&renewed_open, None).await.share_page(&open.id).await;
    assert!(text_of(&page).contains(REFERENCE), "{}", page.text);
    app.visitor_in(&renewed_verified, Some(RECIPIENT)).await;

    app.revoke_share_link(&open.id).await;
    let dead = app.post_empty(&format!("/api/v1/share/links/{}/regenerate", open.id)).await;
    assert_eq!(dead.status, StatusCode::CONFLICT, "a revoked link stays dead: {}", dead.text);
    assert_dead(&app.link_visitor().open(&renewed_open).await, "the renewed URL after revocation");
}

#[tokio::test]
async fn bulk_links_each_open_their_own_shipment() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let body = json!({ "shipment_ids": [world.shipment, world.other_shipment], "require_verification": false });
    let links = app.create_share_links(&body).await;
    assert_eq!(links.len(), 2);
    assert_ne!(links[0].token, links[1].token);
    for (link, (own, foreign)) in links.iter().zip([(REFERENCE, OTHER_REFERENCE), (OTHER_REFERENCE, REFERENCE)]) {
        let page = app.visitor_in(link, None).await.share_page(&link.id).await;
        assert!(text_of(&page).contains(own), "{}", page.text);
        assert!(!text_of(&page).contains(foreign), "{}", page.text);
    }

    let missing = json!({ "shipment_ids": [world.shipment, "shp_00000000000000000000000000000000"],
        "require_verification": false });
    let refused = app.post_json("/api/v1/share/links/bulk", &missing).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.is_error_naming("shipment_ids[1]"), "{}", refused.text);
    assert_eq!(app.share_links_of(&world.shipment).await.len(), 1, "all or none");
}

// ---- What staff and viewers see -------------------------------------------------------

#[tokio::test]
async fn page_views_reach_the_access_log_on_their_own_within_moments() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let open = open_link(&app, &world.shipment, json!({})).await;
    let mut viewer = app.visitor_in(&open, None).await;
    assert_eq!(viewer.share_page(&open.id).await.status, StatusCode::OK);

    // The server writes held-back views every 250 ms: after a second none
    // is left for anyone else to write.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let left = app.app.flush_link_views().await.expect("flush");
    assert_eq!(left, 0, "the server's own writer took them");
    assert_eq!(opens(&app.share_link(&open.id).await).len(), 2, "the visit's open and the page view");
}

#[tokio::test]
async fn the_access_log_lists_opens_and_verifications() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let started = app.clock.now() - TimeDelta::seconds(1);
    let verified = verified_link(&app, &world.shipment, &[RECIPIENT, SECOND_RECIPIENT]).await;
    let open = open_link(&app, &world.shipment, json!({})).await;

    let mut viewer = app.visitor_in(&verified, Some(RECIPIENT)).await;
    assert_eq!(viewer.share_page(&verified.id).await.status, StatusCode::OK);
    let mut guesser = app.link_visitor();
    let code = guesser.ask_code(&app, &verified, SECOND_RECIPIENT).await;
    let wrong = guesser.enter_code(SECOND_RECIPIENT, &wrong_code(&code)).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.text);
    app.visitor_in(&open, None).await;

    let details = app.share_link(&verified.id).await;
    assert!(!details.to_string().contains(&verified.token), "the token is never shown again: {details}");
    assert!(details["recipients"].to_string().contains(RECIPIENT), "{details}");
    let entries = opens(&details);
    let of = |access: &str| entries.iter().filter(|e| e["access"] == access).cloned().collect::<Vec<_>>();
    let (verifications, opened) = (of("verified"), of("opened"));
    assert_eq!(verifications.len(), 1, "one verification; a wrong code is none: {details:#}");
    assert_eq!(opened.len(), 2, "two page views: {details:#}");
    assert_eq!(entries.len(), 3, "{details:#}");
    for entry in &entries {
        assert_eq!(entry["email"], RECIPIENT, "the verified address: {entry}");
        assert_eq!(entry["client_address"], "127.0.0.1", "{entry}");
        let at = entry["at"].as_str().and_then(|at| DateTime::parse_from_rfc3339(at).ok());
        let Some(at) = at.map(|at| at.with_timezone(&Utc)) else { panic!("`at` is not RFC 3339: {entry}") };
        assert!(at >= started && at <= app.clock.now(), "{at} is not the time of the visit: {entry}");
    }

    let entries = opens(&app.share_link(&open.id).await);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["access"], "opened");
    assert!(entries[0].get("email").is_none_or(Value::is_null), "no address was proven: {}", entries[0]);
    assert_eq!(entries[0]["client_address"], "127.0.0.1");

    let listed = app.share_links_of(&world.shipment).await;
    let ids: Vec<&str> = listed.iter().filter_map(|link| link["id"].as_str()).collect();
    assert_eq!(ids.len(), 2, "{listed:?}");
    assert!(ids.contains(&verified.id.as_str()) && ids.contains(&open.id.as_str()), "{listed:?}");
    assert!(listed.iter().all(|link| link["status"] == "active"), "{listed:?}");
    let listed = serde_json::to_string(&listed).unwrap_or_default();
    assert!(!listed.contains(&verified.token) && !listed.contains(&open.token), "no tokens in the list");
}

#[tokio::test]
async fn the_share_page_shows_only_what_the_link_allows() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let sections = json!({ "sections": { "containers": true, "cargo": true, "documents": true } });
    let full = open_link(&app, &world.shipment, sections).await;
    let bare = open_link(&app, &world.shipment, json!({})).await;
    let foreign = open_link(&app, &world.other_shipment, json!({})).await;

    let mut full_viewer = app.visitor_in(&full, None).await;
    let full_page = full_viewer.share_page(&full.id).await;
    let bare_page = app.visitor_in(&bare, None).await.share_page(&bare.id).await;
    assert_no_store(&full_page, "the share page");
    for (page, what) in [(&full_page, "all sections"), (&bare_page, "no sections")] {
        let text = text_of(page);
        for shown in [REFERENCE, "Cat Lai", "Long Beach", GATE_IN_REMARK, CUSTOMER_NOTE] {
            assert!(text.contains(shown), "{what}: '{shown}' missing: {}", page.text);
        }
        for never in [
            INTERNAL_NOTE,
            BUY_CHARGE,
            SELL_CHARGE,
            UNPUBLISHED_REMARK,
            MBL,
            OTHER_REFERENCE,
            OTHER_CONTAINER,
            OTHER_NOTE,
        ] {
            assert!(!text.contains(never), "{what}: '{never}' shown: {}", page.text);
        }
    }
    let (full_text, bare_text) = (text_of(&full_page), text_of(&bare_page));
    assert!(full_text.contains(CARGO_DESCRIPTION) && full_text.contains(SEAL), "{}", full_page.text);
    assert!(!bare_text.contains(CARGO_DESCRIPTION), "cargo without its section: {}", bare_page.text);
    assert!(!bare_text.contains(SEAL), "containers without their section: {}", bare_page.text);

    // A session of one link opens no other, even sent by hand.
    let session = full_viewer.link_cookie(&full.id).unwrap_or_else(|| panic!("no {LINK_COOKIE} cookie"));
    let forged = read(
        app.client
            .get(app.url(&share_path(&foreign.id)))
            .header(reqwest::header::COOKIE, format!("{LINK_COOKIE}={session}")),
    )
    .await;
    assert_dead(&forged, "another link's page with this link's session");
    assert!(!text_of(&forged).contains(OTHER_REFERENCE), "{}", forged.text);
}

#[tokio::test]
async fn token_pages_keep_the_token_out_of_referrers_caches_and_scripts() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let open = open_link(&app, &world.shipment, json!({})).await;
    let verified = verified_link(&app, &world.shipment, &[RECIPIENT]).await;

    let mut viewer = app.link_visitor();
    let entered = viewer.open(&open).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.text);
    assert_token_page_headers(&entered, "opening a link without verification");
    assert_eq!(redirect_path(&app.base_url, &entered), Some(open.share_path()), "{:?}", entered.headers);
    assert_session_cookie(&entered, &open);

    let mut watch = app.watch_mail();
    let mut visitor = app.link_visitor();
    let form = visitor.open(&verified).await;
    assert_token_page_headers(&form, "the e-mail form");
    let asked = visitor.request_code(RECIPIENT).await;
    assert_token_page_headers(&asked, "the code form");
    let mail = watch.next_to(RECIPIENT).await;
    let code = mail.six_digit_code().unwrap_or_else(|| panic!("no code in {}", mail.text));
    let wrong = visitor.enter_code(RECIPIENT, &wrong_code(&code)).await;
    assert_token_page_headers(&wrong, "a wrong code");
    let right = visitor.enter_code(RECIPIENT, &code).await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.text);
    assert_token_page_headers(&right, "the right code");
    assert_session_cookie(&right, &verified);
    let page = visitor.follow(&right).await;
    assert_no_store(&page, "the share page");
    assert!(!page.text.contains(&verified.token), "the share page repeats the token");
}

/// The link session is an HttpOnly cookie that the browser sends to the
/// link's own page only.
fn assert_session_cookie(reply: &Reply, link: &IssuedLink) {
    let Some(cookie) = link_cookie_set(reply) else { panic!("no {LINK_COOKIE} cookie: {:?}", reply.set_cookies()) };
    let attributes: Vec<String> = cookie.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "{cookie}");
    let path = format!("path={}", share_path(&link.id)).to_ascii_lowercase();
    assert!(attributes.contains(&path), "bound to {}: {cookie}", share_path(&link.id));
    assert!(!cookie.contains(&link.token), "the cookie holds the token itself: {cookie}");
}
