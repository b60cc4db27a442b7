//! How database failures become the app's [`RepoError`]s, and the store's
//! own setup errors.

use porthole_app::ports::RepoError;
use sea_orm::{DbErr, SqlErr};

/// Why the store could not be opened or brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no backend this store speaks. Only the scheme is kept,
    /// so a password in the URL never reaches a log.
    #[error("unsupported database URL scheme '{scheme}': expected sqlite:// or postgres://")]
    UnsupportedScheme { scheme: String },
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] DbErr),
    #[error("database migration failed: {0}")]
    Migrate(#[source] DbErr),
}

/// A unique constraint a write may hit, and the input field it guards.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unique {
    pub table: &'static str,
    pub column: &'static str,
    pub field: &'static str,
}

impl Unique {
    pub const fn new(table: &'static str, column: &'static str, field: &'static str) -> Self {
        Self { table, column, field }
    }

    /// PostgreSQL names the violated index (`uq_<table>_<column>`, named so
    /// by the migrations); SQLite names `<table>.<column>`.
    fn matches(&self, message: &str) -> bool {
        message.contains(&format!("uq_{}_{}", self.table, self.column))
            || message.contains(&format!("{}.{}", self.table, self.column))
    }
}

/// Maps a failed write. A unique violation names the input field of the
/// constraint it hit; one that matches none of `uniques` can only be the
/// primary key, i.e. a reused id. A foreign-key violation means a
/// referenced row does not exist.
pub(crate) fn write_error(error: DbErr, uniques: &[Unique]) -> RepoError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) => {
            let field = uniques.iter().find(|u| u.matches(&message)).map_or("id", |u| u.field);
            RepoError::Duplicate { field: field.to_owned() }
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => RepoError::NotFound,
        _ => unavailable(error),
    }
}

/// Any failure that is not the caller's doing.
pub(crate) fn unavailable(error: DbErr) -> RepoError {
    if error.sql_err().is_some() {
        return write_error(error, &[]);
    }
    tracing::warn!(%error, "database call failed");
    RepoError::Unavailable(error.to_string())
}

/// A stored value the store cannot read back. It can only come from a
/// write outside Porthole or a bug, so it is reported, not papered over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Corrupt {
    column: String,
    problem: String,
}

impl Corrupt {
    pub fn new(column: &str, problem: impl Into<String>) -> Self {
        Self { column: column.to_owned(), problem: problem.into() }
    }

    /// The column whose value is unreadable.
    #[cfg(test)]
    pub fn column(&self) -> &str {
        &self.column
    }
}

impl From<Corrupt> for RepoError {
    fn from(corrupt: Corrupt) -> Self {
        tracing::error!(column = %corrupt.column, problem = %corrupt.problem, "unreadable stored value");
        RepoError::Unavailable(format!("stored {} is unreadable: {}", corrupt.column, corrupt.problem))
    }
}
