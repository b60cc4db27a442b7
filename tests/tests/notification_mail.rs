//! Notification mail end to end: staff publish through the API, the outbox
//! worker sends, and the test reads the `.eml` files the server wrote.
//!
//! Who gets mail is the visibility rule plus each user's switches; a burst
//! of changes is one mail; nothing is sent twice; a failed send is retried
//! and shown to operators; reports go out at their hour by the test clock.

use chrono::{TimeDelta, Timelike, Utc};
use porthole_app::ports::OutboxStatus;
use porthole_e2e::TestApp;
use porthole_e2e::mail::SentMail;
use porthole_e2e::portal::PortalClient;
use porthole_e2e::share::share_link_body;
use porthole_e2e::staff::{shipment_body, tracking_user_body};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "harbour-lights-42";

fn with_mails(mut body: Value, journey: bool, eta: bool, documents: bool) -> Value {
    body["notifications"] = json!({ "journey_updated": journey, "eta_changed": eta, "document_status": documents });
    body
}

/// An estimated arrival at Long Beach, `hours` after 2025-05-25 00:00 UTC.
fn eta_event(id: &str, hours: i64) -> Value {
    let at =
        chrono::DateTime::parse_from_rfc3339("2025-05-25T00:00:00+00:00").expect("a time") + TimeDelta::hours(hours);
    json!({
        "event_id": id,
        "event_type": "TRANSPORT",
        "event_code": "ARRI",
        "classifier": "EST",
        "event_time": at.to_rfc3339(),
        "location": {"unlocode": "USLGB", "name": "Long Beach"},
        "published": true,
    })
}

fn departure_event(id: &str, published: bool) -> Value {
    json!({
        "event_id": id,
        "event_type": "TRANSPORT",
        "event_code": "DEPA",
        "classifier": "ACT",
        "event_time": "2025-05-10T18:00:00+07:00",
        "location": {"unlocode": "VNSGN", "name": "Cat Lai"},
        "published": published,
    })
}

/// The world most tests share: one shipment of Saigon Tech, and people
/// around it who may or may not hear of it.
struct World {
    app: TestApp,
    sgtech: String,
    shipment: String,
    other_shipment: String,
}

const ANH: &str = "anh@saigontech.example";
const ANH_SHARED_BOX: &str = "shipping@saigontech.example";
const QUIET: &str = "quiet@saigontech.example";
const GONE: &str = "gone@saigontech.example";
const MEKONG: &str = "ops@mekong.example";
const CONSIGNEE_OFF: &str = "desk@pacifichome.example";

async fn world(app: TestApp) -> World {
    let sgtech = app.create_organization("SGTECH", "Saigon Tech Export", true).await;
    let mekong = app.create_organization("MEKONG", "Mekong Garments", true).await;
    let pacific = app.create_organization("PACHOME", "Pacific Home", false).await;
    let mut body = shipment_body("SHP/202505/00080", &sgtech);
    body["hbl_no"] = json!("SGNLGB0080");
    body["status"] = json!("in_transit");
    body["consignee_id"] = json!(pacific);
    body["eta"] = json!("2025-05-25T00:00:00+00:00");
    let shipment = app.upsert_shipment(&body).await;
    let mut other = shipment_body("SHP/202505/00090", &mekong);
    other["hbl_no"] = json!("SGNLGB0090");
    other["status"] = json!("in_transit");
    let other_shipment = app.upsert_shipment(&other).await;

    let mut anh = with_mails(tracking_user_body("anh", ANH, "customer", &[&sgtech]), true, true, true);
    anh["additional_emails"] = json!([ANH_SHARED_BOX]);
    app.create_active_user(&anh, PASSWORD).await;
    // Sees the shipment, asked for nothing.
    app.create_active_user(
        &with_mails(tracking_user_body("quiet", QUIET, "customer", &[&sgtech]), false, false, false),
        PASSWORD,
    )
    .await;
    // Asked for everything, but is disabled.
    let gone = app
        .create_active_user(
            &with_mails(tracking_user_body("gone", GONE, "customer", &[&sgtech]), true, true, true),
            PASSWORD,
        )
        .await;
    app.disable_tracking_user(&gone).await;
    // Asked for everything, but cannot see Saigon Tech's shipment.
    app.create_active_user(
        &with_mails(tracking_user_body("mekong", MEKONG, "customer", &[&mekong]), true, true, true),
        PASSWORD,
    )
    .await;
    // The consignee, everything on, but its organization has the portal off.
    app.create_active_user(
        &with_mails(tracking_user_body("pacific", CONSIGNEE_OFF, "consignee", &[&pacific]), true, true, true),
        PASSWORD,
    )
    .await;
    World { app, sgtech, shipment, other_shipment }
}

