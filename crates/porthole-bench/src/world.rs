//! The generated world: organizations, masters, shipments with their
//! events and containers, tracking users and share links.
//!
//! Everything is a pure function of the seed, the plan and an index, so the
//! benchmark can recompute any shipment, user or link token it needs (a
//! visible shipment for a user, a token to open) without reading the
//! database, and the same seed always makes the same database. Values are
//! built as the domain's own types; `rows` turns them into the rows the
//! store would write.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, FixedOffset, TimeZone, Utc};
use porthole_domain::{
    Cargo, Charge, ChargeSide, Classifier, Container, ContainerNumber, DisplaySettings, Document, Email, EventCode,
    Location, Master, MasterId, Mode, NotificationPreferences, Organization, OrganizationId, PeriodicReport,
    ReportFrequency, ShareLink, ShareLinkId, ShareRecipient, ShareSections, Shipment, ShipmentId, ShipmentReference,
    Status, TrackingEvent, TrackingRole, TrackingUser, TrackingUserId, TransportLeg, UnLocode, UserId, UserState,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::codes;

/// Bump when the generated data changes, so cached datasets are rebuilt.
pub const GENERATOR_VERSION: u32 = 1;

/// Every generated user who has a password has this one.
pub const PASSWORD: &str = "porthole-bench-password";

/// The world's own "now": bookings run up to it, and events that would be
/// recorded after it have not happened yet. Fixed, so a dataset does not
/// depend on the day it was made.
pub fn dataset_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).single().unwrap_or_default()
}

/// How big each part of the world is, derived from the number of
/// shipments: at 1,000,000 shipments, 20,000 organizations (200 of them
/// overseas agents), 100,000 tracking users, 100,000 share links and one
/// customer with 10,000 shipments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub shipments: u64,
    pub organizations: u64,
    pub agent_organizations: u64,
    pub users: u64,
    pub big_customer_users: u64,
    pub share_links: u64,
    pub big_customer_shipments: u64,
    /// Months of bookings, ending at [`dataset_now`].
    pub months: u64,
}

/// Shipments booked per month at most: references number them in five
/// digits.
const MAX_PER_MONTH: u64 = 90_000;

impl Plan {
    pub fn for_shipments(shipments: u64) -> Plan {
        let shipments = shipments.max(100);
        let organizations = (shipments / 50).max(20);
        let users = (shipments / 10).max(100);
        Plan {
            shipments,
            organizations,
            agent_organizations: (organizations / 100).max(2),
            users,
            big_customer_users: (users / 10).min(10),
            share_links: (shipments / 10).max(100),
            big_customer_shipments: (shipments / 10).min(10_000),
            months: shipments.div_ceil(MAX_PER_MONTH).max(24),
        }
    }

    pub fn per_month(&self) -> u64 {
        self.shipments.div_ceil(self.months)
    }

    /// Every `stride`-th shipment (from the first) is the big customer's.
    fn big_stride(&self) -> u64 {
        (self.shipments / self.big_customer_shipments.max(1)).max(1)
    }

    /// Index of the big customer among the organizations: the first one
    /// after the overseas agents.
    pub fn big_customer(&self) -> u64 {
        self.agent_organizations
    }

    pub fn is_big_customers(&self, shipment: u64) -> bool {
        shipment.is_multiple_of(self.big_stride()) && shipment / self.big_stride() < self.big_customer_shipments
    }

    /// The big customer's shipments, oldest reference first.
    pub fn big_customer_shipment_indexes(&self) -> impl Iterator<Item = u64> + use<> {
        let (stride, shipments) = (self.big_stride(), self.shipments);
        (0..self.big_customer_shipments).map(move |n| n * stride).filter(move |i| *i < shipments)
    }

    /// Masters group up to this many consecutive sea shipments.
    pub const MASTER_GROUP: u64 = 4;
}

/// A place shipments leave from or go to.
#[derive(Debug, Clone, Copy)]
struct Place {
    unlocode: &'static str,
    name: &'static str,
    /// UTC offset in minutes, which event times carry.
    offset_minutes: i32,
}

const fn place(unlocode: &'static str, name: &'static str, offset_minutes: i32) -> Place {
    Place { unlocode, name, offset_minutes }
}

const ORIGINS: &[Place] = &[
    place("VNSGN", "Cat Lai", 420),
    place("CNSHA", "Shanghai", 480),
    place("CNNGB", "Ningbo", 480),
    place("CNSZX", "Shenzhen", 480),
    place("SGSIN", "Singapore", 480),
    place("KRPUS", "Busan", 540),
    place("JPTYO", "Tokyo", 540),
    place("THLCH", "Laem Chabang", 420),
    place("INNSA", "Nhava Sheva", 330),
];

