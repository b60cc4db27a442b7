//! The repository ports, one module per trait.

mod api_keys;
mod credentials;
mod health;
mod masters;
mod organizations;
mod outbox;
mod share_links;
mod shipments;
mod tracking_users;

pub(crate) use shipments::new_shipment_row;
pub use shipments::shipments_in_scope_statement;

use std::collections::BTreeSet;

use porthole_app::ports::RepoResult;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use crate::error::unavailable;

/// Commits on success, rolls back on failure, and reports the first error.
async fn finish<T>(txn: DatabaseTransaction, result: RepoResult<T>) -> RepoResult<T> {
    match result {
        Ok(value) => {
            txn.commit().await.map_err(unavailable)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(error)
        }
    }
}

/// Rows per multi-row INSERT: far below SQLite's 32 766 and PostgreSQL's
/// 65 535 bound parameters even for the widest table.
const INSERT_CHUNK: usize = 500;

/// Ids per `IN (…)` list, for the same reason.
const LOOKUP_CHUNK: usize = 1_000;

/// Which of `ids` are values of `E`'s text key `column`, each once, asked
/// `LOOKUP_CHUNK` at a time.
async fn existing_ids<'a, E: EntityTrait>(
    conn: &impl ConnectionTrait,
    column: E::Column,
    ids: impl IntoIterator<Item = &'a str>,
) -> RepoResult<Vec<String>> {
    let wanted: Vec<&str> = ids.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    let mut found = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(LOOKUP_CHUNK) {
        let existing = E::find()
            .select_only()
            .column(column)
            .filter(column.is_in(chunk.iter().copied()))
            .into_tuple::<String>()
            .all(conn)
            .await
            .map_err(unavailable)?;
        found.extend(existing);
    }
    Ok(found)
}

fn count(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}

/// How SQLite would run `statement`: the `detail` of each
/// `EXPLAIN QUERY PLAN` row, for tests that pin plans to index ranges.
#[cfg(test)]
async fn sqlite_plan(store: &crate::Store, statement: sea_orm::Statement) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let explain = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!("EXPLAIN QUERY PLAN {}", statement.sql),
        statement.values.map(|values| values.0).unwrap_or_default(),
    );
    let rows = store.connection().query_all_raw(explain).await.expect("explain");
    rows.iter().map(|row| row.try_get::<String>("", "detail").expect("detail column")).collect()
}
