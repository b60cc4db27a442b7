//! A tracking user's notification choices through the portal API and the
//! portal page, and unsubscribe links. A mock with no expectation panics
//! when called, so "nothing was written" is asserted by `never()`.

use std::sync::{Arc, Mutex};

use poem::http::{Method, StatusCode};
use porthole_app::ports::UnsubscribeToken;
use porthole_app::secret::SecretDigest;
use porthole_domain::{
    NotificationCategory, NotificationPreferences, PeriodicReport, ReportFrequency, TrackingRole, TrackingUser,
    TrackingUserId,
};
use serde_json::json;

use crate::fixtures::{organization, session_holder, tracking_user};
use crate::support::{Mocks, assert_error, body, json, now, open_form};

const SESSION: &str = "ps_notifications_session";
const UNSUBSCRIBE: &str = "pu_unsubscribe_token";

/// Lan, receiving every kind of mail and a daily report of two columns.
fn lan() -> TrackingUser {
    TrackingUser {
        notifications: NotificationPreferences {
            journey_updated: true,
            eta_changed: true,
            document_status: true,
            periodic_report: Some(PeriodicReport {
                frequency: ReportFrequency::Daily,
                columns: vec!["reference".into(), "eta".into()],
            }),
        },
        ..tracking_user("tu_lan", TrackingRole::Customer, "org_cust")
    }
}

type Written = Arc<Mutex<Vec<NotificationPreferences>>>;

/// Mocks on which `SESSION` is Lan's live session, and every stored user is
/// kept in the returned list.
fn signed_in() -> (Mocks, Written) {
    let mut mocks = Mocks::new();
    mocks
        .credentials
        .expect_session_holder()
        .returning(|digest, _| Ok((*digest == SecretDigest::of(SESSION)).then(|| session_holder(digest, lan()))));
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(Some(lan())));
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![organization("org_cust")]));
    let written = Written::default();
    let store = written.clone();
    mocks.tracking_users.expect_update_notifications().returning(move |_, preferences| {
        store.lock().expect("lock").push(preferences.clone());
        Ok(())
    });
    (mocks, written)
}

fn stored(written: &Written) -> Vec<NotificationPreferences> {
    written.lock().expect("lock").clone()
}

// ---- The portal API -------------------------------------------------------------

#[tokio::test]
async fn me_is_the_users_own_profile_with_nothing_internal() {
    let (mocks, _) = signed_in();
    let client = mocks.serve();
    let response = client.signed_in(Method::GET, "/api/portal/v1/me", SESSION).send().await;
    response.assert_header("cache-control", "no-store");
    let (status, me) = json(response).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let user = lan();
    assert_eq!(
        me,
        json!({
            "user_id": user.user_id.to_string(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email.to_string(),
            "additional_emails": [],
            "role": "customer",
            "notifications": {
                "journey_updated": true, "eta_changed": true, "document_status": true,
                "periodic_report": {"frequency": "daily", "columns": ["reference", "eta"]},
            },
            "display": {"doc_center": true, "shipper_info": false, "mbl_number": false},
        })
    );
    let signed_out = client.0.get("/api/portal/v1/me").send().await;
    assert_error(signed_out, 401, "unauthorized", None).await;
}

#[tokio::test]
async fn patching_changes_only_the_switches_sent_and_answers_all_of_them() {
    let (mocks, written) = signed_in();
    let client = mocks.serve();
    let response = client
        .signed_in(Method::PATCH, "/api/portal/v1/me/notifications", SESSION)
        .body_json(&json!({"eta_changed": false, "periodic_report": {"frequency": "weekly", "columns": ["status"]}}))
        .send()
        .await;
    response.assert_header("cache-control", "no-store");
    let (status, answer) = json(response).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer,
        json!({
            "journey_updated": true, "eta_changed": false, "document_status": true,
            "periodic_report": {"frequency": "weekly", "columns": ["status"]},
        })
    );
    let expected = NotificationPreferences {
        eta_changed: false,
        periodic_report: Some(PeriodicReport { frequency: ReportFrequency::Weekly, columns: vec!["status".into()] }),
        ..lan().notifications
    };
    assert_eq!(stored(&written), vec![expected]);

    let off = client
        .signed_in(Method::PATCH, "/api/portal/v1/me/notifications", SESSION)
        .body_json(&json!({"periodic_report": null}))
        .send()
        .await;
    let (_, answer) = json(off).await;
    assert_eq!(answer["periodic_report"], serde_json::Value::Null, "{answer}");
    assert_eq!(answer["journey_updated"], true, "{answer}");
}

