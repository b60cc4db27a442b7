//! Generated values as the rows the store writes for them, in the store's
//! own entity types.
//!
//! The store's conversions (`porthole-store`'s private `codec`) are not
//! reachable from here, so this mirrors them: times as RFC 3339 text (UTC
//! instants at a fixed width, local times with their offset), nested values
//! as JSON of the same shape and field order. The test at the bottom writes
//! the same generated values through the real store and compares the rows
//! column by column, so a drift in either fails loudly.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use porthole_app::secret::SecretDigest;
use porthole_domain::{Location, Master, MilestoneState, Organization, ShareLink, Shipment, TrackingUser};
use porthole_store::entity::{
    master, organization, share_link, share_link_recipient, shipment, shipment_container, tracking_event,
    tracking_user, tracking_user_additional_email, tracking_user_agent_customer, tracking_user_organization,
};
use serde::Serialize;

use crate::world::{GenEvent, GenLink, GenShipment, GenUser};

pub fn offset_time_text(time: &DateTime<FixedOffset>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

pub fn utc_text(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Strings, numbers, booleans, lists and structs: serde_json cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub fn organization_row(org: &Organization) -> organization::Model {
    organization::Model {
        id: org.id.to_string(),
        code: org.code.clone(),
        name: org.name.clone(),
        portal_enabled: org.portal_enabled,
        show_charges: org.show_charges,
    }
}

pub fn master_row(master: &Master) -> master::Model {
    master::Model {
        id: master.id.to_string(),
        mbl_no: master.mbl_no.clone(),
        carrier: master.carrier.clone(),
        vessel: master.vessel.clone(),
        voyage: master.voyage.clone(),
        overseas_agent_id: master.overseas_agent_id.as_ref().map(ToString::to_string),
    }
}

#[derive(Serialize)]
struct CargoJson<'a> {
    packages: u32,
    weight_kg: f64,
    volume_m3: f64,
    description: &'a str,
}

#[derive(Serialize)]
struct LocationJson<'a> {
    unlocode: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct LegJson<'a> {
    sequence: u32,
    mode: &'a str,
    from: LocationJson<'a>,
    to: LocationJson<'a>,
    vessel: Option<&'a str>,
    voyage: Option<&'a str>,
    etd: Option<String>,
    eta: Option<String>,
}

#[derive(Serialize)]
struct ChargeJson<'a> {
    side: &'a str,
    description: &'a str,
    amount_minor: i64,
    currency: &'a str,
}

#[derive(Serialize)]
struct DocumentJson<'a> {
    id: &'a str,
    name: &'a str,
    kind: &'a str,
    published: bool,
}

fn location_json(location: &Location) -> LocationJson<'_> {
    LocationJson { unlocode: location.unlocode.as_str(), name: &location.name }
}