const DESTINATIONS: &[Place] = &[
    place("USLGB", "Long Beach", -420),
    place("USLAX", "Los Angeles", -420),
    place("USNYC", "New York", -240),
    place("USSAV", "Savannah", -240),
    place("NLRTM", "Rotterdam", 120),
    place("DEHAM", "Hamburg", 120),
    place("BEANR", "Antwerp", 120),
    place("GBFXT", "Felixstowe", 60),
    place("AUSYD", "Sydney", 600),
];

const INLAND_ORIGINS: &[Place] =
    &[place("VNBDU", "Binh Duong", 420), place("CNDGG", "Dongguan", 480), place("CNSUZ", "Suzhou", 480)];

const INLAND_DESTINATIONS: &[Place] =
    &[place("USCHI", "Chicago", -300), place("USDAL", "Dallas", -300), place("DEBER", "Berlin", 120)];

const CONTAINER_OWNERS: &[&str] = &["MSK", "MSC", "CSQ", "TGH", "TCL", "CMA", "HLX", "OOL", "EGH", "SEG"];
const ISO_TYPES: &[&str] = &["22G1", "42G1", "45G1", "45R1"];
const CARRIERS: &[(&str, &str)] =
    &[("MAEU", "Maersk"), ("MSCU", "MSC"), ("CMDU", "CMA CGM"), ("HLCU", "Hapag-Lloyd"), ("ONEY", "ONE")];
const VESSELS: &[&str] =
    &["MAERSK ESSEX", "MSC AURORA", "CMA CGM MARCO POLO", "EVER GIVEN", "ONE HARMONY", "HMM ALGECIRAS"];
const FIRST_NAMES: &[&str] = &["Linh", "Minh", "Wei", "Anna", "James", "Priya", "Kenji", "Sofia", "Omar", "Grace"];
const LAST_NAMES: &[&str] = &["Nguyen", "Tran", "Chen", "Muller", "Smith", "Patel", "Sato", "Rossi", "Haddad"];
const NAME_WORDS: &[&str] =
    &["Pacific", "Saigon", "Mekong", "Harbor", "Golden", "Lotus", "Summit", "Coastal", "Northern", "Blue"];
const TRADES: &[&str] = &["Trading", "Garments", "Electronics", "Furniture", "Foods", "Textiles", "Imports"];

/// Independent random streams, one per kind of thing, each indexed by the
/// thing's number.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
enum Stream {
    Ids = 1,
    Parties = 2,
    Shipment = 3,
    Master = 4,
    Organization = 5,
    User = 6,
    Link = 7,
}

/// One generated shipment: the domain's shipment, its events with when the
/// store received each, and the times the store would have stamped.
#[derive(Debug, Clone)]
pub struct GenShipment {
    pub shipment: Shipment,
    pub events: Vec<GenEvent>,
    /// The group number of its master, if it has one.
    pub master_group: Option<u64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct GenEvent {
    pub event: TrackingEvent,
    pub received_at: DateTime<Utc>,
}

impl GenShipment {
    pub fn events(&self) -> Vec<TrackingEvent> {
        self.events.iter().map(|e| e.event.clone()).collect()
    }

    /// When the last event arrived, else when it was booked: the store's
    /// `updated_at`.
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.events.iter().map(|e| e.received_at).max().unwrap_or(self.created_at)
    }

    /// When the delivery event arrived: the store sets `published_done_at`
    /// to the time of the write that made viewers see it Done.
    pub fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.events
            .iter()
            .filter(|e| e.event.published && matches!(e.event.code, EventCode::Dlvd | EventCode::Podc))
            .map(|e| e.received_at)
            .min()
    }
}

#[derive(Debug, Clone)]
pub struct GenUser {
    pub user: TrackingUser,
    /// The numbers of its organizations.
    pub organizations: Vec<u64>,
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct GenLink {
    pub link: ShareLink,
    /// The token of its URL, `/t/{token}`; the store keeps its SHA-256.
    pub token: String,
    pub shipment: u64,
}

impl GenUser {
    /// Active, with the portal on in one of its organizations: may sign in.
    pub fn may_sign_in(&self, world: &World) -> bool {
        self.user.state == UserState::Active && self.organizations.iter().any(|k| world.organization(*k).portal_enabled)
    }
}

impl GenLink {
    /// Opens at once (no e-mail check) and stays alive whatever the
    /// shipment does and whenever the benchmark runs.
    pub fn opens_at_once(&self) -> bool {
        !self.link.require_verification
            && self.link.revoked_at.is_none()
            && self.link.expires_at.is_none()
            && !self.link.expire_on_delivery
    }
}

/// The parties of a shipment, as organization numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parties {
    pub customer: u64,
    pub shipper: Option<u64>,
    pub consignee: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
pub struct World {
    pub seed: u64,
    pub plan: Plan,
}

impl World {
    pub fn new(seed: u64, plan: Plan) -> World {
        World { seed, plan }
    }

    fn rng(&self, stream: Stream, index: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ stream as u64);
        rng.set_stream(index);
        rng
    }