#[tokio::test]
async fn a_bad_patch_names_its_field_and_writes_nothing() {
    let (mut mocks, written) = signed_in();
    mocks.tracking_users.checkpoint();
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(Some(lan())));
    mocks.tracking_users.expect_update_notifications().never();
    let client = mocks.serve();
    let patch = |body: serde_json::Value| {
        client.signed_in(Method::PATCH, "/api/portal/v1/me/notifications", SESSION).body_json(&body).send()
    };
    assert_error(
        patch(json!({"periodic_report": {"frequency": "hourly"}})).await,
        422,
        "invalid_field",
        Some("periodic_report.frequency"),
    )
    .await;
    assert_error(
        patch(json!({"periodic_report": {"frequency": "daily", "columns": ["eta", "charges"]}})).await,
        422,
        "invalid_field",
        Some("periodic_report.columns[1]"),
    )
    .await;
    let (status, _) = json(patch(json!({"journey_updated": "yes"})).await).await;
    assert!(status.is_client_error(), "{status}");
    let (status, _) = json(patch(json!({"eta_chnaged": false})).await).await;
    assert!(status.is_client_error(), "{status}");
    assert!(stored(&written).is_empty());
}

// ---- The preferences page -----------------------------------------------------------

fn session_cookie() -> String {
    format!("porthole_session={SESSION}")
}

#[tokio::test]
async fn the_page_shows_the_current_choices_and_is_linked_from_the_header() {
    let (mocks, _) = signed_in();
    let client = mocks.serve();
    let response = client.0.get("/portal/notifications").header("cookie", session_cookie()).send().await;
    response.assert_status_is_ok();
    response.assert_header("cache-control", "no-store");
    let page = body(response).await;
    assert!(page.contains("<a href=\"/portal/notifications\" aria-current=\"page\">Notifications</a>"), "{page}");
    assert!(page.contains("name=\"journey_updated\" checked"), "{page}");
    assert!(page.contains("name=\"periodic_report\" value=\"daily\" checked"), "{page}");
    assert!(page.contains("name=\"column\" value=\"eta\" checked"), "{page}");
    assert!(!page.contains("name=\"column\" value=\"status\" checked"), "{page}");
    assert!(!page.contains("Your choices are saved"), "{page}");
    assert!(!page.contains("<script") && !page.contains("style="), "{page}");

    let saved =
        body(client.0.get("/portal/notifications?saved=1").header("cookie", session_cookie()).send().await).await;
    assert!(saved.contains("Your choices are saved"), "{saved}");

    let signed_out = client.0.get("/portal/notifications").send().await;
    signed_out.assert_status(StatusCode::SEE_OTHER);
    signed_out.assert_header("location", "/portal/login?next=%2Fportal%2Fnotifications");
}

#[tokio::test]
async fn saving_the_form_stores_exactly_what_is_ticked() {
    let (mocks, written) = signed_in();
    let client = mocks.serve();
    let form = open_form(&client, "/portal/login").await;
    let response = client
        .0
        .post("/portal/notifications")
        .header("cookie", format!("{}; {}", form.cookie, session_cookie()))
        .form(&[
            ("csrf_token", form.token.as_str()),
            ("document_status", "on"),
            ("periodic_report", "weekly"),
            ("column", "reference"),
            ("column", "ata"),
        ])
        .send()
        .await;
    response.assert_status(StatusCode::SEE_OTHER);
    response.assert_header("location", "/portal/notifications?saved=1");
    let expected = NotificationPreferences {
        journey_updated: false,
        eta_changed: false,
        document_status: true,
        periodic_report: Some(PeriodicReport {
            frequency: ReportFrequency::Weekly,
            columns: vec!["reference".into(), "ata".into()],
        }),
    };
    assert_eq!(stored(&written), vec![expected]);
}

#[tokio::test]
async fn a_report_without_columns_comes_back_with_a_note_and_nothing_is_written() {
    let (mocks, written) = signed_in();
    let client = mocks.serve();
    let form = open_form(&client, "/portal/login").await;
    let response = client
        .0
        .post("/portal/notifications")
        .header("cookie", format!("{}; {}", form.cookie, session_cookie()))
        .form(&[("csrf_token", form.token.as_str()), ("periodic_report", "daily")])
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(response).await;
    assert!(page.contains("Choose at least one column for the summary."), "{page}");
    assert!(page.contains("name=\"periodic_report\" value=\"daily\" checked"), "{page}");
    assert!(stored(&written).is_empty());
}

