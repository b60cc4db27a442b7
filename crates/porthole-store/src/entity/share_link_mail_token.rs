//! A token minted for one mail to one recipient of a share link, stored as
//! the SHA-256 of the token only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "share_link_mail_tokens")]
pub struct Model {
    /// Hex SHA-256 of the token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    pub link_id: String,
    pub email: String,
    /// `open` or `unsubscribe`.
    pub purpose: String,
    pub created_at: String,
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
