//! Field-level projections: what a viewer is shown of a visible shipment.
//!
//! The view types below simply have no field for anything internal (the
//! internal note, buy-side charges, unpublished events or documents, party
//! contact data), so no flag or serializer setting can ever leak one.

use chrono::{DateTime, FixedOffset};

use crate::event::{Classifier, EventCode, TrackingEvent};
use crate::ids::ShipmentId;
use crate::milestone::{Audience, MilestoneState, Progress, effective_events};
use crate::party::{Organization, TrackingRole, TrackingUser};
use crate::shipment::{Cargo, ChargeSide, Container, Master, Mode, Shipment, Status};
use crate::values::{ContainerNumber, Location, ShipmentReference};
use crate::visibility::{ShipmentAudience, VisibilityReason, visible_to};

/// A shipment with everything needed to decide on and project it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentRecord {
    pub shipment: Shipment,
    pub master: Option<Master>,
    pub events: Vec<TrackingEvent>,
    pub customer: Organization,
    pub shipper: Option<Organization>,
    pub consignee: Option<Organization>,
}

impl ShipmentRecord {
    /// The milestone state viewers see (published events only).
    pub fn viewer_state(&self) -> MilestoneState {
        MilestoneState::derive(&self.shipment, &self.events, Audience::Viewer)
    }

    /// The milestone state staff see (every event).
    pub fn staff_state(&self) -> MilestoneState {
        MilestoneState::derive(&self.shipment, &self.events, Audience::Staff)
    }

    /// The facts the visibility rule needs, with the status viewers see.
    pub fn audience(&self) -> ShipmentAudience {
        audience_of(&self.shipment, self.master.as_ref(), self.viewer_state().status)
    }
}

/// The visibility facts of a shipment whose viewer status is already known
/// (for example read from storage, where it is kept up to date).
pub fn audience_of(shipment: &Shipment, master: Option<&Master>, viewer_status: Status) -> ShipmentAudience {
    ShipmentAudience {
        status: viewer_status,
        has_hbl: shipment.hbl_no.as_deref().is_some_and(|hbl| !hbl.trim().is_empty()),
        customer_id: shipment.customer_id.clone(),
        shipper_id: shipment.shipper_id.clone(),
        consignee_id: shipment.consignee_id.clone(),
        overseas_agent_id: master.and_then(|m| m.overseas_agent_id.clone()),
    }
}

/// A party as viewers see it: its name only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyName {
    pub name: String,
}

/// A published event as viewers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventView {
    pub code: EventCode,
    pub label: &'static str,
    pub classifier: Classifier,
    pub event_time: DateTime<FixedOffset>,
    pub location: Option<Location>,
    pub container_number: Option<ContainerNumber>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub delay_reason: Option<String>,
    pub remark: Option<String>,
    /// A later published event corrected this one.
    pub retracted: bool,
    /// This event corrects an earlier one.
    pub is_correction: bool,
}

/// A sell-side charge, as shown to customers allowed to see charges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeView {
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// A published document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentView {
    pub id: String,
    pub name: String,
    pub kind: String,
}

/// The dates a viewer is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates {
    pub etd: Option<DateTime<FixedOffset>>,
    pub eta: Option<DateTime<FixedOffset>>,
    pub atd: Option<DateTime<FixedOffset>>,
    pub ata: Option<DateTime<FixedOffset>>,
}

impl Dates {
    fn of(state: &MilestoneState) -> Self {
        Self { etd: state.etd, eta: state.eta, atd: state.atd, ata: state.ata }
    }
}

/// One row of a tracking user's shipment list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalListItem {
    pub id: ShipmentId,
    pub reference: ShipmentReference,
    /// The house bill number; blank where there is none yet.
    pub hbl_no: String,
    pub status: Status,
    pub pol: Location,
    pub pod: Location,
    pub dates: Dates,
}

/// What storage keeps of a shipment for lists: the viewer-facing status and
/// dates (recomputed with every write) and the facts that decide who sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentSummary {
    pub id: ShipmentId,
    pub reference: ShipmentReference,
    pub hbl_no: String,
    pub pol: Location,
    pub pod: Location,
    /// Viewer-facing dates, from published events.
    pub dates: Dates,
    /// Visibility facts, with the viewer-facing status.
    pub audience: ShipmentAudience,
}

