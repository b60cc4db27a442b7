//! Where the store's reads on the request path run.
//!
//! sqlx gives each SQLite connection a thread of its own: every statement
//! is a message to that thread and its rows a message back, and the pool
//! tests the connection again as it is returned. On a portal page or a
//! share page those hand-offs cost more than SQLite's own work, which for
//! pages already in its cache is a few microseconds a statement
//! (BENCHMARKS.md). So on a SQLite file the hot reads run on the caller's
//! thread instead, through an [`InlineReader`]: a few rusqlite connections
//! to the same file, opened `query_only`. Writes, and reads inside a write's
//! transaction, stay on sqlx.
//!
//! The statements are the ones sea-orm builds, whichever way they run, and
//! rows decode into the same structs: through [`FromQueryResult`] from
//! sqlx, through serde from rusqlite (see [`Decode`]).

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use porthole_app::ports::{RepoError, RepoResult};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, QueryResult};
use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use crate::error::unavailable;

/// How long an inline read waits on a locked database. Under WAL a reader
/// waits only while a connection recovers the log or changes the schema,
/// which takes milliseconds; longer would stall the caller's thread and
/// every request queued on it.
const INLINE_BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// Prepared statements each inline connection keeps: every statement on
/// the read paths, with room for the shapes a list page takes.
const INLINE_STATEMENT_CACHE: usize = 64;

/// Idle inline connections kept open, at least. A connection is only ever
/// busy while a thread runs a read on it, so the runtime's threads (one per
/// core) bound how many are in use at once; the pool keeps that many, so a
/// wave of reads never opens connections only to close them again.
const INLINE_IDLE_CONNECTIONS: usize = 8;

/// Where a read runs: on a sea-orm connection or transaction, or inline in
/// a [`Snapshot`]. Both run the same statement and return the same rows.
pub(crate) enum Reader<'a, C> {
    Pool(&'a C),
    Inline(&'a Snapshot<'a>),
}

/// The reads of one call on the request path: a [`Snapshot`] on a SQLite
/// file, the pool otherwise.
pub(crate) enum Reads<'a> {
    Pool(&'a DatabaseConnection),
    Inline(Snapshot<'a>),
}

impl Reads<'_> {
    pub fn reader(&self) -> Reader<'_, DatabaseConnection> {
        match self {
            Reads::Pool(db) => Reader::Pool(db),
            Reads::Inline(snapshot) => Reader::Inline(snapshot),
        }
    }
}

impl<C> Clone for Reader<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Reader<'_, C> {}

impl<C: ConnectionTrait> Reader<'_, C> {
    /// Every row `statement` selects.
    pub async fn all<M: Decode>(self, statement: &SelectStatement) -> RepoResult<Vec<M>> {
        match self {
            Reader::Pool(conn) => {
                let rows =
                    conn.query_all_raw(conn.get_database_backend().build(statement)).await.map_err(unavailable)?;
                rows.iter().map(M::from_pool_row).collect::<Result<_, _>>().map_err(unavailable)
            }
            Reader::Inline(snapshot) => snapshot.all(statement),
        }
    }

    /// The first row `statement` selects, asking for no more than one.
    pub async fn one<M: Decode>(self, mut statement: SelectStatement) -> RepoResult<Option<M>> {
        statement.limit(1);
        Ok(self.all(&statement).await?.into_iter().next())
    }
}

/// A row type the store reads through a [`Reader`].
pub(crate) trait Decode: Sized {
    fn from_pool_row(row: &QueryResult) -> Result<Self, DbErr>;
    fn from_inline_row(row: &rusqlite::Row<'_>) -> Result<Self, DecodeError>;
}

/// Any sea-orm model or query result: its fields are named after the
/// columns it is read from, for sea-orm and serde alike.
impl<M: FromQueryResult + DeserializeOwned> Decode for M {
    fn from_pool_row(row: &QueryResult) -> Result<Self, DbErr> {
        M::from_query_result(row, "")
    }

