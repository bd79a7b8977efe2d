//! SQLite: opening, migrating, and a small pool of connections used from blocking threads.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction: SQLite then takes the write lock up front,
//! so two concurrent redemptions serialise instead of both reading the old balance.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

/// Migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_loyalty",
        include_str!("../migrations/0001_loyalty.sql"),
    ),
    (
        "0002_demo_data",
        include_str!("../migrations/0002_demo_data.sql"),
    ),
    (
        "0003_catalog",
        include_str!("../migrations/0003_catalog.sql"),
    ),
    (
        "0004_feedback",
        include_str!("../migrations/0004_feedback.sql"),
    ),
    ("0005_games", include_str!("../migrations/0005_games.sql")),
];

/// The schema version a fully migrated database reports (`PRAGMA user_version`).
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// How long a connection waits for another writer before giving up with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle connections kept for reuse; more are opened under load and closed afterwards.
const POOL_SIZE: usize = 8;

#[derive(Debug)]
pub enum DbError {
    Sqlite(rusqlite::Error),
    /// The file was migrated by a newer shop-api than this one.
    TooNew {
        found: i64,
        known: usize,
    },
    /// The blocking task panicked or was cancelled.
    Task(String),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(error) => write!(f, "SQLite: {error}"),
            Self::TooNew { found, known } => write!(
                f,
                "the database is at schema version {found}, this shop-api knows {known}: upgrade shop-api"
            ),
            Self::Task(error) => write!(f, "database task failed: {error}"),
        }
    }
}

impl std::error::Error for DbError {}

impl From<rusqlite::Error> for DbError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite(error)
    }
}

#[derive(Clone)]
pub struct Db {
    path: Arc<PathBuf>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl Db {
    /// Opens (creating when missing) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbError::Task(format!("cannot create {}: {e}", parent.display())))?;
        }
        let mut conn = connect(path)?;
        // WAL lets readers go on while a redemption writes, and survives a crash mid-write.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        migrate(&mut conn)?;
        Ok(Self {
            path: Arc::new(path.to_owned()),
            idle: Arc::new(Mutex::new(vec![conn])),
        })
    }

    /// Runs `work` with a connection on a blocking thread, so SQLite never stalls the runtime.
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.checkout()?;
            let result = work(&mut conn);
            db.checkin(conn);
            result
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    fn checkout(&self) -> Result<Connection, DbError> {
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match reused {
            Some(conn) => Ok(conn),
            None => connect(&self.path),
        }
    }

    fn checkin(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < POOL_SIZE && conn.is_autocommit() {
            idle.push(conn);
        }
    }
}

fn connect(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// Brings the schema to the newest version, each migration in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<usize, DbError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > MIGRATIONS.len() as i64 {
        return Err(DbError::TooNew {
            found,
            known: MIGRATIONS.len(),
        });
    }
    let mut applied = 0;
    for (index, (_name, sql)) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
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

/// The schema version this server migrates to: the number of migrations it knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn schema_version(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}
