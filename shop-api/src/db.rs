//! The database: SQLite (the default, one file) or PostgreSQL (for several API instances behind
//! a load balancer), opened, migrated, and used from blocking threads through one small API.
//!
//! Domain code writes SQL once, with `?1`-style placeholders, and calls [`Conn`]'s `query`,
//! `query_opt`, `execute` and `transaction`. The differences stay here:
//!
//! - Writes go through [`Db::write`]. On SQLite one writer thread runs them: what queued while
//!   it was busy becomes one `BEGIN IMMEDIATE` transaction, each write's own transaction a
//!   savepoint in it, committed once before anyone hears back; so two concurrent redemptions
//!   serialise. (`--sqlite-writes per-request` gives each write its own `BEGIN IMMEDIATE`.) PostgreSQL has no such lock; there a transaction
//!   locks the rows it decides on with `SELECT … FOR UPDATE` ([`Conn::for_update`]) and relies
//!   on unique constraints with `ON CONFLICT`, which hold across API processes.
//! - `?N` placeholders become `$N` for PostgreSQL ([`postgres_placeholders`]).
//! - The migrations are the same files. PostgreSQL gets a prelude (an SQLite-compatible
//!   `strftime`), `INTEGER PRIMARY KEY` becomes an identity column, and 0005's triggers, which
//!   SQLite writes as `RAISE(IGNORE)`, come from `migrations/postgres/0005_games.sql`
//!   ([`postgres_dialect`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use postgres::types::Type;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

/// Migrations in order: name, SQL both engines run, and what PostgreSQL runs instead of the
/// SQLite-only statements (triggers). SQLite records the count in `PRAGMA user_version`,
/// PostgreSQL in the table `lojal_schema`.
const MIGRATIONS: &[(&str, &str, &str)] = &[
    (
        "0001_loyalty",
        include_str!("../migrations/0001_loyalty.sql"),
        "",
    ),
    (
        "0002_demo_data",
        include_str!("../migrations/0002_demo_data.sql"),
        "",
    ),
    (
        "0003_catalog",
        include_str!("../migrations/0003_catalog.sql"),
        "",
    ),
    (
        "0004_feedback",
        include_str!("../migrations/0004_feedback.sql"),
        "",
    ),
    (
        "0005_games",
        include_str!("../migrations/0005_games.sql"),
        include_str!("../migrations/postgres/0005_games.sql"),
    ),
    (
        "0006_programme",
        include_str!("../migrations/0006_programme.sql"),
        "",
    ),
    (
        "0007_integrations",
        include_str!("../migrations/0007_integrations.sql"),
        "",
    ),
    (
        "0008_recommendations",
        include_str!("../migrations/0008_recommendations.sql"),
        "",
    ),
    (
        "0009_console",
        include_str!("../migrations/0009_console.sql"),
        "",
    ),
    (
        "0010_status_indexes",
        include_str!("../migrations/0010_status_indexes.sql"),
        "",
    ),
    (
        "0011_list_indexes",
        include_str!("../migrations/0011_list_indexes.sql"),
        "",
    ),
    (
        "0012_ledger_totals",
        include_str!("../migrations/0012_ledger_totals.sql"),
        include_str!("../migrations/postgres/0012_ledger_totals.sql"),
    ),
];

const POSTGRES_PRELUDE: &str = include_str!("../migrations/postgres/prelude.sql");

/// The schema version a fully migrated database reports.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// How long a connection waits for another writer before giving up with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle SQLite connections kept for reuse when each write takes the lock itself (the old way);
/// more are opened under load and closed afterwards.
const POOL_SIZE: usize = 8;
/// SQLite connections reading at once beside the writer, all kept once opened: three per core.
/// More do not read faster, and each runnable one takes CPU from the writer, whose groups every
/// write waits for: on 2 vCPUs, 16 readers against 4 or 6 made the mixed workload's p99 at 64
/// connections 33 ms against 20 (README, the API under load).
fn sqlite_readers() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from) * 3
}
/// PostgreSQL connections one API process holds at most, all kept for reuse once opened (a
/// new one costs a round trip and its prepared statements); more requests wait for one.
/// Several instances share the server's `max_connections` (100 by default).
const POSTGRES_CONNECTIONS: usize = 16;
/// A fixed key for `pg_advisory_xact_lock`: instances starting together migrate one at a time.
const MIGRATION_LOCK: i64 = 0x006c_6f6a_616c;

#[derive(Debug)]
pub enum DbError {
    Sqlite(rusqlite::Error),
    Postgres(postgres::Error),
    /// The file was migrated by a newer shop-api than this one.
    TooNew {
        found: i64,
        known: usize,
    },
    /// A query and its values or its reader disagree: a NULL or negative count where a number
    /// was expected, a type PostgreSQL cannot bind, a missing row.
    Mismatch(String),
    /// The blocking task panicked or was cancelled.
    Task(String),
    /// `DATABASE_URL` is not a PostgreSQL connection string.
    Url(String),
    /// A backup could not be made or failed its check.
    Backup(String),
    /// The TLS handshake with PostgreSQL failed: which check, and what to set.
    Tls(String),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(error) => write!(f, "SQLite: {error}"),
            Self::Postgres(error) => write!(f, "PostgreSQL: {}", with_cause(error)),
            Self::TooNew { found, known } => write!(
                f,
                "the database is at schema version {found}, this shop-api knows {known}: upgrade shop-api"
            ),
            Self::Mismatch(error) => write!(f, "query mismatch: {error}"),
            Self::Task(error) => write!(f, "database task failed: {error}"),
            Self::Url(error) => write!(f, "DATABASE_URL: {error}"),
            Self::Backup(error) => write!(f, "backup: {error}"),
            Self::Tls(error) => write!(f, "PostgreSQL: {error}"),
        }
    }
}

impl std::error::Error for DbError {}

/// `postgres::Error` says only what kind of error it is ("db error", "error connecting to
/// server"); the server's message or the I/O error is its source.
fn with_cause(error: &postgres::Error) -> String {
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite(error)
    }
}

impl From<postgres::Error> for DbError {
    fn from(error: postgres::Error) -> Self {
        Self::Postgres(error)
    }
}

/// A parameter or a column: SQLite's four storage classes, which PostgreSQL's columns map onto.
/// Booleans are stored as 0 and 1 in both.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

