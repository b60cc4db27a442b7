//! The JSON the APIs read and write, owned by this adapter.
//!
//! Request types keep every leaf as the plain string, number or boolean the
//! caller sent and convert into `porthole_app::input` as they are: parsing
//! and naming a refused field is the application's job, so an HTTP client
//! and the CLI are refused with the same words. Response types are built
//! from domain values; times keep the offset they were given in.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, Utc};
use poem_openapi::Object;
use porthole_app::input;
use porthole_domain as domain;
use porthole_domain::milestone::{Audience, effective_events};

mod portal;
mod share_links;
mod tracking_users;

pub(crate) use portal::*;
pub(crate) use share_links::*;
pub(crate) use tracking_users::*;

// ---- Shared shapes ------------------------------------------------------

/// A place: its UN/LOCODE and a name people recognise.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct Location {
    /// UN/LOCODE such as `VNSGN`.
    pub unlocode: String,
    /// Such as `Cat Lai`.
    pub name: String,
}

/// What is shipped.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct Cargo {
    pub packages: i64,
    pub weight_kg: f64,
    pub volume_m3: f64,
    pub description: Option<String>,
}

/// One container.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct Container {
    /// ISO 6346 container number with its check digit, such as `CSQU3054383`.
    pub number: String,
    /// ISO 6346 size-type code such as `45G1`.
    pub iso_type: String,
    pub seal: Option<String>,
}

/// One charge line. Only `sell` charges are ever shown to customers.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct Charge {
    /// `sell` or `buy`.
    pub side: String,
    pub description: String,
    /// The amount in the currency's minor unit (cents).
    pub amount_minor: i64,
    /// ISO 4217 code such as `USD`.
    pub currency: String,
}

impl From<Location> for input::LocationInput {
    fn from(location: Location) -> Self {
        Self { unlocode: location.unlocode, name: location.name }
    }
}

impl From<domain::Location> for Location {
    fn from(location: domain::Location) -> Self {
        Self { unlocode: location.unlocode.to_string(), name: location.name }
    }
}

impl From<Cargo> for input::CargoInput {
    fn from(cargo: Cargo) -> Self {
        Self {
            packages: cargo.packages,
            weight_kg: cargo.weight_kg,
            volume_m3: cargo.volume_m3,
            description: cargo.description.unwrap_or_default(),
        }
    }
}

impl From<domain::Cargo> for Cargo {
    fn from(cargo: domain::Cargo) -> Self {
        Self {
            packages: i64::from(cargo.packages),
            weight_kg: cargo.weight_kg,
            volume_m3: cargo.volume_m3,
            description: Some(cargo.description),
        }
    }
}

impl From<Container> for input::ContainerInput {
    fn from(container: Container) -> Self {
        Self { number: container.number, iso_type: container.iso_type, seal: container.seal }
    }
}

impl From<domain::Container> for Container {
    fn from(container: domain::Container) -> Self {
        Self { number: container.number.to_string(), iso_type: container.iso_type, seal: container.seal }
    }
}

impl From<Charge> for input::ChargeInput {
    fn from(charge: Charge) -> Self {
        Self {
            side: charge.side,
            description: charge.description,
            amount_minor: charge.amount_minor,
            currency: charge.currency,
        }
    }
}

impl From<domain::Charge> for Charge {
    fn from(charge: domain::Charge) -> Self {
        Self {
            side: charge.side.as_str().to_owned(),
            description: charge.description,
            amount_minor: charge.amount_minor,
            currency: charge.currency,
        }
    }
}

// ---- Organizations ------------------------------------------------------

/// `POST /api/v1/organizations`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct OrganizationCreate {
    /// The code the TMS knows the organization by; unique.
    pub code: String,
    pub name: String,
    /// Whether its tracking users may use the portal. Default true.
    pub portal_enabled: Option<bool>,
    /// Whether its customer-role users see sell-side charges. Default false.
    pub show_charges: Option<bool>,
}

/// `PATCH /api/v1/organizations/{id}`: only the fields sent change.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct OrganizationPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub portal_enabled: Option<bool>,
    pub show_charges: Option<bool>,
}