    fn from_inline_row(row: &rusqlite::Row<'_>) -> Result<Self, DecodeError> {
        M::deserialize(Columns { row, prefix: "", next: 0, current: 0 })
    }
}

/// A row of a sea-orm `find_also_related` select: the model it starts
/// from, and the related one when the join found it (some column of its
/// side is not NULL). Inline, a related side that is there must decode;
/// sea-orm treats one that does not as absent. Only data that breaks the
/// schema can tell the two apart, and neither shows more than it should.
pub(crate) struct Joined<A, B>(pub A, pub Option<B>);

/// The column prefixes sea-orm gives the two sides of a `SelectTwo`.
const LEFT: &str = "A_";
const RIGHT: &str = "B_";

impl<A, B> Decode for Joined<A, B>
where
    A: FromQueryResult + DeserializeOwned,
    B: FromQueryResult + DeserializeOwned,
{
    fn from_pool_row(row: &QueryResult) -> Result<Self, DbErr> {
        Ok(Joined(A::from_query_result(row, LEFT)?, B::from_query_result_optional(row, RIGHT)?))
    }

    fn from_inline_row(row: &rusqlite::Row<'_>) -> Result<Self, DecodeError> {
        let left = A::deserialize(Columns { row, prefix: LEFT, next: 0, current: 0 })?;
        // A left join that found nothing fills the right side with NULLs.
        let statement: &rusqlite::Statement<'_> = row.as_ref();
        let mut found = false;
        for index in 0..statement.column_count() {
            if statement.column_name(index)?.starts_with(RIGHT) {
                found |= row.get_ref(index)? != ValueRef::Null;
            }
        }
        let right =
            if found { Some(B::deserialize(Columns { row, prefix: RIGHT, next: 0, current: 0 })?) } else { None };
        Ok(Joined(left, right))
    }
}

/// A pool of rusqlite connections to one SQLite file, for reads only.
pub(crate) struct InlineReader {
    path: String,
    idle: Mutex<Vec<Connection>>,
    /// How many idle connections to keep (see [`INLINE_IDLE_CONNECTIONS`]).
    keep_idle: usize,
}

impl fmt::Debug for InlineReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InlineReader").field("path", &self.path).finish_non_exhaustive()
    }
}

impl InlineReader {
    /// Reads of the SQLite database in the file at `path`, which sqlx has
    /// already opened (and so created and put in WAL mode). Opens its
    /// first connection now, so a file it cannot open is known at once.
    pub fn open(path: String) -> rusqlite::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let reader = Self { path, idle: Mutex::new(Vec::new()), keep_idle: cores.max(INLINE_IDLE_CONNECTIONS) };
        let first = reader.connect()?;
        reader.give_back(first);
        Ok(reader)
    }

    /// A read transaction on one of the reader's connections.
    pub fn snapshot(&self) -> RepoResult<Snapshot<'_>> {
        let connection = self.take()?;
        match connection.prepare_cached("BEGIN").and_then(|mut begin| begin.execute([])) {
            Ok(_) => Ok(Snapshot { reader: self, connection: Mutex::new(Some(connection)) }),
            Err(error) => Err(read_failed(&error.into())),
        }
    }

    fn take(&self) -> RepoResult<Connection> {
        if let Some(connection) = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop() {
            return Ok(connection);
        }
        self.connect().map_err(|error| {
            tracing::warn!(%error, path = %self.path, "cannot open a reading connection");
            RepoError::Unavailable(format!("cannot open the database for reading: {error}"))
        })
    }

    fn give_back(&self, connection: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.keep_idle {
            idle.push(connection);
        }
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        // Read-write but `query_only`: a read-only connection could not
        // recover the WAL index if it were the first to open it.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&self.path, flags)?;
        connection.pragma_update(None, "query_only", true)?;
        connection.busy_timeout(INLINE_BUSY_TIMEOUT)?;
        connection.set_prepared_statement_cache_capacity(INLINE_STATEMENT_CACHE);
        Ok(connection)
    }
}

/// One read transaction on one inline connection: the statements run in it
/// see one state of the database, and SQLite takes its read lock once for
/// all of them rather than once a statement. Ends when dropped, giving the
/// connection back.
///
/// Reads run on the calling thread and block it for as long as SQLite
/// takes: microseconds for pages in its cache or the OS's, a disk read
/// otherwise. Only reads that find a bounded handful of rows through an
/// index run here (ARCHITECTURE.md, "An inline read holds its thread
/// briefly").
pub(crate) struct Snapshot<'r> {
    reader: &'r InlineReader,
    /// `Mutex` only so that a `&Snapshot` may be held across an `.await`
    /// (rusqlite's `Connection` is not `Sync`); it is never contended.
    connection: Mutex<Option<Connection>>,
}

impl Snapshot<'_> {
    fn all<M: Decode>(&self, statement: &SelectStatement) -> RepoResult<Vec<M>> {
        let statement = DbBackend::Sqlite.build(statement);
        let values = statement.values.map(|values| values.0).unwrap_or_default();
        let values = values.into_iter().map(sql_value).collect::<RepoResult<Vec<_>>>()?;
        let connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        let connection = connection.as_ref().ok_or_else(|| RepoError::Unavailable("snapshot ended".to_owned()))?;
        query(connection, &statement.sql, values).map_err(|error| read_failed(&error))
    }
}

