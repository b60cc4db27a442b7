//! One entry of a share link's access log: an open or a verification. `id`
//! is the row's own, in arrival order, and breaks ties between entries of
//! the same instant.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "link_access_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub link_id: String,
    pub at: String,
    pub access: String,
    pub email: Option<String>,
    pub client_address: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::share_link::Entity",
        from = "Column::LinkId",
        to = "super::share_link::Column::Id",
        on_delete = "Cascade"
    )]
    ShareLink,
}

impl ActiveModelBehavior for ActiveModel {}
