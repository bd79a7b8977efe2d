//! Coupons the shop's checkout accepts, and events the merchant's tools hear, against local
//! stand-ins: Shopify's Admin GraphQL API and WooCommerce's REST API as their documentation
//! describes the requests and answers (`discountCodeBasicCreate` / `discountCodeFreeShippingCreate`
//! with `userErrors`, `codeDiscountNodeByCode`, THROTTLED; `POST /wp-json/wc/v3/coupons` with
//! `woocommerce_rest_coupon_code_already_exists` and its 401 body), with faults injected: a
//! timeout, a dropped connection, 5xx and 429 with `Retry-After`, and an answer lost after the
//! coupon was made. Contract tests against the documentation: the platforms themselves cannot
//! be reached from here. Plus a receiver of outbound events that verifies every signature with
//! the Standard Webhooks algorithm, and misbehaves (errors, a hang, a 10 MB answer, a redirect).
//! SQLite by default, PostgreSQL when `DATABASE_URL` is set.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use common::{Answer, count, send};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use shop_api::db::Db;
use shop_api::egress::Egress;
use shop_api::identity::ShopSecret;
use shop_api::merchant::MerchantToken;
use shop_api::providers::Provider;
use shop_api::{AppState, Options, app, worker};
use tempfile::TempDir;

const SECRET: &str = "test-secret";
const TOKEN: &str = "merchant-token-0123456789";
const SHOPIFY_TOKEN: &str = "shpat_stand_in_token";
const KARI: &str = "c-1003"; // 4 200 points

/// A fault the stand-in answers the next request with.
#[derive(Clone, Debug)]
enum Fault {
    /// Answer only after the client gave up.
    Hang,
    /// Drop the connection without an answer.
    Drop,
    /// A status with `Retry-After` seconds.
    Status(u16, Option<u64>),
    /// Shopify's throttling: 200 with a THROTTLED error.
    Throttled,
    /// Make the coupon, then answer only after the client gave up: the answer is lost.
    LoseAnswer,
    /// Shopify's userError for an input it will never take.
    Invalid,
}

#[derive(Default)]
struct Platform {
    faults: Mutex<VecDeque<Fault>>,
    /// Every discount created, by code: the request's input.
    coupons: Mutex<Vec<(String, Value)>>,
    requests: Mutex<u32>,
}

impl Platform {
    fn fault(&self) -> Option<Fault> {
        *self.requests.lock().unwrap() += 1;
        self.faults.lock().unwrap().pop_front()
    }
    fn codes(&self) -> Vec<String> {
        self.coupons
            .lock()
            .unwrap()
            .iter()
            .map(|(c, _)| c.clone())
            .collect()
    }
}

const CLIENT_TIMEOUT: Duration = Duration::from_millis(800);

async fn shopify_graphql(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    Json(body): axum::Json<Value>,
) -> Response {
    if headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        != Some(SHOPIFY_TOKEN)
    {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)" })),
        )
            .into_response();
    }
    let query = body["query"].as_str().unwrap_or_default();
    if query.contains("codeDiscountNodeByCode") {
        let code = body["variables"]["code"].as_str().unwrap_or_default();
        let found = {
            platform
                .coupons
                .lock()
                .unwrap()
                .iter()
                .any(|(c, _)| c == code)
        };
        let node = if found {
            json!({ "id": format!("gid://shopify/DiscountCodeNode/{}", code.len()) })
        } else {
            Value::Null
        };
        return axum::Json(json!({ "data": { "codeDiscountNodeByCode": node } })).into_response();
    }
    let field = if query.contains("discountCodeFreeShippingCreate") {
        "discountCodeFreeShippingCreate"
    } else {
        "discountCodeBasicCreate"
    };
    let fault = platform.fault();
    match &fault {
        Some(Fault::Hang) => tokio::time::sleep(CLIENT_TIMEOUT * 3).await,
        Some(Fault::Drop) => panic!("the stand-in drops this connection"),
        Some(Fault::Status(status, retry_after)) => {
            let mut response = (StatusCode::from_u16(*status).unwrap(), "busy").into_response();
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
            }
            return response;
        }
        Some(Fault::Throttled) => {
            return axum::Json(json!({
                "errors": [{ "message": "Throttled", "extensions": { "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits" } }],
                "extensions": { "cost": { "requestedQueryCost": 10, "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 0, "restoreRate": 100.0 } } }
            }))
            .into_response();
        }
        Some(Fault::Invalid) => {
            return axum::Json(json!({ "data": { field: {
                "codeDiscountNode": null,
                "userErrors": [{ "field": ["basicCodeDiscount", "customerGets", "value"], "code": "INVALID", "message": "Value is invalid" }]
            } } }))
            .into_response();
        }
        _ => {}
    }
    let input = body["variables"]["discount"].clone();
    let code = input["code"].as_str().unwrap_or_default().to_owned();
    let taken = {
        let mut coupons = platform.coupons.lock().unwrap();
        let taken = coupons.iter().any(|(c, _)| *c == code);
        if !taken {
            coupons.push((code.clone(), input));
        }
        taken
    };
    if taken {
        return axum::Json(json!({ "data": { field: {
            "codeDiscountNode": null,
            "userErrors": [{ "field": ["basicCodeDiscount", "code"], "code": "TAKEN", "message": "Code must be unique. Please try a different code." }]
        } } }))
        .into_response();
    }
    if matches!(fault, Some(Fault::LoseAnswer)) {
        tokio::time::sleep(CLIENT_TIMEOUT * 3).await;
    }
    axum::Json(json!({ "data": { field: {
        "codeDiscountNode": { "id": format!("gid://shopify/DiscountCodeNode/{}", 1000 + code.len()) },
        "userErrors": []
    } } }))
    .into_response()
}