/// The list row `user` is shown for `summary`, or `None` if the visibility
/// rule says the user must not see it. The only way to build a
/// [`PortalListItem`] from storage.
pub fn list_item_for(
    user: &TrackingUser,
    organizations: &[Organization],
    summary: &ShipmentSummary,
) -> Option<PortalListItem> {
    visible_to(user, organizations, &summary.audience)?;
    Some(PortalListItem {
        id: summary.id.clone(),
        reference: summary.reference.clone(),
        hbl_no: summary.hbl_no.clone(),
        status: summary.audience.status,
        pol: summary.pol.clone(),
        pod: summary.pod.clone(),
        dates: summary.dates,
    })
}

/// A shipment as a tracking user sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PortalShipmentView {
    pub id: ShipmentId,
    pub reference: ShipmentReference,
    pub hbl_no: String,
    /// Only where the user's `mbl_number` display setting is on.
    pub mbl_no: Option<String>,
    pub carrier: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub mode: Mode,
    pub status: Status,
    pub customer: PartyName,
    /// Only where `shipper_info` is on or the user is the shipper.
    pub shipper: Option<PartyName>,
    pub consignee: Option<PartyName>,
    pub pol: Location,
    pub pod: Location,
    pub place_of_receipt: Option<Location>,
    pub place_of_delivery: Option<Location>,
    pub dates: Dates,
    pub cargo: Option<Cargo>,
    pub containers: Vec<Container>,
    pub customer_note: Option<String>,
    pub events: Vec<EventView>,
    pub progress: Progress,
    /// `None` unless the user may see charges; then sell side only.
    pub charges: Option<Vec<ChargeView>>,
    /// `None` unless the user's `doc_center` is on; then published only.
    pub documents: Option<Vec<DocumentView>>,
}

impl PortalShipmentView {
    pub fn list_item(&self) -> PortalListItem {
        PortalListItem {
            id: self.id.clone(),
            reference: self.reference.clone(),
            hbl_no: self.hbl_no.clone(),
            status: self.status,
            pol: self.pol.clone(),
            pod: self.pod.clone(),
            dates: self.dates,
        }
    }
}

/// Projects `record` for `user`, or `None` if the visibility rule says the
/// user must not see it. This is the only way to build a
/// [`PortalShipmentView`], so every read path passes the rule.
pub fn project_for_user(
    user: &TrackingUser,
    organizations: &[Organization],
    record: &ShipmentRecord,
) -> Option<PortalShipmentView> {
    let state = record.viewer_state();
    let reason = visible_to(user, organizations, &audience_of(&record.shipment, record.master.as_ref(), state.status))?;
    let shipment = &record.shipment;
    let shows_charges = user.role == TrackingRole::Customer
        && organizations.iter().any(|org| org.id == reason.organization_id && org.show_charges);
    let shows_shipper = user.display.shipper_info || user.role == TrackingRole::Shipper;
    Some(PortalShipmentView {
        id: shipment.id.clone(),
        reference: shipment.reference.clone(),
        hbl_no: shipment.hbl_no.clone().unwrap_or_default(),
        mbl_no: record.master.as_ref().filter(|_| user.display.mbl_number).map(|m| m.mbl_no.clone()),
        carrier: record.master.as_ref().and_then(|m| m.carrier.clone()),
        vessel: record.master.as_ref().and_then(|m| m.vessel.clone()),
        voyage: record.master.as_ref().and_then(|m| m.voyage.clone()),
        mode: shipment.mode,
        status: state.status,
        customer: party(&record.customer),
        shipper: record.shipper.as_ref().filter(|_| shows_shipper).map(party),
        consignee: record.consignee.as_ref().map(party),
        pol: shipment.pol.clone(),
        pod: shipment.pod.clone(),
        place_of_receipt: shipment.place_of_receipt.clone(),
        place_of_delivery: shipment.place_of_delivery.clone(),
        dates: Dates::of(&state),
        cargo: shipment.cargo.clone(),
        containers: shipment.containers.clone(),
        customer_note: shipment.customer_note.clone(),
        events: timeline(&record.events),
        progress: state.progress,
        charges: shows_charges.then(|| sell_charges(shipment)),
        documents: user.display.doc_center.then(|| published_documents(shipment)),
    })
}

