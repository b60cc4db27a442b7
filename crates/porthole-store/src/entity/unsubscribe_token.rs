//! An unsubscribe token of a notification mail, stored as the SHA-256 of
//! the token only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "unsubscribe_tokens")]
pub struct Model {
    /// Hex SHA-256 of the token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    pub tracking_user_id: String,
    /// `journey_updated`, `eta_changed`, `document_status` or `periodic_report`.
    pub category: String,
    pub created_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tracking_user::Entity",
        from = "Column::TrackingUserId",
        to = "super::tracking_user::Column::Id",
        on_delete = "Cascade"
    )]
    TrackingUser,
}

impl ActiveModelBehavior for ActiveModel {}