macro_rules! integer_values {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self {
                Self::Integer(n as i64)
            }
        }
        impl FromValue for $t {
            fn from_value(value: &Value) -> Result<Self, DbError> {
                match value {
                    Value::Integer(n) => <$t>::try_from(*n)
                        .map_err(|_| DbError::Mismatch(format!("{n} is not a {}", stringify!($t)))),
                    other => Err(DbError::Mismatch(format!("{other:?} is not an integer"))),
                }
            }
        }
    )*};
}
integer_values!(i64, i32, u8, u32, u64, usize);

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Integer(i64::from(b))
    }
}

impl From<f64> for Value {
    fn from(r: f64) -> Self {
        Self::Real(r)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Self::Text(s.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

/// `params![a, b, …]`: an array of [`Value`]s made from anything that converts into one.
#[macro_export]
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        [$($crate::db::Value::from($value)),*]
    };
}

/// Reading a column into a Rust type.
pub trait FromValue: Sized {
    fn from_value(value: &Value) -> Result<Self, DbError>;
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Result<Self, DbError> {
        i64::from_value(value).map(|n| n != 0)
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value) -> Result<Self, DbError> {
        match value {
            Value::Real(r) => Ok(*r),
            Value::Integer(n) => Ok(*n as f64),
            other => Err(DbError::Mismatch(format!("{other:?} is not a number"))),
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Result<Self, DbError> {
        match value {
            Value::Text(s) => Ok(s.clone()),
            other => Err(DbError::Mismatch(format!("{other:?} is not text"))),
        }
    }
}

impl FromValue for Value {
    fn from_value(value: &Value) -> Result<Self, DbError> {
        Ok(value.clone())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Result<Self, DbError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// One result row.
#[derive(Debug)]
pub struct Row(Vec<Value>);

impl Row {
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T, DbError> {
        let value = self
            .0
            .get(index)
            .ok_or_else(|| DbError::Mismatch(format!("no column {index}")))?;
        T::from_value(value).map_err(|e| match e {
            DbError::Mismatch(m) => DbError::Mismatch(format!("column {index}: {m}")),
            other => other,
        })
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A connection to either engine.
pub enum Conn {
    Sqlite(Box<SqliteConn>),
    Postgres(Box<PgClient>),
}

/// An SQLite connection with the figures it reports to.
pub struct SqliteConn {
    conn: rusqlite::Connection,
    stats: DbStats,
    /// Inside the writer's group transaction: a transaction is a savepoint in it.
    grouped: bool,
    /// A job was queued since the last look ([`Conn::note_queued`]).
    queued: bool,
}

impl std::ops::Deref for SqliteConn {
    type Target = rusqlite::Connection;
    fn deref(&self) -> &rusqlite::Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for SqliteConn {
    fn deref_mut(&mut self) -> &mut rusqlite::Connection {
        &mut self.conn
    }
}

/// What the database layer measures, for `/metrics` (`lojal_db_…`): where a request's time
/// goes between asking for a connection and committing.
#[derive(Clone)]
pub struct DbStats {
    /// Waiting for a connection (a free permit, then an idle connection or a new one), or for
    /// the SQLite writer to take a write.
    wait: Histogram,
    /// How long work held its connection.
    hold: Histogram,
    /// Taking the write lock: SQLite's `BEGIN IMMEDIATE` (waiting for other writers, its busy
    /// retries included), PostgreSQL's `BEGIN`.
    lock_wait: Histogram,
    /// `COMMIT`: on SQLite in WAL mode the log write (and an fsync at checkpoints).
    commit: Histogram,
    /// Connections opened (each costs a file open and pragmas, or a network round trip).
    connects: Counter,
    idle: Gauge,
    in_use: Gauge,
    /// Writes waiting for the SQLite writer.
    write_queue: Gauge,
    /// Writes the SQLite writer committed together.
    write_group: Histogram,
    /// Checkpoints (copying the log into the file, fsync included): the checkpointer's
    /// passes, and the writer's own before it starts the log over.
    checkpoint: Histogram,
    /// Frames in SQLite's write-ahead log after the writer's last commit.
    log_frames: Gauge,
    /// Times the writer started the log over from its beginning.
    log_restarts: Counter,
}

impl Default for DbStats {
    fn default() -> Self {
        let histogram = || Histogram::new(crate::telemetry::LATENCY_BUCKETS);
        Self {
            wait: histogram(),
            hold: histogram(),
            lock_wait: histogram(),
            commit: histogram(),
            connects: Counter::default(),
            idle: Gauge::default(),
            in_use: Gauge::default(),
            write_queue: Gauge::default(),
            write_group: Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]),
            checkpoint: histogram(),
            log_frames: Gauge::default(),
            log_restarts: Counter::default(),
        }
    }
}

impl DbStats {
    /// Times SQLite's write-ahead log started over from its beginning.
    pub fn log_restarts(&self) -> u64 {
        self.log_restarts.get()
    }

    /// Adds these figures to `registry` (prefixed `lojal_db_` by the caller).
    pub fn register(&self, registry: &mut prometheus_client::registry::Registry) {
        registry.register(
            "wait_seconds",
            "Time a request waited for a database connection",
            self.wait.clone(),
        );
        registry.register(
            "hold_seconds",
            "Time work held its database connection",
            self.hold.clone(),
        );
        registry.register(
            "lock_wait_seconds",
            "Time a write transaction waited to begin (SQLite: for the write lock)",
            self.lock_wait.clone(),
        );
        registry.register("commit_seconds", "Time a COMMIT took", self.commit.clone());
        registry.register(
            "connects",
            "Database connections opened",
            self.connects.clone(),
        );
        registry.register(
            "idle_connections",
            "Open database connections kept for reuse",
            self.idle.clone(),
        );
        registry.register(
            "busy_connections",
            "Database connections doing work now",
            self.in_use.clone(),
        );
        registry.register(
            "write_queue",
            "Writes waiting for the SQLite writer",
            self.write_queue.clone(),
        );
        registry.register(
            "write_group_size",
            "Writes the SQLite writer committed in one transaction",
            self.write_group.clone(),
        );
        registry.register(
            "checkpoint_seconds",
            "Time a SQLite checkpoint took to copy the log into the file",
            self.checkpoint.clone(),
        );
        registry.register(
            "log_frames",
            "Frames (pages) in the SQLite write-ahead log after the last commit",
            self.log_frames.clone(),
        );
        registry.register(
            "log_restarts",
            "Times the SQLite writer started the write-ahead log over",
            self.log_restarts.clone(),
        );
    }
}

/// A PostgreSQL client with its prepared statements, that may be dropped anywhere. The
/// blocking client says goodbye to the server with its own small runtime, which must not happen
/// on a thread that drives async tasks (a test's, or a server's at shutdown): there it is
/// closed on a thread of its own.
pub struct PgClient {
    client: Option<postgres::Client>,
    stats: DbStats,
    /// By the SQL as written (`?N`): each statement is prepared once per connection, so a query
    /// costs one round trip instead of two, also inside a transaction that holds a row lock.
    statements: std::collections::HashMap<String, postgres::Statement>,
    /// A job was queued since the last look ([`Conn::note_queued`]).
    queued: bool,
}

impl PgClient {
    fn new(client: postgres::Client, stats: DbStats) -> Self {
        Self {
            client: Some(client),
            stats,
            statements: std::collections::HashMap::new(),
            queued: false,
        }
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, DbError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.prepare(&postgres_placeholders(sql))?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

impl std::ops::Deref for PgClient {
    type Target = postgres::Client;
    fn deref(&self) -> &postgres::Client {
        self.client.as_ref().expect("present until dropped")
    }
}

impl std::ops::DerefMut for PgClient {
    fn deref_mut(&mut self) -> &mut postgres::Client {
        self.client.as_mut().expect("present until dropped")
    }
}

impl Drop for PgClient {
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            std::thread::spawn(move || drop(client));
        }
    }
}

impl Conn {
    /// Every row `sql` returns.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        match self {
            Self::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let columns = statement.column_count();
                let mut rows = statement.query(rusqlite::params_from_iter(params))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let mut values = Vec::with_capacity(columns);
                    for index in 0..columns {
                        values.push(sqlite_value(row.get_ref(index)?));
                    }
                    out.push(Row(values));
                }
                Ok(out)
            }
            Self::Postgres(client) => {
                let statement = client.statement(sql)?;
                let bound = bind_postgres(statement.params(), params)?;
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    bound.iter().map(|b| b.as_ref() as _).collect();
                client
                    .query(&statement, &refs)?
                    .iter()
                    .map(postgres_row)
                    .collect()
            }
        }
    }

    /// The first row `sql` returns, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The first row `sql` returns; none is an error.
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row, DbError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| DbError::Mismatch(format!("no row from {sql}")))
    }

