//! Use-case tests against mocked ports. A mock with no expectation set
//! panics when called, so "nothing was written" is asserted simply by not
//! expecting the write.

mod support;

use chrono::Utc;
use porthole_app::input::{EventInput, LocationInput, OrganizationInput, ShipmentInput};
use porthole_app::ports::{AppendOutcome, RepoError, Upserted};
use porthole_app::{AppError, Porthole};
use porthole_domain::projection::ShipmentRecord;
use porthole_domain::{Permission, ShipmentId, StaffRole, Status, TrackingRole, UserState};

use support::*;

#[tokio::test]
async fn an_unknown_customer_is_refused_by_field_and_nothing_is_written() {
    let mut mocks = Mocks::new();
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![]));
    // No expectation on upsert_shipment: calling it would fail the test.
    let result = mocks.app().upsert_shipment(shipment_input()).await;
    assert_eq!(invalid_field(result), "customer_id");
}

#[tokio::test]
async fn a_malformed_port_is_refused_before_any_storage_call() {
    let input =
        ShipmentInput { pod: LocationInput { unlocode: "LONG BEACH".into(), name: "LB".into() }, ..shipment_input() };
    let result = Mocks::new().app().upsert_shipment(input).await;
    assert_eq!(invalid_field(result), "pod.unlocode");
}

#[tokio::test]
async fn an_update_keeps_the_id_and_refuses_a_status_regression() {
    let mut mocks = Mocks::new();
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![org("cust", true)]));
    mocks
        .shipments
        .expect_shipment_by_reference()
        .returning(|_| Ok(Some(shipment("shp_existing", "cust", Status::InTransit))));
    let input = ShipmentInput { status: Some("confirmed".into()), ..shipment_input() };
    let result = mocks.app().upsert_shipment(input).await;
    assert_eq!(invalid_field(result), "status");
}

#[tokio::test]
async fn an_update_without_status_keeps_the_current_status_and_id() {
    let mut mocks = Mocks::new();
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![org("cust", true)]));
    mocks
        .shipments
        .expect_shipment_by_reference()
        .returning(|_| Ok(Some(shipment("shp_existing", "cust", Status::InTransit))));
    mocks
        .shipments
        .expect_upsert_shipment()
        .withf(|s| s.id.as_str() == "shp_existing" && s.status == Status::InTransit && s.internal_note.is_none())
        .times(1)
        .returning(|_| Ok(Upserted::Updated));
    mocks.shipments.expect_shipment_record().returning(|_| {
        Ok(Some(ShipmentRecord {
            shipment: shipment("shp_existing", "cust", Status::InTransit),
            master: None,
            events: vec![],
            customer: org("cust", true),
            shipper: None,
            consignee: None,
        }))
    });
    let outcome = mocks.app().upsert_shipment(shipment_input()).await.expect("upsert succeeds");
    assert_eq!(outcome.upserted, Upserted::Updated);
    assert_eq!(outcome.view.record.shipment.id.as_str(), "shp_existing");
}

#[tokio::test]
async fn one_bad_event_refuses_the_whole_batch_naming_its_index() {
    let batch = vec![departure("e1"), EventInput { event_code: "WARP".into(), ..departure("e2") }, departure("e3")];
    // No expectation on append_events: the batch must never reach storage.
    let result = Mocks::new().app().ingest_events(&ShipmentId::new("shp_1"), &batch).await;
    assert_eq!(invalid_field(result), "events[1].event_code");
}

#[tokio::test]
async fn a_batch_repeating_an_event_id_is_refused() {
    let batch = vec![departure("e1"), departure("e1")];
    let result = Mocks::new().app().ingest_events(&ShipmentId::new("shp_1"), &batch).await;
    assert_eq!(invalid_field(result), "events[1].event_id");
}

#[tokio::test]
async fn an_empty_batch_is_refused() {
    let result = Mocks::new().app().ingest_events(&ShipmentId::new("shp_1"), &[]).await;
    assert_eq!(invalid_field(result), "events");
}

