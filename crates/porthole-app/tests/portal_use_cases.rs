//! Tracking-user management, sign-in and the portal reads, against mocked
//! ports. A mock with no expectation panics when called, so "nothing was
//! written" and "nothing was mailed" are asserted by not expecting them.

mod support;

use porthole_app::input::{TrackingUserInput, TrackingUserPatch};
use porthole_app::passwords::Passwords;
use porthole_app::ports::{MailCause, RepoError, TokenPurpose};
use porthole_app::secret::SecretDigest;
use porthole_app::{AppError, ListRequest, PortalViewer};
use porthole_domain::projection::{Dates, ShipmentSummary};
use porthole_domain::{
    Organization, OrganizationId, ShipmentAudience, ShipmentId, ShipmentReference, Status, TrackingRole,
    TrackingUserId, UserState, ViewerScope,
};
use support::*;

fn create_input() -> TrackingUserInput {
    TrackingUserInput {
        user_id: "Anh.Nguyen".into(),
        first_name: "Anh".into(),
        email: "Anh.Nguyen@SaigonTech.example".into(),
        role: "customer".into(),
        organization_ids: vec!["sgtech".into()],
        ..TrackingUserInput::default()
    }
}

fn named(id: &str, name: &str) -> Organization {
    Organization { name: name.into(), ..org(id, true) }
}

async fn hash_of(password: &str) -> String {
    Passwords::new(1).hash(password.into()).await.expect("hash")
}

#[tokio::test]
async fn a_new_user_is_invited_normalised_and_warned_about_look_alike_organizations() {
    let mut mocks = Mocks::new();
    mocks.organizations.expect_all_organizations().returning(|| {
        Ok(vec![named("sgtech", "Saigon Tech Export"), named("sgtechx", "SAIGON TECH EXPORTS CO., LTD")])
    });
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(vec![]));
    mocks.tracking_users.expect_insert_tracking_user().times(1).returning(|_, _| Ok(()));
    let saved = mocks.app().create_tracking_user(create_input()).await.expect("created");
    assert_eq!(saved.user.user_id.as_str(), "anh.nguyen");
    assert_eq!(saved.user.email.as_str(), "anh.nguyen@saigontech.example");
    assert_eq!(saved.user.state, UserState::Invited);
    assert!(saved.user.display.doc_center && !saved.user.display.shipper_info && !saved.user.display.mbl_number);
    assert_eq!(saved.warnings.len(), 1, "{:?}", saved.warnings);
    assert!(saved.warnings[0].contains("SAIGON TECH EXPORTS CO., LTD"), "{:?}", saved.warnings);
}

#[tokio::test]
async fn each_bad_field_of_a_new_user_is_named_and_nothing_is_written() {
    let cases: Vec<(TrackingUserInput, &str)> = vec![
        (TrackingUserInput { email: "not-an-address".into(), ..create_input() }, "email"),
        (TrackingUserInput { role: "admin".into(), ..create_input() }, "role"),
        (TrackingUserInput { first_name: " ".into(), ..create_input() }, "first_name"),
        (TrackingUserInput { organization_ids: vec![], ..create_input() }, "organization_ids"),
        (
            TrackingUserInput { organization_ids: vec!["sgtech".into(), "ghost".into()], ..create_input() },
            "organization_ids[1]",
        ),
        (TrackingUserInput { agent_customer_ids: Some(vec!["sgtech".into()]), ..create_input() }, "agent_customer_ids"),
        (
            TrackingUserInput {
                additional_emails: Some(vec!["anh.nguyen@saigontech.example".into()]),
                ..create_input()
            },
            "additional_emails[0]",
        ),
    ];
    for (input, field) in cases {
        let mut mocks = Mocks::new();
        mocks.organizations.expect_all_organizations().returning(|| Ok(vec![org("sgtech", true)]));
        let result = mocks.app().create_tracking_user(input).await;
        assert_eq!(invalid_field(result), field);
    }
}

#[tokio::test]
async fn an_invitation_is_queued_with_the_user_in_one_write_and_nothing_is_sent_inline() {
    let mut mocks = Mocks::new();
    mocks.organizations.expect_all_organizations().returning(|| Ok(vec![org("sgtech", true)]));
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(vec![]));
    mocks
        .tracking_users
        .expect_insert_tracking_user()
        .withf(|user, causes| {
            causes == [MailCause::PasswordSetup { tracking_user_id: user.id.clone() }]
                && user.state == UserState::Invited
        })
        .times(1)
        .returning(|_, _| Ok(()));
    mocks.credentials.expect_insert_login_token().never();
    mocks.mailer.expect_send().never();
    let saved = mocks
        .app()
        .create_tracking_user(TrackingUserInput { send_setup_email: true, ..create_input() })
        .await
        .expect("created");
    assert!(saved.warnings.is_empty(), "{:?}", saved.warnings);
}

