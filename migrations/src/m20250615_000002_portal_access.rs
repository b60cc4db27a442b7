//! The customer portal: one-time sign-in tokens, portal sessions, an
//! indexed lookup of tracking users' additional e-mails, and the indexes the
//! portal's shipment list needs.
//!
//! - `tracking_user_additional_emails` mirrors the `additional_emails` JSON
//!   of `tracking_users` (which keeps the order staff gave) so that a sign-in
//!   link requested for any address is one index lookup. Existing users are
//!   copied over here.
//! - A viewer's list is "shipments whose party column is one of my
//!   organizations, newest reference first, after a cursor". An index on
//!   `(party, reference)` answers that by walking one index range in order,
//!   so a page costs the same for a customer with ten shipments or ten
//!   thousand. Those indexes start with the party column, so they also serve
//!   every lookup the single-column party indexes served; those go.
//! - On PostgreSQL `shipments.reference` and `shipment_containers.number`
//!   compare as bytes (`COLLATE "C"`), as every column does on SQLite:
//!   keyset pages and prefix ranges over them then mean the same on both
//!   backends whatever locale the database was created with.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{text, text_null};
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shipments {
    Table,
    Reference,
    CustomerId,
    ShipperId,
    ConsigneeId,
}

#[derive(DeriveIden)]
enum TrackingUsers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TrackingUserAdditionalEmails {
    Table,
    TrackingUserId,
    Email,
}

#[derive(DeriveIden)]
enum LoginTokens {
    Table,
    Digest,
    TrackingUserId,
    Purpose,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum PortalSessions {
    Table,
    Digest,
    TrackingUserId,
    CreatedAt,
    ExpiresAt,
}

/// The single-column party indexes of the initial schema, and the
/// `(party, reference)` indexes that replace them.
const PARTY_INDEXES: [(&str, &str, Shipments); 3] = [
    ("idx_shipments_customer_id", "idx_shipments_customer_id_reference", Shipments::CustomerId),
    ("idx_shipments_shipper_id", "idx_shipments_shipper_id_reference", Shipments::ShipperId),
    ("idx_shipments_consignee_id", "idx_shipments_consignee_id_reference", Shipments::ConsigneeId),
];

/// Columns holding codes that are compared, ordered and prefix-searched as
/// bytes. PostgreSQL only: SQLite's default collation already is bytewise.
const BYTEWISE_COLUMNS: [(&str, &str); 2] = [("shipments", "reference"), ("shipment_containers", "number")];

fn owned_by_user<T: IntoIden, C: IntoIden>(name: &str, table: T, column: C) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(TrackingUsers::Table, TrackingUsers::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::NoAction)
        .take()
}

fn index<T: IntoIden, C: IntoIden>(name: &str, table: T, column: C) -> IndexCreateStatement {
    Index::create().name(name).table(table).col(column).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let connection = manager.get_connection();

        manager
            .create_table(
                Table::create()
                    .table(TrackingUserAdditionalEmails::Table)
                    .col(text(TrackingUserAdditionalEmails::TrackingUserId))
                    .col(text(TrackingUserAdditionalEmails::Email))
                    .primary_key(
                        Index::create()
                            .col(TrackingUserAdditionalEmails::TrackingUserId)
                            .col(TrackingUserAdditionalEmails::Email),
                    )
                    .foreign_key(&mut owned_by_user(
                        "fk_tracking_user_additional_emails_tracking_user_id",
                        TrackingUserAdditionalEmails::Table,
                        TrackingUserAdditionalEmails::TrackingUserId,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_tracking_user_additional_emails_email",
                TrackingUserAdditionalEmails::Table,
                TrackingUserAdditionalEmails::Email,
            ))
            .await?;
        let copy_additional_emails = match backend {
            DbBackend::Postgres => {
                "INSERT INTO tracking_user_additional_emails (tracking_user_id, email) \
                 SELECT DISTINCT u.id, e.address FROM tracking_users u \
                 CROSS JOIN LATERAL json_array_elements_text(u.additional_emails::json) AS e(address)"
            }
            _ => {
                "INSERT INTO tracking_user_additional_emails (tracking_user_id, email) \
                 SELECT DISTINCT u.id, e.value FROM tracking_users u, json_each(u.additional_emails) e"
            }
        };
        connection.execute_unprepared(copy_additional_emails).await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginTokens::Table)
                    .col(text(LoginTokens::Digest).primary_key())
                    .col(text(LoginTokens::TrackingUserId))
                    .col(text(LoginTokens::Purpose))
                    .col(text(LoginTokens::CreatedAt))
                    .col(text(LoginTokens::ExpiresAt))
                    .col(text_null(LoginTokens::UsedAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_login_tokens_tracking_user_id",
                        LoginTokens::Table,
                        LoginTokens::TrackingUserId,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("idx_login_tokens_tracking_user_id", LoginTokens::Table, LoginTokens::TrackingUserId))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PortalSessions::Table)
                    .col(text(PortalSessions::Digest).primary_key())
                    .col(text(PortalSessions::TrackingUserId))
                    .col(text(PortalSessions::CreatedAt))
                    .col(text(PortalSessions::ExpiresAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_portal_sessions_tracking_user_id",
                        PortalSessions::Table,
                        PortalSessions::TrackingUserId,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_portal_sessions_tracking_user_id",
                PortalSessions::Table,
                PortalSessions::TrackingUserId,
            ))
            .await?;

        if backend == DbBackend::Postgres {
            for (table, column) in BYTEWISE_COLUMNS {
                connection
                    .execute_unprepared(&format!(r#"ALTER TABLE {table} ALTER COLUMN {column} TYPE text COLLATE "C""#))
                    .await?;
            }
        }

        for (old, new, party) in PARTY_INDEXES {
            manager
                .create_index(
                    Index::create().name(new).table(Shipments::Table).col(party).col(Shipments::Reference).take(),
                )
                .await?;
            manager.drop_index(Index::drop().name(old).table(Shipments::Table).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, party) in PARTY_INDEXES {
            manager.create_index(index(old, Shipments::Table, party)).await?;
            manager.drop_index(Index::drop().name(new).table(Shipments::Table).to_owned()).await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            for (table, column) in BYTEWISE_COLUMNS {
                manager
                    .get_connection()
                    .execute_unprepared(&format!(
                        r#"ALTER TABLE {table} ALTER COLUMN {column} TYPE text COLLATE "default""#
                    ))
                    .await?;
            }
        }
        for table in [
            PortalSessions::Table.into_iden(),
            LoginTokens::Table.into_iden(),
            TrackingUserAdditionalEmails::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }

    /// All of it or none of it, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