/// Why a user sees a record, or `None`. The same rule as
/// [`project_for_user`], for "who can see this shipment?".
pub fn reason_for(
    user: &TrackingUser,
    organizations: &[Organization],
    record: &ShipmentRecord,
) -> Option<VisibilityReason> {
    visible_to(user, organizations, &record.audience())
}

/// The optional sections a share link shows. Timeline, route and dates are
/// always shown; charges never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShareSections {
    pub containers: bool,
    pub cargo: bool,
    pub documents: bool,
}

/// A shipment as a share-link recipient sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkShipmentView {
    pub reference: ShipmentReference,
    pub hbl_no: Option<String>,
    pub mode: Mode,
    pub status: Status,
    pub pol: Location,
    pub pod: Location,
    pub place_of_receipt: Option<Location>,
    pub place_of_delivery: Option<Location>,
    pub dates: Dates,
    pub progress: Progress,
    pub events: Vec<EventView>,
    pub customer_note: Option<String>,
    pub containers: Option<Vec<Container>>,
    pub cargo: Option<Cargo>,
    pub documents: Option<Vec<DocumentView>>,
}

/// Projects `record` for a share link with the given sections. Whether the
/// link itself is still valid is the link's business; this decides only
/// what a valid link shows.
pub fn project_for_link(record: &ShipmentRecord, sections: ShareSections) -> LinkShipmentView {
    let state = record.viewer_state();
    let shipment = &record.shipment;
    LinkShipmentView {
        reference: shipment.reference.clone(),
        hbl_no: shipment.hbl_no.clone(),
        mode: shipment.mode,
        status: state.status,
        pol: shipment.pol.clone(),
        pod: shipment.pod.clone(),
        place_of_receipt: shipment.place_of_receipt.clone(),
        place_of_delivery: shipment.place_of_delivery.clone(),
        dates: Dates::of(&state),
        progress: state.progress,
        events: timeline(&record.events)
            .into_iter()
            // Events name their container; without the containers section
            // the link must not show container numbers that way either.
            .map(|event| EventView {
                container_number: event.container_number.filter(|_| sections.containers),
                ..event
            })
            .collect(),
        customer_note: shipment.customer_note.clone(),
        containers: sections.containers.then(|| shipment.containers.clone()),
        cargo: if sections.cargo { shipment.cargo.clone() } else { None },
        documents: sections.documents.then(|| published_documents(shipment)),
    }
}

fn party(org: &Organization) -> PartyName {
    PartyName { name: org.name.clone() }
}

/// The published timeline, newest first. Retracted events stay, marked, so
/// corrections are visible as corrections.
fn timeline(events: &[TrackingEvent]) -> Vec<EventView> {
    let published: Vec<&TrackingEvent> = events.iter().filter(|e| e.published).collect();
    let effective: Vec<&str> = effective_events(events, Audience::Viewer).iter().map(|e| e.event_id.as_str()).collect();
    let mut views: Vec<(&TrackingEvent, EventView)> = published
        .into_iter()
        .map(|e| {
            (
                e,
                EventView {
                    code: e.code,
                    label: e.code.label_for(e.classifier),
                    classifier: e.classifier,
                    event_time: e.event_time,
                    location: e.location.clone(),
                    container_number: e.container_number.clone(),
                    vessel: e.vessel.clone(),
                    voyage: e.voyage.clone(),
                    delay_reason: e.delay_reason.clone(),
                    remark: e.remark.clone(),
                    retracted: !effective.contains(&e.event_id.as_str()),
                    is_correction: e.retracts.is_some(),
                },
            )
        })
        .collect();
    views.sort_by(|(a, _), (b, _)| (b.event_time, b.recency_key()).cmp(&(a.event_time, a.recency_key())));
    views.into_iter().map(|(_, view)| view).collect()
}

fn sell_charges(shipment: &Shipment) -> Vec<ChargeView> {
    shipment
        .charges
        .iter()
        .filter(|c| c.side == ChargeSide::Sell)
        .map(|c| ChargeView {
            description: c.description.clone(),
            amount_minor: c.amount_minor,
            currency: c.currency.clone(),
        })
        .collect()
}

fn published_documents(shipment: &Shipment) -> Vec<DocumentView> {
    shipment
        .documents
        .iter()
        .filter(|d| d.published)
        .map(|d| DocumentView { id: d.id.clone(), name: d.name.clone(), kind: d.kind.clone() })
        .collect()
}
