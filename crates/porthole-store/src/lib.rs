//! sea-orm adapters for Porthole's repository ports, on SQLite and
//! PostgreSQL.
//!
//! [`Store`] implements every repository trait of [`porthole_app::ports`].
//! The backend is picked by the URL scheme; both run the same migrations
//! and the same code, and one contract test suite holds both to the ports'
//! written contracts.
//!
//! Rules kept throughout:
//! - Every write is one transaction. On SQLite it begins `IMMEDIATE`: a
//!   deferred transaction that reads and then writes cannot wait for the
//!   write lock (SQLite fails it with SQLITE_BUSY at once, whatever the
//!   busy timeout), whereas `BEGIN IMMEDIATE` takes the lock up front and so
//!   waits its turn. Reads never take it and run in parallel under WAL.
//! - Multi-query reads that feed a write run in its transaction. Reads on
//!   the request path run in one read transaction on a SQLite file, and
//!   statement by statement on the pool, ordered so that the row deciding
//!   visibility is read last (ARCHITECTURE.md).
//! - The milestone state viewers see is derived by the domain
//!   (`ShipmentRecord::viewer_state`) and stored in `shipments.published_*`
//!   by the same transaction that changed its inputs. That transaction also
//!   records what changed for viewers (`ViewerChange::between`, from the
//!   `published_*` columns it found) as a mail cause in the outbox.
//! - Mail owed by a change is recorded as a cause by the change's own
//!   transaction, so no change commits without its mail.

mod codec;
pub mod entity;
mod error;
mod reads;
mod repo;
pub mod rows;

use std::sync::Arc;
use std::time::Duration;

use porthole_app::Ports;
use porthole_app::ports::{Clock, IdSource, Mailer, SystemClock};
use porthole_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    IsolationLevel, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

pub use error::StoreError;
pub use reads::sql_value;
use reads::{InlineReader, Reads};
pub use repo::shipments_in_scope_statement;

/// How long a SQLite writer waits for another writer's transaction to end
/// before giving up with SQLITE_BUSY.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections in a SQLite file's pool. Readers use them in parallel;
/// writers queue on SQLite's own lock, so more would only add waiting.
const SQLITE_POOL_SIZE: u32 = 8;

/// Arbitrary but fixed: the key of the PostgreSQL advisory lock that keeps
/// several starting instances from migrating at once.
const MIGRATION_LOCK_KEY: i64 = 0x706f_7274_686f_6c65;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn of_url(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme).to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(StoreError::UnsupportedScheme { scheme }),
        }
    }
}

/// Porthole's storage. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    /// Runs the request path's reads on the caller's thread; `None` where
    /// no file backs the database (PostgreSQL, in-memory SQLite).
    inline: Option<Arc<InlineReader>>,
    /// Stamps `received_at`, `created_at` and `updated_at`.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens a pool for `sqlite://PATH` (the file is created if missing,
    /// unless the URL sets its own `mode`) or `postgres://…`.
    pub async fn connect(database_url: &str) -> Result<Store, StoreError> {
        let backend = Backend::of_url(database_url)?;
        let options = match backend {
            Backend::Sqlite => sqlite_options(database_url),
            Backend::Postgres => {
                let mut options = ConnectOptions::new(database_url);
                // Fail fast and say so when the server is down, rather than
                // waiting out the pool's default 30 s.
                options
                    .sqlx_logging(false)
                    .connect_timeout(std::time::Duration::from_secs(5))
                    .acquire_timeout(std::time::Duration::from_secs(10));
                options
            }
        };
        let db = Database::connect(options).await.map_err(StoreError::Connect)?;
        let inline = match backend {
            Backend::Sqlite => sqlite_file(&db).await.map_err(StoreError::Connect)?.and_then(inline_reader),
            Backend::Postgres => None,
        };
        Ok(Store { db, backend, inline, clock: Arc::new(SystemClock) })
    }

    /// Applies every pending migration, in one transaction.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let txn = self.begin_write().await.map_err(StoreError::Migrate)?;
        if self.backend == Backend::Postgres {
            // Held until commit; a second instance waits, then finds nothing
            // pending.
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))
                .await
                .map_err(StoreError::Migrate)?;
        }
        Migrator::up(&txn, None).await.map_err(StoreError::Migrate)?;
        txn.commit().await.map_err(StoreError::Migrate)
    }

    /// The ports the use-cases need: storage served by this store, plus the
    /// given clock, id source and mailer. `clock` also stamps the times the
    /// store records itself.
    pub fn ports(&self, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>, mailer: Arc<dyn Mailer>) -> Ports {
        let store = Arc::new(Store { clock: Arc::clone(&clock), ..self.clone() });
        Ports {
            organizations: store.clone(),
            masters: store.clone(),
            shipments: store.clone(),
            tracking_users: store.clone(),
            credentials: store.clone(),
            share_links: store.clone(),
            outbox: store.clone(),
            mailer,
            api_keys: store.clone(),
            health: store,
            clock,
            ids,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for what the ports do not cover (tests, administration).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Whether the request path's reads run on the caller's thread, as
    /// they do on a SQLite file (see ARCHITECTURE.md).
    pub fn reads_inline(&self) -> bool {
        self.inline.is_some()
    }

    /// This store with the request path's reads on the pool instead, as on
    /// PostgreSQL: to compare the two ways, or for a database file on
    /// storage slow enough that a read should not hold a runtime thread.
    #[must_use]
    pub fn without_inline_reads(self) -> Store {
        Store { inline: None, ..self }
    }

    /// Where a read on the request path runs its statements: on a SQLite
    /// file, in one read transaction on the caller's thread; otherwise on
    /// the pool, each statement by itself (see ARCHITECTURE.md for the
    /// order that makes that safe).
    pub(crate) fn reads(&self) -> Reads<'_> {
        let Some(inline) = &self.inline else {
            return self.reads_on_pool();
        };
        match inline.snapshot() {
            Ok(snapshot) => Reads::Inline(snapshot),
            // Most likely no file handle to spare for another connection:
            // the pool's connections are already open.
            Err(error) => {
                tracing::warn!(%error, "no inline read transaction; reading through the pool");
                self.reads_on_pool()
            }
        }
    }

    /// Reads through the pool, for reads that may take long enough that
    /// they should not hold a runtime thread.
    pub(crate) fn reads_on_pool(&self) -> Reads<'_> {
        Reads::Pool(&self.db)
    }

    /// A transaction that will write. See the crate docs for why SQLite's
    /// begins IMMEDIATE; PostgreSQL ignores the SQLite mode.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
    }

    /// A transaction that only reads, over one consistent snapshot. SQLite
    /// gives a deferred transaction a snapshot at its first read; PostgreSQL
    /// needs REPEATABLE READ for one.
    pub(crate) async fn begin_read(&self) -> Result<DatabaseTransaction, DbErr> {
        match self.backend {
            Backend::Sqlite => self.db.begin().await,
            Backend::Postgres => {
                self.db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await
            }
        }
    }
}