    /// Runs a statement that returns no rows; answers how many rows it changed.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        match self {
            Self::Sqlite(conn) => Ok(conn
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(params))?
                as u64),
            Self::Postgres(client) => {
                let statement = client.statement(sql)?;
                let bound = bind_postgres(statement.params(), params)?;
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    bound.iter().map(|b| b.as_ref() as _).collect();
                Ok(client.execute(&statement, &refs)?)
            }
        }
    }

    /// Starts a write transaction, rolled back unless committed. On SQLite it holds the
    /// database's write lock from the start; on PostgreSQL lock rows with [`Conn::for_update`].
    /// Inside the SQLite writer's group it is a savepoint: the group holds the lock already.
    pub fn transaction(&mut self) -> Result<Tx<'_>, DbError> {
        let savepoint = matches!(self, Self::Sqlite(conn) if conn.grouped);
        let started = std::time::Instant::now();
        self.execute_batch(match self {
            _ if savepoint => "SAVEPOINT lojal",
            Self::Sqlite(_) => "BEGIN IMMEDIATE",
            Self::Postgres(_) => "BEGIN",
        })?;
        if !savepoint {
            self.stats()
                .lock_wait
                .observe(started.elapsed().as_secs_f64());
        }
        Ok(Tx {
            conn: self,
            open: true,
            savepoint,
        })
    }

    /// Starts a read-only transaction, ended when dropped: every query until then reads the
    /// same snapshot. On SQLite it is also one look for other connections' commits instead of
    /// one per query, and each look that finds one empties the connection's page cache.
    pub fn snapshot(&mut self) -> Result<Tx<'_>, DbError> {
        self.execute_batch(match self {
            Self::Sqlite(_) => "BEGIN",
            Self::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        })?;
        Ok(Tx {
            conn: self,
            open: true,
            savepoint: false,
        })
    }

    /// `" FOR UPDATE"` on PostgreSQL, to append to a transaction's first `SELECT` of the row
    /// it decides on; nothing on SQLite, whose `BEGIN IMMEDIATE` already locked everything.
    pub fn for_update(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "",
            Self::Postgres(_) => " FOR UPDATE",
        }
    }

    /// Inside a transaction, waits until no other transaction holds `key`, and holds it until
    /// this one ends: on PostgreSQL a transaction-level advisory lock, for a decision that no
    /// row lock covers (a new row keyed by an email, a count per address); nothing on SQLite,
    /// whose write transactions already run one at a time.
    pub fn lock_key(&mut self, key: &str) -> Result<(), DbError> {
        self.advisory_lock("SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))", key)
    }

    /// [`Conn::lock_key`] shared: any number of transactions may hold `key` together, while one
    /// that takes it with `lock_key` waits for them all (and they for it).
    pub fn lock_key_shared(&mut self, key: &str) -> Result<(), DbError> {
        self.advisory_lock(
            "SELECT pg_advisory_xact_lock_shared(hashtextextended(?1, 0))",
            key,
        )
    }

    /// Runs `sql`, which takes a transaction-level advisory lock on `key`, on PostgreSQL only.
    fn advisory_lock(&mut self, sql: &str, key: &str) -> Result<(), DbError> {
        match self {
            Self::Sqlite(_) => Ok(()),
            Self::Postgres(_) => self.execute(sql, &[Value::from(key)]).map(drop),
        }
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            // A transaction's own statements run several times a request: prepared once each.
            Self::Sqlite(conn) if is_transaction_control(sql) => {
                conn.prepare_cached(sql)?.execute([])?;
            }
            Self::Sqlite(conn) => conn.execute_batch(sql)?,
            Self::Postgres(client) => client.batch_execute(sql)?,
        }
        Ok(())
    }

    /// Notes that this connection queued a job ([`crate::queue::enqueue`]): the [`Db`] wakes
    /// the queue's worker once the work that queued it has committed, and only then, so an
    /// idle worker does not look for jobs after every write.
    pub fn note_queued(&mut self) {
        match self {
            Self::Sqlite(conn) => conn.queued = true,
            Self::Postgres(client) => client.queued = true,
        }
    }

    /// Whether a job was queued since the last call.
    fn take_queued(&mut self) -> bool {
        match self {
            Self::Sqlite(conn) => std::mem::take(&mut conn.queued),
            Self::Postgres(client) => std::mem::take(&mut client.queued),
        }
    }

    fn stats(&self) -> &DbStats {
        match self {
            Self::Sqlite(conn) => &conn.stats,
            Self::Postgres(client) => &client.stats,
        }
    }

    /// Whether no transaction is open (SQLite; PostgreSQL's client does not say).
    fn in_autocommit(&self) -> bool {
        match self {
            Self::Sqlite(conn) => conn.is_autocommit(),
            Self::Postgres(_) => true,
        }
    }

    fn reusable(&self) -> bool {
        match self {
            Self::Sqlite(conn) => conn.is_autocommit(),
            Self::Postgres(client) => !client.is_closed(),
        }
    }
}

