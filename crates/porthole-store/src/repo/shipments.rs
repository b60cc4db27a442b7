use async_trait::async_trait;
use porthole_app::ports::{AppendOutcome, RepoError, RepoResult, ShipmentRepository, Upserted};
use porthole_domain::projection::ShipmentRecord;
use porthole_domain::{OrganizationId, Shipment, ShipmentId, ShipmentReference, TrackingEvent};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};

use super::{INSERT_CHUNK, count, finish};
use crate::Store;
use crate::codec::{
    ShipmentColumns, container_rows, event_of, event_row, master_of, offset_time_text, organization_of,
    shipment_columns, shipment_of, utc_text,
};
use crate::entity::{master, organization, shipment, shipment_container, tracking_event};
use crate::error::{Corrupt, Unique, unavailable, write_error};

const REFERENCE: Unique = Unique::new("shipments", "reference", "reference");

#[async_trait]
impl ShipmentRepository for Store {
    async fn shipment_by_reference(&self, reference: &ShipmentReference) -> RepoResult<Option<Shipment>> {
        let txn = self.begin_read().await.map_err(unavailable)?;
        let result = async {
            let row = shipment::Entity::find()
                .filter(shipment::Column::Reference.eq(reference.as_str()))
                .one(&txn)
                .await
                .map_err(unavailable)?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let containers = containers_of(&txn, &row.id).await?;
                    Ok(Some(shipment_of(row, containers)?))
                }
            }
        }
        .await;
        finish(txn, result).await
    }

    async fn upsert_shipment(&self, shipment: &Shipment) -> RepoResult<Upserted> {
        let now = utc_text(&self.clock.now());
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let columns = shipment_columns(shipment);
            let (id, upserted) = match id_by_reference(&txn, shipment.reference.as_str()).await? {
                Some(existing) => (existing, Upserted::Updated),
                None => {
                    let row = new_row(shipment.id.as_str(), &columns, &now);
                    let inserted = shipment::Entity::insert(row.into_active_model())
                        .on_conflict_do_nothing_on([shipment::Column::Reference])
                        .exec_without_returning(&txn)
                        .await
                        .map_err(|e| write_error(e, &[REFERENCE]))?;
                    match inserted {
                        TryInsertResult::Inserted(rows) if rows > 0 => {
                            (shipment.id.as_str().to_owned(), Upserted::Created)
                        }
                        // PostgreSQL only: a concurrent upsert committed the
                        // same reference after our lookup; SQLite's write
                        // lock rules that out. Theirs is now the one to
                        // replace.
                        _ => {
                            let existing = id_by_reference(&txn, shipment.reference.as_str())
                                .await?
                                .ok_or_else(|| RepoError::Unavailable("shipment vanished during upsert".to_owned()))?;
                            (existing, Upserted::Updated)
                        }
                    }
                }
            };
            if upserted == Upserted::Updated {
                shipment::Entity::update_many()
                    .set(changed_columns(&columns, &now))
                    .filter(shipment::Column::Id.eq(id.as_str()))
                    .exec(&txn)
                    .await
                    .map_err(|e| write_error(e, &[REFERENCE]))?;
                shipment_container::Entity::delete_many()
                    .filter(shipment_container::Column::ShipmentId.eq(id.as_str()))
                    .exec(&txn)
                    .await
                    .map_err(unavailable)?;
            }
            let containers = container_rows(&id, &shipment.containers);
            for chunk in containers.chunks(INSERT_CHUNK) {
                shipment_container::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
                    .exec_without_returning(&txn)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
            }
            publish_viewer_state(&txn, &ShipmentId::new(id), None).await?;
            Ok(upserted)
        }
        .await;
        finish(txn, result).await
    }

    async fn shipment_record(&self, id: &ShipmentId) -> RepoResult<Option<ShipmentRecord>> {
        let txn = self.begin_read().await.map_err(unavailable)?;
        let result = load_record(&txn, id).await;
        finish(txn, result).await
    }

    async fn append_events(&self, id: &ShipmentId, events: &[TrackingEvent]) -> RepoResult<AppendOutcome> {
        let now = utc_text(&self.clock.now());
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result =
            async {
                let exists = shipment::Entity::find_by_id(id.as_str())
                    .select_only()
                    .column(shipment::Column::Id)
                    .into_tuple::<String>()
                    .one(&txn)
                    .await
                    .map_err(unavailable)?;
                if exists.is_none() {
                    return Err(RepoError::NotFound);
                }
                let mut accepted = 0;
                for chunk in events.chunks(INSERT_CHUNK) {
                    let inserted = tracking_event::Entity::insert_many(
                        chunk.iter().map(|event| event_row(id.as_str(), event, &now)),
                    )
                    .on_conflict_do_nothing_on([tracking_event::Column::ShipmentId, tracking_event::Column::EventId])
                    .exec_without_returning(&txn)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
                    if let TryInsertResult::Inserted(rows) = inserted {
                        accepted += count(rows);
                    }
                }
                // Duplicates change nothing, so neither can the derived state.
                if accepted > 0 {
                    publish_viewer_state(&txn, id, Some(&now)).await?;
                }
                Ok(AppendOutcome { accepted, duplicates: events.len().saturating_sub(accepted) })
            }
            .await;
        finish(txn, result).await
    }
    // PENDING(store): replaced by the real implementation.
    async fn shipments_in_scope(
        &self,
        _scope: &porthole_domain::ViewerScope,
        _query: &porthole_app::ports::ShipmentQuery,
    ) -> RepoResult<Vec<porthole_domain::ShipmentSummary>> {
        Err(porthole_app::ports::RepoError::Unavailable("pending".into()))
    }

    async fn shipment_summaries(
        &self,
        _after: Option<ShipmentId>,
        _limit: u64,
    ) -> RepoResult<Vec<porthole_domain::ShipmentSummary>> {
        Err(porthole_app::ports::RepoError::Unavailable("pending".into()))
    }
}