fn only_mail_to(app: &TestApp, address: &str) -> SentMail {
    let mails = app.mails_to(address);
    assert_eq!(mails.len(), 1, "exactly one mail to {address}: {mails:#?}");
    mails.into_iter().next().expect("one mail")
}

fn assert_no_mail_to(app: &TestApp, addresses: &[&str]) {
    for address in addresses {
        assert!(app.mails_to(address).is_empty(), "no mail to {address}: {:#?}", app.mails_to(address));
    }
}

#[tokio::test]
async fn an_eta_change_mails_each_opted_in_viewer_once_and_nobody_else() {
    let World { app, shipment, .. } = world(TestApp::spawn().await).await;
    app.add_events(&shipment, json!([eta_event("eta-1", 49)])).await;
    app.settle_outbox().await;

    let mail = only_mail_to(&app, ANH);
    assert!(mail.is_to(ANH_SHARED_BOX), "additional addresses receive it too: {:?}", mail.to);
    assert!(mail.subject.contains("SHP/202505/00080"), "{}", mail.subject);
    assert!(mail.text.contains("later"), "says which way it moved: {}", mail.text);
    let page = mail.link_to(&format!("/portal/shipments/{shipment}")).expect("a link to the shipment page");
    assert!(page.as_str().starts_with(&app.base_url), "{page}");
    assert!(mail.link_to("/portal/unsubscribe").is_some(), "an unsubscribe link: {}", mail.text);
    assert_no_mail_to(&app, &[QUIET, GONE, MEKONG, CONSIGNEE_OFF]);

    // The same batch again changes nothing and mails nobody.
    let resent = app
        .post_json(&format!("/api/v1/shipments/{shipment}/events"), &json!({"events": [eta_event("eta-1", 49)]}))
        .await;
    assert_eq!(resent.body["duplicates"], 1, "{}", resent.text);
    app.settle_outbox().await;
    assert_eq!(app.mails_to(ANH).len(), 1, "a re-sent batch mails nobody again");
}

#[tokio::test]
async fn a_23_hour_shift_is_quiet_and_a_25_hour_shift_mails() {
    let World { app, shipment, .. } = world(TestApp::spawn().await).await;
    app.add_events(&shipment, json!([eta_event("eta-23", 23)])).await;
    app.settle_outbox().await;
    assert_no_mail_to(&app, &[ANH]);

    // 23 + 25 hours after the plan: 25 hours after the last estimate.
    app.add_events(&shipment, json!([eta_event("eta-48", 48)])).await;
    app.settle_outbox().await;
    let mail = only_mail_to(&app, ANH);
    assert!(mail.text.contains("1 day 1 hour later"), "{}", mail.text);
}

#[tokio::test]
async fn unpublished_events_mail_nobody() {
    let World { app, shipment, .. } = world(TestApp::spawn().await).await;
    let mut hidden_eta = eta_event("eta-hidden", 72);
    hidden_eta["published"] = json!(false);
    app.add_events(&shipment, json!([departure_event("atd-hidden", false), hidden_eta])).await;
    app.settle_outbox().await;
    assert!(app.sent_mails().is_empty(), "{:#?}", app.sent_mails());
    let (counts, _) = app.app.outbox_overview(None, 10).await.expect("the outbox");
    assert_eq!(counts.pending + counts.sent + counts.skipped + counts.failed, 0, "nothing queued: {counts:?}");
}

