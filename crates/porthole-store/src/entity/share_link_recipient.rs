//! Someone a share link was made for. `position` keeps the order staff gave.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "share_link_recipients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub link_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub email: String,
    pub receives_updates: bool,
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

impl Related<super::share_link::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ShareLink.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
