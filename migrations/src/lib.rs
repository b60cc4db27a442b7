//! Porthole's schema, as one ordered list of migrations that runs unchanged
//! on SQLite and PostgreSQL.
//!
//! Rules every migration here keeps:
//! - Times are RFC 3339 `TEXT`. A PostgreSQL `timestamptz` keeps the instant
//!   but drops the offset, and an event's offset is how its local time is
//!   shown; one text format also keeps both backends byte-for-byte alike.
//! - SQLite cannot alter several columns in one statement (and cannot add a
//!   constraint to an existing table), so a later change to a column is one
//!   `ALTER TABLE` per column, and constraints are declared at creation.

pub use sea_orm_migration::prelude::*;

mod m20250601_000001_initial;
mod m20250615_000002_portal_access;
mod m20250701_000003_share_links;
mod m20250710_000004_unique_sign_in_email;
mod m20250720_000005_unsubscribe_tokens;
mod m20251120_000006_outbox;

/// Applies Porthole's migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250601_000001_initial::Migration),
            Box::new(m20250615_000002_portal_access::Migration),
            Box::new(m20250701_000003_share_links::Migration),
            Box::new(m20250710_000004_unique_sign_in_email::Migration),
            Box::new(m20250720_000005_unsubscribe_tokens::Migration),
            Box::new(m20251120_000006_outbox::Migration),
        ]
    }
}