async fn id_by_reference(conn: &impl ConnectionTrait, reference: &str) -> RepoResult<Option<String>> {
    shipment::Entity::find()
        .select_only()
        .column(shipment::Column::Id)
        .filter(shipment::Column::Reference.eq(reference))
        .into_tuple::<String>()
        .one(conn)
        .await
        .map_err(unavailable)
}

/// A new row. Its `published_*` columns are placeholders until
/// [`publish_viewer_state`] runs in the same transaction.
fn new_row(id: &str, columns: &ShipmentColumns, now: &str) -> shipment::Model {
    let c = columns;
    shipment::Model {
        id: id.to_owned(),
        reference: c.reference.clone(),
        hbl_no: c.hbl_no.clone(),
        master_id: c.master_id.clone(),
        mode: c.mode.clone(),
        status: c.status.clone(),
        customer_id: c.customer_id.clone(),
        shipper_id: c.shipper_id.clone(),
        consignee_id: c.consignee_id.clone(),
        pol_unlocode: c.pol.0.clone(),
        pol_name: c.pol.1.clone(),
        pod_unlocode: c.pod.0.clone(),
        pod_name: c.pod.1.clone(),
        place_of_receipt_unlocode: c.place_of_receipt.0.clone(),
        place_of_receipt_name: c.place_of_receipt.1.clone(),
        place_of_delivery_unlocode: c.place_of_delivery.0.clone(),
        place_of_delivery_name: c.place_of_delivery.1.clone(),
        planned_etd: c.planned_etd.clone(),
        planned_eta: c.planned_eta.clone(),
        cargo: c.cargo.clone(),
        legs: c.legs.clone(),
        customer_note: c.customer_note.clone(),
        internal_note: c.internal_note.clone(),
        charges: c.charges.clone(),
        documents: c.documents.clone(),
        published_status: c.status.clone(),
        published_etd: None,
        published_eta: None,
        published_atd: None,
        published_ata: None,
        created_at: now.to_owned(),
        updated_at: now.to_owned(),
    }
}

