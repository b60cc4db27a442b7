//! A recorded reason why mail may be owed, not yet or already turned into
//! queued mail. `id` is the row's own, in arrival order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "outbox_causes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Set for causes that must be recorded once (a report slot).
    pub dedupe_key: Option<String>,
    /// `shipment_changed`, `password_setup`, `link_shared` or `periodic_report`.
    pub kind: String,
    /// The changed shipment, for `shipment_changed` only.
    pub shipment_id: Option<String>,
    /// The cause as JSON (see `codec`).
    pub detail: String,
    pub created_at: String,
    pub dispatched_at: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::shipment::Entity",
        from = "Column::ShipmentId",
        to = "super::shipment::Column::Id",
        on_delete = "Cascade"
    )]
    Shipment,
}

impl ActiveModelBehavior for ActiveModel {}
