//! One queued mail: to a tracking user, or to one recipient of a share
//! link. What it says is stored, not its text: it is rendered when sent.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "outbox_mails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique over the outbox: one cause, one recipient.
    pub dedupe_key: String,
    /// `shipment_update`, `password_setup`, `link_shared` or `periodic_report`.
    pub kind: String,
    /// Set for a mail to a tracking user; the link columns are then empty.
    pub recipient_user_id: Option<String>,
    /// Set, with `recipient_email`, for a mail to a share-link recipient.
    pub recipient_link_id: Option<String>,
    pub recipient_email: Option<String>,
    /// What the mail says, as JSON (see `codec`).
    pub content: String,
    /// `pending`, `sent`, `failed` or `skipped`.
    pub status: String,
    /// Attempts claimed so far.
    pub attempts: i32,
    pub created_at: String,
    pub next_attempt_at: String,
    /// A claimed mail is hidden from other claimers until then.
    pub lease_until: Option<String>,
    pub finished_at: Option<String>,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tracking_user::Entity",
        from = "Column::RecipientUserId",
        to = "super::tracking_user::Column::Id",
        on_delete = "Cascade"
    )]
    TrackingUser,
    #[sea_orm(
        belongs_to = "super::share_link::Entity",
        from = "Column::RecipientLinkId",
        to = "super::share_link::Column::Id",
        on_delete = "Cascade"
    )]
    ShareLink,
}

impl ActiveModelBehavior for ActiveModel {}
