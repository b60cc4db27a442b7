//! What tracking users send to and receive from the portal API, and the
//! shipment list staff preview for a user.
//!
//! The shipment types are built only from the domain's projections
//! (`PortalListItem`, `PortalShipmentView`), and have no field for anything
//! internal: there is nothing to forget to hide.

use chrono::{DateTime, FixedOffset, Utc};
use poem_openapi::Object;
use porthole_domain as domain;

use super::{Cargo, Container, Location, Progress};

/// `POST /api/portal/v1/session`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct SignIn {
    /// The user id, or the user's primary e-mail address.
    pub login: String,
    pub password: String,
}

/// The user a new session belongs to.
#[derive(Debug, Object)]
pub(crate) struct SignedIn {
    /// The login name.
    pub user_id: String,
    pub first_name: String,
    pub last_name: Option<String>,
    /// `customer`, `shipper`, `consignee` or `overseas_agent`.
    pub role: String,
    /// When the session ends unless the user signs out first.
    pub session_expires_at: DateTime<Utc>,
}

/// `POST /api/portal/v1/login-link`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct LoginLinkRequest {
    pub email: String,
}

/// `POST /api/portal/v1/password`: choose a password with the token from a
/// password-setup e-mail.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct PasswordSetup {
    /// The `token` of the link in the e-mail.
    pub token: String,
    pub password: String,
    /// The password again.
    pub password_confirmation: String,
}

