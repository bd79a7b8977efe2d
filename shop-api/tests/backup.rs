//! `shop-api backup FILE` while a live server takes writes: the copy is whole and consistent
//! (every write acknowledged before the backup began is in it, every answer in it once), and a
//! server started on it is a working shop. On PostgreSQL (`DATABASE_URL`), the command says to
//! use pg_dump instead.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::Target;
use common::process::{Instance, Outcome, post, request, shop_api};
use serde_json::json;
use shop_api::db::{Db, Value};
use shop_api::identity::ShopSecret;
use tempfile::TempDir;

const SECRET: &str = "backup-secret";
const WRITERS: usize = 8;

#[test]
fn a_backup_taken_while_the_shop_writes_restores_to_a_working_shop() {
    let dir = TempDir::new().unwrap();
    let target = common::fresh_target(dir.path());
    let copy = dir.path().join("copy.sqlite");
    if let Target::Postgres(_) = target {
        let refused = shop_api(&target, SECRET)
            .args(["backup"])
            .arg(&copy)
            .output()
            .unwrap();
        assert!(!refused.status.success());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("pg_dump"),
            "{refused:?}"
        );
        return;
    }
    let mut command = shop_api(&target, SECRET);
    command.arg("--no-rate-limits");
    let live = Instance::start(command);

    // Writers answer NPS prompts without pause; each acknowledged key is kept with the time
    // its answer arrived.
    let acknowledged = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let (started, finished, output) = std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let (acknowledged, stop) = (&acknowledged, &stop);
            let addr = live.addr;
            scope.spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let key = format!("backup-{writer}-{n:06}");
                    let body = json!({ "type": "nps", "score": n % 11, "campaign": "backup" });
                    let outcome = request(
                        addr,
                        "POST",
                        "/api/v1/feedback",
                        &[("idempotency-key", key.clone())],
                        Some(&body),
                    );
                    assert!(
                        matches!(outcome, Outcome::Answered(201, _)),
                        "{key}: {outcome:?}"
                    );
                    acknowledged.lock().unwrap().push((key, Instant::now()));
                }
            });
        }
        while acknowledged.lock().unwrap().len() < 200 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let started = Instant::now();
        let output = shop_api(&target, SECRET)
            .arg("backup")
            .arg(&copy)
            .output()
            .unwrap();
        let finished = Instant::now();
        // Writes go on after the backup, and must not reach the copy.
        std::thread::sleep(Duration::from_millis(100));
        stop.store(true, Ordering::SeqCst);
        (started, finished, output)
    });
    assert!(output.status.success(), "{output:?}");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("checked"), "{said}");

    let acknowledged = acknowledged.into_inner().unwrap();
    let before: Vec<&String> = acknowledged
        .iter()
        .filter(|(_, at)| *at < started)
        .map(|(key, _)| key)
        .collect();
    let after = acknowledged.iter().filter(|(_, at)| *at > finished).count();
    assert!(
        before.len() >= 200 && after > 0,
        "{} before, {after} after",
        before.len()
    );
    // Opening it as a shop: migrated already, nothing to do, and every early answer is there.
    let restored = Db::open(&copy).unwrap();
    let stored = common::rows(
        &restored,
        "SELECT idempotency_key FROM feedback WHERE campaign = 'backup'",
        vec![],
    );
    let rows = stored.len();
    let stored: std::collections::HashSet<String> = stored
        .into_iter()
        .map(|row| match &row[0] {
            Value::Text(key) => key.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(stored.len(), rows, "every answer once");
    for key in &before {
        assert!(
            stored.contains(*key),
            "{key} was acknowledged before the backup began"
        );
    }
    assert!(
        stored.len() < acknowledged.len(),
        "writes after the backup are not in it"
    );
    drop(restored);
    drop(live);

    // A server on the copy: a signed redemption, a play and an answer.
    let copy_target = Target::Sqlite(copy.clone());
    let mut command = shop_api(&copy_target, SECRET);
    command.arg("--no-rate-limits");
    let shop = Instance::start(command);
    let signature = ShopSecret::new(SECRET).sign("c-1003");
    let (status, body) = post(
        shop.addr,
        "/api/v1/loyalty/c-1003/redeem",
        &[
            ("x-lojal-signature", signature),
            ("idempotency-key", "restored-redeem".into()),
        ],
        &json!({ "reward_id": "r-ship" }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["points"], 3900);
    let (status, body) = post(
        shop.addr,
        "/api/v1/campaigns/vinterhjulet/play",
        &[("idempotency-key", "restored-play".into())],
        &json!({ "email": "etter@example.no", "marketing_consent": false }),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        shop.addr,
        "/api/v1/feedback",
        &[("idempotency-key", "restored-answer".into())],
        &json!({ "type": "nps", "score": 10, "campaign": "restored" }),
    );
    assert_eq!(status, 201, "{body}");

    // An existing file is never overwritten.
    let again = shop_api(&target, SECRET)
        .arg("backup")
        .arg(&copy)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("exists"),
        "{again:?}"
    );
}
