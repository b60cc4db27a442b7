//! Shipments, organizations and users the HTTP tests serve through the
//! mocked ports.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset};
use porthole_app::ports::{PortalSession, SessionHolder, StoredShareLink};
use porthole_app::secret::SecretDigest;
use porthole_domain::projection::{Dates, ShareSections, ShipmentRecord, ShipmentSummary};
use porthole_domain::{
    Classifier, ContainerNumber, DisplaySettings, Email, EventCode, Location, Mode, NotificationPreferences,
    Organization, OrganizationId, ShareLink, ShareLinkId, ShareRecipient, Shipment, ShipmentId, ShipmentReference,
    Status, TrackingEvent, TrackingRole, TrackingUser, TrackingUserId, UnLocode, UserId, UserState,
};

use crate::support::now;

pub fn time(raw: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(raw).expect("a valid test time")
}

pub fn location(code: &str, name: &str) -> Location {
    Location { unlocode: UnLocode::parse(code).expect("a valid test UN/LOCODE"), name: name.to_owned() }
}

pub fn organization(id: &str) -> Organization {
    Organization {
        id: OrganizationId::new(id),
        code: id.to_uppercase(),
        name: format!("Org {id}"),
        portal_enabled: true,
        show_charges: false,
    }
}

pub fn event(
    id: &str,
    code: EventCode,
    classifier: Classifier,
    at: &str,
    place: &Location,
    published: bool,
) -> TrackingEvent {
    TrackingEvent {
        event_id: id.to_owned(),
        code,
        classifier,
        event_time: time(at),
        recorded_at: now(),
        location: Some(place.clone()),
        container_number: None,
        vessel: None,
        voyage: None,
        delay_reason: None,
        remark: None,
        published,
        retracts: None,
    }
}

/// SHP/202505/00080, Cat Lai to Long Beach: departed (published), with an
/// unpublished later ETA that only staff see.
pub fn demo_record() -> ShipmentRecord {
    let pol = location("VNSGN", "Cat Lai");
    let pod = location("USLGB", "Long Beach");
    let mut later_eta = event("evt-eta", EventCode::Arri, Classifier::Est, "2025-05-27T08:00:00-07:00", &pod, false);
    later_eta.recorded_at = now() + chrono::Duration::hours(1);
    ShipmentRecord {
        shipment: Shipment {
            id: ShipmentId::new("shp_1"),
            reference: ShipmentReference::parse("SHP/202505/00080").expect("a valid reference"),
            hbl_no: Some("HBL80".to_owned()),
            master_id: None,
            mode: Mode::SeaFcl,
            status: Status::Confirmed,
            customer_id: OrganizationId::new("org_cust"),
            shipper_id: None,
            consignee_id: None,
            pol: pol.clone(),
            pod,
            place_of_receipt: None,
            place_of_delivery: None,
            planned_etd: Some(time("2025-05-10T18:00:00+07:00")),
            planned_eta: Some(time("2025-05-25T08:00:00-07:00")),
            cargo: None,
            containers: vec![porthole_domain::Container {
                number: ContainerNumber::parse("CSQU3054383").expect("a valid container"),
                iso_type: "45G1".to_owned(),
                seal: None,
            }],
            legs: Vec::new(),
            customer_note: Some("Handle with care".to_owned()),
            internal_note: Some("Margin is thin".to_owned()),
            charges: Vec::new(),
            documents: Vec::new(),
        },
        master: None,
        events: vec![
            event("evt-depa", EventCode::Depa, Classifier::Act, "2025-05-10T19:30:00+07:00", &pol, true),
            later_eta,
        ],
        customer: organization("org_cust"),
        shipper: None,
        consignee: None,
    }
}

/// An active user `saigontech.ops` (Lan) of one organization, with the
/// default notification and display settings.
pub fn tracking_user(id: &str, role: TrackingRole, organization_id: &str) -> TrackingUser {
    TrackingUser {
        id: TrackingUserId::new(id),
        user_id: UserId::parse("saigontech.ops").expect("a valid user id"),
        first_name: "Lan".to_owned(),
        last_name: None,
        email: Email::parse("ops@saigon-tech.vn").expect("a valid e-mail"),
        additional_emails: Vec::new(),
        role,
        organization_ids: BTreeSet::from([OrganizationId::new(organization_id)]),
        agent_customer_ids: BTreeSet::new(),
        notifications: NotificationPreferences::default(),
        display: DisplaySettings::default(),
        state: UserState::Active,
    }
}

/// What storage keeps of [`demo_record`] for lists.
pub fn demo_summary() -> ShipmentSummary {
    let record = demo_record();
    let state = record.viewer_state();
    ShipmentSummary {
        id: record.shipment.id.clone(),
        reference: record.shipment.reference.clone(),
        hbl_no: record.shipment.hbl_no.clone().unwrap_or_default(),
        pol: record.shipment.pol.clone(),
        pod: record.shipment.pod.clone(),
        dates: Dates { etd: state.etd, eta: state.eta, atd: state.atd, ata: state.ata },
        audience: record.audience(),
    }
}

/// The recipient of [`share_link`].
pub const RECIPIENT: &str = "desk@buyer.example";

/// A live link `id` to `shp_1` for [`RECIPIENT`], made a day before
/// [`now`], showing containers only.
pub fn share_link(id: &str, require_verification: bool) -> StoredShareLink {
    StoredShareLink {
        link: ShareLink {
            id: ShareLinkId::new(id),
            shipment_id: ShipmentId::new("shp_1"),
            recipients: vec![ShareRecipient {
                email: Email::parse(RECIPIENT).expect("a valid e-mail"),
                receives_updates: false,
            }],
            require_verification,
            expires_at: None,
            expire_on_delivery: false,
            sections: ShareSections { containers: true, cargo: false, documents: false },
            created_at: now() - chrono::Duration::days(1),
            revoked_at: None,
        },
        delivered_at: None,
    }
}

/// `user`'s live session `digest`, with the user's organizations as
/// [`organization`] makes them.
pub fn session_holder(digest: &SecretDigest, user: TrackingUser) -> SessionHolder {
    SessionHolder {
        session: PortalSession {
            digest: digest.clone(),
            tracking_user_id: user.id.clone(),
            created_at: now(),
            expires_at: now() + chrono::Duration::hours(12),
        },
        organizations: user.organization_ids.iter().map(|id| organization(id.as_str())).collect(),
        user,
    }
}
