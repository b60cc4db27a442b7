//! A stored tracking event. `event_id` is the source's id, unique per
//! shipment; `id` is the row's own, in arrival order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "tracking_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shipment_id: String,
    pub event_id: String,
    pub code: String,
    pub classifier: String,
    /// RFC 3339 with the offset of where it happened.
    pub event_time: String,
    pub recorded_at: String,
    pub location_unlocode: Option<String>,
    pub location_name: Option<String>,
    pub container_number: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub delay_reason: Option<String>,
    pub remark: Option<String>,
    pub published: bool,
    pub retracts: Option<String>,
    pub received_at: String,
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

impl Related<super::shipment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Shipment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
