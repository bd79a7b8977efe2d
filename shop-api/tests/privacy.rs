//! A shopper's data (GDPR): Solveig signs up, orders, redeems, sets her birthday, plays as a
//! customer and as a guest, reviews and answers an NPS prompt, was referred by Ingrid and
//! refers a friend herself; Gudrun only played as a guest and claimed an invitation. Their
//! exports hold all of it; after their erasure a search of every column of every table finds
//! neither of them, and the shop's figures (points, coupons, stock, order amounts, NPS, review
//! scores, plays) are what they were. On PostgreSQL when `DATABASE_URL` is set.

mod common;

use std::collections::BTreeSet;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::process::shop_api;
use common::{Answer, Target, get, send};
use lojal::core::games::CampaignConfig;
use serde_json::{Value, json};
use shop_api::db::{Conn, Db, Value as DbValue};
use shop_api::identity::ShopSecret;
use shop_api::merchant::MerchantToken;
use shop_api::providers::Provider;
use shop_api::{AppState, Options, app};
use tempfile::TempDir;

const SECRET: &str = "privacy-secret";
const TOKEN: &str = "privacy-merchant-token";
const SOLVEIG: &str = "c-7781";
const EMAIL: &str = "Solveig.Nakken@example.no";
const GUDRUN: &str = "gjest.gudrun@example.no";

struct Shop {
    router: Router,
    db: Db,
    target: Target,
    _dir: TempDir,
}

fn shop() -> Shop {
    let dir = TempDir::new().unwrap();
    let target = common::fresh_target(dir.path());
    let db = common::open(&target).unwrap();
    let state = AppState {
        merchant_token: Some(MerchantToken::new(TOKEN).unwrap()),
        // Coupons wait in the queue for the shop's backend (no worker runs here), so the
        // queue's payloads hold her too.
        provider: Provider::Webhook {
            url: "http://127.0.0.1:9/coupons".parse().unwrap(),
            secret: "whsec_cHJpdmFjeS10ZXN0LXNlY3JldA==".into(),
        },
        ..AppState::new(db.clone(), ShopSecret::new(SECRET))
    };
    Shop {
        router: app(state, &Options::default()),
        db,
        target,
        _dir: dir,
    }
}

fn sig(id: &str) -> String {
    ShopSecret::new(SECRET).sign(id)
}

