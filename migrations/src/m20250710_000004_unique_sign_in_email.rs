//! A primary e-mail signs one tracking user in, so the database holds it
//! unique: two users with one address would make sign-in by e-mail
//! ambiguous. The application checks first and names the clash; this index
//! keeps concurrent writes from slipping past that check.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrackingUsers {
    Table,
    Email,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("idx_tracking_users_email").table(TrackingUsers::Table).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_tracking_users_email")
                    .table(TrackingUsers::Table)
                    .col(TrackingUsers::Email)
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("uq_tracking_users_email").table(TrackingUsers::Table).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tracking_users_email")
                    .table(TrackingUsers::Table)
                    .col(TrackingUsers::Email)
                    .take(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