/// The shipment's row with the viewer state the store would publish for
/// it; `published_done_at` is when that state became Done.
pub fn shipment_row(generated: &GenShipment, state: &MilestoneState) -> shipment::Model {
    let s: &Shipment = &generated.shipment;
    let legs: Vec<LegJson> = s
        .legs
        .iter()
        .map(|leg| LegJson {
            sequence: leg.sequence,
            mode: leg.mode.as_str(),
            from: location_json(&leg.from),
            to: location_json(&leg.to),
            vessel: leg.vessel.as_deref(),
            voyage: leg.voyage.as_deref(),
            etd: leg.etd.as_ref().map(offset_time_text),
            eta: leg.eta.as_ref().map(offset_time_text),
        })
        .collect();
    let charges: Vec<ChargeJson> = s
        .charges
        .iter()
        .map(|c| ChargeJson {
            side: c.side.as_str(),
            description: &c.description,
            amount_minor: c.amount_minor,
            currency: &c.currency,
        })
        .collect();
    let documents: Vec<DocumentJson> = s
        .documents
        .iter()
        .map(|d| DocumentJson { id: &d.id, name: &d.name, kind: &d.kind, published: d.published })
        .collect();
    let cargo = s.cargo.as_ref().map(|c| {
        to_json(&CargoJson {
            packages: c.packages,
            weight_kg: c.weight_kg,
            volume_m3: c.volume_m3,
            description: &c.description,
        })
    });
    let done = state.status == porthole_domain::Status::Done;
    shipment::Model {
        id: s.id.to_string(),
        reference: s.reference.to_string(),
        hbl_no: s.hbl_no.clone(),
        master_id: s.master_id.as_ref().map(ToString::to_string),
        mode: s.mode.as_str().to_owned(),
        status: s.status.as_str().to_owned(),
        customer_id: s.customer_id.to_string(),
        shipper_id: s.shipper_id.as_ref().map(ToString::to_string),
        consignee_id: s.consignee_id.as_ref().map(ToString::to_string),
        pol_unlocode: s.pol.unlocode.to_string(),
        pol_name: s.pol.name.clone(),
        pod_unlocode: s.pod.unlocode.to_string(),
        pod_name: s.pod.name.clone(),
        place_of_receipt_unlocode: s.place_of_receipt.as_ref().map(|l| l.unlocode.to_string()),
        place_of_receipt_name: s.place_of_receipt.as_ref().map(|l| l.name.clone()),
        place_of_delivery_unlocode: s.place_of_delivery.as_ref().map(|l| l.unlocode.to_string()),
        place_of_delivery_name: s.place_of_delivery.as_ref().map(|l| l.name.clone()),
        planned_etd: s.planned_etd.as_ref().map(offset_time_text),
        planned_eta: s.planned_eta.as_ref().map(offset_time_text),
        cargo,
        legs: to_json(&legs),
        customer_note: s.customer_note.clone(),
        internal_note: s.internal_note.clone(),
        charges: to_json(&charges),
        documents: to_json(&documents),
        published_status: state.status.as_str().to_owned(),
        published_etd: state.etd.as_ref().map(offset_time_text),
        published_eta: state.eta.as_ref().map(offset_time_text),
        published_atd: state.atd.as_ref().map(offset_time_text),
        published_ata: state.ata.as_ref().map(offset_time_text),
        published_done_at: if done {
            Some(utc_text(&generated.delivered_at().unwrap_or_else(|| generated.updated_at())))
        } else {
            None
        },
        created_at: utc_text(&generated.created_at),
        updated_at: utc_text(&generated.updated_at()),
    }
}

pub fn container_rows(generated: &GenShipment) -> Vec<shipment_container::Model> {
    let id = generated.shipment.id.as_str();
    generated
        .shipment
        .containers
        .iter()
        .zip(0_i32..)
        .map(|(c, position)| shipment_container::Model {
            shipment_id: id.to_owned(),
            position,
            number: c.number.to_string(),
            iso_type: c.iso_type.clone(),
            seal: c.seal.clone(),
        })
        .collect()
}

/// An event's row; `id` is the row id, which keeps arrival order.
pub fn event_row(shipment_id: &str, generated: &GenEvent, id: i64) -> tracking_event::Model {
    let event = &generated.event;
    tracking_event::Model {
        id,
        shipment_id: shipment_id.to_owned(),
        event_id: event.event_id.clone(),
        code: event.code.as_str().to_owned(),
        classifier: event.classifier.as_str().to_owned(),
        event_time: offset_time_text(&event.event_time),
        recorded_at: utc_text(&event.recorded_at),
        location_unlocode: event.location.as_ref().map(|l| l.unlocode.to_string()),
        location_name: event.location.as_ref().map(|l| l.name.clone()),
        container_number: event.container_number.as_ref().map(ToString::to_string),
        vessel: event.vessel.clone(),
        voyage: event.voyage.clone(),
        delay_reason: event.delay_reason.clone(),
        remark: event.remark.clone(),
        published: event.published,
        retracts: event.retracts.clone(),
        received_at: utc_text(&generated.received_at),
    }
}

#[derive(Serialize)]
struct PeriodicReportJson<'a> {
    frequency: &'a str,
    columns: &'a [String],
}

#[derive(Serialize)]
struct NotificationsJson<'a> {
    journey_updated: bool,
    eta_changed: bool,
    document_status: bool,
    periodic_report: Option<PeriodicReportJson<'a>>,
}

#[derive(Serialize)]
struct DisplayJson {
    doc_center: bool,
    shipper_info: bool,
    mbl_number: bool,
}

/// A user's rows: the user (with `password_hash` when they have one) and
/// their organization, agent-customer and additional-address links.
#[derive(Debug, Clone)]
pub struct UserRows {
    pub user: tracking_user::Model,
    pub organizations: Vec<tracking_user_organization::Model>,
    pub agent_customers: Vec<tracking_user_agent_customer::Model>,
    pub additional_emails: Vec<tracking_user_additional_email::Model>,
}

