//! A tracking user's notification preferences end to end: changed through
//! the portal API, read back, and one category switched off through an
//! unsubscribe link opened in a browser that is not signed in.

use porthole_domain::{NotificationCategory, TrackingUserId};
use porthole_e2e::TestApp;
use porthole_e2e::portal::PortalClient;
use porthole_e2e::staff::tracking_user_body;
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "harbour-lights-42";

#[tokio::test]
async fn preferences_change_through_the_api_and_an_unsubscribe_link_stops_one_kind_of_mail() {
    let app = TestApp::spawn().await;
    let organization = app.create_organization("NTF", "NTF Trading", true).await;
    let user_id = app
        .create_active_user(
            &tracking_user_body("ntf.ops", "ops@ntf.example.com", "customer", &[&organization]),
            PASSWORD,
        )
        .await;
    let client = app.portal_client();
    assert_eq!(client.sign_in("ntf.ops", PASSWORD).await.status, StatusCode::OK);

    let patched = porthole_e2e::read(client.request(Method::PATCH, "/api/portal/v1/me/notifications").json(&json!({
        "journey_updated": true,
        "eta_changed": true,
        "periodic_report": {"frequency": "weekly", "columns": ["reference", "eta"]},
    })))
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let expected = json!({
        "journey_updated": true,
        "eta_changed": true,
        "document_status": false,
        "periodic_report": {"frequency": "weekly", "columns": ["reference", "eta"]},
    });
    assert_eq!(patched.body, expected);
    let me = client.get("/api/portal/v1/me").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["user_id"], "ntf.ops");
    assert_eq!(me.body["notifications"], expected);

    let link = app
        .app
        .unsubscribe_link(&TrackingUserId::new(user_id), NotificationCategory::PeriodicReport)
        .await
        .expect("an unsubscribe link");
    let stranger = PortalClient::new(&app.base_url);
    let page = stranger.get(link.trim_start_matches(&app.base_url)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(client.get("/api/portal/v1/me").await.body["notifications"], expected, "opening changes nothing");

    let done = stranger.submit_form(&link, &page, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let after = client.get("/api/portal/v1/me").await.body["notifications"].clone();
    assert_eq!(
        after,
        json!({"journey_updated": true, "eta_changed": true, "document_status": false, "periodic_report": null})
    );
}
