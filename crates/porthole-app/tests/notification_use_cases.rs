//! A tracking user's own notification preferences and unsubscribe links,
//! against mocked ports. A mock with no expectation panics when called, so
//! "nothing was written" is asserted by not expecting a write.

mod support;

use std::sync::{Arc, Mutex};

use porthole_app::input::{NotificationsInput, PeriodicReportInput};
use porthole_app::ports::{LinkMailToken, LinkMailTokenPurpose, UnsubscribeToken};
use porthole_app::secret::SecretDigest;
use porthole_app::{AppError, PortalViewer, Unsubscription};
use porthole_domain::{
    Email, NotificationCategory, NotificationPreferences, PeriodicReport, ReportFrequency, ShareLinkId, TrackingRole,
    TrackingUser, UserState,
};
use support::*;

fn subscribed_user() -> TrackingUser {
    TrackingUser {
        notifications: NotificationPreferences {
            journey_updated: true,
            eta_changed: true,
            document_status: true,
            periodic_report: Some(PeriodicReport { frequency: ReportFrequency::Daily, columns: vec!["eta".into()] }),
        },
        ..user("anh", TrackingRole::Customer, &["sgtech"], UserState::Active)
    }
}

fn viewer() -> PortalViewer {
    PortalViewer {
        user: subscribed_user(),
        organizations: vec![org("sgtech", true)],
        session: SecretDigest::of("ps_x"),
    }
}

#[tokio::test]
async fn a_user_changes_only_the_switches_sent_and_gets_all_of_them_back() {
    let mut mocks = Mocks::new();
    let stored = Arc::new(Mutex::new(None));
    let written = stored.clone();
    // Only the preferences are written: never the whole user, whose
    // organizations staff may be changing at the same moment.
    mocks.tracking_users.expect_update_notifications().times(1).returning(move |id, preferences| {
        *written.lock().expect("lock") = Some((id.clone(), preferences.clone()));
        Ok(())
    });
    let input = NotificationsInput {
        eta_changed: Some(false),
        periodic_report: Some(Some(PeriodicReportInput {
            frequency: "weekly".into(),
            columns: Some(vec!["reference".into(), "eta".into()]),
        })),
        ..NotificationsInput::default()
    };
    let preferences = mocks.app().update_own_notifications(&viewer(), input).await.expect("updated");
    let expected = NotificationPreferences {
        journey_updated: true,
        eta_changed: false,
        document_status: true,
        periodic_report: Some(PeriodicReport {
            frequency: ReportFrequency::Weekly,
            columns: vec!["reference".into(), "eta".into()],
        }),
    };
    assert_eq!(preferences, expected);
    let (id, written) = stored.lock().expect("lock").clone().expect("written");
    assert_eq!(id, subscribed_user().id);
    assert_eq!(written, expected);
}

#[tokio::test]
async fn a_bad_switch_is_named_as_the_portal_body_has_it_and_nothing_is_written() {
    let cases = [
        (PeriodicReportInput { frequency: "hourly".into(), columns: None }, "periodic_report.frequency"),
        (
            PeriodicReportInput { frequency: "daily".into(), columns: Some(vec!["eta".into(), "charges".into()]) },
            "periodic_report.columns[1]",
        ),
    ];
    for (report, field) in cases {
        let input = NotificationsInput { periodic_report: Some(Some(report)), ..NotificationsInput::default() };
        let result = Mocks::new().app().update_own_notifications(&viewer(), input).await;
        assert_eq!(invalid_field(result), field);
    }
}

#[tokio::test]
async fn an_unsubscribe_link_carries_a_token_stored_only_as_its_digest() {
    let mut mocks = Mocks::new();
    let stored = Arc::new(Mutex::new(None));
    let written = stored.clone();
    mocks.credentials.expect_insert_unsubscribe_token().times(1).returning(move |token| {
        *written.lock().expect("lock") = Some(token.clone());
        Ok(())
    });
    let user = subscribed_user();
    let link = mocks.app().unsubscribe_link(&user.id, NotificationCategory::EtaChanged).await.expect("minted");
    let token = link.strip_prefix("http://127.0.0.1:8080/portal/unsubscribe?token=").expect("the portal's address");
    // "pu_" and 256 random bits in hex.
    assert_eq!(token.len(), 3 + 64, "{token}");
    let stored = stored.lock().expect("lock").clone().expect("stored");
    assert_eq!(stored.digest, SecretDigest::of(token));
    assert_eq!(stored.tracking_user_id, user.id);
    assert_eq!(stored.category, NotificationCategory::EtaChanged);
}

