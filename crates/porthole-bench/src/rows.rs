//! Generated values as the rows the store writes for them, in the store's
//! own entity types, built by the store's own encoders
//! (`porthole_store::rows`). What the store derives or stamps as it writes
//! (the viewer state in `published_*`, creation and arrival times, the
//! password hash, the link rows of a user) is filled in here as the store
//! would. The test at the bottom writes the same generated values through
//! the real store and compares the rows column by column.

use anyhow::Result;
use porthole_app::secret::SecretDigest;
use porthole_domain::MilestoneState;
use porthole_store::entity::{
    share_link, share_link_recipient, shipment, shipment_container, tracking_event, tracking_user,
    tracking_user_additional_email, tracking_user_agent_customer, tracking_user_organization,
};
pub use porthole_store::rows::utc_text;
use porthole_store::rows::{self as store_rows, offset_time_text};
pub use porthole_store::rows::{master_row, organization_row};

use crate::world::{GenEvent, GenLink, GenShipment, GenUser};

/// The shipment's row with the viewer state the store would publish for
/// it; `published_done_at` is when that state became Done.
pub fn shipment_row(generated: &GenShipment, state: &MilestoneState) -> shipment::Model {
    let mut row = store_rows::shipment_row(&generated.shipment, &utc_text(&generated.created_at));
    let done = state.status == porthole_domain::Status::Done;
    row.published_status = state.status.as_str().to_owned();
    row.published_etd = state.etd.as_ref().map(offset_time_text);
    row.published_eta = state.eta.as_ref().map(offset_time_text);
    row.published_atd = state.atd.as_ref().map(offset_time_text);
    row.published_ata = state.ata.as_ref().map(offset_time_text);
    row.published_done_at = done.then(|| utc_text(&generated.delivered_at().unwrap_or_else(|| generated.updated_at())));
    row.updated_at = utc_text(&generated.updated_at());
    row
}

pub fn container_rows(generated: &GenShipment) -> Vec<shipment_container::Model> {
    store_rows::container_rows(generated.shipment.id.as_str(), &generated.shipment.containers)
}

/// An event's row; `id` is the row id, which keeps arrival order.
pub fn event_row(shipment_id: &str, generated: &GenEvent, id: i64) -> Result<tracking_event::Model> {
    Ok(store_rows::event_row(shipment_id, &generated.event, &utc_text(&generated.received_at), id)?)
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
    let user = &generated.user;
    let mut row = store_rows::tracking_user_row(user, &utc_text(&generated.created_at));
    row.password_hash = generated.has_password.then(|| password_hash.to_owned());
    let id = row.id.clone();
    UserRows {
        user: row,
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
    store_rows::share_link_rows(&generated.link, &SecretDigest::of(&generated.token))
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

    use porthole_store::entity::master;

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
            let ours: Vec<_> =
                generated.events.iter().map(|e| without_arrival(event_row(id, e, 0).expect("an event row"))).collect();
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
