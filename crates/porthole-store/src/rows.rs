//! The rows the store writes for domain values, for tools that load data
//! in bulk next to the store (the benchmark's dataset generator) and must
//! write exactly what the store would. The store itself writes through
//! these same functions.

use porthole_domain::{Shipment, TrackingEvent};
use sea_orm::ActiveValue::Set;
use sea_orm::{DbErr, TryIntoModel};

use crate::entity::{shipment, tracking_event};

pub use crate::codec::{
    container_rows, master_row, offset_time_text, organization_row, share_link_rows, tracking_user_row, utc_text,
};

/// A new shipment's row as an upsert inserts it, stamped `created_at`;
/// the `published_*` columns start as the store sets them before it first
/// derives the viewer state (status as staff set it, no dates).
pub fn shipment_row(shipment: &Shipment, created_at: &str) -> shipment::Model {
    crate::repo::new_shipment_row(shipment.id.as_str(), &crate::codec::shipment_columns(shipment), created_at)
}

/// An event's row with row id `id` (row ids keep arrival order).
pub fn event_row(
    shipment_id: &str,
    event: &TrackingEvent,
    received_at: &str,
    id: i64,
) -> Result<tracking_event::Model, DbErr> {
    let mut row = crate::codec::event_row(shipment_id, event, received_at);
    row.id = Set(id);
    row.try_into_model()
}
