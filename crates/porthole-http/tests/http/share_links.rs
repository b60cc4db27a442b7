//! The staff share-link API through HTTP: links made one by one and in
//! bulk, read with their access log, listed, revoked and renewed.

use std::sync::{Arc, Mutex};

use chrono::Duration;
use poem::http::{Method, StatusCode};
use porthole_app::AppSettings;
use porthole_app::ports::{LinkAccess, LinkAccessEntry, RepoError};
use porthole_app::secret::SecretDigest;
use porthole_domain::{Email, ShareLink, ShipmentId};
use serde_json::{Value, json};

use crate::fixtures::{RECIPIENT, demo_record, share_link};
use crate::support::{Mocks, PUBLIC_URL, assert_error, json, now};

/// Settings whose public address is the test site's, so link URLs point
/// at it.
fn settings() -> AppSettings {
    AppSettings { public_url: PUBLIC_URL.to_owned(), ..AppSettings::default() }
}

/// What `insert_share_links` was given: each link with its token digest.
type Inserted = Arc<Mutex<Vec<(ShareLink, SecretDigest)>>>;

/// Mocks on which every shipment but `shp_missing` exists, link ids count
/// up from `lnk_1`, and inserted links are kept for the test to read.
fn making_links() -> (Mocks, Inserted) {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_existing_shipment_ids().returning(|ids| {
        Ok(ids.iter().filter(|id| id.as_str() != "shp_missing").cloned().collect::<Vec<ShipmentId>>())
    });
    let counter = Arc::new(Mutex::new(0));
    mocks.ids.expect_new_id().returning(move |prefix| {
        let mut next = counter.lock().expect("an unpoisoned counter");
        *next += 1;
        format!("{prefix}{next}")
    });
    let inserted: Inserted = Arc::default();
    let keep = inserted.clone();
    mocks.share_links.expect_insert_share_links().returning(move |links, _| {
        keep.lock().expect("an unpoisoned store").extend(links.iter().cloned());
        Ok(())
    });
    (mocks, inserted)
}

/// The token at the end of a link URL, checked to be under `/t/`.
fn token_of(url: &Value) -> String {
    let url = url.as_str().unwrap_or_default();
    let token = url.strip_prefix(&format!("{PUBLIC_URL}/t/")).unwrap_or_else(|| panic!("not a link URL: {url}"));
    assert!(token.len() >= 22, "a token of at least 128 bits: {url}");
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "URL-safe: {url}");
    token.to_owned()
}

// ---- Making links --------------------------------------------------------------

#[tokio::test]
async fn an_operator_makes_a_link_and_sees_its_url_once() {
    let (mocks, inserted) = making_links();
    let client = mocks.serve_with(settings());
    let response = client
        .staff(Method::POST, "/api/v1/share/links")
        .body_json(&json!({
            "shipment_id": "shp_1",
            "recipients": [RECIPIENT, "Buyer@Example.com"],
            "require_verification": true,
            "expires_at": "2025-06-30T12:00:00+07:00",
            "sections": {"containers": true, "documents": true},
            "notify_recipients": true
        }))
        .send()
        .await;
    response.assert_header("cache-control", "no-store");
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], "lnk_1");
    assert_eq!(body["shipment_id"], "shp_1");
    assert_eq!(body["status"], "active");
    assert_eq!(body["require_verification"], true);
    assert_eq!(body["expires_at"], "2025-06-30T05:00:00+00:00", "in UTC");
    assert_eq!(body["expire_on_delivery"], false);
    assert_eq!(body["revoked_at"], Value::Null);
    assert_eq!(body["created_at"], now().to_rfc3339());
    assert_eq!(
        body["recipients"],
        json!([
            {"email": RECIPIENT, "receives_updates": true},
            {"email": "buyer@example.com", "receives_updates": true}
        ])
    );
    assert_eq!(
        body["sections"],
        json!({"timeline": true, "route": true, "dates": true, "containers": true, "cargo": false, "documents": true})
    );
    let token = token_of(&body["url"]);

    let stored = inserted.lock().expect("an unpoisoned store").clone();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].1, SecretDigest::of(&token), "only the token's digest is stored");
    assert!(!format!("{:?}", stored[0]).contains(&token), "the token itself is not stored");
}

#[tokio::test]
async fn a_sixth_recipient_is_refused_by_name() {
    let client = Mocks::new().serve();
    let recipients: Vec<String> = (1..=6).map(|n| format!("person{n}@buyer.example")).collect();
    let response = client
        .staff(Method::POST, "/api/v1/share/links")
        .body_json(&json!({"shipment_id": "shp_1", "recipients": recipients, "require_verification": true}))
        .send()
        .await;
    assert_error(response, 422, "invalid_field", Some("recipients")).await;
}

