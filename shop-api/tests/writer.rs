//! `Db::write`: on SQLite one writer commits the writes queued together in one transaction,
//! each in a savepoint of its own. A write that fails or panics takes back its own changes and
//! no one else's, a write is answered only once committed, and a write that commits one
//! transaction before failing in the next keeps the first, as it would on its own. The same
//! holds on PostgreSQL (`DATABASE_URL`), where every write is a connection's own.

mod common;

use shop_api::db::{Conn, Db, DbError, Value};
use shop_api::params;
use tempfile::TempDir;

fn mark(conn: &mut Conn, name: &str) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO jobs (name, last_day) VALUES (?1, 'written')",
        &params![name],
    )
    .map(drop)
}

fn marked(db: &Db) -> Vec<String> {
    common::rows(
        db,
        "SELECT name FROM jobs WHERE last_day = 'written' ORDER BY name",
        vec![],
    )
    .into_iter()
    .map(|row| match &row[0] {
        Value::Text(name) => name.clone(),
        other => panic!("{other:?}"),
    })
    .collect()
}

#[tokio::test]
async fn writes_queued_together_fail_and_succeed_each_on_its_own() {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    db.write(|conn| mark(conn, "0-before")).await.unwrap();
    // The first write holds the writer while the others queue up behind it, so on SQLite they
    // run as one group.
    let slow = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write(|conn| {
                std::thread::sleep(std::time::Duration::from_millis(200));
                let mut tx = conn.transaction()?;
                mark(&mut tx, "a-slow")?;
                tx.commit()
            })
            .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let ok = db.write(|conn| {
        let mut tx = conn.transaction()?;
        mark(&mut tx, "b-ok")?;
        tx.commit()
    });
    let failed = db.write(|conn| -> Result<(), DbError> {
        let mut tx = conn.transaction()?;
        mark(&mut tx, "c-failed")?;
        // A row that exists: the constraint fails, the write gives up.
        mark(&mut tx, "0-before")?;
        tx.commit()
    });
    let panicked = db.write(|conn| -> Result<(), DbError> {
        let mut tx = conn.transaction()?;
        mark(&mut tx, "d-panicked")?;
        panic!("a bug in a write");
    });
    let half = db.write(|conn| -> Result<(), DbError> {
        let mut first = conn.transaction()?;
        mark(&mut first, "e-first-half")?;
        first.commit()?;
        let mut second = conn.transaction()?;
        mark(&mut second, "f-second-half")?;
        Err(DbError::Mismatch("the second half gives up".into()))
    });
    let (ok, failed, panicked, half) = tokio::join!(ok, failed, panicked, half);
    slow.await.unwrap().unwrap();
    ok.unwrap();
    assert!(failed.is_err(), "the same row twice");
    assert!(panicked.unwrap_err().to_string().contains("panicked"));
    assert!(half.is_err());
    assert_eq!(marked(&db), ["0-before", "a-slow", "b-ok", "e-first-half"]);

    let text = shop_api::telemetry::Metrics::new(db.stats())
        .encode()
        .unwrap();
    if common::postgres_url().is_none() {
        // The first write and the slow one alone, the four behind it as one group.
        let groups = text
            .lines()
            .find_map(|l| l.strip_prefix(r#"lojal_db_write_group_size_bucket{le="2.0"} "#))
            .unwrap();
        let total = text
            .lines()
            .find_map(|l| l.strip_prefix("lojal_db_write_group_size_count "))
            .unwrap();
        assert_eq!(
            (groups, total),
            ("2", "3"),
            "two groups of one, one of four:\n{text}"
        );
    }
}

#[tokio::test]
async fn closing_commits_every_write_it_took_and_refuses_the_rest() {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let writes: Vec<_> = (0..50)
        .map(|n| {
            let db = db.clone();
            tokio::spawn(async move {
                let name = format!("close-{n:02}");
                let written = db
                    .write({
                        let name = name.clone();
                        move |conn| {
                            let mut tx = conn.transaction()?;
                            mark(&mut tx, &name)?;
                            tx.commit()
                        }
                    })
                    .await;
                (name, written)
            })
        })
        .collect();
    tokio::task::yield_now().await;
    let closing = db.clone();
    tokio::task::spawn_blocking(move || closing.close())
        .await
        .unwrap();
    let mut taken = Vec::new();
    for write in writes {
        let (name, written) = write.await.unwrap();
        match written {
            Ok(()) => taken.push(name),
            Err(error) => assert!(error.to_string().contains("closed"), "{error}"),
        }
    }
    assert!(!taken.is_empty());
    assert_eq!(
        marked(&db),
        taken,
        "what was answered is stored, nothing else"
    );
}

/// SQLite's write-ahead log starts over under steady writes and reads instead of growing for as
/// long as the load lasts and filling the disk. Without the writer starting it over, this
/// test's log held all it wrote at the end, 432 MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sqlite_log_starts_over_under_steady_writes_and_reads() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("shop.sqlite");
    let db = Db::open(&path).unwrap();
    let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (db, reading) = (db.clone(), reading.clone());
            tokio::spawn(async move {
                while reading.load(std::sync::atomic::Ordering::Relaxed) {
                    db.run(|conn| conn.query("SELECT count(*) FROM jobs", &[]).map(drop))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    // 64 writers of 50 rows of 64 KiB each: some 200 MiB through the log.
    let row = "x".repeat(64 << 10);
    let writers: Vec<_> = (0..64)
        .map(|writer| {
            let (db, row) = (db.clone(), row.clone());
            tokio::spawn(async move {
                for n in 0..50 {
                    let name = format!("{writer}-{n}-{row}");
                    db.write(move |conn| mark(conn, &name)).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    reading.store(false, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    let rows = common::rows(
        &db,
        "SELECT count(*) FROM jobs WHERE last_day = 'written'",
        vec![],
    );
    assert_eq!(rows[0][0], Value::Integer(3200));
    assert!(db.stats().log_restarts() > 0, "the log never started over");
    // It starts over past 64 MiB when the writer can copy the rest in a moment, and past
    // 128 MiB in any case.
    let log = std::fs::metadata(dir.path().join("shop.sqlite-wal"))
        .unwrap()
        .len();
    assert!(log < 200 << 20, "the log holds {} MiB", log >> 20);
}