/// One statement that begins, ends or marks a transaction, and answers no rows.
fn is_transaction_control(sql: &str) -> bool {
    !sql.contains(';')
        && ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"]
            .iter()
            .any(|verb| sql.starts_with(verb))
}

/// A transaction; dereferences to its connection. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx<'a> {
    conn: &'a mut Conn,
    open: bool,
    /// A savepoint in the writer's group, which commits it with the others.
    savepoint: bool,
}

impl Tx<'_> {
    pub fn commit(mut self) -> Result<(), DbError> {
        self.open = false;
        if self.savepoint {
            return self.conn.execute_batch("RELEASE lojal");
        }
        let started = std::time::Instant::now();
        self.conn.execute_batch("COMMIT")?;
        self.conn
            .stats()
            .commit
            .observe(started.elapsed().as_secs_f64());
        Ok(())
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl std::ops::DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open && self.savepoint {
            // Undoes this transaction's writes, not the group's.
            let _ = self.conn.execute_batch("ROLLBACK TO lojal; RELEASE lojal");
        } else if self.open {
            // A failed rollback leaves the connection in a transaction; `reusable` then keeps
            // it out of the pool.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn sqlite_value(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null | ValueRef::Blob(_) => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Self::Null => ValueRef::Null,
            Self::Integer(n) => ValueRef::Integer(*n),
            Self::Real(r) => ValueRef::Real(*r),
            Self::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

type PgParam = Box<dyn postgres::types::ToSql + Sync>;

fn boxed<T: postgres::types::ToSql + Sync + 'static>(value: T) -> PgParam {
    Box::new(value)
}

/// Each value as the Rust type PostgreSQL inferred for its placeholder.
fn bind_postgres(types: &[Type], params: &[Value]) -> Result<Vec<PgParam>, DbError> {
    if types.len() != params.len() {
        return Err(DbError::Mismatch(format!(
            "the statement has {} placeholders, {} values were given",
            types.len(),
            params.len()
        )));
    }
    types
        .iter()
        .zip(params)
        .map(|(ty, value)| {
            let mismatch = || DbError::Mismatch(format!("{value:?} does not fit a {ty} parameter"));
            let narrow = |n: i64| -> Result<PgParam, DbError> {
                Ok(match *ty {
                    Type::INT2 => boxed(i16::try_from(n).map_err(|_| mismatch())?),
                    Type::INT4 => boxed(i32::try_from(n).map_err(|_| mismatch())?),
                    Type::INT8 => boxed(n),
                    Type::FLOAT4 => boxed(n as f32),
                    Type::FLOAT8 => boxed(n as f64),
                    Type::BOOL => boxed(n != 0),
                    Type::TEXT | Type::VARCHAR => boxed(n.to_string()),
                    _ => return Err(mismatch()),
                })
            };
            Ok(match value {
                Value::Null => match *ty {
                    Type::INT2 => boxed(None::<i16>),
                    Type::INT4 => boxed(None::<i32>),
                    Type::INT8 => boxed(None::<i64>),
                    Type::FLOAT4 => boxed(None::<f32>),
                    Type::FLOAT8 => boxed(None::<f64>),
                    Type::BOOL => boxed(None::<bool>),
                    _ => boxed(None::<String>),
                },
                Value::Integer(n) => narrow(*n)?,
                Value::Real(r) => match *ty {
                    Type::FLOAT4 => boxed(*r as f32),
                    Type::FLOAT8 => boxed(*r),
                    _ => return Err(mismatch()),
                },
                Value::Text(s) => match *ty {
                    Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                        boxed(s.clone())
                    }
                    _ => return Err(mismatch()),
                },
            })
        })
        .collect()
}

fn postgres_row(row: &postgres::Row) -> Result<Row, DbError> {
    let mut values = Vec::with_capacity(row.len());
    for (index, column) in row.columns().iter().enumerate() {
        let value = match *column.type_() {
            Type::INT2 => row.try_get::<_, Option<i16>>(index)?.map(i64::from).into(),
            Type::INT4 => row.try_get::<_, Option<i32>>(index)?.map(i64::from).into(),
            Type::INT8 => row.try_get::<_, Option<i64>>(index)?.into(),
            Type::FLOAT4 => row.try_get::<_, Option<f32>>(index)?.map(f64::from).into(),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(index)?.into(),
            Type::BOOL => row.try_get::<_, Option<bool>>(index)?.into(),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                row.try_get::<_, Option<String>>(index)?.into()
            }
            ref other => {
                return Err(DbError::Mismatch(format!(
                    "column {} is a {other}; cast it to an integer, a number or text",
                    column.name()
                )));
            }
        };
        values.push(value);
    }
    Ok(Row(values))
}

/// `?1` → `$1` outside quoted strings: the one placeholder rewrite PostgreSQL needs.
pub fn postgres_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '?' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// A shared migration as PostgreSQL runs it: `INTEGER PRIMARY KEY` (SQLite's rowid alias,
/// numbered automatically) becomes an identity column, and SQLite's `CREATE TRIGGER … END;`
/// blocks are left out (the migration's PostgreSQL file has their equivalent).
pub fn postgres_dialect(sql: &str) -> String {
    let mut out = sql.replace(
        "INTEGER PRIMARY KEY",
        "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    );
    while let Some(start) = out.find("CREATE TRIGGER") {
        let Some(length) = out[start..].find("END;") else {
            break;
        };
        out.replace_range(start..start + length + "END;".len(), "");
    }
    out
}

/// How writes reach an SQLite file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteWrites {
    /// One writer thread owns the write connection: writes queue up for it, and what queued
    /// while it committed is run together in one transaction and committed at once.
    #[default]
    Grouped,
    /// Each write on a pooled connection of its own with `BEGIN IMMEDIATE`, waiting for the
    /// others in SQLite's busy handler: how shop-api wrote before, kept so the bench can show
    /// both side by side.
    PerRequest,
}

/// Writes the writer runs together at most: bounds the wait of the group's first write.
const MAX_GROUP: usize = 256;