    /// An opaque id as the server's id source makes them: a prefix and 128
    /// bits in hex.
    fn id(&self, prefix: &str, kind: u64, index: u64) -> String {
        let mut rng = self.rng(Stream::Ids, index);
        rng.set_word_pos(u128::from(kind) << 20);
        let bytes: [u8; 16] = rng.random();
        format!("{prefix}{}", hex::encode(bytes))
    }

    pub fn organization_id(&self, k: u64) -> OrganizationId {
        OrganizationId::new(self.id("org_", 1, k))
    }

    pub fn shipment_id(&self, i: u64) -> ShipmentId {
        ShipmentId::new(self.id("shp_", 2, i))
    }

    pub fn master_id(&self, group: u64) -> MasterId {
        MasterId::new(self.id("mbl_", 3, group))
    }

    pub fn tracking_user_id(&self, k: u64) -> TrackingUserId {
        TrackingUserId::new(self.id("tu_", 4, k))
    }

    pub fn link_id(&self, j: u64) -> ShareLinkId {
        ShareLinkId::new(self.id("lnk_", 5, j))
    }

    fn is_agent(&self, k: u64) -> bool {
        k < self.plan.agent_organizations
    }

    /// A trade partner other than the big customer, at random.
    fn other_trade_partner(&self, rng: &mut ChaCha8Rng) -> u64 {
        let first = self.plan.big_customer() + 1;
        rng.random_range(first..self.plan.organizations.max(first + 1))
    }

    /// The overseas agent a trade partner's sea shipments usually go to.
    fn preferred_agent(&self, k: u64) -> u64 {
        k % self.plan.agent_organizations
    }

    pub fn organization_code(&self, k: u64) -> String {
        if self.is_agent(k) {
            format!("AG{k:05}")
        } else if k == self.plan.big_customer() {
            "BIGCO".to_owned()
        } else {
            format!("TP{k:06}")
        }
    }

    pub fn organization(&self, k: u64) -> Organization {
        let mut rng = self.rng(Stream::Organization, k);
        let word = NAME_WORDS[rng.random_range(0..NAME_WORDS.len())];
        let name = if self.is_agent(k) {
            format!("{word} Freight Partners {k}")
        } else if k == self.plan.big_customer() {
            "Big Customer Manufacturing Ltd".to_owned()
        } else {
            format!("{word} {} {k}", TRADES[rng.random_range(0..TRADES.len())])
        };
        let always_on = self.is_agent(k) || k == self.plan.big_customer();
        Organization {
            id: self.organization_id(k),
            code: self.organization_code(k),
            name,
            portal_enabled: always_on || rng.random_bool(0.97),
            show_charges: rng.random_bool(0.2),
        }
    }

    pub fn parties(&self, i: u64) -> Parties {
        let mut rng = self.rng(Stream::Parties, i);
        let customer =
            if self.plan.is_big_customers(i) { self.plan.big_customer() } else { self.other_trade_partner(&mut rng) };
        let shipper = match rng.random_range(0..100) {
            0..65 => Some(customer),
            65..90 => Some(self.other_trade_partner(&mut rng)),
            _ => None,
        };
        let consignee = rng.random_bool(0.9).then(|| self.other_trade_partner(&mut rng));
        Parties { customer, shipper, consignee }
    }

    /// The master of group `group`: consecutive sea shipments share it, and
    /// its agent is usually the one its first shipment's customer uses.
    pub fn master(&self, group: u64) -> Master {
        let mut rng = self.rng(Stream::Master, group);
        let (prefix, carrier) = CARRIERS[rng.random_range(0..CARRIERS.len())];
        let first_customer = self.parties(group * Plan::MASTER_GROUP).customer;
        Master {
            id: self.master_id(group),
            mbl_no: format!("{prefix}{group:09}"),
            carrier: Some(carrier.to_owned()),
            vessel: Some(VESSELS[rng.random_range(0..VESSELS.len())].to_owned()),
            voyage: Some(format!("{:03}{}", rng.random_range(1..999), ["E", "W", "N", "S"][rng.random_range(0..4)])),
            overseas_agent_id: rng.random_bool(0.9).then(|| self.organization_id(self.preferred_agent(first_customer))),
        }
    }

    pub fn reference(&self, i: u64) -> String {
        let (year, month) = self.month_of(i);
        let number = i % self.plan.per_month() + 1;
        codes::reference(year, month, u32::try_from(number).unwrap_or(u32::MAX))
    }

    /// Year and month of the shipment's booking.
    fn month_of(&self, i: u64) -> (i32, u32) {
        let first = self.first_month();
        let m = first + i / self.plan.per_month();
        (i32::try_from(m / 12).unwrap_or(i32::MAX), u32::try_from(m % 12).unwrap_or(0) + 1)
    }

    /// Months since year 0 of the first month of bookings.
    fn first_month(&self) -> u64 {
        let now = dataset_now();
        let now_months = u64::try_from(now.year()).unwrap_or(0) * 12 + u64::from(now.month0());
        now_months.saturating_sub(self.plan.months)
    }