use axum::Json;

async fn woo_create(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ck_test:cs_test")
    );
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(expected.as_str())
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "code": "woocommerce_rest_cannot_create", "message": "Sorry, you are not allowed to create resources.", "data": { "status": 401 } })),
        )
            .into_response();
    }
    let fault = platform.fault();
    match &fault {
        Some(Fault::Hang) => tokio::time::sleep(CLIENT_TIMEOUT * 3).await,
        Some(Fault::Drop) => panic!("the stand-in drops this connection"),
        Some(Fault::Status(status, retry_after)) => {
            let mut response = (
                StatusCode::from_u16(*status).unwrap(),
                Json(json!({ "code": "too_many", "message": "slow down" })),
            )
                .into_response();
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
            }
            return response;
        }
        Some(Fault::Invalid) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "code": "rest_invalid_param", "message": "Invalid parameter(s): discount_type", "data": { "status": 400 } })),
            )
                .into_response();
        }
        _ => {}
    }
    let code = body["code"].as_str().unwrap_or_default().to_owned();
    let id = {
        let mut coupons = platform.coupons.lock().unwrap();
        if coupons.iter().any(|(c, _)| *c == code) {
            None
        } else {
            coupons.push((code.clone(), body.clone()));
            Some(coupons.len())
        }
    };
    let Some(id) = id else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "code": "woocommerce_rest_coupon_code_already_exists", "message": "The coupon code already exists", "data": { "status": 400, "resource_id": 71 } })),
        )
            .into_response();
    };
    if matches!(fault, Some(Fault::LoseAnswer)) {
        tokio::time::sleep(CLIENT_TIMEOUT * 3).await;
    }
    (StatusCode::CREATED, Json(json!({ "id": id, "code": code.to_lowercase(), "discount_type": body["discount_type"], "amount": body["amount"] }))).into_response()
}

async fn woo_list(
    State(platform): State<Arc<Platform>>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    let code = q.get("code").cloned().unwrap_or_default();
    let coupons = { platform.coupons.lock().unwrap().clone() };
    Json(Value::Array(
        coupons
            .iter()
            .enumerate()
            .filter(|(_, (c, _))| c.eq_ignore_ascii_case(&code))
            .map(|(i, (c, _))| json!({ "id": i + 1, "code": c.to_lowercase() }))
            .collect(),
    ))
}

/// Serves `router` on a free loopback port; answers its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

struct Shop {
    router: Router,
    db: Db,
    platform: Arc<Platform>,
    _dir: TempDir,
}

async fn shop(kind: &str) -> Shop {
    shop_with_key(kind, "ck_test").await
}