#[tokio::test]
async fn unsubscribing_turns_off_exactly_the_linked_category() {
    for category in NotificationCategory::ALL {
        let mut mocks = Mocks::new();
        mocks.credentials.expect_unsubscribe_token().returning(move |digest| {
            Ok(Some(UnsubscribeToken {
                digest: digest.clone(),
                tracking_user_id: subscribed_user().id,
                category,
                created_at: chrono::DateTime::UNIX_EPOCH,
            }))
        });
        mocks.tracking_users.expect_tracking_user().returning(|_| Ok(Some(subscribed_user())));
        let stored = Arc::new(Mutex::new(None));
        let written = stored.clone();
        mocks.tracking_users.expect_update_notifications().times(1).returning(move |id, preferences| {
            *written.lock().expect("lock") = Some((id.clone(), preferences.clone()));
            Ok(())
        });
        let app = mocks.app();
        assert_eq!(app.unsubscription("pu_x").await.expect("known"), Unsubscription::Category(category));
        assert_eq!(app.unsubscribe("pu_x").await.expect("unsubscribed"), Unsubscription::Category(category));
        let mut expected = subscribed_user();
        expected.notifications.turn_off(category);
        assert_eq!(stored.lock().expect("lock").clone(), Some((expected.id, expected.notifications)), "{category:?}");
    }
}

#[tokio::test]
async fn an_unknown_unsubscribe_token_is_not_found_and_changes_nothing() {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_unsubscribe_token().returning(|_| Ok(None));
    mocks.share_links.expect_link_mail_token().returning(|_| Ok(None));
    mocks.tracking_users.expect_update_notifications().never();
    mocks.share_links.expect_stop_link_updates().never();
    let app = mocks.app();
    assert!(matches!(app.unsubscription("pu_unknown").await, Err(AppError::NotFound)));
    assert!(matches!(app.unsubscribe("pu_unknown").await, Err(AppError::NotFound)));
}

#[tokio::test]
async fn a_link_recipients_unsubscribe_token_stops_only_their_updates() {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_unsubscribe_token().returning(|_| Ok(None));
    mocks.share_links.expect_link_mail_token().returning(|digest| {
        Ok(Some(LinkMailToken {
            digest: digest.clone(),
            link_id: ShareLinkId::new("lnk_1"),
            email: Email::parse("desk@buyer.example").expect("an address"),
            purpose: LinkMailTokenPurpose::Unsubscribe,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }))
    });
    mocks
        .share_links
        .expect_stop_link_updates()
        .withf(|link, email| link.as_str() == "lnk_1" && email.as_str() == "desk@buyer.example")
        .times(1)
        .returning(|_, _| Ok(()));
    let app = mocks.app();
    assert_eq!(app.unsubscription("lu_x").await.expect("known"), Unsubscription::LinkUpdates);
    assert_eq!(app.unsubscribe("lu_x").await.expect("unsubscribed"), Unsubscription::LinkUpdates);
}

#[tokio::test]
async fn a_token_that_opens_a_link_does_not_unsubscribe() {
    let mut mocks = Mocks::new();
    mocks.credentials.expect_unsubscribe_token().returning(|_| Ok(None));
    mocks.share_links.expect_link_mail_token().returning(|digest| {
        Ok(Some(LinkMailToken {
            digest: digest.clone(),
            link_id: ShareLinkId::new("lnk_1"),
            email: Email::parse("desk@buyer.example").expect("an address"),
            purpose: LinkMailTokenPurpose::Open,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }))
    });
    mocks.share_links.expect_stop_link_updates().never();
    let app = mocks.app();
    assert!(matches!(app.unsubscription("open_x").await, Err(AppError::NotFound)));
    assert!(matches!(app.unsubscribe("open_x").await, Err(AppError::NotFound)));
}