/// A trade partner.
#[derive(Debug, Object)]
pub(crate) struct Organization {
    pub id: String,
    pub code: String,
    pub name: String,
    pub portal_enabled: bool,
    pub show_charges: bool,
}

impl From<OrganizationCreate> for input::OrganizationInput {
    fn from(body: OrganizationCreate) -> Self {
        Self { code: body.code, name: body.name, portal_enabled: body.portal_enabled, show_charges: body.show_charges }
    }
}

impl From<OrganizationPatch> for input::OrganizationPatch {
    fn from(body: OrganizationPatch) -> Self {
        Self { code: body.code, name: body.name, portal_enabled: body.portal_enabled, show_charges: body.show_charges }
    }
}

impl From<domain::Organization> for Organization {
    fn from(org: domain::Organization) -> Self {
        Self {
            id: org.id.into_string(),
            code: org.code,
            name: org.name,
            portal_enabled: org.portal_enabled,
            show_charges: org.show_charges,
        }
    }
}

// ---- Masters ------------------------------------------------------------

/// `POST /api/v1/masters`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct MasterCreate {
    /// The master bill of lading number; unique.
    pub mbl_no: String,
    /// The organization acting as overseas agent for this master.
    pub overseas_agent_id: Option<String>,
    pub carrier: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
}

/// A master bill of lading.
#[derive(Debug, Object)]
pub(crate) struct Master {
    pub id: String,
    pub mbl_no: String,
    pub carrier: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub overseas_agent_id: Option<String>,
}

impl From<MasterCreate> for input::MasterInput {
    fn from(body: MasterCreate) -> Self {
        Self {
            mbl_no: body.mbl_no,
            overseas_agent_id: body.overseas_agent_id,
            carrier: body.carrier,
            vessel: body.vessel,
            voyage: body.voyage,
        }
    }
}

impl From<domain::Master> for Master {
    fn from(master: domain::Master) -> Self {
        Self {
            id: master.id.into_string(),
            mbl_no: master.mbl_no,
            carrier: master.carrier,
            vessel: master.vessel,
            voyage: master.voyage,
            overseas_agent_id: master.overseas_agent_id.map(domain::OrganizationId::into_string),
        }
    }
}

// ---- Shipments ----------------------------------------------------------

/// `PUT /api/v1/shipments`: the whole shipment, matched by `reference`.
/// Optional fields left out are cleared, except `status`, which stays as
/// it is when left out.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ShipmentUpsert {
    /// The forwarder's reference such as `SHP/202505/00080`; the upsert key.
    pub reference: String,
    /// The house bill number; for a direct MBL, the MBL number. Tracking
    /// users see only shipments that have one.
    pub hbl_no: Option<String>,
    pub master_id: Option<String>,
    /// `sea_fcl`, `sea_lcl`, `air` or `road`.
    pub mode: String,
    /// `draft`, `confirmed`, `in_transit`, `done` or `cancelled`. Events move
    /// the status forward by themselves.
    pub status: Option<String>,
    pub customer_id: String,
    pub shipper_id: Option<String>,
    pub consignee_id: Option<String>,
    /// Port of loading.
    pub pol: Location,
    /// Port of discharge.
    pub pod: Location,
    pub place_of_receipt: Option<Location>,
    pub place_of_delivery: Option<Location>,
    /// Planned departure, RFC 3339 with offset. Departure events override it.
    pub etd: Option<String>,
    /// Planned arrival, RFC 3339 with offset. Arrival events override it.
    pub eta: Option<String>,
    pub cargo: Option<Cargo>,
    pub containers: Option<Vec<Container>>,
    /// Shown to tracking users.
    pub customer_note: Option<String>,
    /// Never shown outside the staff API.
    pub internal_note: Option<String>,
    pub charges: Option<Vec<Charge>>,
}

