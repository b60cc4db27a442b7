//! A portal user. Organization links live in their own tables.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "tracking_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Lower-cased login name, unique.
    pub user_id: String,
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: String,
    /// JSON array of e-mail addresses.
    pub additional_emails: String,
    pub role: String,
    /// JSON object of notification preferences.
    pub notifications: String,
    /// JSON object of display settings.
    pub display: String,
    pub state: String,
    pub password_hash: Option<String>,
    pub created_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::tracking_user_organization::Entity")]
    Organizations,
    #[sea_orm(has_many = "super::tracking_user_agent_customer::Entity")]
    AgentCustomers,
}

impl ActiveModelBehavior for ActiveModel {}