#[tokio::test]
async fn a_number_among_the_recipients_is_refused_by_its_index() {
    let client = Mocks::new().serve();
    let single = client
        .staff(Method::POST, "/api/v1/share/links")
        .body_json(
            &json!({"shipment_id": "shp_1", "recipients": ["buyer@buyer.example", 5], "require_verification": true}),
        )
        .send()
        .await;
    assert_error(single, 400, "bad_request", Some("recipients[1]")).await;
    let bulk = client
        .staff(Method::POST, "/api/v1/share/links/bulk")
        .body_json(&json!({"shipment_ids": ["shp_1", false], "require_verification": false}))
        .send()
        .await;
    assert_error(bulk, 400, "bad_request", Some("shipment_ids[1]")).await;
}

#[tokio::test]
async fn there_is_no_charges_section_to_switch_on() {
    let client = Mocks::new().serve();
    let response = client
        .staff(Method::POST, "/api/v1/share/links")
        .body_json(&json!({
            "shipment_id": "shp_1",
            "require_verification": false,
            "sections": {"containers": true, "charges": true}
        }))
        .send()
        .await;
    assert_error(response, 400, "bad_request", Some("sections.charges")).await;
}

#[tokio::test]
async fn a_missing_shipment_is_named_and_nothing_is_made() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_existing_shipment_ids().returning(|ids| {
        Ok(ids.iter().filter(|id| id.as_str() != "shp_missing").cloned().collect::<Vec<ShipmentId>>())
    });
    mocks.share_links.expect_insert_share_links().never();
    let client = mocks.serve();
    let one = client
        .staff(Method::POST, "/api/v1/share/links")
        .body_json(&json!({"shipment_id": "shp_missing", "require_verification": false}))
        .send()
        .await;
    let body = assert_error(one, 422, "invalid_field", Some("shipment_id")).await;
    assert!(body["message"].as_str().is_some_and(|m| m.contains("shp_missing")), "{body}");

    let bulk = client
        .staff(Method::POST, "/api/v1/share/links/bulk")
        .body_json(&json!({"shipment_ids": ["shp_1", "shp_missing"], "require_verification": false}))
        .send()
        .await;
    assert_error(bulk, 422, "invalid_field", Some("shipment_ids[1]")).await;
}

#[tokio::test]
async fn verification_needs_someone_to_verify() {
    let client = Mocks::new().serve();
    let response = client
        .staff(Method::POST, "/api/v1/share/links")
        .body_json(&json!({"shipment_id": "shp_1", "require_verification": true}))
        .send()
        .await;
    assert_error(response, 422, "invalid_field", Some("recipients")).await;
}

#[tokio::test]
async fn a_key_is_required() {
    let client = Mocks::new().serve();
    let response = client
        .0
        .post("/api/v1/share/links")
        .body_json(&json!({"shipment_id": "shp_1", "require_verification": false}))
        .send()
        .await;
    assert_error(response, 401, "unauthorized", None).await;
}

#[tokio::test]
async fn bulk_makes_one_link_per_shipment_each_with_its_own_token() {
    let (mocks, inserted) = making_links();
    let client = mocks.serve_with(settings());
    let response = client
        .staff(Method::POST, "/api/v1/share/links/bulk")
        .body_json(&json!({
            "shipment_ids": ["shp_1", "shp_2", "shp_3"],
            "recipients": [RECIPIENT],
            "require_verification": false,
            "expire_on_delivery": true
        }))
        .send()
        .await;
    response.assert_header("cache-control", "no-store");
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let links = body["links"].as_array().cloned().unwrap_or_default();
    let shipments: Vec<&str> = links.iter().filter_map(|link| link["shipment_id"].as_str()).collect();
    assert_eq!(shipments, ["shp_1", "shp_2", "shp_3"], "{body}");
    assert!(links.iter().all(|link| link["expire_on_delivery"] == true && link["status"] == "active"), "{body}");
    let mut tokens: Vec<String> = links.iter().map(|link| token_of(&link["url"])).collect();
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 3, "every link has its own token");
    assert_eq!(inserted.lock().expect("an unpoisoned store").len(), 3);
}

// ---- Reading links -----------------------------------------------------------------

#[tokio::test]
async fn a_link_reads_with_its_status_and_who_opened_it_but_no_url() {
    let mut mocks = Mocks::new();
    mocks
        .share_links
        .expect_share_link()
        .returning(|id| Ok((id.as_str() == "lnk_1").then(|| share_link("lnk_1", true))));
    mocks.share_links.expect_link_access_log().withf(|id, _| id.as_str() == "lnk_1").returning(|_, _| {
        Ok(vec![
            LinkAccessEntry {
                at: now() - Duration::minutes(5),
                access: LinkAccess::Opened,
                email: Some(Email::parse(RECIPIENT).expect("a valid e-mail")),
                client_address: Some("203.0.113.7".to_owned()),
            },
            LinkAccessEntry {
                at: now() - Duration::minutes(6),
                access: LinkAccess::Verified,
                email: Some(Email::parse(RECIPIENT).expect("a valid e-mail")),
                client_address: None,
            },
        ])
    });
    let client = mocks.serve();
    let (status, body) = json(client.staff(Method::GET, "/api/v1/share/links/lnk_1").send().await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "lnk_1");
    assert_eq!(body["status"], "active");
    assert!(body.get("url").is_none(), "the URL is shown only when made: {body}");
    assert_eq!(
        body["opens"],
        json!([
            {
                "at": (now() - Duration::minutes(5)).to_rfc3339(),
                "access": "opened",
                "email": RECIPIENT,
                "client_address": "203.0.113.7"
            },
            {"at": (now() - Duration::minutes(6)).to_rfc3339(), "access": "verified", "email": RECIPIENT}
        ])
    );

    let missing = client.staff(Method::GET, "/api/v1/share/links/lnk_404").send().await;
    assert_error(missing, 404, "not_found", None).await;
}

