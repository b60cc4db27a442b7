//! Mocks for every port, and small builders shared by the use-case tests.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use porthole_app::input::{EventInput, LocationInput, ShipmentInput};
use porthole_app::ports::{
    MockApiKeyRepository, MockClock, MockCredentialRepository, MockHealthCheck, MockIdSource, MockMailer,
    MockMasterRepository, MockOrganizationRepository, MockOutboxRepository, MockShareLinkRepository,
    MockShipmentRepository, MockTrackingUserRepository,
};
use porthole_app::{AppError, AppSettings, Porthole, Ports};
use porthole_domain::{
    DisplaySettings, Email, Location, Mode, NotificationPreferences, Organization, OrganizationId, Shipment,
    ShipmentId, ShipmentReference, Status, TrackingRole, TrackingUser, TrackingUserId, UnLocode, UserId, UserState,
};

/// Mocks for every port; tests set expectations on the ones they use.
pub struct Mocks {
    pub organizations: MockOrganizationRepository,
    pub masters: MockMasterRepository,
    pub shipments: MockShipmentRepository,
    pub tracking_users: MockTrackingUserRepository,
    pub api_keys: MockApiKeyRepository,
    pub credentials: MockCredentialRepository,
    pub share_links: MockShareLinkRepository,
    pub outbox: MockOutboxRepository,
    pub mailer: MockMailer,
}

impl Mocks {
    pub fn new() -> Self {
        Self {
            organizations: MockOrganizationRepository::new(),
            masters: MockMasterRepository::new(),
            shipments: MockShipmentRepository::new(),
            tracking_users: MockTrackingUserRepository::new(),
            api_keys: MockApiKeyRepository::new(),
            credentials: MockCredentialRepository::new(),
            share_links: MockShareLinkRepository::new(),
            outbox: MockOutboxRepository::new(),
            mailer: MockMailer::new(),
        }
    }

    pub fn app(self) -> Porthole {
        self.app_with(AppSettings::default())
    }

    pub fn app_with(self, settings: AppSettings) -> Porthole {
        let mut clock = MockClock::new();
        clock.expect_now().returning(|| Utc.with_ymd_and_hms(2025, 5, 12, 0, 0, 0).single().expect("valid time"));
        let mut ids = MockIdSource::new();
        let mut counter = 0;
        ids.expect_new_id().returning(move |prefix| {
            counter += 1;
            format!("{prefix}{counter}")
        });
        Porthole::with_settings(
            Ports {
                organizations: Arc::new(self.organizations),
                masters: Arc::new(self.masters),
                shipments: Arc::new(self.shipments),
                tracking_users: Arc::new(self.tracking_users),
                credentials: Arc::new(self.credentials),
                share_links: Arc::new(self.share_links),
                outbox: Arc::new(self.outbox),
                mailer: Arc::new(self.mailer),
                api_keys: Arc::new(self.api_keys),
                health: Arc::new(MockHealthCheck::new()),
                clock: Arc::new(clock),
                ids: Arc::new(ids),
            },
            settings,
        )
    }
}

pub fn org(id: &str, portal_enabled: bool) -> Organization {
    Organization {
        id: OrganizationId::new(id),
        code: id.to_uppercase(),
        name: format!("Org {id}"),
        portal_enabled,
        show_charges: false,
    }
}

pub fn location(code: &str, name: &str) -> Location {
    Location { unlocode: UnLocode::parse(code).expect("valid code"), name: name.into() }
}

pub fn shipment(id: &str, customer: &str, status: Status) -> Shipment {
    Shipment {
        id: ShipmentId::new(id),
        reference: ShipmentReference::parse("SHP/202505/00080").expect("valid reference"),
        hbl_no: Some("HBL80".into()),
        master_id: None,
        mode: Mode::SeaFcl,
        status,
        customer_id: OrganizationId::new(customer),
        shipper_id: None,
        consignee_id: Some(OrganizationId::new("cons")),
        pol: location("VNSGN", "Cat Lai"),
        pod: location("USLGB", "Long Beach"),
        place_of_receipt: None,
        place_of_delivery: None,
        planned_etd: None,
        planned_eta: None,
        cargo: None,
        containers: vec![],
        legs: vec![],
        customer_note: None,
        internal_note: Some("margin is thin".into()),
        charges: vec![],
        documents: vec![],
    }
}

pub fn shipment_input() -> ShipmentInput {
    ShipmentInput {
        reference: "SHP/202505/00080".into(),
        hbl_no: Some("HBL80".into()),
        mode: "sea_fcl".into(),
        customer_id: "cust".into(),
        pol: LocationInput { unlocode: "VNSGN".into(), name: "Cat Lai".into() },
        pod: LocationInput { unlocode: "USLGB".into(), name: "Long Beach".into() },
        ..ShipmentInput::default()
    }
}

pub fn departure(event_id: &str) -> EventInput {
    EventInput {
        event_id: event_id.into(),
        event_type: "TRANSPORT".into(),
        event_code: "DEPA".into(),
        classifier: "ACT".into(),
        event_time: "2025-05-10T18:00:00+07:00".into(),
        location: Some(LocationInput { unlocode: "VNSGN".into(), name: "Cat Lai".into() }),
        published: true,
        ..EventInput::default()
    }
}

pub fn invalid_field(result: Result<impl std::fmt::Debug, AppError>) -> String {
    match result {
        Err(AppError::Invalid(e)) => e.field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

pub fn user(id: &str, role: TrackingRole, orgs: &[&str], state: UserState) -> TrackingUser {
    TrackingUser {
        id: TrackingUserId::new(format!("tu_{id}")),
        user_id: UserId::parse(id).expect("valid user id"),
        first_name: id.into(),
        last_name: None,
        email: Email::parse(&format!("{id}@example.com")).expect("valid email"),
        additional_emails: vec![],
        role,
        organization_ids: orgs.iter().map(|o| OrganizationId::new(*o)).collect(),
        agent_customer_ids: BTreeSet::new(),
        notifications: NotificationPreferences::default(),
        display: DisplaySettings::default(),
        state,
    }
}
