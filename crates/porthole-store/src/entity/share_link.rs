//! A per-shipment tracking link. Its token is stored as the SHA-256 of the
//! token only; giving the link a new token replaces the digest.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "share_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub shipment_id: String,
    /// Hex SHA-256 of the link's current token.
    pub token_digest: String,
    pub require_verification: bool,
    pub expires_at: Option<String>,
    pub expire_on_delivery: bool,
    pub section_containers: bool,
    pub section_cargo: bool,
    pub section_documents: bool,
    pub created_at: String,
    pub revoked_at: Option<String>,
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