    /// The planned departure: spread evenly over the booking month, in
    /// reference order.
    fn planned_departure(&self, i: u64, rng: &mut ChaCha8Rng) -> DateTime<Utc> {
        let (year, month) = self.month_of(i);
        let start = Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single().unwrap_or_default();
        let per_month = i64::try_from(self.plan.per_month()).unwrap_or(1).max(1);
        let within = i64::try_from(i % self.plan.per_month()).unwrap_or(0);
        start + Duration::minutes(within * 28 * 24 * 60 / per_month) + Duration::minutes(rng.random_range(0..600))
    }

    pub fn shipment(&self, i: u64) -> GenShipment {
        let mut rng = self.rng(Stream::Shipment, i);
        let parties = self.parties(i);
        let mode = match rng.random_range(0..100) {
            0..55 => Mode::SeaFcl,
            55..70 => Mode::SeaLcl,
            70..90 => Mode::Air,
            _ => Mode::Road,
        };
        let (pol, pod) = match mode {
            Mode::Road => (pick(&mut rng, ORIGINS), pick(&mut rng, ORIGINS)),
            _ if rng.random_bool(0.8) => (pick(&mut rng, ORIGINS), pick(&mut rng, DESTINATIONS)),
            _ => (pick(&mut rng, DESTINATIONS), pick(&mut rng, ORIGINS)),
        };
        let place_of_receipt = rng.random_bool(0.25).then(|| pick(&mut rng, INLAND_ORIGINS));
        let place_of_delivery = rng.random_bool(0.25).then(|| pick(&mut rng, INLAND_DESTINATIONS));
        let transit_days = match mode {
            Mode::SeaFcl | Mode::SeaLcl => rng.random_range(14..40),
            Mode::Air => rng.random_range(1..4),
            Mode::Road => rng.random_range(1..5),
        };
        let planned_etd = self.planned_departure(i, &mut rng);
        let planned_eta = planned_etd + Duration::days(transit_days) + Duration::minutes(rng.random_range(0..720));
        let created_at = planned_etd - Duration::days(rng.random_range(7..21));
        let is_sea = matches!(mode, Mode::SeaFcl | Mode::SeaLcl);
        let master_group = (is_sea && rng.random_bool(0.8)).then_some(i / Plan::MASTER_GROUP);
        let master = master_group.map(|group| self.master(group));
        let containers = containers(mode, &mut rng);
        let status = if rng.random_bool(0.02) { Status::Draft } else { Status::Confirmed };
        let hbl_no = rng.random_bool(0.98).then(|| format!("PHX{i:09}"));
        let vessel = master.as_ref().and_then(|m| m.vessel.clone());
        let voyage = master.as_ref().and_then(|m| m.voyage.clone());
        let main_leg = TransportLeg {
            sequence: if place_of_receipt.is_some() { 2 } else { 1 },
            mode,
            from: location(pol),
            to: location(pod),
            vessel: if is_sea { vessel.clone() } else { None },
            voyage: if is_sea { voyage.clone() } else { None },
            etd: Some(at(planned_etd, pol)),
            eta: Some(at(planned_eta, pod)),
        };
        let mut legs = Vec::new();
        if let Some(receipt) = place_of_receipt {
            legs.push(TransportLeg {
                sequence: 1,
                mode: Mode::Road,
                from: location(receipt),
                to: location(pol),
                vessel: None,
                voyage: None,
                etd: Some(at(planned_etd - Duration::days(2), receipt)),
                eta: Some(at(planned_etd - Duration::days(1), pol)),
            });
        }
        legs.push(main_leg);
        let shipment = Shipment {
            id: self.shipment_id(i),
            reference: ShipmentReference::parse(&self.reference(i)).expect("generated references are valid"),
            hbl_no,
            master_id: master.as_ref().map(|m| m.id.clone()),
            mode,
            status,
            customer_id: self.organization_id(parties.customer),
            shipper_id: parties.shipper.map(|k| self.organization_id(k)),
            consignee_id: parties.consignee.map(|k| self.organization_id(k)),
            pol: location(pol),
            pod: location(pod),
            place_of_receipt: place_of_receipt.map(location),
            place_of_delivery: place_of_delivery.map(location),
            planned_etd: Some(at(planned_etd, pol)),
            planned_eta: Some(at(planned_eta, pod)),
            cargo: rng.random_bool(0.9).then(|| Cargo {
                packages: rng.random_range(1..2_000),
                weight_kg: f64::from(rng.random_range(1_000..250_000_u32)) / 10.0,
                volume_m3: f64::from(rng.random_range(10..7_000_u32)) / 100.0,
                description: ["Electronics", "Garments", "Furniture", "Frozen seafood", "Machine parts"]
                    [rng.random_range(0..5)]
                .to_owned(),
            }),
            containers,
            legs,
            customer_note: rng.random_bool(0.1).then(|| "Please call the consignee before delivery.".to_owned()),
            internal_note: rng.random_bool(0.2).then(|| format!("Rate under contract Q{}.", rng.random_range(1..5))),
            charges: charges(mode, &mut rng),
            documents: documents(i, &mut rng),
        };
        let events = if status == Status::Draft {
            Vec::new()
        } else {
            let journey = Journey {
                index: i,
                mode,
                pol,
                pod,
                delivery: place_of_delivery.unwrap_or(pod),
                booked: created_at,
                planned_etd,
                planned_eta,
                container: shipment.containers.first().map(|c| c.number.clone()),
                vessel,
                voyage,
            };
            journey.events(&mut rng)
        };
        GenShipment { shipment, events, master_group, created_at }
    }