#[tokio::test]
async fn a_user_who_cannot_see_the_shipment_never_gets_its_mail() {
    let World { app, other_shipment, .. } = world(TestApp::spawn().await).await;
    // Mekong's shipment departs: its own user hears, Saigon Tech's do not.
    app.add_events(&other_shipment, json!([departure_event("atd-90", true)])).await;
    app.settle_outbox().await;
    let mail = only_mail_to(&app, MEKONG);
    assert!(mail.subject.contains("SHP/202505/00090") && mail.text.contains("Departed"), "{mail:#?}");
    assert_no_mail_to(&app, &[ANH, ANH_SHARED_BOX, QUIET, GONE, CONSIGNEE_OFF]);
}

#[tokio::test]
async fn a_burst_of_changes_within_the_window_is_one_mail() {
    let app = TestApp::builder().notifications("coalesce_seconds", "120").spawn().await;
    let World { app, shipment, .. } = world(app).await;
    app.add_events(&shipment, json!([departure_event("atd", true)])).await;
    app.add_events(&shipment, json!([eta_event("eta-1", 30)])).await;
    app.add_events(&shipment, json!([eta_event("eta-2", 60)])).await;
    app.app.run_outbox_pass().await.expect("a pass");
    assert!(app.sent_mails().is_empty(), "nothing before the window closes: {:#?}", app.sent_mails());

    app.clock.advance(TimeDelta::seconds(121));
    app.settle_outbox().await;
    let mail = only_mail_to(&app, ANH);
    assert!(mail.text.contains("Departed"), "{}", mail.text);
    // Judged from before the burst to after it: 60 hours, not 30 and 30.
    assert!(mail.text.contains("2 days 12 hours later"), "{}", mail.text);
}

#[tokio::test]
async fn a_departure_retracted_within_its_burst_is_told_to_nobody() {
    let app = TestApp::builder().notifications("coalesce_seconds", "120").spawn().await;
    let World { app, shipment, .. } = world(app).await;
    app.add_events(&shipment, json!([departure_event("atd", true)])).await;
    let mut retraction = departure_event("atd-fix", true);
    retraction["retracts"] = json!("atd");
    app.add_events(&shipment, json!([retraction])).await;
    app.clock.advance(TimeDelta::seconds(121));
    app.settle_outbox().await;
    assert!(app.sent_mails().is_empty(), "{:#?}", app.sent_mails());
}

#[tokio::test]
async fn a_failed_send_is_retried_with_backoff_and_shown_to_operators() {
    // This test runs every pass itself, so it can count what each one did.
    let app =
        TestApp::builder().notifications("worker", "false").notifications("first_retry_seconds", "60").spawn().await;
    let World { app, shipment, .. } = world(app).await;
    // The mail folder becomes a file: every send fails.
    std::fs::remove_dir_all(&app.mail_dir).ok();
    std::fs::write(&app.mail_dir, b"not a folder").expect("a file in the folder's place");
    app.add_events(&shipment, json!([eta_event("eta-1", 49)])).await;
    let pass = app.app.run_outbox_pass().await.expect("a pass");
    assert_eq!((pass.sent, pass.retried), (0, 1), "{pass:?}");

    let (counts, pending) = app.app.outbox_overview(Some(OutboxStatus::Pending), 10).await.expect("the outbox");
    assert_eq!(counts.pending, 1, "{counts:?}");
    let waiting = &pending[0];
    assert_eq!(waiting.attempts, 1);
    assert!(waiting.last_error.as_deref().is_some_and(|e| !e.is_empty()), "{waiting:?}");
    let delay = waiting.next_attempt_at - app.clock.now();
    assert!(delay > TimeDelta::seconds(50) && delay <= TimeDelta::seconds(60), "first retry after 60 s: {delay}");

    // Not due yet: nothing is tried.
    let pass = app.app.run_outbox_pass().await.expect("a pass");
    assert_eq!(pass, porthole_app::OutboxPass::default());

    // The folder is back and the retry is due: it goes out, once.
    std::fs::remove_file(&app.mail_dir).expect("the file goes");
    std::fs::create_dir_all(&app.mail_dir).expect("the folder is back");
    app.clock.advance(TimeDelta::seconds(61));
    app.settle_outbox().await;
    only_mail_to(&app, ANH);
    let (counts, _) = app.app.outbox_overview(None, 10).await.expect("the outbox");
    assert_eq!((counts.pending, counts.sent, counts.failed), (0, 1, 0), "{counts:?}");
}