impl From<ShipmentUpsert> for input::ShipmentInput {
    fn from(body: ShipmentUpsert) -> Self {
        Self {
            reference: body.reference,
            hbl_no: body.hbl_no,
            master_id: body.master_id,
            mode: body.mode,
            status: body.status,
            customer_id: body.customer_id,
            shipper_id: body.shipper_id,
            consignee_id: body.consignee_id,
            pol: body.pol.into(),
            pod: body.pod.into(),
            place_of_receipt: body.place_of_receipt.map(Into::into),
            place_of_delivery: body.place_of_delivery.map(Into::into),
            etd: body.etd,
            eta: body.eta,
            cargo: body.cargo.map(Into::into),
            containers: body.containers.map(|containers| containers.into_iter().map(Into::into).collect()),
            customer_note: body.customer_note,
            internal_note: body.internal_note,
            charges: body.charges.map(|charges| charges.into_iter().map(Into::into).collect()),
        }
    }
}

/// One change of the estimated arrival.
#[derive(Debug, Object)]
pub(crate) struct EtaChange {
    /// When the source recorded the new estimate.
    pub recorded_at: DateTime<Utc>,
    /// The estimate before; absent for the first one.
    pub from: Option<DateTime<FixedOffset>>,
    pub to: DateTime<FixedOffset>,
    /// How far the estimate moved, in hours (negative: earlier); absent for
    /// the first estimate.
    pub shift_hours: Option<f64>,
}

/// One step of the progress bar.
#[derive(Debug, Object)]
pub(crate) struct ProgressStep {
    pub label: String,
    /// Reached, or passed because a later step was reached.
    pub done: bool,
    /// When an actual event says the step was reached.
    pub reached_at: Option<DateTime<FixedOffset>>,
}

/// The progress bar over the milestone template of the shipment's mode.
#[derive(Debug, Object)]
pub(crate) struct Progress {
    pub steps: Vec<ProgressStep>,
    /// How many steps are done, counting from the start.
    pub completed: usize,
    /// Share of the journey done, 0–100.
    pub percent: u8,
}

/// A tracking event as staff see it.
#[derive(Debug, Object)]
pub(crate) struct StaffEvent {
    pub event_id: String,
    pub event_type: String,
    pub event_code: String,
    /// What the event says, in words; an estimated or planned arrival or
    /// departure says so ("Estimated arrival").
    pub label: String,
    pub classifier: String,
    pub event_time: DateTime<FixedOffset>,
    pub recorded_at: DateTime<Utc>,
    pub location: Option<Location>,
    pub container_number: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub delay_reason: Option<String>,
    pub remark: Option<String>,
    /// False: staff only.
    pub published: bool,
    /// A later event corrected this one.
    pub retracted: bool,
    /// The `event_id` this event corrects.
    pub retracts: Option<String>,
}

/// An attached document.
#[derive(Debug, Object)]
pub(crate) struct Document {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub published: bool,
}

/// The milestone state viewers are shown: derived from published events
/// only.
#[derive(Debug, Object)]
pub(crate) struct PublishedState {
    pub status: String,
    pub etd: Option<DateTime<FixedOffset>>,
    pub eta: Option<DateTime<FixedOffset>>,
    pub atd: Option<DateTime<FixedOffset>>,
    pub ata: Option<DateTime<FixedOffset>>,
}

/// A shipment as staff see it: every field, internal ones included, and
/// the milestone state derived from all events.
#[derive(Debug, Object)]
pub(crate) struct StaffShipment {
    pub id: String,
    pub reference: String,
    pub hbl_no: Option<String>,
    pub master_id: Option<String>,
    pub master: Option<Master>,
    pub mode: String,
    /// Derived from every event, published or not.
    pub status: String,
    pub customer_id: String,
    pub shipper_id: Option<String>,
    pub consignee_id: Option<String>,
    pub pol: Location,
    pub pod: Location,
    pub place_of_receipt: Option<Location>,
    pub place_of_delivery: Option<Location>,
    /// The `etd` given in the last upsert.
    pub planned_etd: Option<DateTime<FixedOffset>>,
    /// The `eta` given in the last upsert.
    pub planned_eta: Option<DateTime<FixedOffset>>,
    pub etd: Option<DateTime<FixedOffset>>,
    pub eta: Option<DateTime<FixedOffset>>,
    pub atd: Option<DateTime<FixedOffset>>,
    pub ata: Option<DateTime<FixedOffset>>,
    /// Every change of the ETA, oldest first.
    pub eta_history: Vec<EtaChange>,
    pub progress: Progress,
    pub cargo: Option<Cargo>,
    pub containers: Vec<Container>,
    pub customer_note: Option<String>,
    pub internal_note: Option<String>,
    /// Both sides.
    pub charges: Vec<Charge>,
    pub documents: Vec<Document>,
    /// Every event, newest first.
    pub events: Vec<StaffEvent>,
    /// What tracking users are shown.
    pub published: PublishedState,
}