    pub fn user(&self, k: u64) -> GenUser {
        let mut rng = self.rng(Stream::User, k);
        let big = k < self.plan.big_customer_users;
        let role = if big {
            TrackingRole::Customer
        } else {
            match rng.random_range(0..100) {
                0..50 => TrackingRole::Customer,
                50..70 => TrackingRole::Consignee,
                70..85 => TrackingRole::Shipper,
                _ => TrackingRole::OverseasAgent,
            }
        };
        let mut organizations = BTreeSet::new();
        let mut agent_customers = BTreeSet::new();
        let home = if big {
            self.plan.big_customer()
        } else if role == TrackingRole::OverseasAgent {
            let agent = rng.random_range(0..self.plan.agent_organizations);
            // Customers whose sea shipments go to this agent's masters.
            let agents = self.plan.agent_organizations;
            let last_j = (self.plan.organizations - 1 - agent) / agents;
            for _ in 0..rng.random_range(3..=10) {
                let customer = agent + agents * rng.random_range(1..=last_j.max(1));
                if customer < self.plan.organizations {
                    agent_customers.insert(self.organization_id(customer));
                }
            }
            agent
        } else {
            self.other_trade_partner(&mut rng)
        };
        let mut numbers = vec![home];
        if !big && role != TrackingRole::OverseasAgent && rng.random_bool(0.1) {
            numbers.push(self.other_trade_partner(&mut rng));
        }
        organizations.extend(numbers.iter().map(|k| self.organization_id(*k)));
        let login = if big {
            if k == 0 { "bigcustomer".to_owned() } else { format!("bigcustomer{k}") }
        } else {
            format!("user{k:06}")
        };
        let domain = format!("{}.example", self.organization_code(home).to_lowercase());
        let state = if big {
            UserState::Active
        } else {
            match rng.random_range(0..100) {
                0..92 => UserState::Active,
                92..97 => UserState::Invited,
                _ => UserState::Disabled,
            }
        };
        let additional_emails =
            if rng.random_bool(0.1) { vec![email(&format!("ops-{login}@{domain}"))] } else { Vec::new() };
        let user = TrackingUser {
            id: self.tracking_user_id(k),
            user_id: UserId::parse(&login).expect("generated logins are valid"),
            first_name: FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())].to_owned(),
            last_name: rng.random_bool(0.9).then(|| LAST_NAMES[rng.random_range(0..LAST_NAMES.len())].to_owned()),
            email: email(&format!("{login}@{domain}")),
            additional_emails,
            role,
            organization_ids: organizations,
            agent_customer_ids: agent_customers,
            notifications: NotificationPreferences {
                journey_updated: rng.random_bool(0.7),
                eta_changed: rng.random_bool(0.6),
                document_status: rng.random_bool(0.4),
                periodic_report: rng.random_bool(0.1).then(|| PeriodicReport {
                    frequency: if rng.random_bool(0.7) { ReportFrequency::Daily } else { ReportFrequency::Weekly },
                    columns: vec!["reference".to_owned(), "status".to_owned(), "eta".to_owned()],
                }),
            },
            display: DisplaySettings { shipper_info: rng.random_bool(0.2), ..DisplaySettings::default() },
            state,
        };
        let created_at = dataset_now() - Duration::days(400) + Duration::seconds(i64::try_from(k).unwrap_or(0) * 60);
        GenUser { has_password: state != UserState::Invited, user, organizations: numbers, created_at }
    }

    /// The `/t/{token}` token of link `j`: 256 bits as unpadded base64url,
    /// like the server's, but derived from the seed so the benchmark knows
    /// it.
    pub fn link_token(&self, j: u64) -> String {
        use base64::Engine as _;
        let digest = Sha256::digest(format!("porthole-bench-link:{}:{j}", self.seed).as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    }

    pub fn share_link(&self, j: u64) -> GenLink {
        let mut rng = self.rng(Stream::Link, j);
        let shipment = rng.random_range(0..self.plan.shipments);
        let created_at = dataset_now() - Duration::minutes(rng.random_range(0..90 * 24 * 60));
        let recipients = (0..rng.random_range(0..=3))
            .map(|n| ShareRecipient {
                email: email(&format!("desk{j}-{n}@recipient{}.example", j % 1_000)),
                receives_updates: rng.random_bool(0.5),
            })
            .collect();
        let expires_at = match rng.random_range(0..100) {
            0..5 => Some(created_at + Duration::days(2)),
            5..10 => Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).single(),
            _ => None,
        };
        let link = ShareLink {
            id: self.link_id(j),
            shipment_id: self.shipment_id(shipment),
            recipients,
            require_verification: rng.random_bool(0.3),
            expires_at,
            expire_on_delivery: rng.random_bool(0.4),
            sections: ShareSections {
                containers: rng.random_bool(0.8),
                cargo: rng.random_bool(0.5),
                documents: rng.random_bool(0.3),
            },
            created_at,
            revoked_at: rng.random_bool(0.03).then(|| created_at + Duration::days(1)),
        };
        GenLink { link, token: self.link_token(j), shipment }
    }
}

