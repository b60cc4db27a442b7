//! A signed-in tracking user's session, stored as the SHA-256 of the
//! session id only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "portal_sessions")]
pub struct Model {
    /// Hex SHA-256 of the session id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    pub tracking_user_id: String,
    pub created_at: String,
    pub expires_at: String,
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

impl Related<super::tracking_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrackingUser.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
