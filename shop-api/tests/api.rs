//! The reference API against a fresh database (an SQLite file in a temporary directory, or a
//! PostgreSQL schema when `DATABASE_URL` is set): every endpoint, its errors, concurrent
//! redemptions, idempotency, migrations, the demo pages, and one real socket.

mod common;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, count, get, send};
use lojal::core::loyalty::{LoyaltyStatus, Program, RedeemResponse};
use serde_json::json;
use shop_api::db::{Db, latest_version, migrate};
use shop_api::identity::ShopSecret;
use shop_api::{AppState, Options, app, parse_origins};
use tempfile::TempDir;

const SECRET: &str = "test-secret";

struct Shop {
    router: Router,
    db: Db,
    _dir: TempDir,
}

fn shop() -> Shop {
    shop_with(Options::default())
}

fn shop_with(mut options: Options) -> Shop {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(&dir.path().join("nested"));
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(
        www.join("index.html"),
        r#"<lojal-badge customer-id="c-1001" customer-sig="{{sig:c-1001}}"></lojal-badge>"#,
    )
    .unwrap();
    std::fs::write(
        www.join("demo.js"),
        "// {{sig:c-1001}} stays as written outside HTML",
    )
    .unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("lojal_wasm_bg.0123456789ab.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .unwrap();
    std::fs::write(
        dist.join("lojal_wasm_bg.0123456789ab.wasm.br"),
        b"brotli bytes",
    )
    .unwrap();
    std::fs::write(
        dist.join("lojal.js"),
        "import('./lojal_wasm.0123456789ab.js')",
    )
    .unwrap();
    options.www.get_or_insert(www);
    options.dist.get_or_insert(dist);
    let state = AppState::new(db.clone(), ShopSecret::new(SECRET));
    Shop {
        router: app(state, &options),
        db,
        _dir: dir,
    }
}

fn sig(id: &str) -> String {
    ShopSecret::new(SECRET).sign(id)
}

async fn redeem(router: &Router, customer: &str, reward: &str, key: Option<&str>) -> Answer {
    let mut request = Request::post(format!("/api/v1/loyalty/{customer}/redeem"))
        .header("x-lojal-signature", sig(customer))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let body = Body::from(json!({ "reward_id": reward }).to_string());
    send(router, request.body(body).unwrap()).await
}

async fn status_of(router: &Router, customer: &str) -> LoyaltyStatus {
    let answer = get(
        router,
        &format!("/api/v1/loyalty/{customer}"),
        Some(&sig(customer)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    serde_json::from_slice(&answer.body).unwrap()
}

fn sqlite_count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |row| row.get(0))
        .unwrap()
}

#[tokio::test]
async fn health_reports_the_schema_version() {
    let shop = shop();
    let answer = get(&shop.router, "/api/v1/health", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({ "status": "ok", "schema_version": latest_version() })
    );
}

#[tokio::test]
async fn the_program_lists_tiers_and_the_signup_offer() {
    let shop = shop();
    let answer = get(&shop.router, "/api/v1/loyalty/program", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let program = Program::from_json(&answer.text()).expect("the badge accepts it");
    assert_eq!(program.name, "Lojal Fordelsklubb");
    assert_eq!(program.signup_bonus, 100);
    assert_eq!(program.signup_url.as_deref(), Some("/bli-medlem"));
    let tiers: Vec<(&str, u64)> = program
        .tiers
        .iter()
        .map(|t| (t.name.as_str(), t.min_points))
        .collect();
    assert_eq!(tiers, [("Bronse", 0), ("Sølv", 500), ("Gull", 1500)]);
}

#[tokio::test]
async fn a_signed_customer_gets_balance_tier_and_next_tier() {
    let shop = shop();
    let answer = get(&shop.router, "/api/v1/loyalty/c-1001", Some(&sig("c-1001"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    // The widget's own validator accepts what the server sends.
    let status = LoyaltyStatus::from_json(&answer.text()).expect("valid for the badge");
    assert_eq!(status.points, 1250);
    assert_eq!(status.tier.name, "Sølv");
    assert_eq!(
        status.next_tier.as_ref().map(|t| t.name.as_str()),
        Some("Gull")
    );
    assert_eq!(status.points_to_next, 250);
    let redeemable: Vec<&str> = status.redeemable().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(redeemable, ["r-ship", "r-50", "r-100"]);

    // At the top tier there is no next tier; the tier follows lifetime points, not the balance.
    let kari = status_of(&shop.router, "c-1003").await;
    assert_eq!((kari.points, kari.tier.name.as_str()), (4200, "Gull"));
    assert_eq!((kari.next_tier, kari.points_to_next), (None, 0));
}

#[tokio::test]
async fn bad_or_missing_signatures_are_401_whether_or_not_the_customer_exists() {
    let shop = shop();
    for (path, signature) in [
        ("/api/v1/loyalty/c-1001", None),
        ("/api/v1/loyalty/c-1001", Some(String::new())),
        ("/api/v1/loyalty/c-1001", Some(sig("c-1003"))),
        ("/api/v1/loyalty/c-1001", Some("zz".repeat(32))),
        (
            "/api/v1/loyalty/c-1001",
            Some(sig("c-1001")[..60].to_owned()),
        ),
        ("/api/v1/loyalty/nobody", Some(sig("c-1001"))),
    ] {
        let answer = get(&shop.router, path, signature.as_deref()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{path} {signature:?}"
        );
        assert_eq!(answer.error_code(), "invalid_signature");
    }
    // Uppercase hex is the same signature.
    let signed = sig("c-1001");
    let (time, mac) = signed.split_once(",v1=").unwrap();
    let upper = get(
        &shop.router,
        "/api/v1/loyalty/c-1001",
        Some(&format!("{time},v1={}", mac.to_uppercase())),
    )
    .await;
    assert_eq!(upper.status, StatusCode::OK);

    let forged = redeem_with_signature(&shop.router, "c-1001", &sig("c-1002")).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&shop.router, "c-1001").await.points, 1250);
}

async fn redeem_with_signature(router: &Router, customer: &str, signature: &str) -> Answer {
    let request = Request::post(format!("/api/v1/loyalty/{customer}/redeem"))
        .header("x-lojal-signature", signature)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"reward_id":"r-ship"}"#))
        .unwrap();
    send(router, request).await
}

#[tokio::test]
async fn a_validly_signed_unknown_customer_is_404() {
    let shop = shop();
    let answer = get(&shop.router, "/api/v1/loyalty/c-9999", Some(&sig("c-9999"))).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.error_code(), "unknown_customer");
    assert_eq!(
        redeem(&shop.router, "c-9999", "r-ship", None)
            .await
            .error_code(),
        "unknown_customer"
    );
}

#[tokio::test]
async fn redeeming_pays_with_points_and_returns_a_unique_coupon() {
    let shop = shop();
    let answer = redeem(&shop.router, "c-1001", "r-ship", None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let response: RedeemResponse = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(response.coupon.reward_id, "r-ship");
    assert_eq!(response.coupon.reward_name, "Gratis frakt");
    assert_eq!(response.coupon.code.len(), "LOJAL-XXXX-XXXX".len());
    assert!(response.coupon.code.starts_with("LOJAL-"));
    assert!(response.coupon.expires_at.ends_with('Z') && response.coupon.expires_at.contains('T'));
    // The balance drops, lifetime points (and so the tier) do not.
    assert_eq!(response.status.points, 950);
    assert_eq!(response.status.tier_points, 1250);
    assert_eq!(response.status.tier.name, "Sølv");
    assert_eq!(status_of(&shop.router, "c-1001").await.points, 950);

    let second = redeem(&shop.router, "c-1001", "r-ship", None).await;
    let second: RedeemResponse = serde_json::from_slice(&second.body).unwrap();
    assert_ne!(second.coupon.code, response.coupon.code);
    assert_eq!(second.status.points, 650);
    // Her status keeps both codes, for when she left the page without them.
    let mut listed: Vec<String> = status_of(&shop.router, "c-1001")
        .await
        .coupons
        .into_iter()
        .map(|c| c.code)
        .collect();
    listed.sort();
    let mut issued = [second.coupon.code.clone(), response.coupon.code.clone()];
    issued.sort();
    assert_eq!(listed, issued);

    // Valid for 30 days from now, as the database sees the clock.
    let times = common::rows(
        &shop.db,
        "SELECT created_at, expires_at FROM coupons LIMIT 1",
        vec![],
    );
    let time = |i: usize| match &times[0][i] {
        shop_api::db::Value::Text(t) => lojal::core::games::parse_utc(t).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(time(1) - time(0), 30 * 86_400);
}

#[tokio::test]
async fn redeeming_more_than_the_balance_is_409_with_a_message_and_charges_nothing() {
    let shop = shop();
    let answer = redeem(&shop.router, "c-1001", "r-250", None).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.error_code(), "insufficient_points");
    assert_eq!(
        answer.json()["error"]["message"],
        "Ingrid has 1250 points; 250 kr rabatt costs 2500, 1250 more are needed"
    );
    assert_eq!(status_of(&shop.router, "c-1001").await.points, 1250);
    assert_eq!(count(&shop.db, "SELECT count(*) FROM coupons"), 0);
}

#[tokio::test]
async fn an_unknown_reward_is_404() {
    let shop = shop();
    let answer = redeem(&shop.router, "c-1001", "r-nope", None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.error_code(), "unknown_reward");
}

#[tokio::test]
async fn malformed_requests_get_json_errors() {
    let shop = shop();
    let post = |body: &'static str, content_type: &'static str| {
        Request::post("/api/v1/loyalty/c-1001/redeem")
            .header("x-lojal-signature", sig("c-1001"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let cases = [
        (
            post("{", "application/json"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            post(r#"{"reward_id": 7}"#, "application/json"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            post(r#"{"reward_id": ""}"#, "application/json"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            post("[]", "application/json"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            post(r#"{"reward_id":"r-ship"}"#, "text/plain"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (request, status, code) in cases {
        let answer = send(&shop.router, request).await;
        assert_eq!(
            (answer.status, answer.error_code()),
            (status, code.to_owned()),
            "{}",
            answer.text()
        );
    }

    let huge = format!(r#"{{"reward_id":"{}"}}"#, "a".repeat(20_000));
    let request = Request::post("/api/v1/loyalty/c-1001/redeem")
        .header("x-lojal-signature", sig("c-1001"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(huge))
        .unwrap();
    let answer = send(&shop.router, request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.error_code(), "payload_too_large");

    for key in ["short", "has space in it", &"k".repeat(101), "ünïcödé-key"] {
        let answer = redeem(&shop.router, "c-1001", "r-ship", Some(key)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{key}");
        assert_eq!(answer.error_code(), "invalid_idempotency_key");
    }
    assert_eq!(status_of(&shop.router, "c-1001").await.points, 1250);
}

#[tokio::test]
async fn unknown_api_routes_and_methods_answer_in_json() {
    let shop = shop();
    for path in ["/api/v1/nope", "/api/v2/loyalty/c-1001", "/api"] {
        let answer = get(&shop.router, path, None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.error_code(), "not_found");
    }
    let delete = Request::delete("/api/v1/loyalty/c-1001")
        .body(Body::empty())
        .unwrap();
    let answer = send(&shop.router, delete).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.error_code(), "method_not_allowed");
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_same_coupon_and_charges_once() {
    let shop = shop();
    let key = "4f1c2a9e-6b7d-4e0f-9a51-0c3d2b1e8f77";
    let first = redeem(&shop.router, "c-1001", "r-ship", Some(key)).await;
    let again = redeem(&shop.router, "c-1001", "r-ship", Some(key)).await;
    assert_eq!(
        (first.status, again.status),
        (StatusCode::OK, StatusCode::OK)
    );
    let (first, again): (RedeemResponse, RedeemResponse) = (
        serde_json::from_slice(&first.body).unwrap(),
        serde_json::from_slice(&again.body).unwrap(),
    );
    assert_eq!(first.coupon, again.coupon);
    assert_eq!(again.status.points, 950);
    assert_eq!(count(&shop.db, "SELECT count(*) FROM coupons"), 1);

    // The same key for another reward is a client bug, not a second purchase.
    let other = redeem(&shop.router, "c-1001", "r-50", Some(key)).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.error_code(), "idempotency_key_reused");
    // Keys belong to one customer: another shopper's identical key is a new redemption.
    let mart = redeem(&shop.router, "c-1002", "r-ship", Some(key)).await;
    assert_eq!(mart.status, StatusCode::OK);
    assert_eq!(status_of(&shop.router, "c-1001").await.points, 950);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redemptions_never_spend_the_same_points_twice() {
    let shop = shop();
    let router = Arc::new(shop.router.clone());
    // 1 250 points pay for two 500-point rewards; sixteen simultaneous attempts must not get more.
    let attempts = (0..16)
        .map(|_| {
            let router = Arc::clone(&router);
            tokio::spawn(async move { redeem(&router, "c-1001", "r-50", None).await.status })
        })
        .collect::<Vec<_>>();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let paid = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((paid, refused), (2, 14), "{statuses:?}");
    assert_eq!(status_of(&shop.router, "c-1001").await.points, 250);
    assert_eq!(
        count(&shop.db, "SELECT count(DISTINCT code) FROM coupons"),
        2
    );

    // The same key sent sixteen times at once is one redemption.
    let attempts = (0..16)
        .map(|_| {
            let router = Arc::clone(&router);
            tokio::spawn(async move {
                let answer = redeem(&router, "c-1003", "r-100", Some("same-key-16x")).await;
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
                serde_json::from_slice::<RedeemResponse>(&answer.body)
                    .unwrap()
                    .coupon
                    .code
            })
        })
        .collect::<Vec<_>>();
    let mut codes = std::collections::HashSet::new();
    for attempt in attempts {
        codes.insert(attempt.await.unwrap());
    }
    assert_eq!(codes.len(), 1);
    assert_eq!(status_of(&shop.router, "c-1003").await.points, 3200);
}

#[test]
fn migrations_run_once_and_keep_data_across_restarts() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("shop.sqlite");
    drop(Db::open(&path).unwrap());
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, latest_version());
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    conn.execute(
        "UPDATE customers SET first_name = 'Ingrid K.' WHERE id = 'c-1001'",
        [],
    )
    .unwrap();
    assert_eq!(migrate(&mut conn).unwrap(), 0, "nothing left to run");
    drop(conn);

    drop(Db::open(&path).unwrap());
    assert_eq!(
        sqlite_count(
            &path,
            "SELECT count(*) FROM customers WHERE id = 'c-1001' AND first_name = 'Ingrid K.'"
        ),
        1
    );
    assert_eq!(
        sqlite_count(&path, "SELECT count(*) FROM programme"),
        1,
        "the demo programme was loaded once"
    );
    assert_eq!(
        sqlite_count(&path, "SELECT count(*) FROM tiers"),
        3,
        "the seed ran once"
    );

    // A file from a newer server is refused rather than half-understood.
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let error = Db::open(&path).expect_err("refused").to_string();
    assert!(error.contains("schema version 99"), "{error}");
}

#[test]
fn an_sqlite_file_from_an_older_server_is_brought_up_to_date_with_its_data() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("shop.sqlite");
    // A file as the server before the games (four migrations) left it, with a shopper's change.
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        include_str!("../migrations/0001_loyalty.sql"),
        include_str!("../migrations/0002_demo_data.sql"),
        include_str!("../migrations/0003_catalog.sql"),
        include_str!("../migrations/0004_feedback.sql"),
    ] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 4).unwrap();
    conn.execute("UPDATE customers SET points = 42 WHERE id = 'c-1002'", [])
        .unwrap();
    drop(conn);

    let db = Db::open(&path).unwrap();
    // Her balance moved into the ledger: what she earned, less what she spent.
    assert_eq!(
        count(
            &db,
            "SELECT SUM(points) FROM ledger WHERE customer_id = 'c-1002'"
        ),
        42
    );
    assert_eq!(
        count(
            &db,
            "SELECT SUM(tier_points) FROM ledger WHERE customer_id = 'c-1002'"
        ),
        300
    );
    assert_eq!(count(&db, "SELECT count(*) FROM campaigns"), 3, "0005 ran");
    assert_eq!(count(&db, "SELECT count(*) FROM tiers"), 3, "0002 did not");
    assert_eq!(sqlite_count(&path, "PRAGMA user_version"), latest_version());
}

#[tokio::test]
async fn the_demo_pages_carry_real_signatures_and_the_bundle_its_mime_type() {
    let shop = shop();
    let page = get(&shop.router, "/", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-cache");
    let html = page.text();
    assert!(
        html.contains(&format!(r#"customer-sig="{}""#, sig("c-1001"))),
        "{html}"
    );
    assert!(!html.contains("{{sig:"));
    // Only HTML is templated.
    let script = get(&shop.router, "/demo.js", None).await;
    assert!(script.text().contains("{{sig:c-1001}}"));

    assert_eq!(
        page.headers[header::CONTENT_SECURITY_POLICY],
        shop_api::site::CONTENT_SECURITY_POLICY
    );

    // The hashed wasm may be cached for good; the loader, whose name merchants paste, may not.
    let wasm = get(&shop.router, "/lojal/lojal_wasm_bg.0123456789ab.wasm", None).await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(wasm.headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(
        wasm.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let loader = get(&shop.router, "/lojal/lojal.js", None).await;
    assert_eq!(loader.status, StatusCode::OK);
    assert_eq!(loader.headers[header::CACHE_CONTROL], "no-cache");

    // A browser that accepts brotli gets build.sh's .br file, still as wasm and still immutable;
    // one that does not, and a file without a .br beside it, get the file itself.
    let accepting = |path: &str, encodings: &str| {
        Request::get(path)
            .header(header::ACCEPT_ENCODING, encodings)
            .body(Body::empty())
            .unwrap()
    };
    let br = send(
        &shop.router,
        accepting(
            "/lojal/lojal_wasm_bg.0123456789ab.wasm",
            "gzip, deflate, br, zstd",
        ),
    )
    .await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.headers[header::CONTENT_ENCODING], "br");
    assert_eq!(br.headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(br.headers[header::VARY], "accept-encoding");
    assert_eq!(
        br.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(br.text(), "brotli bytes");
    let plain = send(
        &shop.router,
        accepting("/lojal/lojal_wasm_bg.0123456789ab.wasm", "gzip"),
    )
    .await;
    assert!(!plain.headers.contains_key(header::CONTENT_ENCODING));
    assert_eq!(plain.text().as_bytes(), b"\0asm\x01\0\0\0");
    let loader = send(&shop.router, accepting("/lojal/lojal.js", "br")).await;
    assert!(!loader.headers.contains_key(header::CONTENT_ENCODING));
    assert_eq!(loader.text(), "import('./lojal_wasm.0123456789ab.js')");
    assert_eq!(
        get(&shop.router, "/nope.html", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&shop.router, "/../Cargo.toml", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cors_admits_only_the_configured_origins() {
    let shop = shop_with(Options {
        allowed_origins: parse_origins("https://shop.example, https://www.shop.example/").unwrap(),
        ..Options::default()
    });
    let preflight = |origin: &str| {
        Request::options("/api/v1/loyalty/c-1001")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "x-lojal-signature")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = send(&shop.router, preflight("https://www.shop.example")).await;
    assert_eq!(
        allowed.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://www.shop.example"
    );
    let headers = allowed.headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        headers.contains("x-lojal-signature") && headers.contains("idempotency-key"),
        "{headers}"
    );
    let refused = send(&shop.router, preflight("https://evil.example")).await;
    assert!(
        refused
            .headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );

    assert!(parse_origins("").unwrap().is_empty());
    for bad in [
        "shop.example",
        "https://shop.example/path",
        "*",
        "ftp://shop.example",
        "https://",
    ] {
        assert!(parse_origins(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn the_server_answers_over_a_real_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let shop = shop();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = shop.router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /api/v1/loyalty/c-1002 HTTP/1.1\r\nHost: {addr}\r\nx-lojal-signature: {}\r\nConnection: close\r\n\r\n",
        sig("c-1002")
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.contains(r#""first_name":"Mart""#), "{response}");
    assert!(response.contains(r#""points":300"#), "{response}");
    server.abort();
}

#[tokio::test]
async fn the_demo_checkout_reports_the_order_as_shopify_would_and_only_once() {
    let shop = shop();
    let checkout = |customer: &str, signature: &str| {
        Request::post("/demo/checkout")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "customer_id={customer}&customer_sig={}",
                signature.replace(',', "%2C").replace('=', "%3D")
            )))
            .unwrap()
    };
    let before = status_of(&shop.router, "c-1001").await;
    for _ in 0..2 {
        let answer = send(&shop.router, checkout("c-1001", &sig("c-1001"))).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
        assert_eq!(answer.headers[header::LOCATION], "/ordre.html");
    }
    let after = status_of(&shop.router, "c-1001").await;
    // Ingrid is Sølv (×1.25): 2 248 kr earn 2 810 points, pending for the return window.
    assert_eq!(after.points, before.points);
    assert_eq!(after.pending_points, before.pending_points + 2810);
    assert_eq!(after.activity[0].kind, "purchase");
    assert_eq!(after.activity[0].detail.as_deref(), Some("NS-10042"));
    assert!(after.activity[0].pending);
    // A forged signature places a guest's order: nobody earns.
    let forged = send(&shop.router, checkout("c-1002", &sig("c-1001"))).await;
    assert_eq!(forged.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&shop.router, "c-1002").await.pending_points, 0);
}