impl From<porthole_app::StaffShipmentView> for StaffShipment {
    fn from(view: porthole_app::StaffShipmentView) -> Self {
        let porthole_app::StaffShipmentView { record, state, viewer_state } = view;
        let events = staff_events(&record.events);
        let shipment = record.shipment;
        Self {
            id: shipment.id.into_string(),
            reference: shipment.reference.to_string(),
            hbl_no: shipment.hbl_no,
            master_id: shipment.master_id.map(domain::MasterId::into_string),
            master: record.master.map(Into::into),
            mode: shipment.mode.as_str().to_owned(),
            status: state.status.as_str().to_owned(),
            customer_id: shipment.customer_id.into_string(),
            shipper_id: shipment.shipper_id.map(domain::OrganizationId::into_string),
            consignee_id: shipment.consignee_id.map(domain::OrganizationId::into_string),
            pol: shipment.pol.into(),
            pod: shipment.pod.into(),
            place_of_receipt: shipment.place_of_receipt.map(Into::into),
            place_of_delivery: shipment.place_of_delivery.map(Into::into),
            planned_etd: shipment.planned_etd,
            planned_eta: shipment.planned_eta,
            etd: state.etd,
            eta: state.eta,
            atd: state.atd,
            ata: state.ata,
            eta_history: state.eta_history.into_iter().map(Into::into).collect(),
            progress: state.progress.into(),
            cargo: shipment.cargo.map(Into::into),
            containers: shipment.containers.into_iter().map(Into::into).collect(),
            customer_note: shipment.customer_note,
            internal_note: shipment.internal_note,
            charges: shipment.charges.into_iter().map(Into::into).collect(),
            documents: shipment.documents.into_iter().map(Into::into).collect(),
            events,
            published: PublishedState {
                status: viewer_state.status.as_str().to_owned(),
                etd: viewer_state.etd,
                eta: viewer_state.eta,
                atd: viewer_state.atd,
                ata: viewer_state.ata,
            },
        }
    }
}

/// Every event, newest first (by when it happened, then by when it was
/// recorded), each marked when another event retracts it.
fn staff_events(events: &[domain::TrackingEvent]) -> Vec<StaffEvent> {
    let standing: HashSet<&str> =
        effective_events(events, Audience::Staff).into_iter().map(|event| event.event_id.as_str()).collect();
    let mut ordered: Vec<&domain::TrackingEvent> = events.iter().collect();
    ordered.sort_by(|a, b| (b.event_time, b.recency_key()).cmp(&(a.event_time, a.recency_key())));
    ordered
        .into_iter()
        .map(|event| StaffEvent {
            event_id: event.event_id.clone(),
            event_type: event.event_type().as_str().to_owned(),
            event_code: event.code.as_str().to_owned(),
            label: event.code.label_for(event.classifier).to_owned(),
            classifier: event.classifier.as_str().to_owned(),
            event_time: event.event_time,
            recorded_at: event.recorded_at,
            location: event.location.clone().map(Into::into),
            container_number: event.container_number.as_ref().map(ToString::to_string),
            vessel: event.vessel.clone(),
            voyage: event.voyage.clone(),
            delay_reason: event.delay_reason.clone(),
            remark: event.remark.clone(),
            published: event.published,
            retracted: !standing.contains(event.event_id.as_str()),
            retracts: event.retracts.clone(),
        })
        .collect()
}