fn pick(rng: &mut ChaCha8Rng, places: &'static [Place]) -> Place {
    places[rng.random_range(0..places.len())]
}

fn location(place: Place) -> Location {
    Location {
        unlocode: UnLocode::parse(place.unlocode).expect("the place lists hold valid UN/LOCODEs"),
        name: place.name.to_owned(),
    }
}

/// `time` as the local time of `place`.
fn at(time: DateTime<Utc>, place: Place) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(place.offset_minutes * 60).expect("the place lists hold offsets within ±14 h");
    time.with_timezone(&offset)
}

fn email(text: &str) -> Email {
    Email::parse(text).expect("generated addresses are valid")
}

fn containers(mode: Mode, rng: &mut ChaCha8Rng) -> Vec<Container> {
    let count = match mode {
        Mode::SeaFcl => [1, 1, 1, 1, 1, 1, 2, 2, 2, 3][rng.random_range(0..10)],
        Mode::SeaLcl => usize::from(rng.random_bool(0.3)),
        Mode::Air | Mode::Road => 0,
    };
    (0..count)
        .map(|_| {
            let owner = CONTAINER_OWNERS[rng.random_range(0..CONTAINER_OWNERS.len())];
            let number = codes::container_number(owner, rng.random_range(0..1_000_000));
            Container {
                number: ContainerNumber::parse(&number).expect("generated container numbers are valid"),
                iso_type: ISO_TYPES[rng.random_range(0..ISO_TYPES.len())].to_owned(),
                seal: rng.random_bool(0.8).then(|| format!("SL{:07}", rng.random_range(0..10_000_000))),
            }
        })
        .collect()
}

fn charges(mode: Mode, rng: &mut ChaCha8Rng) -> Vec<Charge> {
    let freight = match mode {
        Mode::SeaFcl | Mode::SeaLcl => "Ocean freight",
        Mode::Air => "Air freight",
        Mode::Road => "Trucking",
    };
    let charge = |side, description: &str, amount_minor| Charge {
        side,
        description: description.to_owned(),
        amount_minor,
        currency: "USD".to_owned(),
    };
    let mut lines = vec![
        charge(ChargeSide::Sell, freight, rng.random_range(50_000..500_000)),
        charge(ChargeSide::Sell, "Terminal handling", rng.random_range(5_000..20_000)),
        charge(ChargeSide::Buy, "Carrier freight", rng.random_range(40_000..400_000)),
    ];
    if rng.random_bool(0.5) {
        lines.push(charge(ChargeSide::Buy, "Trucking at origin", rng.random_range(10_000..60_000)));
    }
    lines
}

fn documents(i: u64, rng: &mut ChaCha8Rng) -> Vec<Document> {
    let document = |n: u32, name: &str, kind: &str, published| Document {
        id: format!("doc-{i}-{n}"),
        name: name.to_owned(),
        kind: kind.to_owned(),
        published,
    };
    let mut documents = vec![document(1, "House bill of lading.pdf", "hbl", true)];
    if rng.random_bool(0.7) {
        documents.push(document(2, "Commercial invoice.pdf", "invoice", rng.random_bool(0.8)));
    }
    if rng.random_bool(0.3) {
        documents.push(document(3, "Cost sheet.xlsx", "internal", false));
    }
    documents
}

/// What happens to one shipment, as a feed would report it.
struct Journey {
    index: u64,
    mode: Mode,
    pol: Place,
    pod: Place,
    delivery: Place,
    booked: DateTime<Utc>,
    planned_etd: DateTime<Utc>,
    planned_eta: DateTime<Utc>,
    container: Option<ContainerNumber>,
    vessel: Option<String>,
    voyage: Option<String>,
}

/// One step of a journey before it becomes an event.
struct Step {
    code: EventCode,
    classifier: Classifier,
    /// When it happened (or is expected to).
    time: DateTime<Utc>,
    /// When the source recorded it; `None` for actual events, recorded
    /// shortly after they happen.
    recorded: Option<DateTime<Utc>>,
    place: Place,
    container: bool,
    transport: bool,
}

