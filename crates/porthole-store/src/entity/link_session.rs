//! A viewer's session on one share link, stored as the SHA-256 of the
//! session id only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "link_sessions")]
pub struct Model {
    /// Hex SHA-256 of the session id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    pub link_id: String,
    /// The address the viewer proved, if the link asked for one.
    pub email: Option<String>,
    pub created_at: String,
    pub expires_at: String,
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