impl From<domain::EtaChange> for EtaChange {
    fn from(change: domain::EtaChange) -> Self {
        let shift_hours = change.shift().map(|shift| shift.num_minutes() as f64 / 60.0);
        Self { recorded_at: change.recorded_at, from: change.from, to: change.to, shift_hours }
    }
}

impl From<domain::Progress> for Progress {
    fn from(progress: domain::Progress) -> Self {
        let percent = progress.percent();
        Self {
            completed: progress.completed,
            percent,
            steps: progress
                .steps
                .into_iter()
                .map(|step| ProgressStep { label: step.label.to_owned(), done: step.done, reached_at: step.reached_at })
                .collect(),
        }
    }
}

impl From<domain::Document> for Document {
    fn from(document: domain::Document) -> Self {
        Self { id: document.id, name: document.name, kind: document.kind, published: document.published }
    }
}

// ---- Events -------------------------------------------------------------

/// `POST /api/v1/shipments/{id}/events`: one batch, validated whole before
/// anything is written.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct EventBatch {
    pub events: Vec<EventSubmission>,
}

/// One tracking event, after the DCSA Track & Trace event model.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct EventSubmission {
    /// Unique per source; sending it again is counted as a duplicate and
    /// changes nothing.
    pub event_id: String,
    /// `SHIPMENT`, `TRANSPORT` or `EQUIPMENT`.
    pub event_type: String,
    /// Such as `DEPA`, `ARRI`, `LOAD`, `CONF`.
    pub event_code: String,
    /// `PLN`, `EST` or `ACT`.
    pub classifier: String,
    /// When it happened, RFC 3339 with the location's UTC offset.
    pub event_time: String,
    /// When the source recorded it; the newest estimate wins. Defaults to
    /// the time Porthole receives it.
    pub recorded_at: Option<String>,
    /// Required for `TRANSPORT` events.
    pub location: Option<Location>,
    pub container_number: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub delay_reason: Option<String>,
    pub remark: Option<String>,
    /// False keeps the event to staff.
    pub published: bool,
    /// The `event_id` of an earlier event this one corrects.
    pub retracts: Option<String>,
}

impl From<EventSubmission> for input::EventInput {
    fn from(event: EventSubmission) -> Self {
        Self {
            event_id: event.event_id,
            event_type: event.event_type,
            event_code: event.event_code,
            classifier: event.classifier,
            event_time: event.event_time,
            recorded_at: event.recorded_at,
            location: event.location.map(Into::into),
            container_number: event.container_number,
            vessel: event.vessel,
            voyage: event.voyage,
            delay_reason: event.delay_reason,
            remark: event.remark,
            published: event.published,
            retracts: event.retracts,
        }
    }
}

/// What a batch did.
#[derive(Debug, Object)]
pub(crate) struct EventBatchOutcome {
    /// Events stored now.
    pub accepted: usize,
    /// Events whose `event_id` the shipment already had; left untouched.
    pub duplicates: usize,
}

impl From<porthole_app::EventBatchOutcome> for EventBatchOutcome {
    fn from(outcome: porthole_app::EventBatchOutcome) -> Self {
        Self { accepted: outcome.accepted, duplicates: outcome.duplicates }
    }
}

// ---- Viewers ------------------------------------------------------------

/// A tracking user who can see the shipment, and why.
#[derive(Debug, Object)]
pub(crate) struct Viewer {
    pub tracking_user_id: String,
    /// The user's login name.
    pub user_id: String,
    /// `customer`, `shipper`, `consignee` or `overseas_agent`.
    pub role: String,
    /// The organization through which the user sees it.
    pub organization_id: String,
    pub reason: String,
}

impl From<porthole_app::Viewer> for Viewer {
    fn from(viewer: porthole_app::Viewer) -> Self {
        Self {
            tracking_user_id: viewer.tracking_user_id.into_string(),
            user_id: viewer.user_id.to_string(),
            role: viewer.role.as_str().to_owned(),
            organization_id: viewer.organization_id.into_string(),
            reason: viewer.reason,
        }
    }
}
