//! Points earned from orders, against a fresh database (SQLite, or PostgreSQL when
//! `DATABASE_URL` is set): Shopify and WooCommerce webhooks signed as those platforms sign them
//! (payloads in `tests/fixtures/`, shaped after the platforms' documented webhook bodies), the
//! merchant API's own order shape, pending points, refunds, cancellations, currencies, the
//! sign-up bonus, reviews, birthdays, expiry, referrals, and the programme as configuration.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, count, send};
use jiff::Timestamp;
use serde_json::{Value, json};
use shop_api::db::Db;
use shop_api::identity::ShopSecret;
use shop_api::ledger;
use shop_api::merchant::MerchantToken;
use shop_api::webhooks::{WebhookSecret, WebhookSecrets};
use shop_api::{AppState, Options, app, calendar, jobs, loyalty, programme};
use tempfile::TempDir;

const SECRET: &str = "test-secret";
const SHOPIFY_SECRET: &str = "shopify-webhook-secret";
const WOO_SECRET: &str = "woocommerce-webhook-secret";
const TOKEN: &str = "merchant-token-0123456789";
/// The Shopify fixture's customer and order.
const JON: &str = "115310627314723954";

const ORDER_PAID: &str = include_str!("fixtures/shopify/orders-paid.json");
const REFUND: &str = include_str!("fixtures/shopify/refunds-create.json");
const CUSTOMER_CREATED: &str = include_str!("fixtures/shopify/customers-create.json");
const WOO_ORDER: &str = include_str!("fixtures/woocommerce/order.json");
const WOO_CUSTOMER: &str = include_str!("fixtures/woocommerce/customer.json");

struct Shop {
    router: Router,
    db: Db,
    _dir: TempDir,
}

fn shop() -> Shop {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let state = AppState {
        merchant_token: Some(MerchantToken::new(TOKEN).unwrap()),
        webhooks: WebhookSecrets {
            shopify: Some(WebhookSecret::new(SHOPIFY_SECRET)),
            woocommerce: Some(WebhookSecret::new(WOO_SECRET)),
        },
        ..AppState::new(db.clone(), ShopSecret::new(SECRET))
    };
    Shop {
        router: app(state, &Options::default()),
        db,
        _dir: dir,
    }
}

/// The demo programme with some numbers changed.
fn programme_with(change: impl FnOnce(&mut Value)) -> String {
    let mut programme: Value = serde_json::from_str(programme::DEMO).unwrap();
    change(&mut programme);
    programme.to_string()
}

impl Shop {
    async fn put_programme(&self, json: String) -> Answer {
        let request = Request::put("/api/v1/admin/programme")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json))
            .unwrap();
        send(&self.router, request).await
    }

    async fn shopify(&self, topic: &str, webhook_id: &str, body: &str) -> Answer {
        send(&self.router, shopify_request(topic, webhook_id, body)).await
    }

    async fn woocommerce(&self, topic: &str, body: &str) -> Answer {
        let request = Request::post("/api/v1/webhooks/woocommerce")
            .header("x-wc-webhook-topic", topic)
            .header("x-wc-webhook-source", "https://nordlys.example/")
            .header(
                "x-wc-webhook-delivery-id",
                format!("{}", getrandom::u32().unwrap()),
            )
            .header(
                "x-wc-webhook-signature",
                WebhookSecret::new(WOO_SECRET).sign(body.as_bytes()),
            )
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        send(&self.router, request).await
    }

    async fn order(&self, body: Value) -> Answer {
        let request = Request::post("/api/v1/orders")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        send(&self.router, request).await
    }

    fn balance(&self, customer: &str, at: Timestamp) -> ledger::Balance {
        let customer = customer.to_owned();
        common::with_conn(&self.db, move |conn| ledger::balance(conn, &customer, at))
    }

    fn rows(&self, customer: &str) -> Vec<ledger::LedgerRow> {
        let customer = customer.to_owned();
        common::with_conn(&self.db, move |conn| ledger::rows(conn, &customer))
    }

    fn ledger_rows(&self) -> i64 {
        count(&self.db, "SELECT count(*) FROM ledger")
    }
}