/// Everything an upsert replaces: all but the id, `created_at` and the
/// derived `published_*` columns.
fn changed_columns(columns: &ShipmentColumns, now: &str) -> shipment::ActiveModel {
    let c = columns;
    shipment::ActiveModel {
        reference: Set(c.reference.clone()),
        hbl_no: Set(c.hbl_no.clone()),
        master_id: Set(c.master_id.clone()),
        mode: Set(c.mode.clone()),
        status: Set(c.status.clone()),
        customer_id: Set(c.customer_id.clone()),
        shipper_id: Set(c.shipper_id.clone()),
        consignee_id: Set(c.consignee_id.clone()),
        pol_unlocode: Set(c.pol.0.clone()),
        pol_name: Set(c.pol.1.clone()),
        pod_unlocode: Set(c.pod.0.clone()),
        pod_name: Set(c.pod.1.clone()),
        place_of_receipt_unlocode: Set(c.place_of_receipt.0.clone()),
        place_of_receipt_name: Set(c.place_of_receipt.1.clone()),
        place_of_delivery_unlocode: Set(c.place_of_delivery.0.clone()),
        place_of_delivery_name: Set(c.place_of_delivery.1.clone()),
        planned_etd: Set(c.planned_etd.clone()),
        planned_eta: Set(c.planned_eta.clone()),
        cargo: Set(c.cargo.clone()),
        legs: Set(c.legs.clone()),
        customer_note: Set(c.customer_note.clone()),
        internal_note: Set(c.internal_note.clone()),
        charges: Set(c.charges.clone()),
        documents: Set(c.documents.clone()),
        updated_at: Set(now.to_owned()),
        ..Default::default()
    }
}

async fn containers_of(conn: &impl ConnectionTrait, shipment_id: &str) -> RepoResult<Vec<shipment_container::Model>> {
    shipment_container::Entity::find()
        .filter(shipment_container::Column::ShipmentId.eq(shipment_id))
        .order_by_asc(shipment_container::Column::Position)
        .all(conn)
        .await
        .map_err(unavailable)
}

/// The shipment with its containers, master, events and parties, in five
/// queries whatever the number of events or containers.
async fn load_record(conn: &impl ConnectionTrait, id: &ShipmentId) -> RepoResult<Option<ShipmentRecord>> {
    let Some(row) = shipment::Entity::find_by_id(id.as_str()).one(conn).await.map_err(unavailable)? else {
        return Ok(None);
    };
    let containers = containers_of(conn, &row.id).await?;
    let master = match &row.master_id {
        Some(master_id) => master::Entity::find_by_id(master_id.as_str()).one(conn).await.map_err(unavailable)?,
        None => None,
    };
    let events = tracking_event::Entity::find()
        .filter(tracking_event::Column::ShipmentId.eq(row.id.as_str()))
        .order_by_asc(tracking_event::Column::Id)
        .all(conn)
        .await
        .map_err(unavailable)?;
    let party_ids: Vec<&str> = [Some(&row.customer_id), row.shipper_id.as_ref(), row.consignee_id.as_ref()]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let parties: Vec<_> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(party_ids))
        .all(conn)
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(organization_of)
        .collect();

    let shipment = shipment_of(row, containers)?;
    let party = |id: &OrganizationId| parties.iter().find(|org| org.id == *id).cloned();
    let customer =
        party(&shipment.customer_id).ok_or_else(|| Corrupt::new("shipments.customer_id", "names no organization"))?;
    let shipper = shipment.shipper_id.as_ref().and_then(party);
    let consignee = shipment.consignee_id.as_ref().and_then(party);
    Ok(Some(ShipmentRecord {
        master: master.map(master_of),
        events: events.into_iter().map(event_of).collect::<Result<_, _>>()?,
        customer,
        shipper,
        consignee,
        shipment,
    }))
}

/// Stores the domain's viewer state of the shipment as it now stands
/// within `conn`'s transaction; `touched_at` also bumps `updated_at`.
async fn publish_viewer_state(
    conn: &impl ConnectionTrait,
    id: &ShipmentId,
    touched_at: Option<&str>,
) -> RepoResult<()> {
    let record = load_record(conn, id).await?.ok_or(RepoError::NotFound)?;
    let state = record.viewer_state();
    let mut published = shipment::ActiveModel {
        published_status: Set(state.status.as_str().to_owned()),
        published_etd: Set(state.etd.as_ref().map(offset_time_text)),
        published_eta: Set(state.eta.as_ref().map(offset_time_text)),
        published_atd: Set(state.atd.as_ref().map(offset_time_text)),
        published_ata: Set(state.ata.as_ref().map(offset_time_text)),
        ..Default::default()
    };
    if let Some(now) = touched_at {
        published.updated_at = Set(now.to_owned());
    }
    shipment::Entity::update_many()
        .set(published)
        .filter(shipment::Column::Id.eq(id.as_str()))
        .exec(conn)
        .await
        .map_err(unavailable)?;
    Ok(())
}
