//! Two `shop-api` processes sharing one database, as behind a load balancer: requests alternate
//! between them, so only the database's own locks and constraints keep the promises (one play
//! per period, a prize stock paid out exactly, points spent once, an answer stored once). On
//! PostgreSQL when `DATABASE_URL` is set (a fresh schema), else on one SQLite file.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};

use common::{Target, count};
use serde_json::{Value, json};
use shop_api::db::{Conn, latest_version, schema_version};
use shop_api::identity::ShopSecret;
use tempfile::TempDir;

const SECRET: &str = "instances-secret";

/// Where the two processes keep their data: `--database-url …` or `--db …`.
fn database_args(dir: &TempDir) -> Vec<String> {
    match common::postgres_url() {
        Some(url) => vec!["--database-url".into(), common::fresh_schema(&url)],
        None => vec![
            "--db".into(),
            dir.path().join("shop.sqlite").display().to_string(),
        ],
    }
}

fn shop_api(database: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shop-api"));
    command
        .env_remove("DATABASE_URL")
        .env("LOJAL_SHOP_SECRET", SECRET)
        .args(database);
    command
}

/// A running `shop-api` process, stopped when dropped.
struct Instance {
    child: Child,
    addr: SocketAddr,
}

impl Instance {
    fn start(database: &[String]) -> Self {
        let mut child = shop_api(database)
            .args(["--addr", "127.0.0.1:0", "--no-rate-limits"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .parse()
            .unwrap();
        Self { child, addr }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `POST` over a real socket: the status and the JSON body.
fn post(addr: SocketAddr, path: &str, headers: &[(&str, String)], body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn signed(customer: &str, key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-lojal-signature", ShopSecret::new(SECRET).sign(customer)),
        ("idempotency-key", key.to_owned()),
    ]
}

/// Runs `request(i)` for every `i` at once on its own thread and collects the answers.
fn all_at_once(count: usize, request: impl Fn(usize) -> (u16, Value) + Sync) -> Vec<(u16, Value)> {
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..count)
            .map(|i| {
                let request = &request;
                scope.spawn(move || request(i))
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

fn put_campaign(database: &[String], dir: &TempDir, campaign: Value) {
    let file = dir.path().join("campaign.json");
    std::fs::write(&file, campaign.to_string()).unwrap();
    let out = shop_api(database)
        .args(["campaign", "put"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn status_count(answers: &[(u16, Value)], status: u16) -> usize {
    answers.iter().filter(|(s, _)| *s == status).count()
}

#[test]
fn two_instances_on_one_database_keep_every_promise() {
    let dir = TempDir::new().unwrap();
    let database = database_args(&dir);
    put_campaign(
        &database,
        &dir,
        json!({
            "id": "rush", "name": "Rush", "game": "wheel", "guest_email": true,
            "segments": [
                { "label": "50 %", "weight": 99, "prize": "50 % rabatt", "stock": 10 },
                { "label": "Prøv igjen", "weight": 1, "fallback": true },
            ]
        }),
    );
    put_campaign(
        &database,
        &dir,
        json!({
            "id": "daily", "name": "Daily", "game": "wheel",
            "segments": [
                { "label": "Gevinst", "weight": 1, "prize": "10 % rabatt" },
                { "label": "Prøv igjen", "weight": 0, "fallback": true },
            ]
        }),
    );
    let instances = [Instance::start(&database), Instance::start(&database)];
    let addr = |i: usize| instances[i % 2].addr;

    // 200 players, alternating between the instances, on a stock of 10.
    let rush = all_at_once(200, |i| {
        post(
            addr(i),
            "/api/v1/campaigns/rush/play",
            &[("idempotency-key", format!("rush-play-{i:04}"))],
            &json!({ "email": format!("player{i}@example.no") }),
        )
    });
    assert_eq!(status_count(&rush, 200), 200, "{rush:?}");
    let codes: std::collections::HashSet<&str> = rush
        .iter()
        .filter_map(|(_, body)| body["prize"]["code"].as_str())
        .collect();
    assert_eq!(
        codes.len(),
        10,
        "exactly the stock is paid out, each coupon its own"
    );

    // One shopper, 50 plays at once through both instances: one prize, 49 refusals.
    let daily = all_at_once(50, |i| {
        post(
            addr(i),
            "/api/v1/campaigns/daily/play",
            &signed("c-1001", &format!("daily-play-{i:04}")),
            &json!({ "customer_id": "c-1001" }),
        )
    });
    assert_eq!(
        (status_count(&daily, 200), status_count(&daily, 429)),
        (1, 49),
        "{daily:?}"
    );

    // One idempotency key sent 16 times through both instances: one play, the same answer.
    let replays = all_at_once(16, |i| {
        post(
            addr(i),
            "/api/v1/campaigns/daily/play",
            &signed("c-1002", "daily-same-key"),
            &json!({ "customer_id": "c-1002" }),
        )
    });
    assert_eq!(status_count(&replays, 200), 16, "{replays:?}");
    assert!(replays.iter().all(|(_, body)| *body == replays[0].1));

    // Kari's 4200 points buy four 1000-point rewards, however the requests are spread.
    let redemptions = all_at_once(16, |i| {
        post(
            addr(i),
            "/api/v1/loyalty/c-1003/redeem",
            &signed("c-1003", &format!("redeem-key-{i:04}")),
            &json!({ "reward_id": "r-100" }),
        )
    });
    assert_eq!(
        (
            status_count(&redemptions, 200),
            status_count(&redemptions, 409)
        ),
        (4, 12),
        "{redemptions:?}"
    );

    // One answer delivered 16 times through both instances is stored once.
    let answers = all_at_once(16, |i| {
        post(
            addr(i),
            "/api/v1/feedback",
            &[("idempotency-key", "answer-once-0001".to_owned())],
            &json!({ "type": "nps", "score": 9, "campaign": "2026-Q4" }),
        )
    });
    assert_eq!(
        (status_count(&answers, 201), status_count(&answers, 200)),
        (1, 15),
        "{answers:?}"
    );
    assert!(
        answers
            .iter()
            .all(|(_, body)| body["id"] == answers[0].1["id"])
    );
}

#[test]
fn instances_starting_together_migrate_once_and_a_newer_schema_is_refused() {
    let dir = TempDir::new().unwrap();
    let target = common::fresh_target(dir.path());
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| common::open(&target).unwrap());
        let second = scope.spawn(|| common::open(&target).unwrap());
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_eq!(common::with_conn(&first, schema_version), latest_version());
    assert_eq!(
        count(&second, "SELECT count(*) FROM tiers"),
        3,
        "the seed ran once"
    );
    assert_eq!(
        count(&second, "SELECT count(*) FROM programme"),
        1,
        "the demo programme was stored once"
    );
    common::execute(
        &second,
        "UPDATE customers SET first_name = 'Ingrid K.' WHERE id = 'c-1001'",
        vec![],
    );
    drop((first, second));

    let again = common::open(&target).unwrap();
    assert_eq!(
        count(
            &again,
            "SELECT count(*) FROM customers WHERE id = 'c-1001' AND first_name = 'Ingrid K.'"
        ),
        1,
        "a restart keeps the data and runs nothing again"
    );
    common::with_conn(&again, |conn| match conn {
        Conn::Sqlite(_) => conn.execute_batch("PRAGMA user_version = 99"),
        Conn::Postgres(_) => conn.execute_batch("UPDATE lojal_schema SET version = 99"),
    });
    let error = common::open(&target).expect_err("refused").to_string();
    assert!(error.contains("schema version 99"), "{error}");
    if let Target::Postgres(_) = target {
        assert_eq!(count(&again, "SELECT count(*) FROM lojal_schema"), 1);
    }
}
