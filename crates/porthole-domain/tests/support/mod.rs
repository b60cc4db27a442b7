//! Builders and proptest strategies shared by the domain's rule tests.
//!
//! Everything a viewer must never see carries a marker that appears nowhere
//! else (`INTERNAL-`, `BUYRATE-`, `UNPUBLISHED-`, `HIDDENDOC-`), and the data
//! a viewer should see carries markers of its own (`NOTE-`, `SELLRATE-`,
//! `SHOWN-`, `PUBDOC-`, `CARGO-`, `MBLNO-`), so a test can search the
//! `{:?}` form of a view for both.

// Each test file uses its own share of these helpers.
#![allow(dead_code)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use porthole_domain::{
    Cargo, Charge, ChargeSide, Classifier, Container, ContainerNumber, DisplaySettings, Document, Email, EventCode,
    Location, Master, MasterId, Mode, NotificationPreferences, Organization, OrganizationId, Shipment, ShipmentId,
    ShipmentRecord, ShipmentReference, Status, TrackingEvent, TrackingRole, TrackingUser, TrackingUserId, UnLocode,
    UserId, UserState,
};
use proptest::prelude::*;
use proptest::sample::Index;

// ---------------------------------------------------------------------------
// Organizations
// ---------------------------------------------------------------------------

/// Party slots of [`standard_record`].
pub const CUSTOMER: usize = 0;
pub const SHIPPER: usize = 1;
pub const CONSIGNEE: usize = 2;
pub const AGENT: usize = 3;
/// An organization that is no party of the standard shipment.
pub const OUTSIDER: usize = 4;

pub fn org_id(n: usize) -> OrganizationId {
    OrganizationId::new(format!("org-{n}"))
}

/// An organization with the portal on and charges hidden.
pub fn organization(n: usize) -> Organization {
    Organization {
        id: org_id(n),
        code: format!("ORG{n}"),
        name: format!("Organization {n}"),
        portal_enabled: true,
        show_charges: false,
    }
}

/// Organizations `0..count`, all portal-enabled, charges hidden.
pub fn organizations(count: usize) -> Vec<Organization> {
    (0..count).map(organization).collect()
}

/// Sets one organization's switches in a list built by [`organizations`].
pub fn set_org(orgs: &mut [Organization], n: usize, portal_enabled: bool, show_charges: bool) {
    let org = orgs.iter_mut().find(|o| o.id == org_id(n)).expect("organization is in the list");
    org.portal_enabled = portal_enabled;
    org.show_charges = show_charges;
}

// ---------------------------------------------------------------------------
// Places and times
// ---------------------------------------------------------------------------

pub fn location(code: &str, name: &str) -> Location {
    Location { unlocode: UnLocode::parse(code).expect("test UN/LOCODE is valid"), name: name.to_owned() }
}

pub fn pol() -> Location {
    location("VNSGN", "Cat Lai")
}

pub fn pod() -> Location {
    location("USLGB", "Long Beach")
}

pub fn transshipment_port() -> Location {
    location("SGSIN", "Singapore")
}

fn offset_hours(hours: i32) -> FixedOffset {
    FixedOffset::east_opt(hours * 3600).expect("offset is in range")
}

/// The UTC offset events at `place` are reported with.
pub fn offset_of(place: Option<&Location>) -> FixedOffset {
    match place.map(|p| p.unlocode.as_str()) {
        Some("VNSGN") => offset_hours(7),
        Some("USLGB") => offset_hours(-7),
        Some("SGSIN") => offset_hours(8),
        _ => offset_hours(0),
    }
}

/// 2025-05-01 00:00 UTC, the start of every test journey.
pub fn journey_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 5, 1, 0, 0, 0).single().expect("valid date")
}

/// `hours` after the journey start, written with `offset`.
pub fn time_at(hours: i64, offset: FixedOffset) -> DateTime<FixedOffset> {
    (journey_start() + Duration::hours(hours)).with_timezone(&offset)
}

/// `hours` after the journey start, written in UTC. Times compare by instant,
/// so this equals the same instant written with any other offset.
pub fn at(hours: i64) -> DateTime<FixedOffset> {
    time_at(hours, offset_hours(0))
}

/// When a source recorded something: `minutes` after the journey start.
pub fn recorded(minutes: i64) -> DateTime<Utc> {
    journey_start() + Duration::minutes(minutes)
}

// ---------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------