async fn shop_with_key(kind: &str, woo_key: &'static str) -> Shop {
    let platform = Arc::new(Platform::default());
    let stand_in = Router::new()
        .route("/admin/api/2026-07/graphql.json", post(shopify_graphql))
        .route("/wp-json/wc/v3/coupons", post(woo_create).get(woo_list))
        .with_state(platform.clone());
    let base = serve(stand_in).await;
    let provider = match kind {
        "shopify" => Provider::from_env(|name| match name {
            "LOJAL_COUPON_PROVIDER" => Some("shopify".into()),
            "LOJAL_SHOPIFY_ADMIN_URL" => Some(format!("{base}/admin/api/2026-07/graphql.json")),
            "LOJAL_SHOPIFY_ADMIN_TOKEN" => Some(SHOPIFY_TOKEN.into()),
            _ => None,
        }),
        _ => Provider::from_env(|name| match name {
            "LOJAL_COUPON_PROVIDER" => Some("woocommerce".into()),
            "LOJAL_WOOCOMMERCE_URL" => Some(format!("{base}/")),
            "LOJAL_WOOCOMMERCE_KEY" => Some(woo_key.into()),
            "LOJAL_WOOCOMMERCE_SECRET" => Some("cs_test".into()),
            _ => None,
        }),
    }
    .unwrap();
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let state = AppState {
        merchant_token: Some(MerchantToken::new(TOKEN).unwrap()),
        provider,
        egress: Egress::with_timeout(CLIENT_TIMEOUT),
        backoff_base: Duration::from_millis(100),
        ..AppState::new(db.clone(), ShopSecret::new(SECRET))
    };
    worker::spawn(state.clone());
    Shop {
        router: app(state, &Options::default()),
        db,
        platform,
        _dir: dir,
    }
}