pub fn user_rows(generated: &GenUser, password_hash: &str) -> UserRows {
    let user: &TrackingUser = &generated.user;
    let id = user.id.to_string();
    let additional: Vec<&str> = user.additional_emails.iter().map(|e| e.as_str()).collect();
    let n = &user.notifications;
    let notifications = NotificationsJson {
        journey_updated: n.journey_updated,
        eta_changed: n.eta_changed,
        document_status: n.document_status,
        periodic_report: n
            .periodic_report
            .as_ref()
            .map(|r| PeriodicReportJson { frequency: r.frequency.as_str(), columns: &r.columns }),
    };
    let display = DisplayJson {
        doc_center: user.display.doc_center,
        shipper_info: user.display.shipper_info,
        mbl_number: user.display.mbl_number,
    };
    UserRows {
        user: tracking_user::Model {
            id: id.clone(),
            user_id: user.user_id.to_string(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email: user.email.to_string(),
            additional_emails: to_json(&additional),
            role: user.role.as_str().to_owned(),
            notifications: to_json(&notifications),
            display: to_json(&display),
            state: user.state.as_str().to_owned(),
            password_hash: generated.has_password.then(|| password_hash.to_owned()),
            created_at: utc_text(&generated.created_at),
        },
        organizations: user
            .organization_ids
            .iter()
            .map(|org| tracking_user_organization::Model {
                tracking_user_id: id.clone(),
                organization_id: org.to_string(),
            })
            .collect(),
        agent_customers: user
            .agent_customer_ids
            .iter()
            .map(|org| tracking_user_agent_customer::Model {
                tracking_user_id: id.clone(),
                organization_id: org.to_string(),
            })
            .collect(),
        additional_emails: user
            .additional_emails
            .iter()
            .map(|email| tracking_user_additional_email::Model {
                tracking_user_id: id.clone(),
                email: email.to_string(),
            })
            .collect(),
    }
}

pub fn share_link_rows(generated: &GenLink) -> (share_link::Model, Vec<share_link_recipient::Model>) {
    let link: &ShareLink = &generated.link;
    let id = link.id.to_string();
    let row = share_link::Model {
        id: id.clone(),
        shipment_id: link.shipment_id.to_string(),
        token_digest: SecretDigest::of(&generated.token).as_str().to_owned(),
        require_verification: link.require_verification,
        expires_at: link.expires_at.as_ref().map(utc_text),
        expire_on_delivery: link.expire_on_delivery,
        section_containers: link.sections.containers,
        section_cargo: link.sections.cargo,
        section_documents: link.sections.documents,
        created_at: utc_text(&link.created_at),
        revoked_at: link.revoked_at.as_ref().map(utc_text),
    };
    let recipients = link
        .recipients
        .iter()
        .zip(0_i32..)
        .map(|(recipient, position)| share_link_recipient::Model {
            link_id: id.clone(),
            position,
            email: recipient.email.to_string(),
            receives_updates: recipient.receives_updates,
        })
        .collect();
    (row, recipients)
}

#[cfg(test)]
mod the_store_agrees {
    use std::collections::BTreeSet;

    use porthole_app::ports::{
        CredentialRepository, MasterRepository, OrganizationRepository, ShareLinkRepository, ShipmentRepository,
        TrackingUserRepository,
    };
    use porthole_domain::{Audience, Status};
    use porthole_store::Store;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    use super::*;
    use crate::world::{Plan, World};

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("store.db").display());
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        (dir, store)
    }

    /// The columns the store stamps with its own clock: equal for the
    /// comparison, as long as both rows have them.
    fn without_store_times(mut row: shipment::Model) -> shipment::Model {
        row.created_at = String::new();
        row.updated_at = String::new();
        row.published_done_at = row.published_done_at.map(|_| String::new());
        row
    }

    fn without_arrival(mut row: tracking_event::Model) -> tracking_event::Model {
        row.id = 0;
        row.received_at = String::new();
        row
    }

    #[tokio::test]
    async fn for_shipments_events_users_and_links() {
        let (_dir, store) = store().await;
        let db = store.connection();
        let world = World::new(11, Plan::for_shipments(400));
        for k in 0..world.plan.organizations {
            store.insert_organization(&world.organization(k)).await.expect("organization");
        }
        let mut masters = BTreeSet::new();
        let mut statuses = BTreeSet::new();
        for i in 0..120 {
            let generated = world.shipment(i);
            if let Some(group) = generated.master_group
                && masters.insert(group)
            {
                let master = world.master(group);
                store.insert_master(&master).await.expect("master");
                let stored = master::Entity::find_by_id(master.id.as_str()).one(db).await.expect("read");
                assert_eq!(stored, Some(master_row(&master)));
            }
            store.upsert_shipment(&generated.shipment).await.expect("upsert");
            if !generated.events.is_empty() {
                store.append_events(&generated.shipment.id, &generated.events()).await.expect("events");
            }
            let state = MilestoneState::derive(&generated.shipment, &generated.events(), Audience::Viewer);
            statuses.insert(state.status);
            let id = generated.shipment.id.as_str();
            let stored = shipment::Entity::find_by_id(id).one(db).await.expect("read").expect("stored");
            assert_eq!(without_store_times(stored), without_store_times(shipment_row(&generated, &state)), "{i}");

            let containers = shipment_container::Entity::find()
                .filter(shipment_container::Column::ShipmentId.eq(id))
                .order_by_asc(shipment_container::Column::Position)
                .all(db)
                .await
                .expect("read");
            assert_eq!(containers, container_rows(&generated), "{i}");

            let events: Vec<_> = tracking_event::Entity::find()
                .filter(tracking_event::Column::ShipmentId.eq(id))
                .order_by_asc(tracking_event::Column::Id)
                .all(db)
                .await
                .expect("read")
                .into_iter()
                .map(without_arrival)
                .collect();
            let ours: Vec<_> = generated.events.iter().map(|e| without_arrival(event_row(id, e, 0))).collect();
            assert_eq!(events, ours, "{i}");
        }
        for status in [Status::Confirmed, Status::InTransit, Status::Done] {
            assert!(statuses.contains(&status), "{status:?} never compared: {statuses:?}");
        }

        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";
        for k in 0..world.plan.users {
            let generated = world.user(k);
            let user = &generated.user;
            store.insert_tracking_user(user, &[]).await.expect("user");
            if generated.has_password {
                store.set_password(&user.id, hash).await.expect("password");
            }
            let ours = user_rows(&generated, hash);
            let id = user.id.as_str();
            let mut stored = tracking_user::Entity::find_by_id(id).one(db).await.expect("read").expect("stored");
            stored.created_at.clone_from(&ours.user.created_at);
            assert_eq!(stored, ours.user, "{k}");
            let organizations = tracking_user_organization::Entity::find()
                .filter(tracking_user_organization::Column::TrackingUserId.eq(id))
                .order_by_asc(tracking_user_organization::Column::OrganizationId)
                .all(db)
                .await
                .expect("read");
            assert_eq!(organizations, ours.organizations, "{k}");
            let agent_customers = tracking_user_agent_customer::Entity::find()
                .filter(tracking_user_agent_customer::Column::TrackingUserId.eq(id))
                .order_by_asc(tracking_user_agent_customer::Column::OrganizationId)
                .all(db)
                .await
                .expect("read");
            assert_eq!(agent_customers, ours.agent_customers, "{k}");
            let additional = tracking_user_additional_email::Entity::find()
                .filter(tracking_user_additional_email::Column::TrackingUserId.eq(id))
                .all(db)
                .await
                .expect("read");
            assert_eq!(additional, ours.additional_emails, "{k}");
        }

        for j in 0..world.plan.share_links {
            let generated = world.share_link(j);
            if generated.shipment >= 120 {
                continue;
            }
            let digest = SecretDigest::of(&generated.token);
            store.insert_share_links(&[(generated.link.clone(), digest)], &[]).await.expect("link");
            let (row, recipients) = share_link_rows(&generated);
            let stored = share_link::Entity::find_by_id(row.id.as_str()).one(db).await.expect("read");
            assert_eq!(stored.as_ref(), Some(&row), "{j}");
            let stored_recipients = share_link_recipient::Entity::find()
                .filter(share_link_recipient::Column::LinkId.eq(row.id.as_str()))
                .order_by_asc(share_link_recipient::Column::Position)
                .all(db)
                .await
                .expect("read");
            assert_eq!(stored_recipients, recipients, "{j}");
        }
    }
}