/// An active user of `role` in the organizations `orgs`, default display
/// settings, no agent-customer list.
pub fn user(n: usize, role: TrackingRole, orgs: &[usize]) -> TrackingUser {
    TrackingUser {
        id: TrackingUserId::new(format!("tu-{n}")),
        user_id: UserId::parse(&format!("user{n}")).expect("valid user id"),
        first_name: format!("User {n}"),
        last_name: None,
        email: Email::parse(&format!("user{n}@example.com")).expect("valid e-mail"),
        additional_emails: Vec::new(),
        role,
        organization_ids: orgs.iter().copied().map(org_id).collect(),
        agent_customer_ids: BTreeSet::new(),
        notifications: NotificationPreferences::default(),
        display: DisplaySettings::default(),
        state: UserState::Active,
    }
}

/// An active overseas agent in `orgs` allowed the customers `customers`.
pub fn agent_user(n: usize, orgs: &[usize], customers: &[usize]) -> TrackingUser {
    let mut agent = user(n, TrackingRole::OverseasAgent, orgs);
    agent.agent_customer_ids = customers.iter().copied().map(org_id).collect();
    agent
}

/// Every display setting on.
pub fn show_everything() -> DisplaySettings {
    DisplaySettings { doc_center: true, shipper_info: true, mbl_number: true }
}

// ---------------------------------------------------------------------------
// Masters, shipments and records
// ---------------------------------------------------------------------------

pub fn master(n: usize, overseas_agent: Option<usize>) -> Master {
    Master {
        id: MasterId::new(format!("mbl-{n}")),
        mbl_no: format!("MBLNO-{n}"),
        carrier: Some("CMA CGM".to_owned()),
        vessel: Some("CMA CGM TAGE".to_owned()),
        voyage: Some("0MX1RE1MA".to_owned()),
        overseas_agent_id: overseas_agent.map(org_id),
    }
}

pub fn sell_charge(label: &str) -> Charge {
    Charge {
        side: ChargeSide::Sell,
        description: format!("SELLRATE-{label}"),
        amount_minor: 125_000,
        currency: "USD".to_owned(),
    }
}

pub fn buy_charge(label: &str) -> Charge {
    Charge {
        side: ChargeSide::Buy,
        description: format!("BUYRATE-{label}"),
        amount_minor: 98_000,
        currency: "USD".to_owned(),
    }
}

pub fn published_document(label: &str) -> Document {
    Document {
        id: format!("doc-pub-{label}"),
        name: format!("PUBDOC-{label}"),
        kind: "bill_of_lading".to_owned(),
        published: true,
    }
}

pub fn hidden_document(label: &str) -> Document {
    Document {
        id: format!("doc-hid-{label}"),
        name: format!("HIDDENDOC-{label}"),
        kind: "invoice".to_owned(),
        published: false,
    }
}

/// A confirmed sea FCL house shipment of `customer` with an HBL, one
/// container, cargo, planned dates, a customer note, an internal note, one
/// sell and one buy charge, one published and one unpublished document. No
/// shipper, consignee or master.
pub fn shipment(n: usize, customer: usize) -> Shipment {
    Shipment {
        id: ShipmentId::new(format!("shp-{n}")),
        reference: ShipmentReference::parse(&format!("SHP/202505/{n:05}")).expect("valid reference"),
        hbl_no: Some(format!("HBL-{n}")),
        master_id: None,
        mode: Mode::SeaFcl,
        status: Status::Confirmed,
        customer_id: org_id(customer),
        shipper_id: None,
        consignee_id: None,
        pol: pol(),
        pod: pod(),
        place_of_receipt: Some(location("VNBDU", "Binh Duong")),
        place_of_delivery: Some(location("USONT", "Ontario")),
        planned_etd: Some(at(48)),
        planned_eta: Some(at(24 * 20)),
        cargo: Some(Cargo { packages: 12, weight_kg: 4200.5, volume_m3: 28.3, description: format!("CARGO-{n}") }),
        containers: vec![Container {
            number: ContainerNumber::parse("CSQU3054383").expect("valid container number"),
            iso_type: "45G1".to_owned(),
            seal: Some(format!("SEAL-{n}")),
        }],
        legs: Vec::new(),
        customer_note: Some(format!("NOTE-{n}")),
        internal_note: Some(format!("INTERNAL-{n}")),
        charges: vec![sell_charge(&n.to_string()), buy_charge(&n.to_string())],
        documents: vec![published_document(&n.to_string()), hidden_document(&n.to_string())],
    }
}