impl Shop {
    async fn redeem(&self, reward: &str, key: &str) -> Answer {
        let request = Request::post(format!("/api/v1/loyalty/{KARI}/redeem"))
            .header("x-lojal-signature", ShopSecret::new(SECRET).sign(KARI))
            .header("idempotency-key", key)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "reward_id": reward }).to_string()))
            .unwrap();
        send(&self.router, request).await
    }

    async fn coupon(&self, ticket: &str) -> Value {
        send(
            &self.router,
            Request::get(format!("/api/v1/coupons/{ticket}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .json()
    }

    /// Waits until the coupon behind `ticket` is no longer pending (at most 30 s).
    async fn settled(&self, ticket: &str) -> Value {
        for _ in 0..300 {
            let state = self.coupon(ticket).await;
            if state["status"] != "pending" {
                return state;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the coupon stayed pending: {}", self.coupon(ticket).await)
    }

    fn points(&self) -> i64 {
        count(
            &self.db,
            "SELECT SUM(points) FROM ledger WHERE customer_id = 'c-1003'",
        )
    }
}

async fn redeemed_once_under(kind: &str, faults: Vec<Fault>) {
    let shop = shop(kind).await;
    shop.platform.faults.lock().unwrap().extend(faults.clone());
    let answer = shop.redeem("r-50", "redeem-key-1").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let coupon = &answer.json()["coupon"];
    assert_eq!(coupon["status"], "pending", "{kind} {faults:?}");
    assert_eq!(coupon["code"], "", "no code before the checkout takes it");
    let ticket = coupon["ticket"].as_str().unwrap().to_owned();
    // A double click while it is pending is the same redemption.
    let again = shop.redeem("r-50", "redeem-key-1").await;
    assert_eq!(again.json()["coupon"]["ticket"], ticket.as_str());
    let state = shop.settled(&ticket).await;
    assert_eq!(state["status"], "active", "{kind} {faults:?}: {state}");
    let code = state["code"].as_str().unwrap().to_owned();
    assert_eq!(
        shop.platform.codes(),
        vec![code.clone()],
        "{kind} {faults:?}: exactly one coupon at the platform"
    );
    // Every fault was met on the way (each a creation attempt), then the one that worked.
    assert!(
        shop.platform.faults.lock().unwrap().is_empty(),
        "{kind}: faults left over"
    );
    assert!(
        *shop.platform.requests.lock().unwrap() as usize > faults.len(),
        "{kind} {faults:?}"
    );
    assert_eq!(shop.points(), 4200 - 500, "charged once");
    let (_, input) = shop.platform.coupons.lock().unwrap()[0].clone();
    match kind {
        "shopify" => {
            assert_eq!(
                input["customerGets"]["value"]["discountAmount"]["amount"],
                "50.00"
            );
            assert_eq!(input["usageLimit"], 1);
        }
        _ => {
            assert_eq!(
                (input["discount_type"].as_str(), input["amount"].as_str()),
                (Some("fixed_cart"), Some("50.00"))
            );
            assert_eq!(input["email_restrictions"][0], "kari@example.no");
            assert_eq!(input["usage_limit"], 1);
        }
    }
    assert_eq!(
        count(
            &shop.db,
            "SELECT COUNT(*) FROM events WHERE type = 'coupon.issued'"
        ),
        1,
        "coupon.issued once it is active"
    );
    assert_eq!(
        count(
            &shop.db,
            "SELECT COUNT(*) FROM coupons WHERE discount_kind = 'fixed_amount' AND discount_amount = 5000"
        ),
        1,
        "the coupon's row keeps its discount"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redeemed_coupon_is_created_once_at_shopify_whatever_its_api_does() {
    redeemed_once_under("shopify", vec![]).await;
    redeemed_once_under(
        "shopify",
        vec![Fault::Status(503, Some(1)), Fault::Drop, Fault::Throttled],
    )
    .await;
    redeemed_once_under("shopify", vec![Fault::Hang, Fault::Status(429, Some(1))]).await;
    redeemed_once_under("shopify", vec![Fault::LoseAnswer]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redeemed_coupon_is_created_once_at_woocommerce_whatever_its_api_does() {
    redeemed_once_under("woocommerce", vec![]).await;
    redeemed_once_under(
        "woocommerce",
        vec![
            Fault::Status(502, None),
            Fault::Drop,
            Fault::Status(429, Some(1)),
        ],
    )
    .await;
    redeemed_once_under("woocommerce", vec![Fault::Hang, Fault::LoseAnswer]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_permanent_refusal_gives_the_points_back_and_says_why() {
    for kind in ["shopify", "woocommerce"] {
        let shop = shop(kind).await;
        shop.platform
            .faults
            .lock()
            .unwrap()
            .push_back(Fault::Invalid);
        let answer = shop.redeem("r-ship", "refused-key-1").await;
        let ticket = answer.json()["coupon"]["ticket"]
            .as_str()
            .unwrap()
            .to_owned();
        let state = shop.settled(&ticket).await;
        assert_eq!(state["status"], "failed", "{kind}");
        assert!(
            state["failure"].as_str().unwrap().contains("nvalid"),
            "{kind}: {state}"
        );
        assert_eq!(
            state["code"],
            Value::Null,
            "never a code the checkout refuses"
        );
        assert_eq!(shop.points(), 4200, "{kind}: the points are back");
        let rows = common::rows(
            &shop.db,
            "SELECT kind, points FROM ledger WHERE customer_id = 'c-1003' AND kind IN ('redeem', 'returned') ORDER BY id",
            vec![],
        );
        let rows: Vec<String> = rows
            .iter()
            .map(|r| format!("{:?} {:?}", r[0], r[1]))
            .collect();
        assert_eq!(
            rows,
            [
                r#"Text("redeem") Integer(-300)"#,
                r#"Text("returned") Integer(300)"#
            ],
            "spent, then given back, as ledger rows"
        );
        assert!(shop.platform.codes().is_empty());
    }
    // Wrong credentials are WooCommerce's 401: refused for good too, the points back.
    let shop = shop_with_key("woocommerce", "ck_wrong").await;
    let answer = shop.redeem("r-ship", "refused-key-2").await;
    let ticket = answer.json()["coupon"]["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let state = shop.settled(&ticket).await;
    assert_eq!(state["status"], "failed");
    assert!(
        state["failure"].as_str().unwrap().contains("HTTP 401"),
        "{state}"
    );
    assert_eq!(shop.points(), 4200);
}

/// A wheel that always pays out 10 % off, played by Mart with one idempotency key (twice, as a
/// retry after a lost answer would), with the platform's `faults` first: one prize, created
/// once at the platform.
async fn won_once_under(kind: &str, faults: Vec<Fault>) {
    let shop = shop(kind).await;
    let config = lojal::core::games::CampaignConfig::from_json(
        &json!({
            "id": "alltid", "name": "Alltid", "game": "wheel", "starts_at": "2026-01-01T00:00:00Z",
            "segments": [
                { "label": "10 %", "weight": 1, "prize": "10 % rabatt", "discount": { "kind": "percentage", "amount": 10 } },
                { "label": "Nei", "weight": 0, "fallback": true }
            ]
        })
        .to_string(),
    )
    .unwrap();
    shop.db
        .run(move |conn| shop_api::games::put_campaign(conn, &config))
        .await
        .unwrap();
    shop.platform.faults.lock().unwrap().extend(faults.clone());
    let play = || {
        Request::post("/api/v1/campaigns/alltid/play")
            .header("x-lojal-signature", ShopSecret::new(SECRET).sign("c-1002"))
            .header("idempotency-key", "play-key-0001")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"customer_id":"c-1002"}"#))
            .unwrap()
    };
    let answer = send(&shop.router, play()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let prize = answer.json()["prize"].clone();
    assert_eq!(
        (prize["status"].as_str(), prize["code"].as_str()),
        (Some("pending"), Some("")),
        "{kind} {faults:?}"
    );
    let ticket = prize["ticket"].as_str().unwrap().to_owned();
    let again = send(&shop.router, play()).await;
    assert_eq!(
        again.json()["prize"]["ticket"],
        ticket.as_str(),
        "the same play"
    );
    let state = shop.settled(&ticket).await;
    assert_eq!(state["status"], "active", "{kind} {faults:?}: {state}");
    assert_eq!(
        shop.platform.codes(),
        vec![state["code"].as_str().unwrap().to_owned()],
        "{kind} {faults:?}: exactly one coupon at the platform"
    );
    assert!(
        shop.platform.faults.lock().unwrap().is_empty(),
        "{kind}: faults left over"
    );
    assert_eq!(
        count(
            &shop.db,
            "SELECT COUNT(*) FROM game_coupons WHERE discount_kind = 'percentage' AND discount_amount = 10"
        ),
        1,
        "the prize's row keeps its discount"
    );
    let (_, input) = shop.platform.coupons.lock().unwrap()[0].clone();
    match kind {
        "shopify" => assert_eq!(input["customerGets"]["value"]["percentage"], 0.1),
        _ => assert_eq!(
            (input["discount_type"].as_str(), input["amount"].as_str()),
            (Some("percent"), Some("10"))
        ),
    }
    assert_eq!(
        count(
            &shop.db,
            "SELECT COUNT(*) FROM events WHERE type = 'play.won'"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_won_prize_is_created_once_at_shopify_whatever_its_api_does() {
    won_once_under("shopify", vec![]).await;
    won_once_under(
        "shopify",
        vec![Fault::Status(503, Some(1)), Fault::Drop, Fault::Throttled],
    )
    .await;
    won_once_under("shopify", vec![Fault::Hang, Fault::Status(500, None)]).await;
    won_once_under("shopify", vec![Fault::LoseAnswer]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_won_prize_is_created_once_at_woocommerce_whatever_its_api_does() {
    won_once_under("woocommerce", vec![]).await;
    won_once_under(
        "woocommerce",
        vec![
            Fault::Status(502, None),
            Fault::Drop,
            Fault::Status(429, Some(1)),
        ],
    )
    .await;
    won_once_under("woocommerce", vec![Fault::Hang, Fault::LoseAnswer]).await;
}

// --- outbound events ---------------------------------------------------------------------------

/// What a receiver got: the verified event ids and bodies, in arrival order.
#[derive(Default)]
struct Receiver {
    secret: Mutex<Option<Vec<u8>>>,
    received: Mutex<Vec<(String, Value)>>,
    /// Answer these statuses first, one per request.
    statuses: Mutex<VecDeque<u16>>,
    hang: Mutex<bool>,
    bad_signatures: Mutex<u32>,
}

/// The Standard Webhooks verification, written from the specification: the signed content is
/// `<webhook-id>.<webhook-timestamp>.<body>`, the key the base64 after `whsec_`, the signature
/// `v1,` and the base64 HMAC-SHA256; the timestamp must be within five minutes.
fn verify_standard_webhook(key: &[u8], headers: &HeaderMap, body: &[u8]) -> bool {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let (id, timestamp, signatures) = (
        get("webhook-id"),
        get("webhook-timestamp"),
        get("webhook-signature"),
    );
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if (now - ts).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    signatures
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let hang = { *receiver.hang.lock().unwrap() };
    if hang {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    let key = receiver.secret.lock().unwrap().clone().unwrap_or_default();
    if !verify_standard_webhook(&key, &headers, &body) {
        *receiver.bad_signatures.lock().unwrap() += 1;
        return StatusCode::BAD_REQUEST.into_response();
    }
    if let Some(status) = receiver.statuses.lock().unwrap().pop_front() {
        return StatusCode::from_u16(status).unwrap().into_response();
    }
    let id = headers["webhook-id"].to_str().unwrap().to_owned();
    receiver
        .received
        .lock()
        .unwrap()
        .push((id, serde_json::from_slice(&body).unwrap()));
    StatusCode::NO_CONTENT.into_response()
}

async fn receiver() -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver::default());
    let base = serve(
        Router::new()
            .route("/hooks", post(receive))
            // Misbehaving receivers: ten megabytes of answer, and a redirect elsewhere.
            .route("/huge", post(|| async { vec![b'x'; 10 * 1024 * 1024] }))
            .route(
                "/redirect",
                post(|| async {
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, "http://127.0.0.1:9/elsewhere")],
                    )
                }),
            )
            .route("/health", get(|| async { "ok" }))
            .with_state(receiver.clone()),
    )
    .await;
    (receiver, base)
}

async fn add_endpoint(shop: &Shop, url: &str, events: &[&str], allow_private: bool) -> Answer {
    let request = Request::post("/api/v1/admin/webhooks")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "url": url, "events": events, "allow_private": allow_private }).to_string(),
        ))
        .unwrap();
    send(&shop.router, request).await
}

async fn answer_nps(shop: &Shop, score: u8, key: &str) {
    let request = Request::post("/api/v1/feedback")
        .header("idempotency-key", key)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "type": "nps", "score": score, "campaign": "2026-Q4", "text": format!("svar {key}") }).to_string()))
        .unwrap();
    assert!(send(&shop.router, request).await.status.is_success());
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_reaches_its_endpoint_signed_in_order_and_once_despite_failures() {
    let shop = shop("shopify").await;
    let (receiver, base) = receiver().await;
    let added = add_endpoint(
        &shop,
        &format!("{base}/hooks"),
        &["feedback.answered", "points.redeemed", "coupon.issued"],
        true,
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text());
    let secret = added.json()["secret"].as_str().unwrap().to_owned();
    *receiver.secret.lock().unwrap() = Some(
        base64::engine::general_purpose::STANDARD
            .decode(secret.trim_start_matches("whsec_"))
            .unwrap(),
    );
    // The receiver fails its first two deliveries; order must hold anyway.
    receiver.statuses.lock().unwrap().extend([500, 503]);
    for score in 0..6 {
        answer_nps(&shop, score, &format!("nps-key-{score:04}")).await;
    }
    shop.redeem("r-ship", "redeem-key-9").await;
    wait_for("seven events", || {
        receiver.received.lock().unwrap().len() >= 8
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.received.lock().unwrap().clone();
    let scores: Vec<i64> = received
        .iter()
        .filter(|(_, e)| e["type"] == "feedback.answered")
        .map(|(_, e)| e["data"]["score"].as_i64().unwrap())
        .collect();
    assert_eq!(scores, [0, 1, 2, 3, 4, 5], "in order, each once");
    let detractor = &received[0].1;
    assert_eq!(detractor["data"]["text"], "svar nps-key-0000");
    let types: Vec<&str> = received
        .iter()
        .map(|(_, e)| e["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"points.redeemed") && types.contains(&"coupon.issued"),
        "{types:?}"
    );
    let ids: std::collections::BTreeSet<&str> =
        received.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), received.len(), "stable, distinct ids");
    assert_eq!(
        *receiver.bad_signatures.lock().unwrap(),
        0,
        "every signature verified"
    );
    // The delivery log shows the two failures and the retries.
    let endpoint = added.json()["id"].as_str().unwrap().to_owned();
    let log = send(
        &shop.router,
        Request::get(format!("/api/v1/admin/webhooks/{endpoint}/deliveries"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .json();
    let statuses: Vec<i64> = log["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["status"].as_i64())
        .collect();
    assert!(
        statuses.contains(&500) && statuses.contains(&503),
        "{statuses:?}"
    );
    assert_eq!(log["waiting"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hanging_huge_or_redirecting_receiver_stalls_no_other_endpoint() {
    let shop = shop("shopify").await;
    let (good, base) = receiver().await;
    let (hanging, hanging_base) = receiver().await;
    *hanging.hang.lock().unwrap() = true;
    for (receiver, url) in [
        (&good, format!("{base}/hooks")),
        (&hanging, format!("{hanging_base}/hooks")),
    ] {
        let added = add_endpoint(&shop, &url, &["feedback.answered"], true).await;
        let secret = added.json()["secret"].as_str().unwrap().to_owned();
        *receiver.secret.lock().unwrap() = Some(
            base64::engine::general_purpose::STANDARD
                .decode(secret.trim_start_matches("whsec_"))
                .unwrap(),
        );
    }
    let huge = add_endpoint(&shop, &format!("{base}/huge"), &["feedback.answered"], true).await;
    let redirect = add_endpoint(
        &shop,
        &format!("{base}/redirect"),
        &["feedback.answered"],
        true,
    )
    .await;
    for n in 0..3 {
        answer_nps(&shop, 9, &format!("hang-key-{n:04}")).await;
    }
    wait_for("the good endpoint's three events", || {
        good.received.lock().unwrap().len() == 3
    })
    .await;
    assert!(hanging.received.lock().unwrap().is_empty());
    // The huge answer was read no further than the cap and counted as a delivery (2xx);
    // the redirect was not followed and counts as a failure.
    let attempts = |id: &str| {
        common::rows(
            &shop.db,
            "SELECT status, error FROM webhook_attempts WHERE endpoint_id = ?1 ORDER BY id",
            vec![id.into()],
        )
    };
    let huge_id = huge.json()["id"].as_str().unwrap().to_owned();
    wait_for("the huge endpoint's attempts", || {
        attempts(&huge_id).len() >= 3
    })
    .await;
    let redirect_id = redirect.json()["id"].as_str().unwrap().to_owned();
    wait_for("the redirecting endpoint's attempt", || {
        !attempts(&redirect_id).is_empty()
    })
    .await;
    let first = &attempts(&redirect_id)[0];
    assert_eq!(
        first[0],
        shop_api::db::Value::Integer(302),
        "not followed: {first:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn private_and_loopback_targets_are_refused_unless_allowed() {
    let shop = shop("shopify").await;
    for url in [
        "http://127.0.0.1:8080/hooks",
        "https://10.0.0.5/hooks",
        "https://[::1]/hooks",
        "https://169.254.169.254/latest/meta-data",
    ] {
        let answer = add_endpoint(&shop, url, &["*"], false).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            answer.text()
        );
    }
    assert_eq!(
        add_endpoint(&shop, "ftp://example.com/x", &["*"], true)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        add_endpoint(
            &shop,
            "https://example.com/x",
            &["points.everything"],
            false
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A name that resolves to loopback passes registration and is refused at delivery, by the
    // resolver: the connection is never made.
    let (receiver, base) = receiver().await;
    let port = base.rsplit(':').next().unwrap();
    let added = add_endpoint(
        &shop,
        &format!("https://localhost:{port}/hooks"),
        &["feedback.answered"],
        false,
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text());
    answer_nps(&shop, 3, "ssrf-key-0001").await;
    let id = added.json()["id"].as_str().unwrap().to_owned();
    wait_for("the refused attempt", || {
        !common::rows(
            &shop.db,
            "SELECT error FROM webhook_attempts WHERE endpoint_id = ?1",
            vec![id.clone().into()],
        )
        .is_empty()
    })
    .await;
    let error = common::rows(
        &shop.db,
        "SELECT error FROM webhook_attempts WHERE endpoint_id = ?1",
        vec![id.clone().into()],
    );
    assert!(
        format!("{:?}", error[0][0]).contains("private, loopback or link-local"),
        "{error:?}"
    );
    assert!(receiver.received.lock().unwrap().is_empty());
    // Given up at once, not retried for a day.
    wait_for("the dead job", || {
        count(&shop.db, &format!("SELECT COUNT(*) FROM work_queue WHERE ordering = 'endpoint:{id}' AND state = 'dead'")) == 1
    })
    .await;
}