impl Shop {
    async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {TOKEN}"));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        send(&self.router, request.body(body).unwrap()).await
    }

    async fn ok(&self, method: &str, path: &str, headers: &[(&str, String)], body: Value) -> Value {
        let answer = self.call(method, path, headers, Some(body)).await;
        assert!(
            answer.status.is_success(),
            "{method} {path}: {} {}",
            answer.status,
            answer.text()
        );
        answer.json()
    }

    fn number(&self, sql: &str) -> i64 {
        common::count(&self.db, sql)
    }

    /// Everything the test compares before and after an erasure.
    async fn figures(&self) -> Vec<(String, Value)> {
        let mut figures: Vec<(String, Value)> = [
            "SELECT COALESCE(SUM(points), 0) FROM ledger",
            "SELECT COALESCE(SUM(tier_points), 0) FROM ledger",
            "SELECT count(*) FROM ledger",
            "SELECT count(*) FROM coupons",
            "SELECT count(*) FROM game_coupons",
            "SELECT COALESCE(SUM(stock), 0) FROM campaign_segments",
            "SELECT count(*) FROM plays",
            "SELECT COALESCE(SUM(eligible), 0) FROM shop_orders",
            "SELECT count(*) FROM purchases",
            "SELECT count(*) FROM referrals",
            "SELECT count(*) FROM feedback",
            "SELECT COALESCE(SUM(score), 0) FROM feedback",
            "SELECT count(*) FROM customers",
        ]
        .iter()
        .map(|sql| (sql.to_string(), json!(self.number(sql))))
        .collect();
        let summary = self
            .call("GET", "/api/v1/feedback/summary", &[], None)
            .await;
        figures.push(("summary".into(), summary.json()));
        let reviews = get(&self.router, "/api/v1/products/p-setesdal/reviews", None).await;
        let reviews = reviews.json();
        figures.push((
            "reviews".into(),
            json!([reviews["total"], reviews["average"]]),
        ));
        figures
    }

    /// `(table, column)` of every column that holds `needle`, in any case.
    fn find(&self, needle: &str) -> BTreeSet<(String, String)> {
        let needle = needle.to_lowercase();
        common::with_conn(&self.db, move |conn| {
            let columns: Vec<(String, String)> = match conn {
                Conn::Sqlite(_) => {
                    let tables = conn.query(
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                        &[],
                    )?;
                    let mut columns = Vec::new();
                    for table in tables {
                        let table: String = table.get(0)?;
                        for column in conn.query(
                            &format!("SELECT name FROM pragma_table_info('{table}')"),
                            &[],
                        )? {
                            columns.push((table.clone(), column.get(0)?));
                        }
                    }
                    columns
                }
                Conn::Postgres(_) => conn
                    .query(
                        "SELECT table_name::text, column_name::text FROM information_schema.columns
                         WHERE table_schema = current_schema()",
                        &[],
                    )?
                    .iter()
                    .map(|row| Ok((row.get(0)?, row.get(1)?)))
                    .collect::<Result<_, shop_api::db::DbError>>()?,
            };
            assert!(
                columns.len() > 100,
                "the search sees every column: {}",
                columns.len()
            );
            let mut found = BTreeSet::new();
            for (table, column) in columns {
                let sql = format!(
                    "SELECT count(*) FROM {table} WHERE lower(CAST({column} AS TEXT)) LIKE ?1"
                );
                let hits: i64 = conn
                    .query_one(&sql, &[DbValue::from(format!("%{needle}%"))])?
                    .get(0)?;
                if hits > 0 {
                    found.insert((table, column));
                }
            }
            Ok(found)
        })
    }
}