/// Puts a shipment, its master and its events together, taking the party
/// organizations from `orgs` (an organization missing there is built with
/// the portal on).
pub fn record(
    mut shipment: Shipment,
    master: Option<Master>,
    events: Vec<TrackingEvent>,
    orgs: &[Organization],
) -> ShipmentRecord {
    let find = |id: &OrganizationId| {
        orgs.iter().find(|o| &o.id == id).cloned().unwrap_or_else(|| Organization {
            id: id.clone(),
            code: id.to_string(),
            name: format!("Organization {id}"),
            portal_enabled: true,
            show_charges: false,
        })
    };
    shipment.master_id = master.as_ref().map(|m| m.id.clone());
    ShipmentRecord {
        customer: find(&shipment.customer_id),
        shipper: shipment.shipper_id.as_ref().map(find),
        consignee: shipment.consignee_id.as_ref().map(find),
        shipment,
        master,
        events,
    }
}

/// Organizations `0..=OUTSIDER`, all portal-enabled, charges hidden.
pub fn standard_orgs() -> Vec<Organization> {
    organizations(OUTSIDER + 1)
}

/// Shipment 80: customer [`CUSTOMER`], shipper [`SHIPPER`], consignee
/// [`CONSIGNEE`], on a master whose overseas agent is [`AGENT`]; confirmed,
/// with an HBL, no events.
pub fn standard_shipment() -> Shipment {
    let mut s = shipment(80, CUSTOMER);
    s.shipper_id = Some(org_id(SHIPPER));
    s.consignee_id = Some(org_id(CONSIGNEE));
    s
}