/// The rows of `sql` with `values` bound, decoded.
fn query<M: Decode>(connection: &Connection, sql: &str, values: Vec<SqlValue>) -> Result<Vec<M>, DecodeError> {
    let mut prepared = connection.prepare_cached(sql)?;
    let mut rows = prepared.query(rusqlite::params_from_iter(values))?;
    let mut decoded = Vec::new();
    while let Some(row) = rows.next()? {
        decoded.push(M::from_inline_row(row)?);
    }
    Ok(decoded)
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        let Some(connection) = self.connection.get_mut().unwrap_or_else(PoisonError::into_inner).take() else {
            return;
        };
        // A read transaction has nothing to commit: this only ends it. A
        // connection that cannot end it is closed rather than reused.
        match connection.prepare_cached("COMMIT").and_then(|mut commit| commit.execute([])) {
            Ok(_) => self.reader.give_back(connection),
            Err(error) => tracing::warn!(%error, "cannot end a read transaction; closing its connection"),
        }
    }
}

fn read_failed(error: &DecodeError) -> RepoError {
    tracing::warn!(%error, "database read failed");
    RepoError::Unavailable(error.to_string())
}

/// A value sea-orm bound to a statement, as rusqlite binds it. The store
/// binds only text, integers and flags.
pub fn sql_value(value: sea_orm::Value) -> RepoResult<SqlValue> {
    use sea_orm::Value as V;
    let integer = |n: Option<i64>| n.map_or(SqlValue::Null, SqlValue::Integer);
    Ok(match value {
        V::String(text) => text.map_or(SqlValue::Null, SqlValue::Text),
        V::Bool(flag) => integer(flag.map(i64::from)),
        V::TinyInt(n) => integer(n.map(i64::from)),
        V::SmallInt(n) => integer(n.map(i64::from)),
        V::Int(n) => integer(n.map(i64::from)),
        V::BigInt(n) => integer(n),
        V::TinyUnsigned(n) => integer(n.map(i64::from)),
        V::SmallUnsigned(n) => integer(n.map(i64::from)),
        V::Unsigned(n) => integer(n.map(i64::from)),
        V::BigUnsigned(Some(n)) => SqlValue::Integer(
            i64::try_from(n).map_err(|_| RepoError::Unavailable(format!("{n} is beyond SQLite's integers")))?,
        ),
        V::BigUnsigned(None) => SqlValue::Null,
        other => return Err(RepoError::Unavailable(format!("cannot bind {other:?} to an inline read"))),
    })
}

/// Why a row could not be read or decoded.
#[derive(Debug)]
pub(crate) struct DecodeError(String);

impl From<rusqlite::Error> for DecodeError {
    fn from(error: rusqlite::Error) -> Self {
        DecodeError(error.to_string())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        DecodeError(message.to_string())
    }
}

/// A row's columns whose names start with `prefix`, as a map from the rest
/// of the name to the value: what serde's derived `Deserialize` of a struct
/// reads, field by field.
struct Columns<'r, 's> {
    row: &'r rusqlite::Row<'s>,
    prefix: &'static str,
    next: usize,
    current: usize,
}