#[tokio::test]
async fn an_export_holds_everything_about_her_and_an_erasure_leaves_nothing_but_the_figures() {
    let shop = shop();
    // A campaign that always pays a prize, open to guests, with a consent to tick.
    let campaign = CampaignConfig::from_json(
        &json!({
            "id": "privacy", "name": "Privacy", "game": "wheel", "guest_email": true,
            "consent_text": "Ja takk, send meg nyheter.",
            "segments": [
                { "label": "10 %", "weight": 1, "prize": "10 % rabatt", "stock": 50,
                  "discount": { "kind": "percentage", "amount": 10 } },
                { "label": "Prøv igjen", "weight": 0, "fallback": true },
            ]
        })
        .to_string(),
    )
    .unwrap();
    shop.db
        .run(move |conn| shop_api::games::put_campaign(conn, &campaign))
        .await
        .unwrap();

    // Ingrid's invitation, claimed by Solveig before she was a customer, and by Gudrun.
    let ingrid = get(&shop.router, "/api/v1/loyalty/c-1001", Some(&sig("c-1001"))).await;
    let code = ingrid.json()["referral"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    for email in [EMAIL, GUDRUN] {
        shop.ok(
            "POST",
            &format!("/api/v1/referrals/{code}/claim"),
            &[],
            json!({ "email": email }),
        )
        .await;
    }
    shop.ok(
        "POST",
        "/api/v1/customers",
        &[],
        json!({ "id": SOLVEIG, "email": EMAIL, "first_name": "Solveig" }),
    )
    .await;
    shop.ok(
        "POST",
        "/api/v1/orders",
        &[],
        json!({ "id": "9001", "customer_id": SOLVEIG, "email": EMAIL, "first_name": "Solveig",
                "currency": "NOK", "subtotal": 64900, "status": "paid",
                "lines": [{ "product_id": "p-setesdal" }] }),
    )
    .await;
    common::execute(
        &shop.db,
        "INSERT INTO ledger (customer_id, kind, points, tier_points, source, available_at, created_at)
         VALUES (?1, 'opening', 1000, 1000, 'opening', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        vec![DbValue::from(SOLVEIG)],
    );
    let signed = |key: &str| {
        vec![
            ("x-lojal-signature", sig(SOLVEIG)),
            ("idempotency-key", key.to_owned()),
        ]
    };
    shop.ok(
        "POST",
        &format!("/api/v1/loyalty/{SOLVEIG}/redeem"),
        &signed("privacy-redeem-1"),
        json!({ "reward_id": "r-ship" }),
    )
    .await;
    shop.ok(
        "PUT",
        &format!("/api/v1/loyalty/{SOLVEIG}/birthday"),
        &signed("privacy-birthday"),
        json!({ "month": 3, "day": 14 }),
    )
    .await;
    shop.ok(
        "POST",
        "/api/v1/campaigns/privacy/play",
        &signed("privacy-play-1"),
        json!({ "customer_id": SOLVEIG }),
    )
    .await;
    for (email, key) in [(EMAIL, "privacy-play-2"), (GUDRUN, "privacy-play-3")] {
        shop.ok(
            "POST",
            "/api/v1/campaigns/privacy/play",
            &[("idempotency-key", key.to_owned())],
            json!({ "email": email, "marketing_consent": true, "consent_text": "Ja takk, send meg nyheter." }),
        )
        .await;
    }
    shop.ok(
        "POST",
        "/api/v1/feedback",
        &signed("privacy-review-1"),
        json!({ "type": "review", "score": 4, "title": "Varm og god", "text": "Hilsen Solveig Nakken",
                "product_id": "p-setesdal", "customer_id": SOLVEIG, "campaign": "reviews",
                "page_url": "https://shop.example/p/setesdal?kunde=c-7781" }),
    )
    .await;
    let review = shop.number("SELECT MAX(id) FROM feedback");
    shop.ok(
        "POST",
        &format!("/api/v1/feedback/{review}/moderation"),
        &[],
        json!({ "status": "published" }),
    )
    .await;
    shop.ok(
        "POST",
        "/api/v1/feedback",
        &signed("privacy-nps-1"),
        json!({ "type": "nps", "score": 3, "text": "Send svar til solveig.nakken@example.no",
                "customer_id": SOLVEIG, "campaign": "2026-Q4", "order_id": "9001" }),
    )
    .await;
    // A merchant's correction through the console's API: a ledger row and an audit row.
    shop.ok(
        "POST",
        &format!("/api/v1/admin/customers/{SOLVEIG}/adjustments"),
        &[("idempotency-key", "privacy-adjust-1".to_owned())],
        json!({ "points": 25, "reason": "Solveig Nakken ringte om en skadet genser" }),
    )
    .await;
    // Her own invitation, claimed by a friend.
    let hers = get(
        &shop.router,
        &format!("/api/v1/loyalty/{SOLVEIG}"),
        Some(&sig(SOLVEIG)),
    )
    .await;
    let her_code = hers.json()["referral"]["code"].as_str().unwrap().to_owned();
    shop.ok(
        "POST",
        &format!("/api/v1/referrals/{her_code}/claim"),
        &[],
        json!({ "email": "venn.vera@example.no" }),
    )
    .await;

    let spread = shop.find("nakken");
    assert!(
        spread.len() >= 8,
        "the search finds her in many places: {spread:?}"
    );
    let tables: BTreeSet<String> = shop.find(SOLVEIG).into_iter().map(|(t, _)| t).collect();
    for table in [
        "customers",
        "ledger",
        "coupons",
        "plays",
        "game_coupons",
        "feedback",
        "shop_orders",
        "orders",
        "purchases",
        "referrals",
        "events",
        "work_queue",
        "audit_log",
    ] {
        assert!(
            tables.contains(table),
            "she is in {table} before: {tables:?}"
        );
    }

    // The export, through the merchant API and the command line alike.
    let export = shop
        .call(
            "GET",
            &format!("/api/v1/admin/customers/{SOLVEIG}/export"),
            &[],
            None,
        )
        .await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.text());
    let export = export.json();
    assert_eq!(
        export["subject"],
        json!({ "customer_id": SOLVEIG, "emails": [EMAIL.to_lowercase()] })
    );
    assert_eq!(export["customer"][0]["first_name"], "Solveig");
    assert_eq!(export["customer"][0]["birthday_month"], 3);
    for (section, at_least) in [
        ("ledger", 3),
        ("coupons", 1),
        ("plays", 2),
        ("prizes", 2),
        ("feedback", 2),
        ("referrals_made", 1),
        ("referral_received", 1),
        ("orders", 1),
        ("purchases", 1),
        ("events", 4),
        ("queued_work", 2),
    ] {
        let rows = export[section].as_array().map_or(0, Vec::len);
        assert!(rows >= at_least, "{section}: {rows} rows in {export:#}");
    }
    assert!(
        export["plays"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["marketing_consent"] == 1)
    );
    assert!(
        export["feedback"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["text"] == "Hilsen Solveig Nakken")
    );
    // The friend she invited is the friend's own data.
    assert!(!export.to_string().contains("venn.vera"));
    let cli = shop_api(&shop.target, SECRET)
        .args(["customer", "export", SOLVEIG])
        .output()
        .unwrap();
    assert!(cli.status.success(), "{cli:?}");
    let mut from_cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    from_cli["exported_at"] = export["exported_at"].clone();
    assert_eq!(from_cli, export);

    let before = shop.figures().await;
    let erased = shop
        .call(
            "DELETE",
            &format!("/api/v1/admin/customers/{SOLVEIG}"),
            &[],
            None,
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.text());
    assert!(
        erased.json()["pseudonym"]
            .as_str()
            .unwrap()
            .starts_with("erased-")
    );
    let guest = shop_api(&shop.target, SECRET)
        .args(["customer", "erase", GUDRUN])
        .output()
        .unwrap();
    assert!(guest.status.success(), "{guest:?}");

    for needle in [
        SOLVEIG,
        "solveig",
        "nakken",
        "gudrun",
        "kunde=c-7781",
        "Varm og god",
    ] {
        let found = shop.find(needle);
        assert!(found.is_empty(), "{needle:?} is still in {found:?}");
    }
    // Others are untouched: Ingrid's referral points and the friend Solveig invited.
    assert_eq!(
        shop.number(
            "SELECT count(*) FROM customers WHERE id = 'c-1001' AND email = 'ingrid@example.no'"
        ),
        1
    );
    assert_eq!(
        shop.number("SELECT count(*) FROM referrals WHERE email = 'venn.vera@example.no'"),
        1
    );
    assert_eq!(
        shop.figures().await,
        before,
        "the figures are what they were"
    );

    let again = shop
        .call(
            "GET",
            &format!("/api/v1/admin/customers/{SOLVEIG}/export"),
            &[],
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let badge = get(
        &shop.router,
        &format!("/api/v1/loyalty/{SOLVEIG}"),
        Some(&sig(SOLVEIG)),
    )
    .await;
    assert_eq!(badge.status, StatusCode::NOT_FOUND);
    let nobody = shop_api(&shop.target, SECRET)
        .args(["customer", "export", GUDRUN])
        .output()
        .unwrap();
    assert!(!nobody.status.success());
    assert!(
        String::from_utf8_lossy(&nobody.stderr).contains("holds nothing"),
        "{nobody:?}"
    );
}

#[tokio::test]
async fn the_customer_endpoints_need_the_merchant_token() {
    let shop = shop();
    for (method, uri) in [
        ("GET", "/api/v1/admin/customers/c-1001/export"),
        ("DELETE", "/api/v1/admin/customers/c-1001"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", "Bearer not-the-merchant-token")
            .body(Body::empty())
            .unwrap();
        let answer = send(&shop.router, request).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method}");
    }
    assert_eq!(
        shop.number("SELECT count(*) FROM customers WHERE id = 'c-1001'"),
        1
    );
}