pub fn standard_record(orgs: &[Organization]) -> ShipmentRecord {
    record(standard_shipment(), Some(master(80, Some(AGENT))), Vec::new(), orgs)
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/// A published event recorded at the journey start, its time written with
/// the offset of `place`.
pub fn event(id: &str, code: EventCode, classifier: Classifier, place: Option<Location>, hours: i64) -> TrackingEvent {
    TrackingEvent {
        event_id: id.to_owned(),
        code,
        classifier,
        event_time: time_at(hours, offset_of(place.as_ref())),
        recorded_at: recorded(0),
        location: place,
        container_number: None,
        vessel: None,
        voyage: None,
        delay_reason: None,
        remark: None,
        published: true,
        retracts: None,
    }
}

/// Chainable tweaks for events built with [`event`].
pub trait EventExt: Sized {
    fn recorded_minute(self, minutes: i64) -> Self;
    fn unpublished(self) -> Self;
    fn retracting(self, event_id: &str) -> Self;
    fn remark(self, remark: &str) -> Self;
}

impl EventExt for TrackingEvent {
    fn recorded_minute(mut self, minutes: i64) -> Self {
        self.recorded_at = recorded(minutes);
        self
    }

    fn unpublished(mut self) -> Self {
        self.published = false;
        self
    }

    fn retracting(mut self, event_id: &str) -> Self {
        self.retracts = Some(event_id.to_owned());
        self
    }

    fn remark(mut self, remark: &str) -> Self {
        self.remark = Some(remark.to_owned());
        self
    }
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// Organizations in the random pool. Small, so parties collide often.
pub const POOL: usize = 4;

/// `POOL` organizations; about one in four has the portal off, about half
/// show charges.
pub fn arb_org_pool() -> impl Strategy<Value = Vec<Organization>> {
    prop::collection::vec((prop::bool::weighted(0.75), any::<bool>()), POOL).prop_map(|flags| {
        flags
            .into_iter()
            .enumerate()
            .map(|(n, (portal_enabled, show_charges))| Organization { portal_enabled, show_charges, ..organization(n) })
            .collect()
    })
}

type UserParts = (TrackingRole, UserState, BTreeSet<usize>, BTreeSet<usize>, (bool, bool, bool));

fn arb_user_parts() -> impl Strategy<Value = UserParts> {
    (
        prop::sample::select(TrackingRole::ALL.to_vec()),
        prop_oneof![3 => Just(UserState::Active), 1 => Just(UserState::Invited), 1 => Just(UserState::Disabled)],
        prop::collection::btree_set(0..POOL, 0..=3),
        prop::collection::btree_set(0..POOL, 0..=3),
        any::<(bool, bool, bool)>(),
    )
}

fn build_user(n: usize, (role, state, orgs, agent_customers, display): UserParts) -> TrackingUser {
    let orgs: Vec<usize> = orgs.into_iter().collect();
    let mut built = user(n, role, &orgs);
    built.state = state;
    // Customer lists are generated for every role: the rule must ignore them
    // for everyone but overseas agents.
    built.agent_customer_ids = agent_customers.into_iter().map(org_id).collect();
    built.display = DisplaySettings { doc_center: display.0, shipper_info: display.1, mbl_number: display.2 };
    built
}

/// A user of any role and state, in any (possibly empty) set of pool
/// organizations, with any (possibly empty) agent-customer list.
pub fn arb_user(n: usize) -> impl Strategy<Value = TrackingUser> {
    arb_user_parts().prop_map(move |parts| build_user(n, parts))
}

pub fn arb_users() -> impl Strategy<Value = Vec<TrackingUser>> {
    prop::collection::vec(arb_user_parts(), 1..=4)
        .prop_map(|parts| parts.into_iter().enumerate().map(|(n, p)| build_user(n, p)).collect())
}

/// Codes the random events draw from; transport events are weighted up
/// because the milestone dates follow them.
const CODES: &[EventCode] = &[
    EventCode::Arri,
    EventCode::Arri,
    EventCode::Arri,
    EventCode::Depa,
    EventCode::Depa,
    EventCode::Depa,
    EventCode::Load,
    EventCode::Disc,
    EventCode::Gtin,
    EventCode::Gtot,
    EventCode::Stuf,
    EventCode::Pick,
    EventCode::Rece,
    EventCode::Conf,
    EventCode::Conf,
    EventCode::Rels,
    EventCode::Dlvd,
    EventCode::Podc,
    EventCode::Canc,
    EventCode::Picu,
    EventCode::Ofdl,
    EventCode::Insp,
    EventCode::Issu,
];

/// Transport-heavy codes, for properties about the dates.
pub const TRANSPORT_CODES: &[EventCode] = &[
    EventCode::Arri,
    EventCode::Arri,
    EventCode::Arri,
    EventCode::Depa,
    EventCode::Depa,
    EventCode::Depa,
    EventCode::Load,
    EventCode::Conf,
    EventCode::Dlvd,
];

/// Code, classifier, place (0 POL, 1 POD, 2 transshipment, 3 none), hours
/// after the journey start, minute recorded, published.
pub type EventParts = (EventCode, Classifier, usize, i64, i64, bool);

/// Recorded minutes come from a narrow range so that ties, broken by
/// `event_id`, are common.
pub fn arb_event_parts(recorded_minutes: std::ops::Range<i64>) -> impl Strategy<Value = EventParts> {
    arb_event_parts_from(CODES, recorded_minutes)
}

/// Like [`arb_event_parts`], drawing codes from `codes`. Events are mostly
/// at the ports of loading and discharge, where the dates come from.
pub fn arb_event_parts_from(
    codes: &'static [EventCode],
    recorded_minutes: std::ops::Range<i64>,
) -> impl Strategy<Value = EventParts> {
    (
        prop::sample::select(codes),
        prop::sample::select(vec![Classifier::Pln, Classifier::Est, Classifier::Est, Classifier::Act, Classifier::Act]),
        prop_oneof![3 => Just(0usize), 3 => Just(1usize), 1 => Just(2usize), 1 => Just(3usize)],
        0..(24 * 40i64),
        recorded_minutes,
        prop::bool::weighted(0.7),
    )
}

/// Builds one random event. Unpublished events carry `UNPUBLISHED-<label>`
/// in their remark and delay reason; published ones `SHOWN-<label>`.
pub fn build_event(
    event_id: String,
    label: &str,
    (code, classifier, place, hours, minute, published): EventParts,
    retracts: Option<String>,
) -> TrackingEvent {
    let place = match place {
        0 => Some(pol()),
        1 => Some(pod()),
        2 => Some(transshipment_port()),
        _ => None,
    };
    let mut built = event(&event_id, code, classifier, place, hours).recorded_minute(minute);
    built.published = published;
    built.retracts = retracts;
    if published {
        built.remark = Some(format!("SHOWN-{label}"));
    } else {
        built.remark = Some(format!("UNPUBLISHED-{label}"));
        built.delay_reason = Some(format!("UNPUBLISHED-DELAY-{label}"));
    }
    built
}

/// A set of events with unique ids `ev-<i>`, published and unpublished,
/// some retracting an earlier one.
pub fn arb_events(max: usize) -> impl Strategy<Value = Vec<TrackingEvent>> {
    arb_events_from(CODES, max)
}

/// Like [`arb_events`], drawing codes from `codes`.
pub fn arb_events_from(codes: &'static [EventCode], max: usize) -> impl Strategy<Value = Vec<TrackingEvent>> {
    prop::collection::vec((arb_event_parts_from(codes, 0..6), prop::option::weighted(0.15, any::<Index>())), 0..=max)
        .prop_map(|parts| {
            parts
                .into_iter()
                .enumerate()
                .map(|(i, (parts, retract))| {
                    let retracts = retract.filter(|_| i > 0).map(|pick| format!("ev-{}", pick.index(i)));
                    build_event(format!("ev-{i}"), &i.to_string(), parts, retracts)
                })
                .collect()
        })
}

/// How the HBL number is filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hbl {
    Present,
    Missing,
    Blank,
}

/// A random shipment, buildable against any organization pool.
#[derive(Debug, Clone)]
pub struct ShipmentSpec {
    pub hbl: Hbl,
    pub status: Status,
    pub mode: Mode,
    pub customer: usize,
    pub shipper: Option<usize>,
    pub consignee: Option<usize>,
    /// `None`: no master; `Some(None)`: a master without overseas agent.
    pub master: Option<Option<usize>>,
    pub planned_etd: bool,
    pub planned_eta: bool,
    pub events: Vec<TrackingEvent>,
    pub sell_charges: usize,
    pub buy_charges: usize,
    pub published_documents: usize,
    pub hidden_documents: usize,
}

impl ShipmentSpec {
    /// Builds shipment `n`: markers `INTERNAL-<n>`, `NOTE-<n>`, `CARGO-<n>`,
    /// `MBLNO-<n>`, charges `SELLRATE-<n>-<k>` / `BUYRATE-<n>-<k>`,
    /// documents `PUBDOC-<n>-<k>` / `HIDDENDOC-<n>-<k>`.
    pub fn build(&self, n: usize, orgs: &[Organization]) -> ShipmentRecord {
        let mut s = shipment(n, self.customer);
        s.hbl_no = match self.hbl {
            Hbl::Present => Some(format!("HBL-{n}")),
            Hbl::Missing => None,
            Hbl::Blank => Some("  ".to_owned()),
        };
        s.status = self.status;
        s.mode = self.mode;
        s.shipper_id = self.shipper.map(org_id);
        s.consignee_id = self.consignee.map(org_id);
        if !self.planned_etd {
            s.planned_etd = None;
        }
        if !self.planned_eta {
            s.planned_eta = None;
        }
        s.charges = (0..self.sell_charges)
            .map(|k| sell_charge(&format!("{n}-{k}")))
            .chain((0..self.buy_charges).map(|k| buy_charge(&format!("{n}-{k}"))))
            .collect();
        s.documents = (0..self.published_documents)
            .map(|k| published_document(&format!("{n}-{k}")))
            .chain((0..self.hidden_documents).map(|k| hidden_document(&format!("{n}-{k}"))))
            .collect();
        let master = self.master.map(|agent| master(n, agent));
        record(s, master, self.events.clone(), orgs)
    }
}

pub fn arb_shipment_spec() -> impl Strategy<Value = ShipmentSpec> {
    let parties = (
        0..POOL,
        prop::option::weighted(0.8, 0..POOL),
        prop::option::weighted(0.8, 0..POOL),
        prop::option::weighted(0.75, prop::option::weighted(0.75, 0..POOL)),
    );
    let head = (
        prop_oneof![6 => Just(Hbl::Present), 1 => Just(Hbl::Missing), 1 => Just(Hbl::Blank)],
        prop::sample::select(Status::ALL.to_vec()),
        prop::sample::select(Mode::ALL.to_vec()),
        any::<(bool, bool)>(),
    );
    let extras = (0..3usize, 1..3usize, 0..3usize, 1..3usize);
    (head, parties, arb_events(10), extras).prop_map(
        |(
            (hbl, status, mode, (planned_etd, planned_eta)),
            (customer, shipper, consignee, master),
            events,
            (sell_charges, buy_charges, published_documents, hidden_documents),
        )| ShipmentSpec {
            hbl,
            status,
            mode,
            customer,
            shipper,
            consignee,
            master,
            planned_etd,
            planned_eta,
            events,
            sell_charges,
            buy_charges,
            published_documents,
            hidden_documents,
        },
    )
}

/// A pool of organizations, some users and some shipments among them.
#[derive(Debug, Clone)]
pub struct World {
    pub orgs: Vec<Organization>,
    pub users: Vec<TrackingUser>,
    pub records: Vec<ShipmentRecord>,
}

pub fn arb_world() -> impl Strategy<Value = World> {
    (arb_org_pool(), arb_users(), prop::collection::vec(arb_shipment_spec(), 1..=4)).prop_map(|(orgs, users, specs)| {
        let records = specs.iter().enumerate().map(|(n, spec)| spec.build(n, &orgs)).collect();
        World { orgs, users, records }
    })
}