impl<'de> de::Deserializer<'de> for Columns<'_, '_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_map(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for Columns<'_, '_> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        let statement: &rusqlite::Statement<'_> = self.row.as_ref();
        while self.next < statement.column_count() {
            let index = self.next;
            self.next += 1;
            let name = statement.column_name(index)?;
            if let Some(field) = name.strip_prefix(self.prefix) {
                self.current = index;
                let field: StrDeserializer<'_, DecodeError> = field.into_deserializer();
                return seed.deserialize(field).map(Some);
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DecodeError> {
        let value = self.row.get_ref(self.current)?;
        // serde's message would quote the value, and stored values (notes,
        // rates) have no place in a log: name the column and its type only.
        let stored = match value {
            ValueRef::Null => "NULL",
            ValueRef::Integer(_) => "an integer",
            ValueRef::Real(_) => "a real number",
            ValueRef::Text(_) => "text",
            ValueRef::Blob(_) => "a blob",
        };
        seed.deserialize(Column(value)).map_err(|_| {
            let statement: &rusqlite::Statement<'_> = self.row.as_ref();
            let name = statement.column_name(self.current).unwrap_or("?");
            DecodeError(format!("column {name} holds {stored}, which its field cannot take"))
        })
    }
}

/// One column's value. SQLite stores flags as integers, so a `bool` field
/// reads 0 as false and anything else as true, as sqlx does.
struct Column<'v>(ValueRef<'v>);

impl<'de> de::Deserializer<'de> for Column<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            ValueRef::Null => visitor.visit_unit(),
            ValueRef::Integer(n) => visitor.visit_i64(n),
            ValueRef::Real(x) => visitor.visit_f64(x),
            ValueRef::Text(bytes) => {
                visitor.visit_str(std::str::from_utf8(bytes).map_err(<DecodeError as de::Error>::custom)?)
            }
            ValueRef::Blob(bytes) => visitor.visit_bytes(bytes),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            ValueRef::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            ValueRef::Integer(n) => visitor.visit_bool(n != 0),
            _ => self.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Alias, Order, Query};
    use serde::Deserialize;

    use super::*;
    use crate::Store;

    #[derive(Debug, PartialEq, FromQueryResult, Deserialize)]
    struct Note {
        name: String,
        note: Option<String>,
        flag: bool,
        n: i32,
    }

    fn notes() -> SelectStatement {
        Query::select()
            .columns([Alias::new("name"), Alias::new("note"), Alias::new("flag"), Alias::new("n")])
            .from(Alias::new("notes"))
            .order_by(Alias::new("n"), Order::Asc)
            .to_owned()
    }

    async fn store_with_notes(dir: &tempfile::TempDir, rows: &str) -> Store {
        let url = format!("sqlite://{}", dir.path().join("reads.db").display());
        let store = Store::connect(&url).await.expect("connect");
        assert!(store.reads_inline());
        let setup = format!("CREATE TABLE notes (name TEXT, note TEXT, flag INTEGER, n INTEGER); {rows}");
        store.connection().execute_unprepared(&setup).await.expect("setup");
        store
    }

    #[tokio::test]
    async fn rows_decode_alike_inline_and_on_the_pool() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let rows = "INSERT INTO notes VALUES ('a', NULL, 0, 1), ('b', 'ü ✓', 1, 2), ('c', '', 7, -3);";
        let store = store_with_notes(&dir, rows).await;
        let reads = store.reads();
        let inline: Vec<Note> = reads.reader().all(&notes()).await.expect("inline");
        let pooled: Vec<Note> = Reader::Pool(store.connection()).all(&notes()).await.expect("pooled");
        assert_eq!(inline, pooled);
        let note =
            |name: &str, note: Option<&str>, flag, n| Note { name: name.into(), note: note.map(Into::into), flag, n };
        assert_eq!(inline, [note("c", Some(""), true, -3), note("a", None, false, 1), note("b", Some("ü ✓"), true, 2)]);
        let first: Option<Note> = reads.reader().one(notes()).await.expect("one");
        assert_eq!(first.map(|n| n.name), Some("c".to_owned()));
    }

    /// The message with which an inline read of `rows` is refused.
    async fn refusal(rows: &str) -> String {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = store_with_notes(&dir, rows).await;
        let read: RepoResult<Vec<Note>> = store.reads().reader().all(&notes()).await;
        match read {
            Err(RepoError::Unavailable(message)) => message,
            other => panic!("expected the read refused, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_null_where_a_value_is_required_is_an_error_naming_the_column() {
        let message = refusal("INSERT INTO notes VALUES (NULL, NULL, 0, 1);").await;
        assert!(message.contains("column name"), "{message}");
    }

    #[tokio::test]
    async fn a_value_that_does_not_fit_is_named_by_column_never_quoted() {
        let message = refusal("INSERT INTO notes VALUES ('a', NULL, 0, 'buy rate 1800');").await;
        assert!(message.contains("column n holds text"), "{message}");
        assert!(!message.contains("1800"), "the stored value stays out of errors and logs: {message}");
    }

    #[tokio::test]
    async fn a_snapshot_sees_one_state_and_does_not_hold_up_writers() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = store_with_notes(&dir, "INSERT INTO notes VALUES ('a', NULL, 0, 1);").await;
        let before = store.reads();
        let seen: Vec<Note> = before.reader().all(&notes()).await.expect("read");
        assert_eq!(seen.len(), 1);
        store.connection().execute_unprepared("INSERT INTO notes VALUES ('b', NULL, 0, 2)").await.expect("write");
        let still: Vec<Note> = before.reader().all(&notes()).await.expect("read again");
        assert_eq!(still.len(), 1, "the snapshot keeps the state it began with");
        drop(before);
        let after: Vec<Note> = store.reads().reader().all(&notes()).await.expect("read");
        assert_eq!(after.len(), 2, "a new snapshot sees the write");
    }

    #[tokio::test]
    async fn an_in_memory_database_is_read_on_the_pool() {
        let store = Store::connect("sqlite::memory:").await.expect("connect");
        assert!(!store.reads_inline(), "no other connection can reach it");
    }

    #[test]
    fn values_bind_as_sqlite_types() {
        use sea_orm::Value;
        assert_eq!(sql_value(Value::String(Some("a".into()))), Ok(SqlValue::Text("a".into())));
        assert_eq!(sql_value(Value::Bool(Some(true))), Ok(SqlValue::Integer(1)));
        assert_eq!(sql_value(Value::Int(None)), Ok(SqlValue::Null));
        assert_eq!(sql_value(Value::BigUnsigned(Some(7))), Ok(SqlValue::Integer(7)));
        assert!(sql_value(Value::BigUnsigned(Some(u64::MAX))).is_err());
        assert!(sql_value(Value::Double(Some(1.5))).is_err());
    }
}