#[tokio::test]
async fn a_form_without_a_valid_csrf_token_changes_nothing() {
    let (mocks, written) = signed_in();
    let client = mocks.serve();
    let form = open_form(&client, "/portal/login").await;
    let response = client
        .0
        .post("/portal/notifications")
        .header("cookie", format!("{}; {}", form.cookie, session_cookie()))
        .form(&[("csrf_token", "forged"), ("periodic_report", "off")])
        .send()
        .await;
    response.assert_status(StatusCode::FORBIDDEN);
    assert!(stored(&written).is_empty());
}

// ---- Unsubscribe links ----------------------------------------------------------------

/// Mocks on which `UNSUBSCRIBE` stops `category` for Lan.
fn with_unsubscribe_link(category: NotificationCategory) -> (Mocks, Written) {
    let (mut mocks, written) = signed_in();
    mocks.credentials.expect_unsubscribe_token().returning(move |digest| {
        Ok((*digest == SecretDigest::of(UNSUBSCRIBE)).then(|| UnsubscribeToken {
            digest: digest.clone(),
            tracking_user_id: TrackingUserId::new("tu_lan"),
            category,
            created_at: now(),
        }))
    });
    mocks.share_links.expect_link_mail_token().returning(|_| Ok(None));
    (mocks, written)
}

#[tokio::test]
async fn opening_an_unsubscribe_link_names_the_mails_and_changes_nothing() {
    let (mocks, written) = with_unsubscribe_link(NotificationCategory::EtaChanged);
    let client = mocks.serve();
    let response = client.0.get(format!("/portal/unsubscribe?token={UNSUBSCRIBE}")).send().await;
    response.assert_status_is_ok();
    response.assert_header("referrer-policy", "no-referrer");
    response.assert_header("cache-control", "no-store");
    let page = body(response).await;
    assert!(page.contains("e-mails when a departure or arrival estimate changes"), "{page}");
    assert!(page.contains(&format!("name=\"token\" value=\"{UNSUBSCRIBE}\"")), "{page}");
    assert!(stored(&written).is_empty(), "looking changes nothing");
}

#[tokio::test]
async fn an_unknown_unsubscribe_link_is_a_plain_not_valid_page() {
    let (mocks, written) = with_unsubscribe_link(NotificationCategory::EtaChanged);
    let client = mocks.serve();
    for address in ["/portal/unsubscribe?token=pu_unknown", "/portal/unsubscribe"] {
        let response = client.0.get(address).send().await;
        response.assert_status(StatusCode::NOT_FOUND);
        response.assert_header("referrer-policy", "no-referrer");
        let page = body(response).await;
        assert!(page.contains("This link is not valid"), "{page}");
        assert!(!page.contains("name=\"token\""), "{page}");
    }
    let form = open_form(&client, "/portal/login").await;
    let response = client
        .0
        .post("/portal/unsubscribe")
        .header("cookie", form.cookie)
        .form(&[("csrf_token", form.token.as_str()), ("token", "pu_unknown")])
        .send()
        .await;
    response.assert_status(StatusCode::NOT_FOUND);
    assert!(stored(&written).is_empty());
}

#[tokio::test]
async fn confirming_stops_exactly_the_linked_mails_without_signing_in() {
    for category in NotificationCategory::ALL {
        let (mocks, written) = with_unsubscribe_link(category);
        let client = mocks.serve();
        let form = open_form(&client, &format!("/portal/unsubscribe?token={UNSUBSCRIBE}")).await;
        let response = client
            .0
            .post("/portal/unsubscribe")
            .header("cookie", form.cookie)
            .form(&[("csrf_token", form.token.as_str()), ("token", UNSUBSCRIBE)])
            .send()
            .await;
        response.assert_status_is_ok();
        response.assert_header("referrer-policy", "no-referrer");
        response.assert_header("cache-control", "no-store");
        let page = body(response).await;
        assert!(page.contains("You will no longer receive"), "{page}");
        let mut expected = lan().notifications;
        expected.turn_off(category);
        assert_eq!(stored(&written), vec![expected], "{category:?}");
    }
}

#[tokio::test]
async fn an_unsubscribe_post_without_a_valid_csrf_token_changes_nothing() {
    let (mocks, written) = with_unsubscribe_link(NotificationCategory::JourneyUpdated);
    let client = mocks.serve();
    let form = open_form(&client, &format!("/portal/unsubscribe?token={UNSUBSCRIBE}")).await;
    let response = client
        .0
        .post("/portal/unsubscribe")
        .header("cookie", form.cookie)
        .form(&[("csrf_token", "forged"), ("token", UNSUBSCRIBE)])
        .send()
        .await;
    response.assert_status(StatusCode::FORBIDDEN);
    response.assert_header("referrer-policy", "no-referrer");
    assert!(stored(&written).is_empty());
}
