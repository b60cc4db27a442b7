//! Share-link use-cases against mocked ports. A mock with no expectation
//! panics when called, so "nothing was written or mailed" is asserted by
//! not expecting it.

mod support;

use chrono::{Duration, TimeZone, Utc};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use porthole_app::ports::{LinkSession, MailCause, RepoError, StoredShareLink, VerificationCode};
use porthole_app::secret::SecretDigest;
use porthole_app::{AppError, AppSettings, LinkEntry, ShareLinkOptions};
use porthole_domain::projection::ShipmentRecord;
use porthole_domain::{CodeState, Email, ShareLink, ShareLinkId, ShareRecipient, ShareSections, ShipmentId, Status};
use support::*;

fn options(recipients: &[&str], require_verification: bool) -> ShareLinkOptions {
    ShareLinkOptions {
        recipients: Some(recipients.iter().map(|r| (*r).to_owned()).collect()),
        require_verification,
        ..ShareLinkOptions::default()
    }
}

fn stored(require_verification: bool) -> StoredShareLink {
    StoredShareLink {
        link: ShareLink {
            id: ShareLinkId::new("lnk_1"),
            shipment_id: ShipmentId::new("shp_1"),
            recipients: vec![ShareRecipient {
                email: Email::parse("desk@buyer.example").expect("email"),
                receives_updates: false,
            }],
            require_verification,
            expires_at: None,
            expire_on_delivery: false,
            sections: ShareSections::default(),
            created_at: Utc.with_ymd_and_hms(2025, 5, 1, 0, 0, 0).single().expect("time"),
            revoked_at: None,
        },
        delivered_at: None,
    }
}

#[tokio::test]
async fn each_bad_option_is_named_and_nothing_is_written() {
    let six = ["a@x.example", "b@x.example", "c@x.example", "d@x.example", "e@x.example", "f@x.example"];
    let cases = [
        (options(&six, false), "recipients"),
        (options(&[], true), "recipients"),
        (options(&["a@x.example", "A@x.example"], false), "recipients[1]"),
        (options(&["not an address"], false), "recipients[0]"),
        (ShareLinkOptions { expires_at: Some("2025-05-01T00:00:00Z".into()), ..options(&[], false) }, "expires_at"),
        (ShareLinkOptions { expires_at: Some("tomorrow".into()), ..options(&[], false) }, "expires_at"),
    ];
    for (options, field) in cases {
        let result = Mocks::new().app().create_share_link("shp_1", &options).await;
        assert_eq!(invalid_field(result), field);
    }
}

#[tokio::test]
async fn bulk_links_name_a_repeated_or_missing_shipment_by_index() {
    let repeated = Mocks::new().app().create_share_links(&["shp_1".into(), "shp_1".into()], &options(&[], false)).await;
    assert_eq!(invalid_field(repeated), "shipment_ids[1]");

    let mut mocks = Mocks::new();
    mocks.shipments.expect_existing_shipment_ids().returning(|_| Ok(vec![ShipmentId::new("shp_1")]));
    let missing = mocks.app().create_share_links(&["shp_1".into(), "shp_9".into()], &options(&[], false)).await;
    assert_eq!(invalid_field(missing), "shipment_ids[1]");
}