/// A write for the writer: runs on its connection and answers how to finish once the group's
/// commit is known.
type WriteJob = Box<dyn FnOnce(&mut Conn) -> Completion + Send>;
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// The SQLite writer: its queue and its thread, stopped by [`Db::close`] or with the last
/// [`Db`].
struct Writer {
    queue: Mutex<Option<std::sync::mpsc::Sender<WriteJob>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Writer {
    fn start(path: &Path, stats: DbStats) -> Result<Self, DbError> {
        let conn = connect_sqlite(path, &stats)?;
        // Checkpoints (copying the log into the file, with an fsync) would otherwise run inside
        // every thousandth commit and hold up everyone queued behind it.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // After the pragma, which replaces the hook with its own.
        conn.wal_hook(Some(|_, frames| {
            LOG_FRAMES.set(i64::from(frames));
            Ok(())
        }));
        // When the log starts over, its file is cut back to this; otherwise it keeps the size
        // of the busiest burst.
        conn.pragma_update(None, "journal_size_limit", LOG_SIZE_LIMIT)?;
        let checkpointer = Checkpointer::start(connect_sqlite(path, &stats)?, stats.clone())?;
        let (queue, jobs) = std::sync::mpsc::channel::<WriteJob>();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let mut conn = Conn::Sqlite(conn);
                while let Ok(first) = jobs.recv() {
                    let group: Vec<WriteJob> = std::iter::once(first)
                        .chain(jobs.try_iter().take(MAX_GROUP - 1))
                        .collect();
                    stats.write_queue.dec_by(group.len() as i64);
                    let frames_before = LOG_FRAMES.get();
                    commit_group(&mut conn, group, &stats);
                    let frames = LOG_FRAMES.get();
                    if frames < frames_before {
                        stats.log_restarts.inc();
                        checkpointer.log_restarted();
                    }
                    stats.log_frames.set(frames);
                    let long = frames > LOG_RESTART_FRAMES;
                    let nearly_copied =
                        (0..=LOG_RESTART_COPY).contains(&(frames - checkpointer.copied()));
                    if long
                        && (nearly_copied || frames > 2 * LOG_RESTART_FRAMES)
                        && let Conn::Sqlite(sqlite) = &conn
                    {
                        // The checkpointer copies the log beside the writer, but the log only
                        // starts over when a write begins with all of it copied, and under
                        // steady load the writer begins again at once: it never would. So
                        // once the checkpointer is nearly through, the writer copies the rest
                        // itself and its next write starts the log over; past twice the bound
                        // it does not wait for that. PASSIVE: a reader on older pages makes it
                        // stop short, to try again after the next group, not wait.
                        checkpoint(sqlite, &stats);
                    }
                    // Past the bound the checkpointer goes round without rest, so that it
                    // gets near enough to the end for the writer's share to be short.
                    checkpointer.kick(long);
                }
                checkpointer.stop();
            })
            .map_err(|e| DbError::Task(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Self {
            queue: Mutex::new(Some(queue)),
            thread: Mutex::new(Some(thread)),
        })
    }

    fn send(&self, job: WriteJob) -> Result<(), DbError> {
        let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        queue
            .as_ref()
            .and_then(|queue| queue.send(job).ok())
            .ok_or_else(|| DbError::Task("the database is closed".into()))
    }

    /// Takes no more writes, and waits until the queued ones are committed.
    fn close(&self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.close();
    }
}

thread_local! {
    /// Frames in the log after the writer's last commit (SQLite's `wal_hook`, on its thread).
    static LOG_FRAMES: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

/// How often the checkpointer copies the log into the database file, at most.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Frames (4 KiB pages: 64 MiB) past which the log is to start over. A log starts over on its
/// own when the writer is idle a moment; under steady load it otherwise grows for as long as
/// the load lasts (1.9 GB after 15 s of plays at 64 connections, measured) and fills the disk.
const LOG_RESTART_FRAMES: i64 = 16384;

/// Frames (1 MiB) the writer copies itself at most, to let the log start over: it holds up
/// the writes queued meanwhile, once per 64 MiB of log.
const LOG_RESTART_COPY: i64 = 256;

/// Bytes the log's file is cut back to when it starts over (`journal_size_limit`).
const LOG_SIZE_LIMIT: i64 = 64 << 20;

/// One passive checkpoint on `conn`: copies what it can of the log into the database file,
/// never waiting for a reader or the writer. Answers how far the log is copied (in frames), or
/// nothing if it did not run (another checkpoint was under way).
fn checkpoint(conn: &SqliteConn, stats: &DbStats) -> Option<i64> {
    let started = std::time::Instant::now();
    let (busy, copied) = conn
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(2)?))
        })
        .ok()?;
    stats.checkpoint.observe(started.elapsed().as_secs_f64());
    (busy == 0 && copied >= 0).then_some(copied)
}

/// Checkpoints the writer's log on a thread and connection of their own (SQLite's passive
/// checkpoint, which neither waits for the writer nor makes it wait), so that no commit pays
/// for one.
struct Checkpointer {
    kicks: std::sync::mpsc::SyncSender<()>,
    /// The log is past its bound: go round again at once, without resting.
    hurry: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
    /// Frames of the log the last pass had copied.
    copied: Arc<std::sync::atomic::AtomicI64>,
}

impl Checkpointer {
    fn start(conn: Box<SqliteConn>, stats: DbStats) -> Result<Self, DbError> {
        let (kicks, kicked) = std::sync::mpsc::sync_channel::<()>(1);
        let copied = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let thread_copied = copied.clone();
        let hurry = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread_hurry = hurry.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpointer".into())
            .spawn(move || {
                let mut kicked_meanwhile = false;
                loop {
                    if !kicked_meanwhile && kicked.recv().is_err() {
                        return;
                    }
                    let started = std::time::Instant::now();
                    // A checkpoint that cannot finish now (readers on old pages) goes on next time.
                    if let Some(frames) = checkpoint(&conn, &stats) {
                        thread_copied.store(frames, std::sync::atomic::Ordering::Relaxed);
                    }
                    // Rest until CHECKPOINT_EVERY has passed; a kick meanwhile means another
                    // round, and a long log no rest at all.
                    kicked_meanwhile = false;
                    let rest = if thread_hurry.load(std::sync::atomic::Ordering::Relaxed) {
                        Duration::ZERO
                    } else {
                        CHECKPOINT_EVERY
                    };
                    let until = started + rest;
                    loop {
                        let left = until.saturating_duration_since(std::time::Instant::now());
                        match kicked.recv_timeout(left) {
                            Ok(()) => kicked_meanwhile = true,
                            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                        }
                    }
                }
            })
            .map_err(|e| DbError::Task(format!("cannot start the SQLite checkpointer: {e}")))?;
        Ok(Self {
            kicks,
            hurry,
            thread,
            copied,
        })
    }

