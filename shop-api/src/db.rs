//! The database: SQLite (the default, one file) or PostgreSQL (for several API instances behind
//! a load balancer), opened, migrated, and used from blocking threads through one small API.
//!
//! Domain code writes SQL once, with `?1`-style placeholders, and calls [`Conn`]'s `query`,
//! `query_opt`, `execute` and `transaction`. The differences stay here:
//!
//! - A write transaction on SQLite is `BEGIN IMMEDIATE`: the write lock is taken up front, so
//!   two concurrent redemptions serialise. PostgreSQL has no such lock; there a transaction
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
];

const POSTGRES_PRELUDE: &str = include_str!("../migrations/postgres/prelude.sql");

/// The schema version a fully migrated database reports.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// How long a connection waits for another writer before giving up with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle SQLite connections kept for reuse; more are opened under load and closed afterwards.
const POOL_SIZE: usize = 8;
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
    Sqlite(rusqlite::Connection),
    Postgres(Box<PgClient>),
}

/// A PostgreSQL client with its prepared statements, that may be dropped anywhere. The
/// blocking client says goodbye to the server with its own small runtime, which must not happen
/// on a thread that drives async tasks (a test's, or a server's at shutdown): there it is
/// closed on a thread of its own.
pub struct PgClient {
    client: Option<postgres::Client>,
    /// By the SQL as written (`?N`): each statement is prepared once per connection, so a query
    /// costs one round trip instead of two, also inside a transaction that holds a row lock.
    statements: std::collections::HashMap<String, postgres::Statement>,
}

impl PgClient {
    fn new(client: postgres::Client) -> Self {
        Self {
            client: Some(client),
            statements: std::collections::HashMap::new(),
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
    pub fn transaction(&mut self) -> Result<Tx<'_>, DbError> {
        self.execute_batch(match self {
            Self::Sqlite(_) => "BEGIN IMMEDIATE",
            Self::Postgres(_) => "BEGIN",
        })?;
        Ok(Tx {
            conn: self,
            open: true,
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

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Self::Sqlite(conn) => conn.execute_batch(sql)?,
            Self::Postgres(client) => client.batch_execute(sql)?,
        }
        Ok(())
    }

    fn reusable(&self) -> bool {
        match self {
            Self::Sqlite(conn) => conn.is_autocommit(),
            Self::Postgres(client) => !client.is_closed(),
        }
    }
}

/// A transaction; dereferences to its connection. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx<'a> {
    conn: &'a mut Conn,
    open: bool,
}

impl Tx<'_> {
    pub fn commit(mut self) -> Result<(), DbError> {
        self.open = false;
        self.conn.execute_batch("COMMIT")
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
        if self.open {
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

#[derive(Clone)]
enum Target {
    Sqlite(Arc<PathBuf>),
    Postgres(Arc<postgres::Config>),
}

#[derive(Clone)]
pub struct Db {
    target: Target,
    idle: Arc<Mutex<Vec<Conn>>>,
    /// Caps the connections in use (PostgreSQL's are a server-wide budget).
    permits: Arc<tokio::sync::Semaphore>,
}

impl Db {
    /// Opens (creating when missing) and migrates the SQLite database at `path`.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbError::Task(format!("cannot create {}: {e}", parent.display())))?;
        }
        let mut conn = connect_sqlite(path)?;
        use_wal(&conn)?;
        migrate(&mut conn)?;
        let mut conn = Conn::Sqlite(conn);
        crate::programme::load_demo_on_first_start(&mut conn)?;
        Ok(Self {
            target: Target::Sqlite(Arc::new(path.to_owned())),
            idle: Arc::new(Mutex::new(vec![conn])),
            permits: Arc::new(tokio::sync::Semaphore::new(
                tokio::sync::Semaphore::MAX_PERMITS,
            )),
        })
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://user@host:port/db`) and
    /// migrates it. Safe to call from async code: the blocking client runs on its own thread.
    pub fn connect(url: &str) -> Result<Self, DbError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e: postgres::Error| DbError::Url(with_cause(&e)))?;
        let client = std::thread::scope(|scope| {
            scope
                .spawn(|| -> Result<Conn, DbError> {
                    let mut client = config.connect(postgres::NoTls)?;
                    migrate_postgres(&mut client)?;
                    let mut conn = Conn::Postgres(Box::new(PgClient::new(client)));
                    crate::programme::load_demo_on_first_start(&mut conn)?;
                    Ok(conn)
                })
                .join()
                .map_err(|_| DbError::Task("connecting to PostgreSQL panicked".into()))?
        })?;
        Ok(Self {
            target: Target::Postgres(Arc::new(config)),
            idle: Arc::new(Mutex::new(vec![client])),
            permits: Arc::new(tokio::sync::Semaphore::new(POSTGRES_CONNECTIONS)),
        })
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
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| E::from(DbError::Task(e.to_string())))?;
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.checkout()?;
            let result = work(&mut conn);
            db.checkin(conn);
            drop(permit);
            result
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    fn checkout(&self) -> Result<Conn, DbError> {
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match (reused, &self.target) {
            (Some(conn), _) => Ok(conn),
            (None, Target::Sqlite(path)) => Ok(Conn::Sqlite(connect_sqlite(path)?)),
            (None, Target::Postgres(config)) => Ok(Conn::Postgres(Box::new(PgClient::new(
                config.connect(postgres::NoTls)?,
            )))),
        }
    }

    fn checkin(&self, conn: Conn) {
        let keep = match self.target {
            Target::Sqlite(_) => POOL_SIZE,
            Target::Postgres(_) => POSTGRES_CONNECTIONS,
        };
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < keep && conn.reusable() {
            idle.push(conn);
        }
    }
}

fn connect_sqlite(path: &Path) -> Result<rusqlite::Connection, DbError> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
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
