//! A house shipment, with the milestone state viewers see kept alongside
//! (`published_*`) so lists and filters need not replay events, and when
//! viewers first saw it Done (`published_done_at`), which share links that
//! expire on delivery count from.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "shipments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub reference: String,
    pub hbl_no: Option<String>,
    pub master_id: Option<String>,
    pub mode: String,
    /// The status staff set; the status viewers see is `published_status`.
    pub status: String,
    pub customer_id: String,
    pub shipper_id: Option<String>,
    pub consignee_id: Option<String>,
    pub pol_unlocode: String,
    pub pol_name: String,
    pub pod_unlocode: String,
    pub pod_name: String,
    pub place_of_receipt_unlocode: Option<String>,
    pub place_of_receipt_name: Option<String>,
    pub place_of_delivery_unlocode: Option<String>,
    pub place_of_delivery_name: Option<String>,
    pub planned_etd: Option<String>,
    pub planned_eta: Option<String>,
    /// JSON object, or absent.
    pub cargo: Option<String>,
    /// JSON array of transport legs.
    pub legs: String,
    pub customer_note: Option<String>,
    pub internal_note: Option<String>,
    /// JSON array of charge lines, both sides.
    pub charges: String,
    /// JSON array of documents, published or not.
    pub documents: String,
    pub published_status: String,
    pub published_etd: Option<String>,
    pub published_eta: Option<String>,
    pub published_atd: Option<String>,
    pub published_ata: Option<String>,
    /// When `published_status` last became Done; `None` while it is not.
    pub published_done_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::master::Entity", from = "Column::MasterId", to = "super::master::Column::Id")]
    Master,
    #[sea_orm(has_many = "super::shipment_container::Entity")]
    Containers,
    #[sea_orm(has_many = "super::tracking_event::Entity")]
    Events,
}

impl Related<super::master::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Master.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