/// One page of shipments, newest reference first.
#[derive(Debug, Object)]
pub(crate) struct ShipmentList {
    pub items: Vec<ShipmentListItem>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// One row of the shipment list.
#[derive(Debug, Object)]
pub(crate) struct ShipmentListItem {
    pub id: String,
    /// Such as `SHP/202505/00080`.
    pub reference: String,
    /// `confirmed`, `in_transit`, `done` or `cancelled`.
    pub status: String,
    /// Port of loading.
    pub pol: Location,
    /// Port of discharge.
    pub pod: Location,
    pub etd: Option<DateTime<FixedOffset>>,
    pub eta: Option<DateTime<FixedOffset>>,
    pub atd: Option<DateTime<FixedOffset>>,
    pub ata: Option<DateTime<FixedOffset>>,
}

/// A party, by name only.
#[derive(Debug, Object)]
pub(crate) struct PartyName {
    pub name: String,
}

/// A published tracking event.
#[derive(Debug, Object)]
pub(crate) struct PortalEvent {
    /// Such as `DEPA`, `ARRI`, `LOAD`.
    pub code: String,
    /// What the event says, in words; an estimated or planned arrival or
    /// departure says so ("Estimated arrival").
    pub label: String,
    /// `PLN`, `EST` or `ACT`.
    pub classifier: String,
    /// When it happened, with the UTC offset of where it happened.
    pub event_time: DateTime<FixedOffset>,
    pub location: Option<Location>,
    pub container_number: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub delay_reason: Option<String>,
    pub remark: Option<String>,
    /// A later event corrected this one.
    pub retracted: bool,
    /// This event corrects an earlier one.
    pub is_correction: bool,
}

/// A charge to the customer.
#[derive(Debug, Object)]
pub(crate) struct PortalCharge {
    pub description: String,
    /// The amount in the currency's minor unit (cents).
    pub amount_minor: i64,
    /// ISO 4217 code such as `USD`.
    pub currency: String,
}

/// A document of the shipment.
#[derive(Debug, Object)]
pub(crate) struct PortalDocument {
    pub id: String,
    pub name: String,
    pub kind: String,
}

/// A shipment as the signed-in user may see it.
#[derive(Debug, Object)]
pub(crate) struct PortalShipment {
    pub id: String,
    pub reference: String,
    pub hbl_no: String,
    /// Present only where the user's display settings show it.
    #[oai(skip_serializing_if_is_none)]
    pub mbl_no: Option<String>,
    pub carrier: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    /// `sea_fcl`, `sea_lcl`, `air` or `road`.
    pub mode: String,
    /// `confirmed`, `in_transit`, `done` or `cancelled`.
    pub status: String,
    pub customer: PartyName,
    /// `null` when there is none or the user's display settings hide it.
    pub shipper: Option<PartyName>,
    pub consignee: Option<PartyName>,
    /// Port of loading.
    pub pol: Location,
    /// Port of discharge.
    pub pod: Location,
    pub place_of_receipt: Option<Location>,
    pub place_of_delivery: Option<Location>,
    pub etd: Option<DateTime<FixedOffset>>,
    pub eta: Option<DateTime<FixedOffset>>,
    pub atd: Option<DateTime<FixedOffset>>,
    pub ata: Option<DateTime<FixedOffset>>,
    pub cargo: Option<Cargo>,
    pub containers: Vec<Container>,
    pub customer_note: Option<String>,
    /// Published events, newest first.
    pub events: Vec<PortalEvent>,
    pub progress: Progress,
    /// Present only for users allowed to see charges.
    #[oai(skip_serializing_if_is_none)]
    pub charges: Option<Vec<PortalCharge>>,
    /// Present only where the user's display settings show documents.
    #[oai(skip_serializing_if_is_none)]
    pub documents: Option<Vec<PortalDocument>>,
}

impl From<porthole_app::ShipmentPage> for ShipmentList {
    fn from(page: porthole_app::ShipmentPage) -> Self {
        Self { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }
    }
}

impl From<domain::PortalListItem> for ShipmentListItem {
    fn from(item: domain::PortalListItem) -> Self {
        Self {
            id: item.id.into_string(),
            reference: item.reference.to_string(),
            status: item.status.as_str().to_owned(),
            pol: item.pol.into(),
            pod: item.pod.into(),
            etd: item.dates.etd,
            eta: item.dates.eta,
            atd: item.dates.atd,
            ata: item.dates.ata,
        }
    }
}

impl From<domain::projection::PartyName> for PartyName {
    fn from(party: domain::projection::PartyName) -> Self {
        Self { name: party.name }
    }
}

impl From<domain::projection::EventView> for PortalEvent {
    fn from(event: domain::projection::EventView) -> Self {
        Self {
            code: event.code.as_str().to_owned(),
            label: event.label.to_owned(),
            classifier: event.classifier.as_str().to_owned(),
            event_time: event.event_time,
            location: event.location.map(Into::into),
            container_number: event.container_number.as_ref().map(ToString::to_string),
            vessel: event.vessel,
            voyage: event.voyage,
            delay_reason: event.delay_reason,
            remark: event.remark,
            retracted: event.retracted,
            is_correction: event.is_correction,
        }
    }
}

impl From<domain::projection::ChargeView> for PortalCharge {
    fn from(charge: domain::projection::ChargeView) -> Self {
        Self { description: charge.description, amount_minor: charge.amount_minor, currency: charge.currency }
    }
}

impl From<domain::projection::DocumentView> for PortalDocument {
    fn from(document: domain::projection::DocumentView) -> Self {
        Self { id: document.id, name: document.name, kind: document.kind }
    }
}

impl From<domain::PortalShipmentView> for PortalShipment {
    fn from(view: domain::PortalShipmentView) -> Self {
        Self {
            id: view.id.into_string(),
            reference: view.reference.to_string(),
            hbl_no: view.hbl_no,
            mbl_no: view.mbl_no,
            carrier: view.carrier,
            vessel: view.vessel,
            voyage: view.voyage,
            mode: view.mode.as_str().to_owned(),
            status: view.status.as_str().to_owned(),
            customer: view.customer.into(),
            shipper: view.shipper.map(Into::into),
            consignee: view.consignee.map(Into::into),
            pol: view.pol.into(),
            pod: view.pod.into(),
            place_of_receipt: view.place_of_receipt.map(Into::into),
            place_of_delivery: view.place_of_delivery.map(Into::into),
            etd: view.dates.etd,
            eta: view.dates.eta,
            atd: view.dates.atd,
            ata: view.dates.ata,
            cargo: view.cargo.map(Into::into),
            containers: view.containers.into_iter().map(Into::into).collect(),
            customer_note: view.customer_note,
            events: view.events.into_iter().map(Into::into).collect(),
            progress: view.progress.into(),
            charges: view.charges.map(|charges| charges.into_iter().map(Into::into).collect()),
            documents: view.documents.map(|documents| documents.into_iter().map(Into::into).collect()),
        }
    }
}

/// The signed-in user's own profile: what the portal shows them about
/// their account, with nothing internal (no organizations, state or ids
/// other than their login).
#[derive(Debug, Object)]
pub(crate) struct Me {
    /// The login name.
    pub user_id: String,
    pub first_name: String,
    pub last_name: Option<String>,
    /// The primary address: sign-in links and notifications go here.
    pub email: String,
    /// Notifications go to these too.
    pub additional_emails: Vec<String>,
    /// `customer`, `shipper`, `consignee` or `overseas_agent`.
    pub role: String,
    pub notifications: super::Notifications,
    pub display: super::Display,
}

impl From<domain::TrackingUser> for Me {
    fn from(user: domain::TrackingUser) -> Self {
        Self {
            user_id: user.user_id.to_string(),
            first_name: user.first_name,
            last_name: user.last_name,
            email: user.email.to_string(),
            additional_emails: user.additional_emails.iter().map(ToString::to_string).collect(),
            role: user.role.as_str().to_owned(),
            notifications: user.notifications.into(),
            display: user.display.into(),
        }
    }
}