#[tokio::test]
async fn a_valid_batch_is_stored_whole_and_its_outcome_reported() {
    let mut mocks = Mocks::new();
    mocks
        .shipments
        .expect_append_events()
        .withf(|id, events| id.as_str() == "shp_1" && events.len() == 2 && events[1].event_id == "e2")
        .times(1)
        .returning(|_, _| Ok(AppendOutcome { accepted: 1, duplicates: 1 }));
    let outcome = mocks
        .app()
        .ingest_events(&ShipmentId::new("shp_1"), &[departure("e1"), departure("e2")])
        .await
        .expect("batch accepted");
    assert_eq!((outcome.accepted, outcome.duplicates), (1, 1));
}

#[tokio::test]
async fn events_for_a_missing_shipment_are_not_found() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_append_events().returning(|_, _| Err(RepoError::NotFound));
    let result = mocks.app().ingest_events(&ShipmentId::new("shp_missing"), &[departure("e1")]).await;
    assert!(matches!(result, Err(AppError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn a_duplicate_organization_code_is_a_conflict_on_code() {
    let mut mocks = Mocks::new();
    mocks.organizations.expect_insert_organization().returning(|_| Err(RepoError::Duplicate { field: "code".into() }));
    let input = OrganizationInput { code: "stx".into(), name: "Saigon Tech Export".into(), ..Default::default() };
    match mocks.app().create_organization(input).await {
        Err(AppError::Conflict { field, .. }) => assert_eq!(field, "code"),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn viewers_are_the_linked_users_the_domain_rule_admits() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_shipment_record().returning(|_| {
        Ok(Some(ShipmentRecord {
            shipment: shipment("shp_1", "cust", Status::Confirmed),
            master: None,
            events: vec![],
            customer: org("cust", true),
            shipper: None,
            consignee: Some(org("cons", false)),
        }))
    });
    mocks.tracking_users.expect_tracking_users_in().returning(|_| {
        Ok(vec![
            user("cust.ops", TrackingRole::Customer, &["cust"], UserState::Active),
            user("cust.gone", TrackingRole::Customer, &["cust"], UserState::Disabled),
            user("cons.ops", TrackingRole::Consignee, &["cons"], UserState::Active),
            user("cust.shipper", TrackingRole::Shipper, &["cust"], UserState::Active),
        ])
    });
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![org("cust", true), org("cons", false)]));
    let viewers = mocks.app().shipment_viewers(&ShipmentId::new("shp_1")).await.expect("viewers");
    let names: Vec<&str> = viewers.iter().map(|v| v.user_id.as_str()).collect();
    // Disabled user, consignee of a portal-disabled org, and a shipper role
    // without a shipper match are all left out.
    assert_eq!(names, vec!["cust.ops"]);
    assert_eq!(viewers[0].organization_id.as_str(), "cust");
    assert!(viewers[0].reason.contains("customer"));
}

#[tokio::test]
async fn unknown_api_keys_are_unauthorized_and_operators_cannot_manage_users() {
    let mut mocks = Mocks::new();
    mocks.api_keys.expect_api_key_by_digest().returning(|_| Ok(None));
    let result = mocks.app().authenticate_api_key("ph_not-a-real-key").await;
    assert!(matches!(result, Err(AppError::Unauthorized)), "{result:?}");

    let operator = porthole_app::ports::ApiKey {
        id: "key_1".into(),
        name: "tms".into(),
        role: StaffRole::Operator,
        created_at: Utc::now(),
    };
    assert!(matches!(
        Porthole::authorize(&operator, Permission::ManageTrackingUsers),
        Err(AppError::Forbidden(message)) if message
            == "only general_manager, operations_manager or sales_manager keys may manage tracking users; this key's \
                role is operator"
    ));
    assert!(Porthole::authorize(&operator, Permission::ManageShipments).is_ok());
}