/// The file behind the SQLite database `db` has open, as SQLite names it
/// (an absolute path); `None` for an in-memory database, which no other
/// connection can reach.
async fn sqlite_file(db: &DatabaseConnection) -> Result<Option<String>, DbErr> {
    let statement =
        Statement::from_string(DbBackend::Sqlite, "SELECT file FROM pragma_database_list WHERE name = 'main'");
    let row = db.query_one_raw(statement).await?;
    let file: Option<String> = row.map(|row| row.try_get("", "file")).transpose()?;
    Ok(file.filter(|file| !file.is_empty()))
}

/// Inline reads of the file at `path`, or none (reads then run on the
/// pool, only slower) if it cannot be opened a second way.
fn inline_reader(path: String) -> Option<Arc<InlineReader>> {
    match InlineReader::open(path.clone()) {
        Ok(reader) => Some(Arc::new(reader)),
        Err(error) => {
            tracing::warn!(%error, %path, "cannot open the database file for inline reads; reading through the pool");
            None
        }
    }
}

fn sqlite_options(database_url: &str) -> ConnectOptions {
    let in_memory = database_url.contains(":memory:") || database_url.contains("mode=memory");
    let url = if in_memory || database_url.contains("mode=") {
        database_url.to_owned()
    } else if database_url.contains('?') {
        format!("{database_url}&mode=rwc")
    } else {
        format!("{database_url}?mode=rwc")
    };
    let mut options = ConnectOptions::new(url);
    options.sqlx_logging(false);
    // sqlx applies these to every connection it opens, not just the first.
    options.map_sqlx_sqlite_opts(|opts| {
        opts.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
    });
    if in_memory {
        // Each connection to `:memory:` would be a database of its own, and
        // the database dies with its last connection: keep exactly one.
        options.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None);
    } else {
        options.max_connections(SQLITE_POOL_SIZE);
    }
    // A connection to a local file cannot go stale the way a socket can, so
    // pinging it before every use (sqlx's default) only adds a round trip
    // to its thread per statement: a third of the hand-offs on a read.
    options.test_before_acquire(false);
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_url_scheme() {
        assert_eq!(Backend::of_url("sqlite://porthole.db?mode=rwc").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("sqlite::memory:").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("postgres://u:p@h/db").ok(), Some(Backend::Postgres));
        assert_eq!(Backend::of_url("postgresql://h/db").ok(), Some(Backend::Postgres));
        let refused = Backend::of_url("mysql://root:secret@h/db").err().map(|e| e.to_string());
        assert_eq!(refused.as_deref().map(|m| m.contains("secret")), Some(false));
    }

    /// `.cargo/config.toml` builds the bundled SQLite with these; a build
    /// that lost them still works, only slower, so nothing else would say.
    #[tokio::test]
    async fn sqlite_is_built_the_way_the_workspace_configures_it() {
        let store = Store::connect("sqlite::memory:").await.expect("connect");
        for option in ["DEFAULT_MEMSTATUS=0", "ENABLE_QPSG"] {
            let statement = Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT sqlite_compileoption_used(?) AS used",
                [option.into()],
            );
            let row = store.connection().query_one_raw(statement).await.expect("query").expect("a row");
            let used: i64 = row.try_get("", "used").expect("used");
            assert_eq!(used, 1, "SQLite was built without {option}");
        }
    }
}
