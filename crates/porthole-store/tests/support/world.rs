//! Random worlds for the visibility equivalence story: organizations (some
//! with the portal off), masters with and without agents, shipments with
//! random parties, statuses (draft included), blank or missing HBL numbers,
//! containers and events, and users of every role and state.
//!
//! Everything is drawn from a seeded generator, so a failure names the seed
//! that reproduces it. Ids and references carry the world's number, so many
//! worlds can share one database.

use std::collections::BTreeSet;

use porthole_domain::projection::ShipmentRecord;
use porthole_domain::{
    Classifier, EventCode, Master, Organization, OrganizationId, Shipment, ShipmentAudience, Status, TrackingEvent,
    TrackingRole, TrackingUser, UserState,
};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::{container, event, master, organization, shipment, tracking_user};

const ORGANIZATIONS: usize = 6;
const MASTERS: usize = 4;
const SHIPMENTS: usize = 30;
const USERS: usize = 10;

/// Reference stems, in several cases and with LIKE's one-character wildcard,
/// so that searches must match case-insensitively and literally.
const REFERENCE_STEMS: &[&str] = &["SHP/2025", "SHP/2024", "shp-x", "AIR.9", "SH_P", "S.P"];
/// Strings that hold no HBL number, for the domain as for the query.
const BLANK_HBLS: &[&str] = &["", " ", "  \t", "\u{3000}", "\n"];
const CONTAINER_OWNERS: &[&str] = &["MSKU", "MSCU", "TGHU"];

/// A shipment as the generator made it, with the facts the domain decides on.
pub struct GeneratedShipment {
    pub shipment: Shipment,
    pub events: Vec<TrackingEvent>,
    pub audience: ShipmentAudience,
}

pub struct World {
    pub organizations: Vec<Organization>,
    pub masters: Vec<Master>,
    pub shipments: Vec<GeneratedShipment>,
    pub users: Vec<TrackingUser>,
}

impl World {
    pub fn generate(number: u64, seed: u64) -> World {
        let mut rng = StdRng::seed_from_u64(seed);
        let organizations: Vec<Organization> = (0..ORGANIZATIONS)
            .map(|n| Organization {
                portal_enabled: rng.random_bool(0.8),
                ..organization(&format!("org_w{number}_{n}"), &format!("W{number}O{n}"), &format!("Org {n}"))
            })
            .collect();
        let org_ids: Vec<OrganizationId> = organizations.iter().map(|o| o.id.clone()).collect();
        let masters: Vec<Master> = (0..MASTERS)
            .map(|n| {
                let agent = rng.random_bool(0.75).then(|| pick(&mut rng, &org_ids).as_str().to_owned());
                master(&format!("mbl_w{number}_{n}"), &format!("MBL{number}X{n}"), agent.as_deref())
            })
            .collect();
        let shipments =
            (0..SHIPMENTS).map(|n| generate_shipment(&mut rng, number, n, &organizations, &masters)).collect();
        let users = (0..USERS).map(|n| generate_user(&mut rng, number, n, &org_ids)).collect();
        World { organizations, masters, shipments, users }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    items.choose(rng).expect("never empty")
}

fn maybe_org(rng: &mut StdRng, orgs: &[OrganizationId], chance: f64) -> Option<OrganizationId> {
    rng.random_bool(chance).then(|| pick(rng, orgs).clone())
}

fn generate_shipment(
    rng: &mut StdRng,
    world: u64,
    n: usize,
    organizations: &[Organization],
    masters: &[Master],
) -> GeneratedShipment {
    let org_ids: Vec<OrganizationId> = organizations.iter().map(|o| o.id.clone()).collect();
    let stem = pick(rng, REFERENCE_STEMS);
    let reference = format!("{stem}{}/{world:02}{n:03}", rng.random_range(0..3));
    let mut generated = shipment(&format!("shp_w{world}_{n}"), &reference, pick(rng, &org_ids).as_str());
    generated.hbl_no = match rng.random_range(0..10) {
        0 | 1 => None,
        2 | 3 => Some((*pick(rng, BLANK_HBLS)).to_owned()),
        _ => Some(format!("{}{}", pick(rng, &["Hb", "HBL", "hbx", "MSKU"]), rng.random_range(0..500))),
    };
    generated.status = *pick(rng, &Status::ALL);
    generated.shipper_id = maybe_org(rng, &org_ids, 0.6);
    generated.consignee_id = maybe_org(rng, &org_ids, 0.6);
    let master = rng.random_bool(0.6).then(|| pick(rng, masters).clone());
    generated.master_id = master.as_ref().map(|m| m.id.clone());
    generated.containers = (0..rng.random_range(0..3))
        .map(|_| {
            let owner = pick(rng, CONTAINER_OWNERS);
            container(&format!("{owner}{:06}", rng.random_range(0..40)), "45G1", None)
        })
        .collect();
    // Actual events move the status viewers see; unpublished ones must not.
    let events: Vec<TrackingEvent> = (0..rng.random_range(0..3))
        .map(|k| {
            let (code, location) = match rng.random_range(0..3) {
                0 => (EventCode::Conf, None),
                1 => (EventCode::Depa, Some(generated.pol.clone())),
                _ => (EventCode::Dlvd, None),
            };
            let mut happened = event(&format!("evt-{k}"), code, Classifier::Act, "2025-05-10T21:00:00+07:00", location);
            happened.published = rng.random_bool(0.6);
            happened
        })
        .collect();
    let by_id = |id: &OrganizationId| organizations.iter().find(|o| o.id == *id).cloned();
    let record = ShipmentRecord {
        customer: by_id(&generated.customer_id).expect("the customer is generated"),
        shipper: generated.shipper_id.as_ref().and_then(by_id),
        consignee: generated.consignee_id.as_ref().and_then(by_id),
        master,
        events: events.clone(),
        shipment: generated.clone(),
    };
    GeneratedShipment { audience: record.audience(), shipment: generated, events }
}

fn generate_user(rng: &mut StdRng, world: u64, n: usize, org_ids: &[OrganizationId]) -> TrackingUser {
    let role = *pick(rng, &TrackingRole::ALL);
    let orgs: BTreeSet<&str> = (0..rng.random_range(1..=3)).map(|_| pick(rng, org_ids).as_str()).collect();
    let agent_customers: BTreeSet<&str> = match role {
        TrackingRole::OverseasAgent => (0..rng.random_range(0..=3)).map(|_| pick(rng, org_ids).as_str()).collect(),
        _ => BTreeSet::new(),
    };
    let orgs: Vec<&str> = orgs.into_iter().collect();
    let agent_customers: Vec<&str> = agent_customers.into_iter().collect();
    let mut user =
        tracking_user(&format!("tu_w{world}_{n}"), &format!("user.w{world}.{n}"), role, &orgs, &agent_customers);
    user.state = match rng.random_range(0..10) {
        0 => UserState::Invited,
        1 => UserState::Disabled,
        _ => UserState::Active,
    };
    user
}