#[tokio::test]
async fn after_the_last_attempt_a_mail_is_failed_until_an_operator_retries_it() {
    // This test runs every pass itself, so it can count what each one did.
    let app = TestApp::builder()
        .notifications("worker", "false")
        .notifications("max_attempts", "2")
        .notifications("first_retry_seconds", "1")
        .spawn()
        .await;
    let World { app, shipment, .. } = world(app).await;
    std::fs::remove_dir_all(&app.mail_dir).ok();
    std::fs::write(&app.mail_dir, b"not a folder").expect("a file in the folder's place");
    app.add_events(&shipment, json!([eta_event("eta-1", 49)])).await;
    app.app.run_outbox_pass().await.expect("first attempt");
    app.clock.advance(TimeDelta::seconds(2));
    let pass = app.app.run_outbox_pass().await.expect("second attempt");
    assert_eq!(pass.failed, 1, "{pass:?}");
    let (counts, failed) = app.app.outbox_overview(Some(OutboxStatus::Failed), 10).await.expect("the outbox");
    assert_eq!((counts.failed, counts.pending), (1, 0), "{counts:?}");

    std::fs::remove_file(&app.mail_dir).expect("the file goes");
    std::fs::create_dir_all(&app.mail_dir).expect("the folder is back");
    app.clock.advance(TimeDelta::hours(5));
    app.settle_outbox().await;
    assert!(app.mails_to(ANH).is_empty(), "a failed mail waits for an operator");

    assert!(app.app.retry_outbox_mail(failed[0].id).await.expect("retried"));
    assert!(!app.app.retry_outbox_mail(failed[0].id).await.expect("answered"), "it is no longer failed");
    app.settle_outbox().await;
    only_mail_to(&app, ANH);
}

