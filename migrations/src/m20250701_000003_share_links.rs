//! Share links: per-shipment tracking links with their recipients, the
//! viewers' sessions on them, e-mailed verification codes and the access
//! log; plus the time viewers first saw each shipment Done, which decides
//! when an `expire_on_delivery` link dies.
//!
//! - Tokens, session ids and codes are stored as SHA-256 digests only.
//! - Everything hangs off its link and goes with it (`ON DELETE CASCADE`);
//!   a link goes with its shipment.
//! - Each index serves one lookup of the store, read in the order the
//!   store wants: a shipment's links and a link's access log newest first
//!   (read backwards along `(parent, time, tie-break)`), the codes of a link
//!   and address newest first, and a link's sessions (ended on revocation).
//! - `shipments.published_done_at` is kept by the store next to
//!   `published_status`. Shipments that are Done already get their last
//!   update time: the closest fact on file to when they were delivered.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_pk_auto, boolean, integer, text, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shipments {
    Table,
    Id,
    PublishedStatus,
    PublishedDoneAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShareLinks {
    Table,
    Id,
    ShipmentId,
    TokenDigest,
    RequireVerification,
    ExpiresAt,
    ExpireOnDelivery,
    SectionContainers,
    SectionCargo,
    SectionDocuments,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ShareLinkRecipients {
    Table,
    LinkId,
    Position,
    Email,
    ReceivesUpdates,
}

#[derive(DeriveIden)]
enum LinkSessions {
    Table,
    Digest,
    LinkId,
    Email,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LinkVerificationCodes {
    Table,
    Digest,
    LinkId,
    Email,
    SentAt,
    Attempts,
    UsedAt,
}

#[derive(DeriveIden)]
enum LinkAccessLog {
    Table,
    Id,
    LinkId,
    At,
    Access,
    Email,
    ClientAddress,
}

/// Viewer status of a delivered shipment, as the store writes it.
const DONE: &str = "done";

fn cascade_from<F: IntoIden, C: IntoIden, T: IntoIden, R: IntoIden>(
    name: &str,
    from: (F, C),
    to: (T, R),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::NoAction)
        .take()
}

fn owned_by_link<T: IntoIden, C: IntoIden>(name: &str, table: T, column: C) -> ForeignKeyCreateStatement {
    cascade_from(name, (table, column), (ShareLinks::Table, ShareLinks::Id))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Shipments::Table).add_column(text_null(Shipments::PublishedDoneAt)).take(),
            )
            .await?;
        manager
            .execute(
                Query::update()
                    .table(Shipments::Table)
                    .value(Shipments::PublishedDoneAt, Expr::col(Shipments::UpdatedAt))
                    .and_where(Expr::col(Shipments::PublishedStatus).eq(DONE))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ShareLinks::Table)
                    .col(text(ShareLinks::Id).primary_key())
                    .col(text(ShareLinks::ShipmentId))
                    .col(text(ShareLinks::TokenDigest))
                    .col(boolean(ShareLinks::RequireVerification))
                    .col(text_null(ShareLinks::ExpiresAt))
                    .col(boolean(ShareLinks::ExpireOnDelivery))
                    .col(boolean(ShareLinks::SectionContainers))
                    .col(boolean(ShareLinks::SectionCargo))
                    .col(boolean(ShareLinks::SectionDocuments))
                    .col(text(ShareLinks::CreatedAt))
                    .col(text_null(ShareLinks::RevokedAt))
                    .foreign_key(&mut cascade_from(
                        "fk_share_links_shipment_id",
                        (ShareLinks::Table, ShareLinks::ShipmentId),
                        (Shipments::Table, Shipments::Id),
                    ))
                    .take(),
            )
            .await?;
        // Named `uq_<table>_<column>` like every unique constraint, so a
        // violation names the field on both backends.
        manager
            .create_index(
                Index::create()
                    .name("uq_share_links_token_digest")
                    .table(ShareLinks::Table)
                    .col(ShareLinks::TokenDigest)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_share_links_shipment_id_created_at")
                    .table(ShareLinks::Table)
                    .col(ShareLinks::ShipmentId)
                    .col(ShareLinks::CreatedAt)
                    .col(ShareLinks::Id)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ShareLinkRecipients::Table)
                    .col(text(ShareLinkRecipients::LinkId))
                    .col(integer(ShareLinkRecipients::Position))
                    .col(text(ShareLinkRecipients::Email))
                    .col(boolean(ShareLinkRecipients::ReceivesUpdates))
                    .primary_key(Index::create().col(ShareLinkRecipients::LinkId).col(ShareLinkRecipients::Position))
                    .foreign_key(&mut owned_by_link(
                        "fk_share_link_recipients_link_id",
                        ShareLinkRecipients::Table,
                        ShareLinkRecipients::LinkId,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LinkSessions::Table)
                    .col(text(LinkSessions::Digest).primary_key())
                    .col(text(LinkSessions::LinkId))
                    .col(text_null(LinkSessions::Email))
                    .col(text(LinkSessions::CreatedAt))
                    .col(text(LinkSessions::ExpiresAt))
                    .foreign_key(&mut owned_by_link(
                        "fk_link_sessions_link_id",
                        LinkSessions::Table,
                        LinkSessions::LinkId,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_link_sessions_link_id")
                    .table(LinkSessions::Table)
                    .col(LinkSessions::LinkId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LinkVerificationCodes::Table)
                    .col(text(LinkVerificationCodes::Digest).primary_key())
                    .col(text(LinkVerificationCodes::LinkId))
                    .col(text(LinkVerificationCodes::Email))
                    .col(text(LinkVerificationCodes::SentAt))
                    .col(integer(LinkVerificationCodes::Attempts))
                    .col(text_null(LinkVerificationCodes::UsedAt))
                    .foreign_key(&mut owned_by_link(
                        "fk_link_verification_codes_link_id",
                        LinkVerificationCodes::Table,
                        LinkVerificationCodes::LinkId,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_link_verification_codes_link_id_email_sent_at")
                    .table(LinkVerificationCodes::Table)
                    .col(LinkVerificationCodes::LinkId)
                    .col(LinkVerificationCodes::Email)
                    .col(LinkVerificationCodes::SentAt)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LinkAccessLog::Table)
                    .col(big_pk_auto(LinkAccessLog::Id))
                    .col(text(LinkAccessLog::LinkId))
                    .col(text(LinkAccessLog::At))
                    .col(text(LinkAccessLog::Access))
                    .col(text_null(LinkAccessLog::Email))
                    .col(text_null(LinkAccessLog::ClientAddress))
                    .foreign_key(&mut owned_by_link(
                        "fk_link_access_log_link_id",
                        LinkAccessLog::Table,
                        LinkAccessLog::LinkId,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_link_access_log_link_id_at")
                    .table(LinkAccessLog::Table)
                    .col(LinkAccessLog::LinkId)
                    .col(LinkAccessLog::At)
                    .col(LinkAccessLog::Id)
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LinkAccessLog::Table.into_iden(),
            LinkVerificationCodes::Table.into_iden(),
            LinkSessions::Table.into_iden(),
            ShareLinkRecipients::Table.into_iden(),
            ShareLinks::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        manager.alter_table(Table::alter().table(Shipments::Table).drop_column(Shipments::PublishedDoneAt).take()).await
    }

    /// All of it or none of it, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
