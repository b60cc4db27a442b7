//! An organization a tracking user belongs to.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "tracking_user_organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tracking_user_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: String,
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
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id"
    )]
    Organization,
}

impl Related<super::tracking_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrackingUser.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