#[tokio::test]
async fn share_link_recipients_get_the_link_and_updates_and_can_stop_them() {
    let World { app, shipment, .. } = world(TestApp::spawn().await).await;
    let mut body = share_link_body(&shipment, &["buyer@retail.example", "silent@retail.example"], true);
    body["notify_recipients"] = json!(true);
    let link = app.create_share_link(&body).await;
    app.settle_outbox().await;

    // Each recipient is sent the link: an address of its own, not the
    // link's token, which opens the same link.
    let shared = only_mail_to(&app, "buyer@retail.example");
    only_mail_to(&app, "silent@retail.example");
    let opener = shared.links().into_iter().find(|url| url.path().starts_with("/t/")).expect("a link to open");
    assert!(!opener.as_str().contains(&link.token), "the mail never carries the link's own token");
    let mut visitor = app.link_visitor();
    let opened = visitor.get(opener.path()).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
    assert!(opened.text.contains("name=\"email\""), "a verified link asks for the address: {}", opened.text);

    // One recipient stops updates from their mail, without signing in.
    let unsubscribe = shared.link_to("/portal/unsubscribe").expect("an unsubscribe link");
    let stranger = PortalClient::new(&app.base_url);
    let page = stranger.get(&format!("{}?{}", unsubscribe.path(), unsubscribe.query().unwrap_or_default())).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let done = stranger.submit_form(unsubscribe.as_str(), &page, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);

    app.add_events(&shipment, json!([departure_event("atd", true)])).await;
    app.settle_outbox().await;
    let buyer = app.mails_to("buyer@retail.example");
    assert_eq!(buyer.len(), 1, "the buyer stopped updates: {buyer:#?}");
    let silent = app.mails_to("silent@retail.example");
    assert_eq!(silent.len(), 2, "the other recipient hears of the departure: {silent:#?}");
    let update = &silent[1];
    assert!(update.text.contains("Departed"), "{}", update.text);
    let update_link = update.links().into_iter().find(|url| url.path().starts_with("/t/")).expect("the link");

    // A new token for the link kills the addresses mailed so far.
    app.regenerate_share_link(&link.id).await;
    let mut late = app.link_visitor();
    assert_eq!(late.get(update_link.path()).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_periodic_report_goes_out_at_its_hour_by_the_test_clock() {
    // The report hour is the next full hour, so the latest slot is almost a
    // day old (too late to send) until the clock passes that hour.
    let next_hour = (Utc::now() + TimeDelta::hours(1)).hour();
    let app = TestApp::builder()
        .notifications("report_hour", &next_hour.to_string())
        .notifications("report_timezone", "\"UTC\"")
        .spawn()
        .await;
    let World { app, sgtech, .. } = world(app).await;
    let reader = app
        .create_tracking_user(&json!({
            "user_id": "reader",
            "first_name": "Rita",
            "email": "reader@saigontech.example",
            "role": "customer",
            "organization_ids": [sgtech],
            "notifications": {"periodic_report": {"frequency": "daily", "columns": ["reference", "eta", "status"]}},
            "send_setup_email": false,
        }))
        .await;
    app.set_tracking_user_password(&reader, PASSWORD).await;
    app.settle_outbox().await;
    assert_no_mail_to(&app, &["reader@saigontech.example"]);

    app.clock.advance(TimeDelta::minutes(61));
    app.settle_outbox().await;
    let report = only_mail_to(&app, "reader@saigontech.example");
    assert!(report.subject.contains("daily"), "{}", report.subject);
    assert!(report.text.contains("SHP/202505/00080"), "its own open shipment: {}", report.text);
    assert!(!report.text.contains("SHP/202505/00090"), "never another customer's: {}", report.text);
    assert!(report.link_to("/portal/unsubscribe").is_some(), "{}", report.text);
    assert_no_mail_to(&app, &[ANH, MEKONG]);

    // Once per slot, however often the worker looks.
    app.clock.advance(TimeDelta::hours(2));
    app.settle_outbox().await;
    assert_eq!(app.mails_to("reader@saigontech.example").len(), 1);
    // The next day's slot sends the next report.
    app.clock.advance(TimeDelta::hours(22));
    app.settle_outbox().await;
    assert_eq!(app.mails_to("reader@saigontech.example").len(), 2);
}

#[tokio::test]
async fn an_invitation_arrives_through_the_outbox_and_opens_the_set_password_page() {
    let app = TestApp::spawn().await;
    let organization = app.create_organization("NTF", "NTF Trading", true).await;
    let mut body = tracking_user_body("invitee", "invitee@ntf.example", "customer", &[&organization]);
    body["send_setup_email"] = json!(true);
    app.create_tracking_user(&body).await;
    let mut watch = app.watch_mail();
    let mail = watch.next_to("invitee@ntf.example").await;
    assert!(mail.token_for("/portal/set-password").is_some(), "{}", mail.text);
    app.settle_outbox().await;
    assert_eq!(app.mails_to("invitee@ntf.example").len(), 1, "sent once");
}

#[tokio::test]
async fn with_the_smtp_transport_the_same_mail_reaches_a_real_smtp_server() {
    let mut sink = porthole_mail::test_sink::Sink::start().await;
    let app = TestApp::builder().smtp(&format!("smtp://{}?tls=none", sink.addr)).spawn().await;
    let World { app, shipment, .. } = world(app).await;
    app.add_events(&shipment, json!([eta_event("eta-1", 49)])).await;
    let received = sink.next().await;
    let mut envelope = received.rcpt_to.clone();
    envelope.sort();
    assert_eq!(envelope, vec![ANH.to_owned(), ANH_SHARED_BOX.to_owned()], "the user's every address");
    let mail = SentMail::parse(std::path::Path::new("smtp"), &received.data).expect("a well-formed message");
    assert!(mail.subject.contains("SHP/202505/00080"), "{}", mail.subject);
    assert!(mail.link_to(&format!("/portal/shipments/{shipment}")).is_some(), "{}", mail.text);
    app.settle_outbox().await;
    assert!(sink.has_received_nothing(), "one mail, to the one user who may and wants to read it");
    assert!(app.sent_mails().is_empty(), "nothing went to files");
}
