//! One additional e-mail address of a tracking user: an indexed mirror of
//! `tracking_users.additional_emails` (which keeps the order), so a user is
//! found by any of their addresses.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "tracking_user_additional_emails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tracking_user_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub email: String,
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
