//! The mail outbox, and the tokens minted for mails to share-link
//! recipients.
//!
//! - `outbox_causes`: why mail may be owed, written by the same transaction
//!   as the change that owes it. `kind` names the cause, `detail` holds it
//!   as JSON; `shipment_id` is set for shipment changes only, so the changes
//!   of one shipment can be found together, and they go with their
//!   shipment. A cause with a `dedupe_key` (a periodic report's slot) is
//!   recorded once however many instances ask. `dispatched_at` is set when
//!   the cause has become queued mail.
//! - `outbox_mails`: one queued mail per cause and recipient, unique by
//!   `dedupe_key`. The recipient is a tracking user, or one address of a
//!   share link; either way the mail goes with them. `content` is what the
//!   mail says, as JSON; it is rendered only when sent. `lease_until` hides
//!   a claimed mail from other workers until then.
//! - `share_link_mail_tokens`: tokens minted for one mail to one recipient
//!   of a link (open the link, stop updates), stored as SHA-256 digests
//!   only, and gone with their link.
//!
//! The undispatched causes are few whatever the history, so the indexes
//! that find them are partial (`WHERE dispatched_at IS NULL`): both
//! backends keep only waiting causes in them, and a dispatched cause leaves
//! them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_pk_auto, integer, text, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shipments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TrackingUsers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ShareLinks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OutboxCauses {
    Table,
    Id,
    DedupeKey,
    Kind,
    ShipmentId,
    Detail,
    CreatedAt,
    DispatchedAt,
}

#[derive(DeriveIden)]
enum OutboxMails {
    Table,
    Id,
    DedupeKey,
    Kind,
    RecipientUserId,
    RecipientLinkId,
    RecipientEmail,
    Content,
    Status,
    Attempts,
    CreatedAt,
    NextAttemptAt,
    LeaseUntil,
    FinishedAt,
    LastError,
}