    /// Frames of the log copied by the last pass.
    fn copied(&self) -> i64 {
        self.copied.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The log started over: nothing of it is copied yet.
    fn log_restarted(&self) {
        self.copied.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// Something was committed: checkpoint soon, or without rest while the log is `long`.
    fn kick(&self, long: bool) {
        self.hurry.store(long, std::sync::atomic::Ordering::Relaxed);
        let _ = self.kicks.try_send(());
    }

    fn stop(self) {
        drop(self.kicks);
        let _ = self.thread.join();
    }
}

/// Runs `group` in one transaction and commits it once; each write's caller hears after the
/// commit, so nothing is acknowledged that a crash could still take back. A write that fails
/// rolls back its own savepoint only. If the lock cannot be had (another process holds it past
/// the busy timeout), or an error rolls the whole transaction back, the writes run one by one
/// as they would without a writer.
fn commit_group(conn: &mut Conn, group: Vec<WriteJob>, stats: &DbStats) {
    let mut waiting: Vec<Completion> = Vec::with_capacity(group.len());
    let mut open = false;
    for job in group {
        if !open {
            let started = std::time::Instant::now();
            open = conn.execute_batch("BEGIN IMMEDIATE").is_ok();
            if open {
                stats.lock_wait.observe(started.elapsed().as_secs_f64());
            }
        }
        set_grouped(conn, open);
        // A write that panics drops its answer; its savepoint was rolled back while unwinding.
        let completion = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn))).ok();
        set_grouped(conn, false);
        if open && conn.in_autocommit() {
            // A full disk or an I/O error ended the group's transaction: its writes are gone.
            open = false;
            for completion in waiting.drain(..).chain(completion) {
                completion(Err("the write was rolled back with its group".into()));
            }
            continue;
        }
        match (open, completion) {
            (true, Some(completion)) => waiting.push(completion),
            // On its own: its transactions committed themselves.
            (false, Some(completion)) => completion(Ok(())),
            (_, None) => {}
        }
    }
    if !open {
        return;
    }
    let started = std::time::Instant::now();
    let committed = conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        format!("commit: {e}")
    });
    stats.commit.observe(started.elapsed().as_secs_f64());
    stats.write_group.observe(waiting.len() as f64);
    for completion in waiting {
        completion(committed.clone());
    }
}

fn set_grouped(conn: &mut Conn, grouped: bool) {
    if let Conn::Sqlite(sqlite) = conn {
        sqlite.grouped = grouped;
    }
}

#[derive(Clone)]
enum Target {
    Sqlite(Arc<PathBuf>),
    Postgres(Arc<PostgresTarget>),
}

/// Where and how to connect to PostgreSQL.
struct PostgresTarget {
    config: postgres::Config,
    tls: crate::postgres_tls::Tls,
    connector: tokio_postgres_rustls::MakeRustlsConnect,
}

impl PostgresTarget {
    fn parse(url: &str) -> Result<Self, DbError> {
        let (url, tls) = crate::postgres_tls::split(url).map_err(DbError::Url)?;
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e: postgres::Error| DbError::Url(with_cause(&e)))?;
        config.ssl_mode(tls.client_mode());
        let connector = tls.connector().map_err(DbError::Url)?;
        Ok(Self {
            config,
            tls,
            connector,
        })
    }

    /// A new connection; a failed TLS handshake says which check failed and what to set.
    fn connect(&self) -> Result<postgres::Client, DbError> {
        self.config
            .connect(self.connector.clone())
            .map_err(|error| {
                let hosts: Vec<String> = self
                    .config
                    .get_hosts()
                    .iter()
                    .map(|host| match host {
                        postgres::config::Host::Tcp(name) => name.clone(),
                        postgres::config::Host::Unix(path) => path.display().to_string(),
                    })
                    .collect();
                match crate::postgres_tls::explain(&error, &self.tls, &hosts.join(",")) {
                    Some(explained) => DbError::Tls(explained),
                    None => DbError::Postgres(error),
                }
            })
    }
}

#[derive(Clone)]
pub struct Db {
    target: Target,
    idle: Arc<Mutex<Vec<Conn>>>,
    /// Caps the connections in use (PostgreSQL's are a server-wide budget).
    permits: Arc<tokio::sync::Semaphore>,
    stats: DbStats,
    /// SQLite's writer, when writes are grouped.
    writer: Option<Arc<Writer>>,
    /// Idle connections kept for reuse.
    keep: usize,
    /// Wakes the queue's worker when a committed write has queued a job.
    wake: Arc<tokio::sync::Notify>,
}

