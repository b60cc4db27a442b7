//! A code e-mailed to prove a recipient's address on a share link, stored
//! as a SHA-256 digest only. At most one row per link and address: a new
//! code replaces the one before.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "link_verification_codes")]
pub struct Model {
    /// Hex SHA-256 of the link, the address and the code together.
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    pub link_id: String,
    pub email: String,
    pub sent_at: String,
    pub attempts: i32,
    /// Set once, when the code is redeemed.
    pub used_at: Option<String>,
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