impl Journey {
    /// Every event whose record reached the store by [`dataset_now`], in
    /// the order they arrived.
    fn events(&self, rng: &mut ChaCha8Rng) -> Vec<GenEvent> {
        let departure_delay = Duration::minutes(rng.random_range(-360..2_880));
        let arrival_drift = Duration::minutes(rng.random_range(-1_440..5_760));
        let departed = self.planned_etd + departure_delay;
        let arrived = self.planned_eta + departure_delay + arrival_drift;
        let first_estimate = self.planned_eta + Duration::minutes(rng.random_range(-720..2_880));
        let step = |code, classifier, time, recorded, place, container, transport| Step {
            code,
            classifier,
            time,
            recorded,
            place,
            container,
            transport,
        };
        use Classifier::{Act, Est};
        use EventCode as C;
        let (etd, eta) = (self.planned_etd, self.planned_eta);
        let (pol, pod) = (self.pol, self.pod);
        let conf = step(C::Conf, Act, self.booked + Duration::hours(2), None, pol, false, false);
        let depa_est = step(C::Depa, Est, departed, Some(etd - Duration::days(3)), pol, false, true);
        let depa = step(C::Depa, Act, departed, None, pol, false, true);
        let arri_est = step(C::Arri, Est, first_estimate, Some(departed + Duration::days(1)), pod, false, true);
        let arri_late_est = step(C::Arri, Est, arrived, Some(arrived - Duration::days(3)), pod, false, true);
        let arri = step(C::Arri, Act, arrived, None, pod, false, true);
        let rels = step(C::Rels, Act, arrived + Duration::days(2), None, pod, false, false);
        let mut steps = vec![conf];
        if rng.random_bool(0.01) {
            steps.push(step(C::Canc, Act, self.booked + Duration::days(2), None, pol, false, false));
            return self.record(steps, rng);
        }
        match self.mode {
            Mode::SeaFcl => steps.extend([
                step(C::Pick, Act, etd - Duration::days(6), None, pol, true, false),
                step(C::Stuf, Act, etd - Duration::days(4), None, pol, true, false),
                step(C::Gtin, Act, etd - Duration::days(2), None, pol, true, false),
                depa_est,
                step(C::Load, Act, departed - Duration::hours(8), None, pol, true, true),
                depa,
                arri_est,
                arri_late_est,
                arri,
                step(C::Disc, Act, arrived + Duration::hours(12), None, pod, true, true),
                rels,
                step(C::Gtot, Act, arrived + Duration::days(3), None, pod, true, false),
                step(C::Dlvd, Act, arrived + Duration::days(4), None, self.delivery, false, false),
            ]),
            Mode::SeaLcl => steps.extend([
                step(C::Rece, Act, etd - Duration::days(5), None, pol, false, false),
                step(C::Stuf, Act, etd - Duration::days(3), None, pol, false, false),
                depa_est,
                depa,
                arri_est,
                arri_late_est,
                arri,
                step(C::Strp, Act, arrived + Duration::days(2), None, pod, false, false),
                rels,
                step(C::Dlvd, Act, arrived + Duration::days(5), None, self.delivery, false, false),
            ]),
            Mode::Air => steps.extend([
                step(C::Rece, Act, etd - Duration::days(1), None, pol, false, false),
                depa_est,
                depa,
                arri_est,
                arri,
                step(C::Rels, Act, arrived + Duration::hours(6), None, pod, false, false),
                step(C::Ofdl, Act, arrived + Duration::days(1), None, pod, false, true),
                step(C::Dlvd, Act, arrived + Duration::days(1) + Duration::hours(6), None, self.delivery, false, false),
            ]),
            Mode::Road => steps.extend([
                step(C::Picu, Act, departed, None, pol, false, true),
                step(C::Arri, Est, eta, Some(departed + Duration::hours(1)), pod, false, true),
                step(C::Ofdl, Act, arrived - Duration::hours(4), None, pod, false, true),
                step(C::Dlvd, Act, arrived, None, self.delivery, false, false),
            ]),
        }
        self.record(steps, rng)
    }

    /// The steps as stored events: the ones received by now, in arrival
    /// order.
    fn record(&self, steps: Vec<Step>, rng: &mut ChaCha8Rng) -> Vec<GenEvent> {
        let now = dataset_now();
        let mut events: Vec<GenEvent> = steps
            .into_iter()
            .enumerate()
            .map(|(n, step)| {
                let recorded = step.recorded.unwrap_or(step.time + Duration::minutes(rng.random_range(5..90)));
                let received_at = recorded + Duration::seconds(rng.random_range(1..120));
                let sea = matches!(self.mode, Mode::SeaFcl | Mode::SeaLcl) && step.transport;
                let event = TrackingEvent {
                    event_id: format!("ev{}-{n:02}", self.index),
                    code: step.code,
                    classifier: step.classifier,
                    event_time: at(step.time, step.place),
                    recorded_at: recorded,
                    location: Some(location(step.place)),
                    container_number: if step.container { self.container.clone() } else { None },
                    vessel: if sea { self.vessel.clone() } else { None },
                    voyage: if sea { self.voyage.clone() } else { None },
                    delay_reason: None,
                    remark: None,
                    published: rng.random_bool(0.96),
                    retracts: None,
                };
                GenEvent { event, received_at }
            })
            .filter(|e| e.received_at <= now)
            .collect();
        events.sort_by_key(|e| e.received_at);
        events
    }
}