#[tokio::test]
async fn no_invitation_is_queued_unless_asked() {
    let mut mocks = Mocks::new();
    mocks.organizations.expect_all_organizations().returning(|| Ok(vec![org("sgtech", true)]));
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(vec![]));
    mocks
        .tracking_users
        .expect_insert_tracking_user()
        .withf(|_, causes| causes.is_empty())
        .times(1)
        .returning(|_, _| Ok(()));
    mocks.mailer.expect_send().never();
    mocks
        .app()
        .create_tracking_user(TrackingUserInput { send_setup_email: false, ..create_input() })
        .await
        .expect("created");
}

#[tokio::test]
async fn a_patch_changes_only_what_it_names() {
    let mut mocks = Mocks::new();
    mocks
        .tracking_users
        .expect_tracking_user()
        .returning(|_| Ok(Some(user("anh", TrackingRole::Customer, &["sgtech"], UserState::Active))));
    mocks.organizations.expect_all_organizations().returning(|| Ok(vec![org("sgtech", true), org("pac", true)]));
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(vec![]));
    mocks
        .tracking_users
        .expect_update_tracking_user()
        .withf(|u| {
            u.first_name == "Anh Thi"
                && u.role == TrackingRole::Consignee
                && u.organization_ids.iter().map(OrganizationId::as_str).collect::<Vec<_>>() == ["pac"]
                && u.email.as_str() == "anh@example.com"
                && u.state == UserState::Active
        })
        .times(1)
        .returning(|_| Ok(()));
    let patch = TrackingUserPatch {
        first_name: Some("Anh Thi".into()),
        role: Some("consignee".into()),
        organization_ids: Some(vec!["pac".into()]),
        ..TrackingUserPatch::default()
    };
    mocks.app().update_tracking_user(&TrackingUserId::new("tu_anh"), patch).await.expect("updated");
}