#[derive(DeriveIden)]
enum ShareLinkMailTokens {
    Table,
    Digest,
    LinkId,
    Email,
    Purpose,
    CreatedAt,
}

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxCauses::Table)
                    .col(big_pk_auto(OutboxCauses::Id))
                    .col(text_null(OutboxCauses::DedupeKey))
                    .col(text(OutboxCauses::Kind))
                    .col(text_null(OutboxCauses::ShipmentId))
                    .col(text(OutboxCauses::Detail))
                    .col(text(OutboxCauses::CreatedAt))
                    .col(text_null(OutboxCauses::DispatchedAt))
                    .foreign_key(&mut cascade_from(
                        "fk_outbox_causes_shipment_id",
                        (OutboxCauses::Table, OutboxCauses::ShipmentId),
                        (Shipments::Table, Shipments::Id),
                    ))
                    .take(),
            )
            .await?;
        // Named `uq_<table>_<column>` like every unique constraint. Both
        // backends let any number of rows have no key.
        manager
            .create_index(
                Index::create()
                    .name("uq_outbox_causes_dedupe_key")
                    .table(OutboxCauses::Table)
                    .col(OutboxCauses::DedupeKey)
                    .unique()
                    .take(),
            )
            .await?;
        // The waiting causes in the order they were recorded (of one
        // shipment, in the order of the writes: see the store).
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_causes_waiting_id")
                    .table(OutboxCauses::Table)
                    .col(OutboxCauses::Id)
                    .and_where(Expr::col(OutboxCauses::DispatchedAt).is_null())
                    .take(),
            )
            .await?;
        // The waiting changes of each shipment, with their oldest first:
        // whether a shipment's burst has settled.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_causes_waiting_shipment_id_created_at")
                    .table(OutboxCauses::Table)
                    .col(OutboxCauses::ShipmentId)
                    .col(OutboxCauses::CreatedAt)
                    .and_where(Expr::col(OutboxCauses::DispatchedAt).is_null())
                    .take(),
            )
            .await?;
        // Deleting a shipment cascades here; without this index PostgreSQL
        // would scan every cause ever recorded.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_causes_shipment_id")
                    .table(OutboxCauses::Table)
                    .col(OutboxCauses::ShipmentId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxMails::Table)
                    .col(big_pk_auto(OutboxMails::Id))
                    .col(text(OutboxMails::DedupeKey))
                    .col(text(OutboxMails::Kind))
                    .col(text_null(OutboxMails::RecipientUserId))
                    .col(text_null(OutboxMails::RecipientLinkId))
                    .col(text_null(OutboxMails::RecipientEmail))
                    .col(text(OutboxMails::Content))
                    .col(text(OutboxMails::Status))
                    .col(integer(OutboxMails::Attempts))
                    .col(text(OutboxMails::CreatedAt))
                    .col(text(OutboxMails::NextAttemptAt))
                    .col(text_null(OutboxMails::LeaseUntil))
                    .col(text_null(OutboxMails::FinishedAt))
                    .col(text_null(OutboxMails::LastError))
                    .foreign_key(&mut cascade_from(
                        "fk_outbox_mails_recipient_user_id",
                        (OutboxMails::Table, OutboxMails::RecipientUserId),
                        (TrackingUsers::Table, TrackingUsers::Id),
                    ))
                    .foreign_key(&mut cascade_from(
                        "fk_outbox_mails_recipient_link_id",
                        (OutboxMails::Table, OutboxMails::RecipientLinkId),
                        (ShareLinks::Table, ShareLinks::Id),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_outbox_mails_dedupe_key")
                    .table(OutboxMails::Table)
                    .col(OutboxMails::DedupeKey)
                    .unique()
                    .take(),
            )
            .await?;
        // Claims: the pending mails that are due.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_mails_status_next_attempt_at")
                    .table(OutboxMails::Table)
                    .col(OutboxMails::Status)
                    .col(OutboxMails::NextAttemptAt)
                    .take(),
            )
            .await?;
        // The operator's list, newest first: of every mail, and of the
        // mails in one state (also the per-state counts).
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_mails_created_at_id")
                    .table(OutboxMails::Table)
                    .col(OutboxMails::CreatedAt)
                    .col(OutboxMails::Id)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_mails_status_created_at_id")
                    .table(OutboxMails::Table)
                    .col(OutboxMails::Status)
                    .col(OutboxMails::CreatedAt)
                    .col(OutboxMails::Id)
                    .take(),
            )
            .await?;
        // Deleting a user or a link cascades here.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_mails_recipient_user_id")
                    .table(OutboxMails::Table)
                    .col(OutboxMails::RecipientUserId)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_mails_recipient_link_id")
                    .table(OutboxMails::Table)
                    .col(OutboxMails::RecipientLinkId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ShareLinkMailTokens::Table)
                    .col(text(ShareLinkMailTokens::Digest).primary_key())
                    .col(text(ShareLinkMailTokens::LinkId))
                    .col(text(ShareLinkMailTokens::Email))
                    .col(text(ShareLinkMailTokens::Purpose))
                    .col(text(ShareLinkMailTokens::CreatedAt))
                    .foreign_key(&mut cascade_from(
                        "fk_share_link_mail_tokens_link_id",
                        (ShareLinkMailTokens::Table, ShareLinkMailTokens::LinkId),
                        (ShareLinks::Table, ShareLinks::Id),
                    ))
                    .take(),
            )
            .await?;
        // A new link token deletes the link's open tokens; deleting a link
        // cascades here.
        manager
            .create_index(
                Index::create()
                    .name("idx_share_link_mail_tokens_link_id")
                    .table(ShareLinkMailTokens::Table)
                    .col(ShareLinkMailTokens::LinkId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            [ShareLinkMailTokens::Table.into_iden(), OutboxMails::Table.into_iden(), OutboxCauses::Table.into_iden()]
        {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }

    /// All of it or none of it, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