impl Db {
    /// Opens (creating when missing) and migrates the SQLite database at `path`, with its
    /// writes grouped.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        Self::open_with(path, SqliteWrites::Grouped)
    }

    /// [`Db::open`], with writes made as `writes` says.
    pub fn open_with(path: &Path, writes: SqliteWrites) -> Result<Self, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbError::Task(format!("cannot create {}: {e}", parent.display())))?;
        }
        let stats = DbStats::default();
        let mut conn = connect_sqlite(path, &stats)?;
        use_wal(&conn)?;
        migrate(&mut conn)?;
        let mut conn = Conn::Sqlite(conn);
        crate::programme::load_demo_on_first_start(&mut conn)?;
        stats.idle.set(1);
        let (writer, readers, keep) = match writes {
            SqliteWrites::Grouped => {
                let readers = sqlite_readers();
                (
                    Some(Arc::new(Writer::start(path, stats.clone())?)),
                    readers,
                    readers,
                )
            }
            SqliteWrites::PerRequest => (None, tokio::sync::Semaphore::MAX_PERMITS, POOL_SIZE),
        };
        Ok(Self {
            target: Target::Sqlite(Arc::new(path.to_owned())),
            idle: Arc::new(Mutex::new(vec![conn])),
            permits: Arc::new(tokio::sync::Semaphore::new(readers)),
            stats,
            writer,
            keep,
            wake: Arc::default(),
        })
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://user@host:port/db`) and
    /// migrates it. Safe to call from async code: the blocking client runs on its own thread.
    pub fn connect(url: &str) -> Result<Self, DbError> {
        let target = PostgresTarget::parse(url)?;
        let stats = DbStats::default();
        let client = std::thread::scope(|scope| {
            scope
                .spawn(|| -> Result<Conn, DbError> {
                    let mut client = target.connect()?;
                    stats.connects.inc();
                    migrate_postgres(&mut client)?;
                    let mut conn = Conn::Postgres(Box::new(PgClient::new(client, stats.clone())));
                    crate::programme::load_demo_on_first_start(&mut conn)?;
                    Ok(conn)
                })
                .join()
                .map_err(|_| DbError::Task("connecting to PostgreSQL panicked".into()))?
        })?;
        stats.idle.set(1);
        Ok(Self {
            target: Target::Postgres(Arc::new(target)),
            idle: Arc::new(Mutex::new(vec![client])),
            permits: Arc::new(tokio::sync::Semaphore::new(POSTGRES_CONNECTIONS)),
            stats,
            writer: None,
            keep: POSTGRES_CONNECTIONS,
            wake: Arc::default(),
        })
    }

    /// What this database's connections measure, for `/metrics`.
    pub fn stats(&self) -> &DbStats {
        &self.stats
    }

    /// Notified each time a write that queued a job has committed: the queue's worker waits
    /// on it.
    pub fn wake(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    /// Runs `work` with a connection on a blocking thread, so the database never stalls the
    /// runtime.
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let asked = std::time::Instant::now();
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| E::from(DbError::Task(e.to_string())))?;
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.checkout()?;
            db.stats.wait.observe(asked.elapsed().as_secs_f64());
            db.stats.in_use.inc();
            let started = std::time::Instant::now();
            let result = work(&mut conn);
            db.stats.hold.observe(started.elapsed().as_secs_f64());
            // Outside the writer, `work` commits its own transactions before it returns.
            if conn.take_queued() && result.is_ok() {
                db.wake.notify_one();
            }
            db.stats.in_use.dec();
            db.checkin(conn);
            drop(permit);
            result
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// Runs `work`, which writes: on SQLite with grouped writes, queued for the writer, and
    /// answered once its group has committed; otherwise as [`Db::run`]. A write run by the
    /// writer sees the writes before it in its group, and its own transactions are savepoints
    /// in the group's.
    pub async fn write<T, E>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let Some(writer) = &self.writer else {
            return self.run(work).await;
        };
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let asked = std::time::Instant::now();
        let stats = self.stats.clone();
        let wake = self.wake.clone();
        let job: WriteJob = Box::new(move |conn: &mut Conn| {
            stats.wait.observe(asked.elapsed().as_secs_f64());
            let started = std::time::Instant::now();
            let result = work(conn);
            stats.hold.observe(started.elapsed().as_secs_f64());
            let queued = conn.take_queued() && result.is_ok();
            Box::new(move |committed: Result<(), String>| {
                if queued && committed.is_ok() {
                    wake.notify_one();
                }
                let _ = reply.send(match committed {
                    Ok(()) => result,
                    Err(error) => Err(E::from(DbError::Task(error))),
                });
            })
        });
        self.stats.write_queue.inc();
        if let Err(error) = writer.send(job) {
            self.stats.write_queue.dec();
            return Err(E::from(error));
        }
        answer.await.unwrap_or_else(|_| {
            Err(E::from(DbError::Task(
                "the write failed in the SQLite writer (it panicked)".into(),
            )))
        })
    }

    /// Takes no more writes and waits for the queued ones to commit (at shutdown).
    pub fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close();
        }
    }

    fn checkout(&self) -> Result<Conn, DbError> {
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        if reused.is_some() {
            self.stats.idle.dec();
        }
        match (reused, &self.target) {
            (Some(conn), _) => Ok(conn),
            (None, Target::Sqlite(path)) => Ok(Conn::Sqlite(connect_sqlite(path, &self.stats)?)),
            (None, Target::Postgres(target)) => {
                let client = target.connect()?;
                self.stats.connects.inc();
                Ok(Conn::Postgres(Box::new(PgClient::new(
                    client,
                    self.stats.clone(),
                ))))
            }
        }
    }

    fn checkin(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.keep && conn.reusable() {
            idle.push(conn);
            self.stats.idle.inc();
        }
    }
}

/// How much of the database file each connection maps (address space, not memory).
const MMAP_BYTES: i64 = 256 << 20;
/// Prepared statements each SQLite connection keeps: more than the API has.
const STATEMENT_CACHE: usize = 256;

fn connect_sqlite(path: &Path, stats: &DbStats) -> Result<Box<SqliteConn>, DbError> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Every commit of the writer empties the other connections' page caches; mapped, a page is
    // read again from the OS's cache without a system call and a copy each time.
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    // rusqlite keeps 16 by default; a redemption alone runs some thirty different statements,
    // and one evicted is parsed and planned again on its next use.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Otherwise SQLite plans `LIMIT ?n` with the bound number (and, built with STAT4 as
    // rusqlite's is, ranges with their bound values), so binding a statement from the cache
    // throws its plan away: every status read parsed and planned its lists again.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    stats.connects.inc();
    Ok(Box::new(SqliteConn {
        conn,
        stats: stats.clone(),
        grouped: false,
        queued: false,
    }))
}

/// What [`backup`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backup {
    pub bytes: u64,
    pub schema_version: i64,
}

/// Copies the SQLite database at `from` to `to`, which must not exist, while the server goes on
/// writing: `VACUUM INTO` reads one snapshot (a read transaction, which in WAL mode never waits
/// for writers nor makes them wait) into a fresh, compact file. The copy is written beside
/// `to`, checked (`PRAGMA quick_check`), synced to disk and only then renamed to `to`, so `to`
/// is either a whole, checked backup or absent.
pub fn backup(from: &Path, to: &Path) -> Result<Backup, DbError> {
    let fail = |what: String| DbError::Backup(what);
    if to.exists() {
        return Err(fail(format!("{} exists; name a new file", to.display())));
    }
    let name = to
        .file_name()
        .ok_or_else(|| fail(format!("{} is not a file name", to.display())))?;
    let partial = to.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    let _ = std::fs::remove_file(&partial);
    let source = rusqlite::Connection::open_with_flags(
        from,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| fail(format!("{}: {e}", from.display())))?;
    source.busy_timeout(BUSY_TIMEOUT)?;
    let target = partial
        .to_str()
        .ok_or_else(|| fail(format!("{} is not UTF-8", partial.display())))?;
    let made = (|| -> Result<Backup, DbError> {
        source.execute("VACUUM INTO ?1", [target])?;
        let copy = rusqlite::Connection::open(&partial)?;
        let check: String = copy.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
        if check != "ok" {
            return Err(fail(format!("the copy failed its check: {check}")));
        }
        let schema_version = copy.pragma_query_value(None, "user_version", |row| row.get(0))?;
        drop(copy);
        let file = std::fs::File::open(&partial).map_err(|e| fail(e.to_string()))?;
        file.sync_all().map_err(|e| fail(e.to_string()))?;
        let bytes = file.metadata().map_err(|e| fail(e.to_string()))?.len();
        Ok(Backup {
            bytes,
            schema_version,
        })
    })();
    let made = match made {
        Ok(made) => made,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, to).map_err(|e| fail(format!("{}: {e}", to.display())))?;
    // The rename itself survives a crash once its directory is synced.
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    }
    Ok(made)
}

