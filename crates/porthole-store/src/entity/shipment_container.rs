//! A container of a shipment. `position` keeps the order staff gave.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "shipment_containers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub shipment_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub number: String,
    pub iso_type: String,
    pub seal: Option<String>,
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