fn days(n: i64) -> Timestamp {
    calendar::plus_days(calendar::now(), n)
}

fn with_field(json: &str, pointer: &str, value: Value) -> String {
    let mut v: Value = serde_json::from_str(json).unwrap();
    *v.pointer_mut(pointer).unwrap() = value;
    v.to_string()
}

#[tokio::test]
async fn a_paid_shopify_order_earns_its_subtotal_pending_for_the_return_window() {
    let shop = shop();
    let answer = shop.shopify("orders/paid", "w-1", ORDER_PAID).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["order"]["points"], 2248);
    // A new customer (bronze, ×1): 2 248.00 kr of items, shipping left out, pending 14 days.
    let now = shop.balance(JON, calendar::now());
    assert_eq!((now.points, now.pending, now.tier_points), (0, 2248, 0));
    let later = shop.balance(JON, days(15));
    assert_eq!(
        (later.points, later.pending, later.tier_points),
        (2248, 0, 2248)
    );
    let rows = shop.rows(JON);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, "purchase");
    assert_eq!(rows[0].detail.as_deref(), Some("#1042"));
    assert_eq!(
        count(
            &shop.db,
            &format!(
                "SELECT count(*) FROM customers WHERE id = '{JON}' AND email = 'jon@example.com'"
            )
        ),
        1,
        "an order from a customer lojal had not seen creates her"
    );
}

#[tokio::test]
async fn a_forged_or_missing_signature_is_401_and_stores_nothing() {
    let shop = shop();
    let before = shop.ledger_rows();
    for signature in [
        Some(WebhookSecret::new("another-shop").sign(ORDER_PAID.as_bytes())),
        Some(WebhookSecret::new(SHOPIFY_SECRET).sign(b"{}")),
        Some("not base64 at all".into()),
        None,
    ] {
        let mut request = Request::post("/api/v1/webhooks/shopify")
            .header("x-shopify-topic", "orders/paid")
            .header("x-shopify-webhook-id", "forged")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(signature) = &signature {
            request = request.header("x-shopify-hmac-sha256", signature);
        }
        let answer = send(&shop.router, request.body(Body::from(ORDER_PAID)).unwrap()).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{signature:?}");
        assert_eq!(answer.error_code(), "invalid_webhook_signature");
    }
    // WooCommerce's the same way; its unsigned ping is answered and stores nothing either.
    let forged = Request::post("/api/v1/webhooks/woocommerce")
        .header("x-wc-webhook-topic", "order.updated")
        .header(
            "x-wc-webhook-signature",
            WebhookSecret::new("nope").sign(WOO_ORDER.as_bytes()),
        )
        .body(Body::from(WOO_ORDER))
        .unwrap();
    assert_eq!(
        send(&shop.router, forged).await.status,
        StatusCode::UNAUTHORIZED
    );
    let ping = Request::post("/api/v1/webhooks/woocommerce")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("webhook_id=15"))
        .unwrap();
    assert_eq!(send(&shop.router, ping).await.status, StatusCode::OK);
    assert_eq!(shop.ledger_rows(), before);
    assert_eq!(count(&shop.db, "SELECT count(*) FROM shop_orders"), 0);
    assert_eq!(
        count(&shop.db, "SELECT count(*) FROM webhook_deliveries"),
        0
    );
}