#[tokio::test]
async fn staff_cannot_set_a_short_password_and_a_good_one_is_hashed_with_argon2id() {
    let short = Mocks::new().app().set_tracking_user_password(&TrackingUserId::new("tu_anh"), "short").await;
    assert_eq!(invalid_field(short), "password");

    let mut mocks = Mocks::new();
    mocks
        .tracking_users
        .expect_tracking_user()
        .returning(|_| Ok(Some(user("anh", TrackingRole::Customer, &["sgtech"], UserState::Invited))));
    mocks
        .credentials
        .expect_set_password()
        .withf(|_, hash| hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"))
        .times(1)
        .returning(|_, _| Ok(()));
    mocks.app().set_tracking_user_password(&TrackingUserId::new("tu_anh"), "a long passphrase").await.expect("set");
}

#[tokio::test]
async fn a_disabled_user_gets_no_setup_email() {
    let mut mocks = Mocks::new();
    mocks
        .tracking_users
        .expect_tracking_user()
        .returning(|_| Ok(Some(user("anh", TrackingRole::Customer, &["sgtech"], UserState::Disabled))));
    let result = mocks.app().resend_setup_email(&TrackingUserId::new("tu_anh")).await;
    assert!(matches!(result, Err(AppError::Conflict { .. })), "{result:?}");
}

/// Mocks for a sign-in attempt against user `anh` whose password is
/// `right password`.
async fn sign_in_mocks(state: UserState, portal_enabled: bool) -> Mocks {
    let hash = hash_of("right password").await;
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user_by_login().returning(move |login| {
        Ok((login.as_str() == "anh").then(|| user("anh", TrackingRole::Customer, &["sgtech"], state)))
    });
    mocks.credentials.expect_password_hash().returning(move |_| Ok(Some(hash.clone())));
    mocks.organizations.expect_organizations().returning(move |_| Ok(vec![org("sgtech", portal_enabled)]));
    mocks
}

#[tokio::test]
async fn the_right_password_starts_a_session_stored_by_digest_and_ends_the_old_one() {
    let mut mocks = sign_in_mocks(UserState::Active, true).await;
    mocks
        .credentials
        .expect_delete_session()
        .withf(|digest| *digest == SecretDigest::of("ps_old"))
        .times(1)
        .returning(|_| Ok(()));
    mocks.credentials.expect_insert_session().times(1).returning(|_| Ok(()));
    let issued = mocks.app().sign_in("ANH", "right password", None, Some("ps_old")).await.expect("signed in");
    assert!(issued.secret.expose().starts_with("ps_"));
    assert_eq!(issued.user.user_id.as_str(), "anh");
}

#[tokio::test]
async fn unknown_users_wrong_passwords_inactive_users_and_closed_portals_get_the_same_refusal() {
    let attempts = [
        ("nobody", "right password", UserState::Active, true),
        ("anh", "wrong password", UserState::Active, true),
        ("anh", "right password", UserState::Disabled, true),
        ("anh", "right password", UserState::Invited, true),
        ("anh", "right password", UserState::Active, false),
    ];
    for (login, password, state, portal) in attempts {
        // No session expectation: starting one would fail the test.
        let app = sign_in_mocks(state, portal).await.app();
        let result = app.sign_in(login, password, None, None).await;
        assert!(matches!(result, Err(AppError::InvalidCredentials)), "{login}/{password}/{state:?}: {result:?}");
    }
}

#[tokio::test]
async fn repeated_attempts_on_one_account_are_rate_limited() {
    let app = sign_in_mocks(UserState::Active, true).await.app();
    let mut limited = None;
    for attempt in 0..20 {
        if let Err(AppError::RateLimited { retry_after }) = app.sign_in("anh", "wrong password", None, None).await {
            limited = Some((attempt, retry_after));
            break;
        }
    }
    let (attempt, retry_after) = limited.expect("rate limited within 20 attempts");
    assert_eq!(attempt, 10, "the default burst is ten attempts");
    assert!(retry_after > std::time::Duration::ZERO);
}

#[tokio::test]
async fn password_setup_checks_the_confirmation_and_a_dead_token_writes_nothing() {
    let mismatch = Mocks::new().app().complete_password_setup("pt_x", "a long passphrase", "another one").await;
    assert_eq!(invalid_field(mismatch), "password_confirmation");

    let mut mocks = Mocks::new();
    mocks.credentials.expect_live_login_token().returning(|_, _, _| Ok(None));
    let dead = mocks.app().complete_password_setup("pt_x", "a long passphrase", "a long passphrase").await;
    assert!(matches!(dead, Err(AppError::InvalidCredentials)), "{dead:?}");
}

#[tokio::test]
async fn a_login_link_is_mailed_only_to_users_who_may_sign_in() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| {
        Ok(vec![
            user("anh", TrackingRole::Customer, &["sgtech"], UserState::Active),
            user("off", TrackingRole::Customer, &["sgtech"], UserState::Disabled),
        ])
    });
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![org("sgtech", true)]));
    mocks
        .credentials
        .expect_insert_login_token()
        .withf(|token| token.purpose == TokenPurpose::MagicLink && token.tracking_user_id.as_str() == "tu_anh")
        .times(1)
        .returning(|_| Ok(()));
    mocks
        .mailer
        .expect_send()
        .withf(|mail| mail.text.contains("/portal/login-link?token=pt_"))
        .times(1)
        .returning(|_| Ok(()));
    mocks.app().request_login_link("anh@example.com", None).await.expect("accepted");
}

fn viewer(role: TrackingRole, orgs: &[&str]) -> PortalViewer {
    PortalViewer {
        user: user("anh", role, orgs, UserState::Active),
        organizations: orgs.iter().map(|o| org(o, true)).collect(),
        session: SecretDigest::of("ps_x"),
    }
}

fn summary(id: &str, reference: &str, customer: &str) -> ShipmentSummary {
    ShipmentSummary {
        id: ShipmentId::new(id),
        reference: ShipmentReference::parse(reference).expect("reference"),
        hbl_no: format!("HBL-{id}"),
        pol: location("VNSGN", "Cat Lai"),
        pod: location("USLGB", "Long Beach"),
        dates: Dates { etd: None, eta: None, atd: None, ata: None },
        audience: ShipmentAudience {
            status: Status::InTransit,
            has_hbl: true,
            customer_id: OrganizationId::new(customer),
            shipper_id: None,
            consignee_id: None,
            overseas_agent_id: None,
        },
    }
}

#[tokio::test]
async fn the_list_asks_storage_for_the_users_scope_and_pages_with_a_cursor() {
    let mut mocks = Mocks::new();
    mocks
        .shipments
        .expect_shipments_in_scope()
        .withf(|scope, query| {
            matches!(scope, ViewerScope::Parties { role: TrackingRole::Customer, organization_ids, .. }
                if organization_ids.iter().map(OrganizationId::as_str).collect::<Vec<_>>() == ["sgtech"])
                && query.limit == 3
        })
        .returning(|_, _| {
            Ok(vec![
                summary("s3", "SHP/3", "sgtech"),
                summary("s2", "SHP/2", "sgtech"),
                summary("s1", "SHP/1", "sgtech"),
            ])
        });
    let page = mocks
        .app()
        .portal_shipments(
            &viewer(TrackingRole::Customer, &["sgtech"]),
            &ListRequest { limit: Some(2), ..Default::default() },
        )
        .await
        .expect("page");
    let references: Vec<&str> = page.items.iter().map(|i| i.reference.as_str()).collect();
    assert_eq!(references, ["SHP/3", "SHP/2"]);
    assert!(page.next_cursor.is_some());
}