#[tokio::test]
async fn a_revoked_or_expired_link_says_so() {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_share_link().returning(|id| {
        let mut stored = share_link(id.as_str(), false);
        match id.as_str() {
            "lnk_revoked" => stored.link.revoked_at = Some(now() - Duration::hours(1)),
            _ => stored.link.expires_at = Some(now() - Duration::hours(1)),
        }
        Ok(Some(stored))
    });
    mocks.share_links.expect_link_access_log().returning(|_, _| Ok(Vec::new()));
    let client = mocks.serve();
    for (id, expected) in [("lnk_revoked", "revoked"), ("lnk_expired", "expired")] {
        let (_, body) = json(client.staff(Method::GET, &format!("/api/v1/share/links/{id}")).send().await).await;
        assert_eq!(body["status"], expected, "{body}");
        assert_eq!(body["opens"], json!([]), "{body}");
    }
}

#[tokio::test]
async fn a_shipments_links_are_listed_without_urls() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_shipment_record().returning(|id| Ok((id.as_str() == "shp_1").then(demo_record)));
    mocks.share_links.expect_share_links_of().withf(|id| id.as_str() == "shp_1").returning(|_| {
        let mut revoked = share_link("lnk_1", false);
        revoked.link.revoked_at = Some(now() - Duration::hours(2));
        Ok(vec![share_link("lnk_2", true), revoked])
    });
    let client = mocks.serve();
    let (status, body) = json(client.staff(Method::GET, "/api/v1/shipments/shp_1/share-links").send().await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let links = body["links"].as_array().cloned().unwrap_or_default();
    let summary: Vec<(&str, &str)> =
        links.iter().filter_map(|link| Some((link["id"].as_str()?, link["status"].as_str()?))).collect();
    assert_eq!(summary, [("lnk_2", "active"), ("lnk_1", "revoked")], "{body}");
    assert!(links.iter().all(|link| link.get("url").is_none() && link.get("opens").is_none()), "{body}");

    let unknown = client.staff(Method::GET, "/api/v1/shipments/shp_404/share-links").send().await;
    assert_error(unknown, 404, "not_found", None).await;
}

// ---- Revoking and renewing -------------------------------------------------------

#[tokio::test]
async fn revoking_is_a_204_and_an_unknown_link_a_404() {
    let mut mocks = Mocks::new();
    mocks
        .share_links
        .expect_revoke_share_link()
        .withf(|id, at| id.as_str() == "lnk_1" && *at == now())
        .times(1)
        .returning(|_, _| Ok(()));
    mocks
        .share_links
        .expect_revoke_share_link()
        .withf(|id, _| id.as_str() == "lnk_404")
        .returning(|_, _| Err(RepoError::NotFound));
    let client = mocks.serve();
    let response = client.staff(Method::DELETE, "/api/v1/share/links/lnk_1").send().await;
    response.assert_status(StatusCode::NO_CONTENT);
    let unknown = client.staff(Method::DELETE, "/api/v1/share/links/lnk_404").send().await;
    assert_error(unknown, 404, "not_found", None).await;
}

#[tokio::test]
async fn regenerating_gives_a_new_url_whose_digest_replaces_the_old() {
    let replaced: Arc<Mutex<Option<SecretDigest>>> = Arc::default();
    let keep = replaced.clone();
    let mut mocks = Mocks::new();
    mocks.share_links.expect_share_link().returning(|id| Ok(Some(share_link(id.as_str(), true))));
    mocks.share_links.expect_replace_share_link_token().withf(|id, _| id.as_str() == "lnk_1").times(1).returning(
        move |_, digest| {
            *keep.lock().expect("an unpoisoned slot") = Some(digest.clone());
            Ok(())
        },
    );
    let client = mocks.serve_with(settings());
    let response = client.staff(Method::POST, "/api/v1/share/links/lnk_1/regenerate").send().await;
    response.assert_header("cache-control", "no-store");
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "lnk_1");
    assert_eq!(body["status"], "active");
    let token = token_of(&body["url"]);
    assert_eq!(*replaced.lock().expect("an unpoisoned slot"), Some(SecretDigest::of(&token)));
}

#[tokio::test]
async fn a_dead_link_is_not_renewed() {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_share_link().returning(|id| {
        let mut stored = share_link(id.as_str(), false);
        stored.link.revoked_at = Some(now() - Duration::minutes(1));
        Ok(Some(stored))
    });
    mocks.share_links.expect_replace_share_link_token().never();
    let client = mocks.serve();
    let response = client.staff(Method::POST, "/api/v1/share/links/lnk_1/regenerate").send().await;
    assert_error(response, 409, "conflict", Some("status")).await;
}