/// WAL lets readers go on while a redemption writes, and survives a crash mid-write. Switching
/// to it needs the file to itself, and SQLite answers "busy" at once, without its busy handler,
/// while another instance starting beside this one holds it: so wait here, as the busy timeout
/// would elsewhere.
fn use_wal(conn: &rusqlite::Connection) -> Result<(), DbError> {
    let started = std::time::Instant::now();
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other.map_err(DbError::from),
        }
    }
}

/// Brings an SQLite file to the newest version, each migration in its own transaction.
pub fn migrate(conn: &mut rusqlite::Connection) -> Result<usize, DbError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > MIGRATIONS.len() as i64 {
        return Err(DbError::TooNew {
            found,
            known: MIGRATIONS.len(),
        });
    }
    let mut applied = 0;
    for (index, (_name, sql, _)) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated while this one waited for the lock.
        let now: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if now > index as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}

/// The same migrations on PostgreSQL, under an advisory lock so that instances starting
/// together do not run them twice.
fn migrate_postgres(client: &mut postgres::Client) -> Result<usize, DbError> {
    let mut applied = 0;
    for (index, (_name, sql, postgres_only)) in MIGRATIONS.iter().enumerate() {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS lojal_schema (version INTEGER NOT NULL);
             INSERT INTO lojal_schema (version) SELECT 0
             WHERE NOT EXISTS (SELECT 1 FROM lojal_schema);",
        )?;
        let found: i32 = tx
            .query_one("SELECT version FROM lojal_schema", &[])?
            .get(0);
        if found > MIGRATIONS.len() as i32 {
            return Err(DbError::TooNew {
                found: found.into(),
                known: MIGRATIONS.len(),
            });
        }
        if found > index as i32 {
            continue;
        }
        if index == 0 {
            tx.batch_execute(POSTGRES_PRELUDE)?;
        }
        tx.batch_execute(&postgres_dialect(sql))?;
        tx.batch_execute(postgres_only)?;
        tx.execute(
            "UPDATE lojal_schema SET version = $1",
            &[&(index as i32 + 1)],
        )?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}

/// The schema version this server migrates to: the number of migrations it knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// The version the connected database is at.
pub fn schema_version(conn: &mut Conn) -> Result<i64, DbError> {
    match conn {
        Conn::Sqlite(conn) => Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?),
        Conn::Postgres(_) => conn
            .query_one("SELECT version FROM lojal_schema", &[])?
            .get(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A statement from the cache keeps its plan when bound anew; SQLite's default plans
    /// `LIMIT ?n` with the value bound, and then parses and plans the statement again each time.
    #[test]
    fn cached_statements_are_not_planned_again_for_new_values() {
        let dir = tempfile::TempDir::new().unwrap();
        let sqlite = connect_sqlite(&dir.path().join("plans.sqlite"), &DbStats::default()).unwrap();
        let conn = &sqlite.conn;
        conn.execute_batch("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);")
            .unwrap();
        let sql = "SELECT n FROM t WHERE n > ?1 ORDER BY n LIMIT ?2";
        for (above, limit) in [(0, 1), (1, 2), (0, 3)] {
            let mut statement = conn.prepare_cached(sql).unwrap();
            let rows: Vec<i64> = statement
                .query_map((above, limit), |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len(), limit.min(3 - above) as usize);
            let planned_again = statement.get_status(rusqlite::StatementStatus::RePrepare);
            assert_eq!(planned_again, 0, "planned again for ({above}, {limit})");
        }
    }

    #[test]
    fn placeholders_are_renumbered_outside_strings_only() {
        let cases = [
            ("SELECT ?1, ?2", "SELECT $1, $2"),
            ("WHERE a = ?10 AND b = '?1'", "WHERE a = $10 AND b = '?1'"),
            ("SELECT '?' || ?3", "SELECT '?' || $3"),
            ("SELECT 'it''s ?2', ?2", "SELECT 'it''s ?2', $2"),
            ("no placeholders", "no placeholders"),
        ];
        for (sqlite, postgres) in cases {
            assert_eq!(postgres_placeholders(sqlite), postgres, "{sqlite}");
        }
    }

    #[test]
    fn columns_convert_only_into_types_that_hold_them() {
        let row = Row(vec![
            Value::Integer(-1),
            Value::Null,
            Value::Text("æøå".into()),
            Value::Integer(1),
            Value::Real(4.5),
        ]);
        assert_eq!(row.get::<i64>(0).unwrap(), -1);
        assert_eq!(
            row.get::<u64>(0).unwrap_err().to_string(),
            "query mismatch: column 0: -1 is not a u64"
        );
        assert_eq!(row.get::<Option<String>>(1).unwrap(), None);
        assert!(row.get::<String>(1).is_err(), "NULL is not text");
        assert_eq!(row.get::<String>(2).unwrap(), "æøå");
        assert!(row.get::<i64>(2).is_err(), "text is not an integer");
        assert!(row.get::<bool>(3).unwrap());
        assert_eq!(row.get::<f64>(4).unwrap(), 4.5);
        assert!(row.get::<i64>(5).is_err(), "there is no column 5");
        assert_eq!(
            params![Some(3_u32), None::<&str>, true, "a"],
            [
                Value::Integer(3),
                Value::Null,
                Value::Integer(1),
                Value::Text("a".into())
            ]
        );
    }

    #[test]
    fn the_postgres_dialect_numbers_rows_and_leaves_out_sqlite_triggers() {
        let sql = "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);\n\
                   CREATE TRIGGER x BEFORE INSERT ON t BEGIN SELECT RAISE(IGNORE); END;\n\
                   INSERT INTO t (n) VALUES (1);";
        assert_eq!(
            postgres_dialect(sql),
            "CREATE TABLE t (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n INTEGER);\n\n\
             INSERT INTO t (n) VALUES (1);"
        );
    }
}
