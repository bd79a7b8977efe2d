//! Shared by the integration tests: a fresh database per test, SQLite by default and
//! PostgreSQL when `DATABASE_URL` is set (`scripts/test.sh` starts one), and running SQL on it
//! from a test.

// Each test file uses some of these helpers, not all.
#![allow(dead_code)]

pub mod process;

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use shop_api::db::{Conn, Db, DbError, Value};
use tower::ServiceExt;

/// The PostgreSQL server the tests run against, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Where a test's data lives: a new PostgreSQL schema when `DATABASE_URL` is set, so tests
/// stay independent; else an SQLite file in the test's directory.
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

pub fn fresh_target(dir: &Path) -> Target {
    match postgres_url() {
        Some(url) => Target::Postgres(fresh_schema(&url)),
        None => Target::Sqlite(dir.join("shop.sqlite")),
    }
}

/// Opens and migrates `target`, as a starting shop-api does.
pub fn open(target: &Target) -> Result<Db, DbError> {
    match target {
        Target::Sqlite(path) => Db::open(path),
        Target::Postgres(url) => Db::connect(url),
    }
}

/// A fresh, migrated database.
pub fn test_db(dir: &Path) -> Db {
    open(&fresh_target(dir)).unwrap()
}

/// Creates an empty schema with a random name and answers a URL whose connections use it.
pub fn fresh_schema(url: &str) -> String {
    let schema = format!("test_{:016x}", getrandom::u64().unwrap());
    let create = format!("CREATE SCHEMA {schema}");
    let mut client = std::thread::scope(|scope| {
        scope
            .spawn(|| postgres::Client::connect(url, postgres::NoTls))
            .join()
            .unwrap()
    })
    .unwrap();
    std::thread::scope(|scope| {
        scope
            .spawn(move || client.batch_execute(&create))
            .join()
            .unwrap()
    })
    .unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

/// Runs `work` on one of `db`'s connections and waits for it; callable from async tests.
pub fn with_conn<T: Send + 'static>(
    db: &Db,
    work: impl FnOnce(&mut Conn) -> Result<T, DbError> + Send + 'static,
) -> T {
    let db = db.clone();
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap()
                    .block_on(db.run(work))
            })
            .join()
            .unwrap()
    })
    .unwrap()
}

/// The first column of the first row `sql` returns, as an integer.
pub fn count(db: &Db, sql: &str) -> i64 {
    let sql = sql.to_owned();
    with_conn(db, move |conn| conn.query_one(&sql, &[])?.get(0))
}

/// Runs statements that return nothing.
pub fn execute(db: &Db, sql: &str, params: Vec<Value>) {
    let sql = sql.to_owned();
    with_conn(db, move |conn| conn.execute(&sql, &params).map(drop));
}

/// Every row `sql` returns, each as its columns.
pub fn rows(db: &Db, sql: &str, params: Vec<Value>) -> Vec<Vec<Value>> {
    let sql = sql.to_owned();
    with_conn(db, move |conn| {
        conn.query(&sql, &params)?
            .iter()
            .map(|row| (0..row.len()).map(|i| row.get::<Value>(i)).collect())
            .collect()
    })
}

/// One answer of the router, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// Sends `request` through the router in-process (`oneshot`), as a socket would.
pub async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// A GET, signed for a customer when `signature` is given.
pub async fn get(router: &Router, path: &str, signature: Option<&str>) -> Answer {
    let mut request = Request::get(path);
    if let Some(signature) = signature {
        request = request.header("x-lojal-signature", signature);
    }
    send(router, request.body(Body::empty()).unwrap()).await
}