/// A Shopify delivery as the platform sends it.
fn shopify_request(topic: &str, webhook_id: &str, body: &str) -> Request<Body> {
    Request::post("/api/v1/webhooks/shopify")
        .header("x-shopify-topic", topic)
        .header("x-shopify-webhook-id", webhook_id)
        .header("x-shopify-shop-domain", "nordlys-strikk.myshopify.com")
        .header(
            "x-shopify-hmac-sha256",
            WebhookSecret::new(SHOPIFY_SECRET).sign(body.as_bytes()),
        )
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// Sends every request at once, each on its own task, and waits for all the answers.
async fn all_at_once(router: &Router, requests: Vec<Request<Body>>) -> Vec<Answer> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let router = router.clone();
            tokio::spawn(async move { send(&router, request).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_deliveries_of_one_event_credit_once() {
    let shop = shop();
    // Shopify retrying one event (the same webhook id), and the same order state under
    // twenty different ids.
    let same_id = (0..20)
        .map(|_| shopify_request("orders/paid", "w-same", ORDER_PAID))
        .collect();
    for answer in all_at_once(&shop.router, same_id).await {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    let other_ids = (0..20)
        .map(|i| shopify_request("orders/paid", &format!("w-{i}"), ORDER_PAID))
        .collect();
    for answer in all_at_once(&shop.router, other_ids).await {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    assert_eq!(shop.rows(JON).len(), 1);
    assert_eq!(shop.balance(JON, days(15)).points, 2248);
    // WooCommerce's delivery ids change on every delivery: the order's state is the key.
    let woo = (0..20)
        .map(|i| {
            Request::post("/api/v1/webhooks/woocommerce")
                .header("x-wc-webhook-topic", "order.updated")
                .header("x-wc-webhook-delivery-id", format!("d-{i}"))
                .header(
                    "x-wc-webhook-signature",
                    WebhookSecret::new(WOO_SECRET).sign(WOO_ORDER.as_bytes()),
                )
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(WOO_ORDER))
                .unwrap()
        })
        .collect();
    for answer in all_at_once(&shop.router, woo).await {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    assert_eq!(shop.rows("26").len(), 1);
    assert_eq!(shop.balance("26", days(15)).points, 2123);
}

#[tokio::test]
async fn a_partial_refund_after_crediting_takes_back_the_proportional_points() {
    let shop = shop();
    shop.shopify("orders/paid", "w-1", ORDER_PAID).await;
    // The refund (the 349 kr hat of 2 248 kr) arrives after the return window: spendable points.
    let answer = shop.shopify("refunds/create", "w-2", REFUND).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["order"]["change"], -349);
    let balance = shop.balance(JON, days(15));
    assert_eq!((balance.points, balance.tier_points), (1899, 1899));
    // The same refund again (a retry with another id, or inside a later order payload)
    // changes nothing.
    shop.shopify("refunds/create", "w-3", REFUND).await;
    let with_refund = with_field(
        ORDER_PAID,
        "/refunds",
        json!([serde_json::from_str::<Value>(REFUND).unwrap()]),
    );
    let with_refund = with_field(
        &with_refund,
        "/financial_status",
        json!("partially_refunded"),
    );
    shop.shopify("orders/updated", "w-4", &with_refund).await;
    assert_eq!(shop.balance(JON, days(15)).points, 1899);
    assert_eq!(
        shop.rows(JON).iter().filter(|r| r.kind == "refund").count(),
        1
    );

    // The WooCommerce way: the order's refunds list, totals negative.
    shop.woocommerce("order.updated", WOO_ORDER).await;
    let refunded = with_field(
        WOO_ORDER,
        "/refunds",
        json!([{ "id": 730, "reason": "", "total": "-530.80" }]),
    );
    shop.woocommerce("order.updated", &refunded).await;
    // 2 123.20 kr of items with their tax earned 2 123; 530.80 kr (a quarter) refunded.
    assert_eq!(shop.balance("26", days(15)).points, 1592);
}

#[tokio::test]
async fn a_refund_before_the_order_arrives_counts_once_the_order_does() {
    let shop = shop();
    let early = shop.shopify("refunds/create", "w-2", REFUND).await;
    assert_eq!(early.status, StatusCode::OK, "{}", early.text());
    shop.shopify("orders/paid", "w-1", ORDER_PAID).await;
    // The order earns 2 248; the refund it already had takes 349 of them straight away.
    assert_eq!(shop.balance(JON, days(15)).points, 1899);
}

#[tokio::test]
async fn a_cancellation_inside_the_pending_period_leaves_nothing() {
    let shop = shop();
    shop.shopify("orders/paid", "w-1", ORDER_PAID).await;
    let cancelled = with_field(
        ORDER_PAID,
        "/cancelled_at",
        json!("2026-12-02T10:00:00+01:00"),
    );
    let answer = shop.shopify("orders/cancelled", "w-2", &cancelled).await;
    assert_eq!(answer.json()["order"]["change"], -2248);
    for at in [calendar::now(), days(15), days(400)] {
        let balance = shop.balance(JON, at);
        assert_eq!(
            (balance.points, balance.pending, balance.tier_points),
            (0, 0, 0)
        );
    }
    // A late, out-of-order delivery of the paid state cannot bring the points back.
    shop.shopify("orders/paid", "w-3", ORDER_PAID).await;
    assert_eq!(shop.balance(JON, days(15)).points, 0);
    let kinds: Vec<String> = shop.rows(JON).into_iter().map(|r| r.kind).collect();
    assert_eq!(kinds, ["purchase", "cancel"]);
    // WooCommerce: cancelled (or failed) takes back all.
    shop.woocommerce("order.updated", WOO_ORDER).await;
    shop.woocommerce(
        "order.updated",
        &with_field(WOO_ORDER, "/status", json!("cancelled")),
    )
    .await;
    assert_eq!(shop.balance("26", days(15)).points, 0);
}

#[tokio::test]
async fn a_take_back_of_spent_points_stops_at_zero_and_records_the_shortfall() {
    let shop = shop();
    let answer = shop
        .order(json!({
            "id": "A-1", "customer_id": "c-9000", "currency": "NOK", "subtotal": 100_000,
            "status": "paid"
        }))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    // She spends 800 of the 1 000 once they are hers, then the order is cancelled.
    let later = days(20);
    common::with_conn(&shop.db, move |conn| {
        ledger::record(
            conn,
            &ledger::Entry {
                customer_id: "c-9000",
                kind: ledger::Kind::Redeem,
                points: -800,
                tier_points: 0,
                source: "redeem:test".into(),
                detail: None,
                shortfall: 0,
                available_at: later,
            },
            later,
        )
        .map(drop)
    });
    let state = shop_api::orders::OrderReport {
        id: "A-1".into(),
        number: None,
        customer_id: Some("c-9000".into()),
        email: None,
        first_name: None,
        currency: "NOK".into(),
        subtotal: 100_000,
        status: "cancelled".into(),
        refunded: 0,
        lines: Vec::new(),
    }
    .into_state()
    .unwrap();
    common::with_conn(&shop.db, move |conn| {
        let programme =
            programme::load(conn).map_err(|e| shop_api::db::DbError::Task(format!("{e:?}")))?;
        shop_api::orders::apply(conn, &programme, &state, days(21))
            .map(drop)
            .map_err(|e| shop_api::db::DbError::Task(format!("{e:?}")))
    });
    let balance = shop.balance("c-9000", days(22));
    assert_eq!(balance.points, 0, "never below zero");
    let cancel = shop
        .rows("c-9000")
        .into_iter()
        .find(|r| r.kind == "cancel")
        .unwrap();
    assert_eq!(
        (cancel.points, cancel.shortfall, cancel.tier_points),
        (-200, 800, -1000)
    );
}

#[tokio::test]
async fn an_order_in_another_currency_or_by_a_guest_earns_nothing() {
    let shop = shop();
    let euros = with_field(ORDER_PAID, "/currency", json!("EUR"));
    let answer = shop.shopify("orders/paid", "w-eur", &euros).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.json()["order"]["note"]
            .as_str()
            .unwrap()
            .contains("EUR"),
        "{}",
        answer.text()
    );
    assert_eq!(shop.rows(JON).len(), 0);
    let guest = with_field(
        &with_field(ORDER_PAID, "/customer", Value::Null),
        "/id",
        json!(5),
    );
    let answer = shop.shopify("orders/paid", "w-guest", &guest).await;
    assert_eq!(answer.json()["order"]["points"], 0);
    assert_eq!(
        shop.ledger_rows(),
        count(
            &shop.db,
            "SELECT count(*) FROM ledger WHERE source LIKE 'opening%'"
        )
    );
}

#[tokio::test]
async fn the_tier_multiplier_and_woocommerce_taxes_follow_the_rules() {
    let shop = shop();
    // Ingrid is Sølv (×1.25): 2 248 kr earn 2 810.
    let answer = shop
        .order(json!({
            "id": "NS-10042", "customer_id": "c-1001", "currency": "NOK", "subtotal": 224_800,
            "status": "paid"
        }))
        .await;
    assert_eq!(answer.json()["points"], 2810);
    // The same state again changes nothing; a refund of half takes back half.
    let again = shop
        .order(json!({
            "id": "NS-10042", "customer_id": "c-1001", "currency": "NOK", "subtotal": 224_800,
            "status": "paid"
        }))
        .await;
    assert_eq!(again.json()["change"], 0);
    let half = shop
        .order(json!({
            "id": "NS-10042", "customer_id": "c-1001", "currency": "NOK", "subtotal": 224_800,
            "status": "paid", "refunded": 112_400
        }))
        .await;
    assert_eq!(half.json()["points"], 1405);
    // WooCommerce without prices_include_tax: the line totals alone.
    let net = with_field(WOO_ORDER, "/prices_include_tax", json!(false));
    shop.woocommerce("order.created", &net).await;
    assert_eq!(shop.balance("26", days(15)).points, 1698);
    // Bad reports are refused whole, naming every problem.
    let bad = shop
        .order(
            json!({ "id": "", "currency": "nok", "subtotal": 5, "status": "done", "refunded": 9 }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = bad.json()["error"]["message"].as_str().unwrap().to_owned();
    for part in [
        "id must be",
        "currency must be",
        "status must be",
        "refunded must not exceed",
    ] {
        assert!(message.contains(part), "{message}");
    }
    // Without the merchant token, nothing.
    let request = Request::post("/api/v1/orders")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"id": "x", "currency": "NOK", "subtotal": 1, "status": "paid"}).to_string(),
        ))
        .unwrap();
    assert_eq!(
        send(&shop.router, request).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_sign_up_bonus_is_granted_once_per_customer_ever() {
    let shop = shop();
    for id in ["c1", "c2", "c3"] {
        let answer = shop.shopify("customers/create", id, CUSTOMER_CREATED).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    shop.woocommerce("customer.created", WOO_CUSTOMER).await;
    shop.woocommerce("customer.created", WOO_CUSTOMER).await;
    assert_eq!(shop.balance(JON, calendar::now()).points, 100);
    assert_eq!(shop.balance("26", calendar::now()).points, 100);
    assert_eq!(shop.rows(JON).len(), 1);
}

#[tokio::test]
async fn a_published_review_earns_once_per_product_and_customer() {
    let shop = shop();
    let sig = ShopSecret::new(SECRET).sign("c-1002");
    let mut ids = Vec::new();
    for (product, key) in [("p-setesdal", "review-key-1"), ("p-marius", "review-key-2")] {
        let request = Request::post("/api/v1/feedback")
            .header("x-lojal-signature", &sig)
            .header("idempotency-key", key)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "type": "review", "score": 5, "text": "God", "product_id": product,
                        "customer_id": "c-1002", "campaign": "reviews" })
                .to_string(),
            ))
            .unwrap();
        let answer = send(&shop.router, request).await;
        assert!(answer.status.is_success(), "{}", answer.text());
        ids.push(answer.json()["id"].as_i64().unwrap());
    }
    let moderate = |id: i64, status: &'static str| {
        Request::post(format!("/api/v1/feedback/{id}/moderation"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "status": status }).to_string()))
            .unwrap()
    };
    let before = shop.balance("c-1002", calendar::now()).points;
    for status in ["published", "pending", "published"] {
        assert_eq!(
            send(&shop.router, moderate(ids[0], status)).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(shop.balance("c-1002", calendar::now()).points, before + 50);
    send(&shop.router, moderate(ids[1], "rejected")).await;
    assert_eq!(shop.balance("c-1002", calendar::now()).points, before + 50);
    send(&shop.router, moderate(ids[1], "published")).await;
    assert_eq!(shop.balance("c-1002", calendar::now()).points, before + 100);
}

#[tokio::test]
async fn a_birthday_is_set_once_paid_on_the_day_and_never_twice() {
    let shop = shop();
    let sig = ShopSecret::new(SECRET).sign("c-1002");
    let set = |month: u8, day: u8| {
        Request::put("/api/v1/loyalty/c-1002/birthday")
            .header("x-lojal-signature", &sig)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "month": month, "day": day }).to_string(),
            ))
            .unwrap()
    };
    let first = send(&shop.router, set(3, 14)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.json()["birthday"]["month"], 3);
    assert!(first.json()["birthday"]["changeable_from"].is_string());
    assert_eq!(
        send(&shop.router, set(3, 14)).await.status,
        StatusCode::OK,
        "the same date again"
    );
    let second = send(&shop.router, set(4, 1)).await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.error_code(), "birthday_locked");
    assert_eq!(
        send(&shop.router, set(2, 30)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let forged = Request::put("/api/v1/loyalty/c-1002/birthday")
        .header("x-lojal-signature", ShopSecret::new("x").sign("c-1002"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"month":1,"day":1}"#))
        .unwrap();
    assert_eq!(
        send(&shop.router, forged).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Birthdays are paid by the job, in the shop's zone (Europe/Oslo), for every day since its
    // last run: set 14 March 2026 long before, the job runs on 10 March, then (after a restart
    // that missed the day) on 16 March, and again on 16 March: 200 points, once.
    common::execute(
        &shop.db,
        "UPDATE customers SET birthday_set_at = '2025-12-01T00:00:00Z' WHERE id = 'c-1002'",
        vec![],
    );
    let run = |at: &str| {
        let at: Timestamp = at.parse().unwrap();
        common::with_conn(&shop.db, move |conn| {
            jobs::run(conn, at).map_err(|e| shop_api::db::DbError::Task(format!("{e:?}")))
        })
    };
    let before = shop
        .balance("c-1002", "2026-03-20T00:00:00Z".parse().unwrap())
        .points;
    assert_eq!(run("2026-03-10T08:00:00Z").birthdays, 0);
    assert_eq!(
        run("2026-03-16T08:00:00Z").birthdays,
        1,
        "the missed day is caught up"
    );
    assert_eq!(run("2026-03-16T09:00:00Z").birthdays, 0, "and not repeated");
    let after = shop
        .balance("c-1002", "2026-03-20T00:00:00Z".parse().unwrap())
        .points;
    assert_eq!(after, before + 200);
    // Next year again, once.
    assert_eq!(run("2027-03-14T00:30:00Z").birthdays, 1);
    assert_eq!(run("2027-03-15T00:30:00Z").birthdays, 0);
}

#[tokio::test]
async fn a_birthday_set_just_before_the_day_waits_for_next_year() {
    let shop = shop();
    common::execute(
        &shop.db,
        "UPDATE customers SET birthday_month = 6, birthday_day = 1,
                birthday_set_at = '2026-05-20T00:00:00Z' WHERE id = 'c-1003'",
        vec![],
    );
    let run = |at: &str| {
        let at: Timestamp = at.parse().unwrap();
        common::with_conn(&shop.db, move |conn| {
            jobs::run(conn, at).map_err(|e| shop_api::db::DbError::Task(format!("{e:?}")))
        })
    };
    run("2026-05-31T12:00:00Z");
    assert_eq!(
        run("2026-06-01T12:00:00Z").birthdays,
        0,
        "set 12 days before"
    );
    assert_eq!(run("2027-06-01T12:00:00Z").birthdays, 1);
}

#[tokio::test]
async fn points_expire_after_the_programmes_months_without_activity() {
    let shop = shop();
    shop.order(json!({
        "id": "E-1", "customer_id": "c-7000", "currency": "NOK", "subtotal": 50_000,
        "status": "paid"
    }))
    .await;
    let run = |at: Timestamp| {
        common::with_conn(&shop.db, move |conn| {
            jobs::run(conn, at).map_err(|e| shop_api::db::DbError::Task(format!("{e:?}")))
        })
    };
    // 14 days pending, then 12 months without activity: expired after about 12 months.
    assert_eq!(run(days(300)).expired, 0);
    assert_eq!(shop.balance("c-7000", days(300)).points, 500);
    let status = common::with_conn(&shop.db, |conn| {
        loyalty::load_status(conn, "c-7000", days(300))
            .map_err(|e| shop_api::db::DbError::Task(format!("{e:?}")))
    })
    .unwrap();
    let expiring = status.expiring.expect("the badge is told");
    assert_eq!(expiring.points, 500);
    let at: Timestamp = expiring.at.parse().unwrap();
    assert!(at > days(360) && at < days(370), "{at}");
    // Her and the three demo shoppers, idle since the database was made.
    assert_eq!(run(days(370)).expired, 4);
    assert_eq!(run(days(371)).expired, 0, "once");
    let balance = shop.balance("c-7000", days(372));
    assert_eq!(
        (balance.points, balance.tier_points),
        (0, 500),
        "the tier is kept"
    );
    let last = shop.rows("c-7000").pop().unwrap();
    assert_eq!((last.kind.as_str(), last.points), ("expire", -500));
}

#[tokio::test]
async fn a_referred_friends_first_qualifying_order_earns_the_referrer_once() {
    let shop = shop();
    let ingrid = common::with_conn(&shop.db, |conn| {
        shop_api::referrals::code_of(conn, "c-1001")
    })
    .expect("a customer of the demo shop");
    let claim = |email: &str, ip: &str| {
        Request::post(format!("/api/v1/referrals/{ingrid}/claim"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-forwarded-for", ip)
            .body(Body::from(json!({ "email": email }).to_string()))
            .unwrap()
    };
    let invite = send(
        &shop.router,
        Request::get(format!("/api/v1/referrals/{ingrid}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(invite.json()["referrer_first_name"], "Ingrid");
    assert_eq!(invite.json()["friend_reward"]["amount"], 10_000);
    let coupon = send(&shop.router, claim("Kadri@Example.EE", "1.2.3.4")).await;
    assert_eq!(coupon.status, StatusCode::OK, "{}", coupon.text());
    let code = coupon.json()["code"].as_str().unwrap().to_owned();
    assert_eq!(
        send(&shop.router, claim("kadri@example.ee", "1.2.3.4"))
            .await
            .json()["code"],
        code.as_str(),
        "the same friend gets the same coupon"
    );
    // Refusals, each with its reason.
    for (email, expected) in [
        ("ingrid@example.no", "self_referral"),
        ("mart@example.ee", "already_member"),
        ("not an email", "invalid_email"),
    ] {
        assert_eq!(
            send(&shop.router, claim(email, "1.2.3.4"))
                .await
                .error_code(),
            expected
        );
    }
    let unknown = send(
        &shop.router,
        Request::get("/api/v1/referrals/NOSUCHCODE")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(unknown.error_code(), "unknown_referral");

    // A first order below 500 kr converts nothing; it is her first order, so a later one does
    // not either: the referral is for the first order only.
    let small = with_field(
        &with_field(
            &with_field(WOO_ORDER, "/billing/email", json!("kadri@example.ee")),
            "/id",
            json!(801),
        ),
        "/customer_id",
        json!(0),
    );
    let small = with_field(
        &small,
        "/line_items",
        json!([{ "total": "400.00", "total_tax": "0" }]),
    );
    shop.woocommerce("order.created", &small).await;
    assert_eq!(
        shop.rows("c-1001")
            .iter()
            .filter(|r| r.kind == "referral")
            .count(),
        0
    );

    // Another friend, whose first order qualifies: Ingrid earns 500, pending like a purchase.
    let friend = send(&shop.router, claim("liis@example.ee", "1.2.3.4")).await;
    assert_eq!(friend.status, StatusCode::OK);
    let big = with_field(
        &with_field(&small, "/id", json!(802)),
        "/billing/email",
        json!("liis@example.ee"),
    );
    let big = with_field(
        &big,
        "/line_items",
        json!([{ "total": "600.00", "total_tax": "0" }]),
    );
    shop.woocommerce("order.created", &big).await;
    shop.woocommerce("order.updated", &big).await;
    let referrals: Vec<_> = shop
        .rows("c-1001")
        .into_iter()
        .filter(|r| r.kind == "referral")
        .collect();
    assert_eq!(referrals.len(), 1, "once");
    assert_eq!(referrals[0].points, 500);
    assert!(
        referrals[0].available_at > calendar::text(calendar::now()),
        "pending"
    );
}

#[tokio::test]
async fn referral_claims_are_capped_per_address_per_week() {
    let shop = shop();
    let code = common::with_conn(&shop.db, |conn| {
        shop_api::referrals::code_of(conn, "c-1003")
    })
    .expect("a customer of the demo shop");
    let claim = |n: u32, ip: &str| {
        Request::post(format!("/api/v1/referrals/{code}/claim"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-forwarded-for", ip)
            .body(Body::from(
                json!({ "email": format!("friend{n}@example.no") }).to_string(),
            ))
            .unwrap()
    };
    // AppState trusts no proxy here: every test request has the same (no) address.
    for n in 0..5 {
        assert_eq!(
            send(&shop.router, claim(n, "9.9.9.9")).await.status,
            StatusCode::OK
        );
    }
    let refused = send(&shop.router, claim(5, "9.9.9.9")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_code(), "referral_limit");
    assert!(refused.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn the_programme_is_configuration_an_error_names_the_field_and_changes_nothing() {
    let shop = shop();
    let get = || {
        Request::get("/api/v1/admin/programme")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap()
    };
    let before = send(&shop.router, get()).await.json();
    assert_eq!(before["revision"], 1);
    assert_eq!(before["programme"]["name"], "Lojal Fordelsklubb");
    let bad = shop
        .put_programme(programme_with(|p| p["tiers"][1]["multiplier"] = json!(-1)))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("tiers[1].multiplier")
    );
    let bad_zone = shop
        .put_programme(programme_with(|p| p["timezone"] = json!("Europe/Atlantis")))
        .await;
    assert!(
        bad_zone.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("timezone")
    );
    assert_eq!(
        send(&shop.router, get()).await.json(),
        before,
        "nothing changed"
    );

    // A programme that gives 2 points per krone, credits at once and lets points live forever.
    let good = shop
        .put_programme(programme_with(|p| {
            p["pending_days"] = json!(0);
            p["expiry_months"] = Value::Null;
            p["ways_to_earn"][0]["points_per_unit"] = json!(2);
            p["rewards"][1]["cost"] = json!(450);
        }))
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text());
    assert_eq!(good.json()["revision"], 2);
    shop.shopify("orders/paid", "w-1", ORDER_PAID).await;
    let now = shop.balance(JON, calendar::now());
    assert_eq!((now.points, now.pending), (4496, 0), "spendable at once");
    let status = common::with_conn(&shop.db, |conn| {
        loyalty::load_status(conn, JON, calendar::now())
            .map_err(|e| shop_api::db::DbError::Task(format!("{e:?}")))
    })
    .unwrap();
    assert_eq!(status.expiring, None, "points never expire");
    assert_eq!(
        status.rewards.iter().find(|r| r.id == "r-50").unwrap().cost,
        450
    );
    assert_eq!(status.ways_to_earn[0].points_per_unit, Some(2.0));

    // A stale editor (If-Match of an older revision) is refused, not silently applied.
    let stale = Request::put("/api/v1/admin/programme")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::IF_MATCH, "1")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(programme::DEMO))
        .unwrap();
    let stale = send(&shop.router, stale).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.error_code(), "stale_programme");
    // Without the token, neither read nor write.
    let anonymous = Request::get("/api/v1/admin/programme")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&shop.router, anonymous).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_public_programme_lists_the_ways_to_earn_with_their_numbers() {
    let shop = shop();
    let answer = send(
        &shop.router,
        Request::get("/api/v1/loyalty/program")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let program = answer.json();
    assert_eq!(program["currency"], "NOK");
    assert_eq!(program["signup_bonus"], 100);
    let ways: Vec<(&str, Value)> = program["ways_to_earn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["kind"].as_str().unwrap(), w["points"].clone()))
        .collect();
    assert_eq!(
        ways,
        [
            ("purchase", Value::Null),
            ("signup", json!(100)),
            ("birthday", json!(200)),
            ("review", json!(50)),
            ("referral", json!(500))
        ]
    );
    assert_eq!(program["ways_to_earn"][0]["points_per_unit"], 1.0);
}