#[tokio::test]
async fn a_new_link_is_stored_by_digest_and_its_url_carries_the_token() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_existing_shipment_ids().returning(|ids| Ok(ids.to_vec()));
    mocks
        .share_links
        .expect_insert_share_links()
        .withf(|links, causes| {
            links.len() == 1
                && links[0].0.shipment_id.as_str() == "shp_1"
                && causes == [MailCause::LinkShared { link_id: links[0].0.id.clone() }]
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let issued = mocks.app().create_share_link("shp_1", &options(&["desk@buyer.example"], true)).await.expect("made");
    let token = issued.url.rsplit('/').next().expect("a token");
    assert!(issued.url.starts_with("http://127.0.0.1:8080/t/"), "{}", issued.url);
    assert!(token.len() >= 22, "at least 128 bits: {token}");
}

#[tokio::test]
async fn a_non_recipient_gets_an_unmailed_decoy_code_so_the_code_step_answers_alike() {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_share_link_by_token().returning(|_| Ok(Some(stored(true))));
    mocks
        .share_links
        .expect_insert_verification_code()
        .withf(|code| code.email.as_str() == "someone@else.example")
        .times(1)
        .returning(|_| Ok(()));
    // No expectation on the mailer: mailing would fail the test.
    mocks.app().request_link_code("a-token", "someone@else.example", None).await.expect("same answer");
}

#[tokio::test]
async fn an_unknown_or_revoked_token_is_the_same_not_found() {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_share_link_by_token().returning(|digest| {
        let mut link = stored(false);
        link.link.revoked_at = Some(Utc.with_ymd_and_hms(2025, 5, 2, 0, 0, 0).single().expect("time"));
        Ok((*digest == SecretDigest::of("revoked")).then_some(link))
    });
    let app = mocks.app();
    assert!(matches!(app.open_share_link("revoked").await, Err(AppError::NotFound)));
    assert!(matches!(app.open_share_link("unknown").await, Err(AppError::NotFound)));
    assert!(matches!(app.open_share_link(&"x".repeat(500)).await, Err(AppError::NotFound)));
}

#[tokio::test]
async fn a_link_without_verification_opens_straight_into_a_session() {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_share_link_by_token().returning(|_| Ok(Some(stored(false))));
    mocks
        .share_links
        .expect_insert_link_session()
        .withf(|session: &LinkSession| session.link_id.as_str() == "lnk_1" && session.email.is_none())
        .times(1)
        .returning(|_| Ok(()));
    let entry = mocks.app().open_share_link("a-token").await.expect("opens");
    assert!(matches!(entry, LinkEntry::Granted(issued) if issued.link_id.as_str() == "lnk_1"));
}

#[tokio::test]
async fn an_entry_that_finds_no_attempt_left_is_refused_even_with_the_right_code() {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_share_link_by_token().returning(|_| Ok(Some(stored(true))));
    mocks.share_links.expect_verification_code().returning(|link_id, email| {
        let sent_at = Utc.with_ymd_and_hms(2025, 5, 11, 23, 55, 0).single().expect("time");
        let code = VerificationCode {
            link_id: link_id.clone(),
            email: email.clone(),
            digest: SecretDigest::of("whatever"),
            sent_at,
        };
        Ok(Some((code, CodeState { sent_at, attempts: 0, used: false })))
    });
    // Concurrent guesses used the attempts up between the read and the claim.
    mocks.share_links.expect_claim_code_attempt().times(1).returning(|_| Ok(false));
    let result = mocks.app().verify_link_code("a-token", "desk@buyer.example", "123456", None).await;
    assert!(matches!(result, Err(AppError::CodeExpired)), "{result:?}");
}

#[tokio::test]
async fn a_session_of_another_link_opens_nothing() {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_link_session().returning(|digest, now| {
        Ok(Some(LinkSession {
            digest: digest.clone(),
            link_id: ShareLinkId::new("lnk_other"),
            email: None,
            created_at: now,
            expires_at: now + Duration::hours(1),
        }))
    });
    let result = mocks.app().shared_shipment(&ShareLinkId::new("lnk_1"), "ls_secret", None).await;
    assert!(matches!(result, Err(AppError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn share_page_views_are_written_in_batches_and_kept_while_writes_fail() {
    let mut mocks = Mocks::new();
    mocks.share_links.expect_link_session().returning(|digest, now| {
        Ok(Some(LinkSession {
            digest: digest.clone(),
            link_id: ShareLinkId::new("lnk_1"),
            email: None,
            created_at: now,
            expires_at: now + Duration::hours(1),
        }))
    });
    mocks.share_links.expect_share_link().returning(|_| Ok(Some(stored(false))));
    mocks.shipments.expect_shipment_record().returning(|_| {
        Ok(Some(ShipmentRecord {
            shipment: shipment("shp_1", "org_cust", Status::InTransit),
            master: None,
            events: Vec::new(),
            customer: org("org_cust", true),
            shipper: None,
            consignee: None,
        }))
    });
    let written: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let keep = written.clone();
    let mut calls = 0;
    mocks.share_links.expect_record_link_accesses().returning(move |views| {
        calls += 1;
        if calls == 1 {
            return Err(RepoError::Unavailable("the database is away".into()));
        }
        let clients = views.iter().map(|(_, view)| view.client_address.clone().unwrap_or_default()).collect();
        keep.lock().expect("an unpoisoned list").push(clients);
        Ok(())
    });
    let app = mocks.app_with(AppSettings { link_view_batch: 2, ..AppSettings::default() });
    let view = |client: &str| {
        let app = app.clone();
        let client: IpAddr = client.parse().expect("an address");
        async move { app.shared_shipment(&ShareLinkId::new("lnk_1"), "ls_secret", Some(client)).await }
    };

    view("192.0.2.1").await.expect("the first view waits for a batch");
    assert!(written.lock().expect("list").is_empty(), "nothing written before a batch is full");
    view("192.0.2.2").await.expect("a failed write does not fail the page");
    view("192.0.2.3").await.expect("views wait while writes fail");
    assert!(written.lock().expect("list").is_empty(), "one try per batch, not one per view");
    view("192.0.2.4").await.expect("the fourth view fills the next batch and writes all four");
    let all = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"].map(str::to_owned).to_vec();
    assert_eq!(
        *written.lock().expect("list"),
        vec![all],
        "the failed batch is written with the next, in arrival order"
    );
    assert_eq!(app.flush_link_views().await.expect("nothing left"), 0);
}
