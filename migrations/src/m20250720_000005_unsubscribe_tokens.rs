//! Unsubscribe tokens: the links in notification mails that switch one kind
//! of mail off without signing in. Only the SHA-256 of a token is kept, as
//! the primary key, so a link is one index lookup. Tokens do not expire
//! (an old mail's link must keep working) and go with their user.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrackingUsers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UnsubscribeTokens {
    Table,
    Digest,
    TrackingUserId,
    Category,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UnsubscribeTokens::Table)
                    .col(text(UnsubscribeTokens::Digest).primary_key())
                    .col(text(UnsubscribeTokens::TrackingUserId))
                    .col(text(UnsubscribeTokens::Category))
                    .col(text(UnsubscribeTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_unsubscribe_tokens_tracking_user_id")
                            .from(UnsubscribeTokens::Table, UnsubscribeTokens::TrackingUserId)
                            .to(TrackingUsers::Table, TrackingUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .take(),
            )
            .await?;
        // Deleting a user cascades here; without this index PostgreSQL
        // would scan the table for each deleted user.
        manager
            .create_index(
                Index::create()
                    .name("idx_unsubscribe_tokens_tracking_user_id")
                    .table(UnsubscribeTokens::Table)
                    .col(UnsubscribeTokens::TrackingUserId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(UnsubscribeTokens::Table).take()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