#[tokio::test]
async fn rows_storage_should_not_have_offered_are_dropped_by_the_domain_rule() {
    let mut mocks = Mocks::new();
    mocks
        .shipments
        .expect_shipments_in_scope()
        .returning(|_, _| Ok(vec![summary("mine", "SHP/2", "sgtech"), summary("theirs", "SHP/1", "mekong")]));
    let page = mocks
        .app()
        .portal_shipments(&viewer(TrackingRole::Customer, &["sgtech"]), &ListRequest::default())
        .await
        .expect("page");
    let ids: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["mine"]);
}

#[tokio::test]
async fn another_customers_shipment_and_a_missing_one_are_the_same_not_found() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_shipment_record().returning(|id| {
        Ok((id.as_str() == "theirs").then(|| porthole_domain::projection::ShipmentRecord {
            shipment: shipment("theirs", "mekong", Status::InTransit),
            master: None,
            events: vec![],
            customer: org("mekong", true),
            shipper: None,
            consignee: None,
        }))
    });
    let app = mocks.app();
    let me = viewer(TrackingRole::Customer, &["sgtech"]);
    let foreign = app.portal_shipment(&me, &ShipmentId::new("theirs")).await;
    let missing = app.portal_shipment(&me, &ShipmentId::new("nothing")).await;
    assert!(matches!(foreign, Err(AppError::NotFound)), "{foreign:?}");
    assert!(matches!(missing, Err(AppError::NotFound)), "{missing:?}");
}

#[tokio::test]
async fn a_preview_of_an_unknown_user_is_not_found_and_storage_errors_pass_through() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(None));
    let result = mocks.app().preview_shipments(&TrackingUserId::new("tu_ghost"), &ListRequest::default()).await;
    assert!(matches!(result, Err(AppError::NotFound)), "{result:?}");

    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| Err(RepoError::Unavailable("down".into())));
    let result = mocks.app().preview_shipments(&TrackingUserId::new("tu_anh"), &ListRequest::default()).await;
    assert!(matches!(result, Err(AppError::Unavailable(_))), "{result:?}");
}

#[tokio::test]
async fn a_primary_email_another_user_signs_in_with_is_a_conflict_and_nothing_is_written() {
    let mut mocks = Mocks::new();
    mocks.organizations.expect_all_organizations().returning(|| Ok(vec![org("sgtech", true)]));
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| {
        let mut holder = user("anh", TrackingRole::Customer, &["sgtech"], UserState::Active);
        holder.email = porthole_domain::Email::parse("anh.nguyen@saigontech.example").expect("email");
        Ok(vec![holder])
    });
    // No expectation on insert_tracking_user: writing would fail the test.
    let result = mocks.app().create_tracking_user(TrackingUserInput { user_id: "anh2".into(), ..create_input() }).await;
    assert!(matches!(&result, Err(AppError::Conflict { field, .. }) if field == "email"), "{result:?}");
}

#[tokio::test]
async fn an_overseas_agent_without_customers_is_created_with_a_warning() {
    let mut mocks = Mocks::new();
    mocks.organizations.expect_all_organizations().returning(|| Ok(vec![org("lbfp", true)]));
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(vec![]));
    mocks.tracking_users.expect_insert_tracking_user().returning(|_, _| Ok(()));
    let input =
        TrackingUserInput { role: "overseas_agent".into(), organization_ids: vec!["lbfp".into()], ..create_input() };
    let saved = mocks.app().create_tracking_user(input).await.expect("created");
    assert!(saved.warnings.iter().any(|w| w.contains("agent_customer_ids")), "{:?}", saved.warnings);
}

#[tokio::test]
async fn an_invited_user_asking_for_a_sign_in_link_gets_a_password_setup_link() {
    let mut mocks = Mocks::new();
    mocks
        .tracking_users
        .expect_tracking_users_by_email()
        .returning(|_| Ok(vec![user("thu", TrackingRole::Customer, &["sgtech"], UserState::Invited)]));
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![org("sgtech", true)]));
    mocks
        .credentials
        .expect_insert_login_token()
        .withf(|token| token.purpose == TokenPurpose::PasswordSetup)
        .times(1)
        .returning(|_| Ok(()));
    mocks
        .mailer
        .expect_send()
        .withf(|mail| mail.text.contains("/portal/set-password?token="))
        .times(1)
        .returning(|_| Ok(()));
    mocks.app().request_login_link("thu@example.com", None).await.expect("accepted");
}