#[cfg(test)]
mod tests {
    use porthole_domain::{Audience, MilestoneState};

    use super::*;

    fn world(shipments: u64) -> World {
        World::new(7, Plan::for_shipments(shipments))
    }

    #[test]
    fn the_default_plan_has_the_issues_proportions() {
        let plan = Plan::for_shipments(1_000_000);
        assert_eq!(plan.organizations, 20_000);
        assert_eq!(plan.users, 100_000);
        assert_eq!(plan.share_links, 100_000);
        assert_eq!(plan.big_customer_shipments, 10_000);
        assert_eq!(plan.big_customer_shipment_indexes().count(), 10_000);
        assert!(plan.per_month() <= 99_999, "references have five digits");
    }

    #[test]
    fn the_big_customer_owns_exactly_its_share() {
        let world = world(5_000);
        let big = world.plan.big_customer();
        let owned: Vec<u64> = (0..world.plan.shipments).filter(|i| world.parties(*i).customer == big).collect();
        let expected: Vec<u64> = world.plan.big_customer_shipment_indexes().collect();
        assert_eq!(owned, expected);
        assert_eq!(owned.len() as u64, world.plan.big_customer_shipments);
    }

    #[test]
    fn the_same_seed_makes_the_same_world_and_another_seed_another() {
        let (a, b) = (world(1_000), world(1_000));
        for i in [0, 1, 517, 999] {
            assert_eq!(a.shipment(i).shipment, b.shipment(i).shipment);
            assert_eq!(a.shipment(i).events(), b.shipment(i).events());
        }
        assert_eq!(a.user(42).user, b.user(42).user);
        assert_eq!(a.share_link(3).link, b.share_link(3).link);
        let other = World::new(8, a.plan);
        assert_ne!(a.shipment_id(1), other.shipment_id(1));
    }

    #[test]
    fn ids_references_and_codes_are_unique() {
        let world = world(3_000);
        let mut references = BTreeSet::new();
        let mut ids = BTreeSet::new();
        for i in 0..world.plan.shipments {
            assert!(references.insert(world.reference(i)), "reference of {i}");
            assert!(ids.insert(world.shipment_id(i)), "id of {i}");
        }
        let codes: BTreeSet<String> = (0..world.plan.organizations).map(|k| world.organization_code(k)).collect();
        assert_eq!(codes.len() as u64, world.plan.organizations);
        let logins: BTreeSet<String> = (0..world.plan.users).map(|k| world.user(k).user.user_id.to_string()).collect();
        assert_eq!(logins.len() as u64, world.plan.users);
        let tokens: BTreeSet<String> = (0..world.plan.share_links).map(|j| world.link_token(j)).collect();
        assert_eq!(tokens.len() as u64, world.plan.share_links);
    }

    #[test]
    fn shipments_have_about_ten_events_and_states_of_every_kind() {
        let world = world(4_000);
        let mut events = 0;
        let mut statuses = BTreeSet::new();
        for i in (0..world.plan.shipments).step_by(3) {
            let generated = world.shipment(i);
            events += generated.events.len();
            let state = MilestoneState::derive(&generated.shipment, &generated.events(), Audience::Viewer);
            statuses.insert(state.status);
            assert!(generated.events.windows(2).all(|w| w[0].received_at <= w[1].received_at));
            assert!(generated.events.iter().all(|e| e.received_at <= dataset_now()));
        }
        let average = events as f64 / (world.plan.shipments / 3) as f64;
        assert!((8.0..=13.0).contains(&average), "{average} events per shipment");
        for status in [Status::Draft, Status::Confirmed, Status::InTransit, Status::Done, Status::Cancelled] {
            assert!(statuses.contains(&status), "{status:?} missing: {statuses:?}");
        }
    }

    #[test]
    fn users_come_in_all_four_roles_and_agents_list_customers() {
        let world = world(20_000);
        let roles: BTreeSet<TrackingRole> = (0..world.plan.users).map(|k| world.user(k).user.role).collect();
        assert_eq!(roles.len(), 4);
        for k in 0..world.plan.users {
            let user = world.user(k).user;
            if user.role == TrackingRole::OverseasAgent {
                assert!(!user.agent_customer_ids.is_empty());
            }
        }
        assert_eq!(world.user(0).user.user_id.as_str(), "bigcustomer");
    }

    #[test]
    fn some_links_open_at_once() {
        let world = world(2_000);
        let open = (0..world.plan.share_links).filter(|j| world.share_link(*j).opens_at_once()).count();
        assert!(open > 20, "{open}");
    }
}
