//! A master bill of lading.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "masters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub mbl_no: String,
    pub carrier: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub overseas_agent_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OverseasAgentId",
        to = "super::organization::Column::Id"
    )]
    OverseasAgent,
}

impl ActiveModelBehavior for ActiveModel {}
