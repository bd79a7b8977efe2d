//! Time-bound customer signatures on every endpoint that takes one, against a fresh database
//! (SQLite, or PostgreSQL when `DATABASE_URL` is set): fresh ones are accepted; expired, future,
//! altered, foreign and timeless ones are the same 401 as a forgery and change nothing; the
//! previous secret works during a rotation and stops when it is removed.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, count, send};
use serde_json::json;
use shop_api::db::Db;
use shop_api::identity::{CLOCK_SKEW_SECS, DEFAULT_MAX_AGE_SECS, ShopSecret, unix_now};
use shop_api::{AppState, Options, app};
use tempfile::TempDir;

const SECRET: &str = "current-secret";
const PREVIOUS: &str = "previous-secret";
const INGRID: &str = "c-1001";

struct Shop {
    router: Router,
    db: Db,
    _dir: TempDir,
}

fn shop_with(secret: ShopSecret) -> Shop {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let state = AppState::new(db.clone(), secret);
    Shop {
        router: app(state, &Options::default()),
        db,
        _dir: dir,
    }
}

/// A request to each kind of endpoint that checks a customer signature, for `customer`.
fn signed_requests(customer: &str, signature: &str) -> Vec<(&'static str, Request<Body>)> {
    let get = |path: String| {
        Request::get(path)
            .header("x-lojal-signature", signature)
            .body(Body::empty())
            .unwrap()
    };
    let post = |path: String, body: serde_json::Value| {
        Request::post(path)
            .header("x-lojal-signature", signature)
            .header(
                "idempotency-key",
                format!("key-{:016x}", getrandom::u64().unwrap()),
            )
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    vec![
        ("balance", get(format!("/api/v1/loyalty/{customer}"))),
        (
            "redeem",
            post(
                format!("/api/v1/loyalty/{customer}/redeem"),
                json!({ "reward_id": "r-ship" }),
            ),
        ),
        (
            "campaign",
            get(format!(
                "/api/v1/campaigns/vinterhjulet?customer_id={customer}"
            )),
        ),
        (
            "play",
            post(
                "/api/v1/campaigns/vinterhjulet/play".into(),
                json!({ "customer_id": customer }),
            ),
        ),
        (
            "answered",
            get(format!(
                "/api/v1/feedback/answered?type=nps&campaign=2026-Q4&customer_id={customer}"
            )),
        ),
        (
            "answer",
            post(
                "/api/v1/feedback".into(),
                json!({ "type": "nps", "score": 9, "campaign": "2026-Q4", "customer_id": customer }),
            ),
        ),
    ]
}

/// What a customer's signed requests leave behind: points, coupons, plays, answers.
fn footprint(db: &Db) -> [i64; 4] {
    [
        count(
            db,
            "SELECT SUM(points) FROM ledger WHERE customer_id = 'c-1001'",
        ),
        count(db, "SELECT COUNT(*) FROM coupons"),
        count(db, "SELECT COUNT(*) FROM plays"),
        count(db, "SELECT COUNT(*) FROM feedback"),
    ]
}

async fn assert_refused(shop: &Shop, customer: &str, signature: &str, why: &str) -> Vec<Answer> {
    let before = footprint(&shop.db);
    let mut answers = Vec::new();
    for (endpoint, request) in signed_requests(customer, signature) {
        let answer = send(&shop.router, request).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{why}: {endpoint} answered {}",
            answer.text()
        );
        assert_eq!(
            answer.error_code(),
            "invalid_signature",
            "{why}: {endpoint}"
        );
        answers.push(answer);
    }
    assert_eq!(
        footprint(&shop.db),
        before,
        "{why}: a refused request stored something"
    );
    answers
}

/// Every endpoint took the signature: it answered, or refused only what the customer did
/// before (a second play inside the campaign's period, a second answer).
async fn assert_accepted(shop: &Shop, customer: &str, signature: &str, why: &str) {
    for (endpoint, request) in signed_requests(customer, signature) {
        let answer = send(&shop.router, request).await;
        let done_before = matches!(
            (answer.status, endpoint),
            (StatusCode::TOO_MANY_REQUESTS, "play") | (StatusCode::CONFLICT, "answer")
        ) && ["already_played", "already_answered"]
            .contains(&answer.error_code().as_str());
        assert!(
            answer.status.is_success() || done_before,
            "{why}: {endpoint} answered {} {}",
            answer.status,
            answer.text()
        );
    }
}

#[tokio::test]
async fn a_fresh_signature_is_accepted_everywhere_and_a_stale_or_altered_one_nowhere() {
    let shop = shop_with(ShopSecret::new(SECRET));
    let secret = ShopSecret::new(SECRET);
    let now = unix_now();
    let fresh = secret.sign_at(INGRID, now);
    let mac_of = |signature: &str| signature.split_once(",v1=").unwrap().1.to_owned();

    let refused = [
        (
            secret.sign_at(INGRID, now - DEFAULT_MAX_AGE_SECS - 60),
            "older than the window",
        ),
        (
            secret.sign_at(INGRID, now + CLOCK_SKEW_SECS + 60),
            "more than 5 minutes in the future",
        ),
        (
            format!("t={},v1={}", now - 1, mac_of(&fresh)),
            "the time altered",
        ),
        (secret.sign_at("c-1002", now), "another customer's"),
        (
            ShopSecret::new("some-other-shop").sign_at(INGRID, now),
            "under another secret",
        ),
        (
            secret.sign_timeless(INGRID),
            "the old timeless form without the legacy setting",
        ),
        (mac_of(&fresh), "the mac without its time"),
        (format!("t={now}"), "the time without a mac"),
        (String::new(), "empty"),
    ];
    for (signature, why) in &refused {
        assert_refused(&shop, INGRID, signature, why).await;
    }
    // The id altered: Ingrid's fresh signature on Mart's requests.
    assert_refused(&shop, "c-1002", &fresh, "the id altered").await;

    // Nothing above spent a point, made a coupon, stored a play or an answer; the fresh
    // signature does all four.
    let [points, coupons, plays, answers] = footprint(&shop.db);
    assert_eq!(points, 1250);
    assert_accepted(&shop, INGRID, &fresh, "fresh").await;
    assert_eq!(
        footprint(&shop.db),
        [points - 300, coupons + 1, plays + 1, answers + 1]
    );
    assert_accepted(
        &shop,
        INGRID,
        &secret.sign_at(INGRID, now - DEFAULT_MAX_AGE_SECS + 60),
        "just inside the window",
    )
    .await;
}

#[tokio::test]
async fn only_a_genuine_signature_is_told_why_it_was_refused() {
    let shop = shop_with(ShopSecret::new(SECRET));
    let secret = ShopSecret::new(SECRET);
    let now = unix_now();
    let message = |answer: &Answer| {
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let expired = assert_refused(
        &shop,
        INGRID,
        &secret.sign_at(INGRID, now - 2 * DEFAULT_MAX_AGE_SECS),
        "expired",
    )
    .await;
    assert!(
        message(&expired[0]).contains("has expired"),
        "{}",
        message(&expired[0])
    );
    let timeless = assert_refused(&shop, INGRID, &secret.sign_timeless(INGRID), "timeless").await;
    assert!(
        message(&timeless[0]).contains("timeless"),
        "{}",
        message(&timeless[0])
    );

    // A forger with an old time gets the plain mismatch: nothing says the time was the problem.
    let forged = ShopSecret::new("guess").sign_at(INGRID, now - 2 * DEFAULT_MAX_AGE_SECS);
    let answers = assert_refused(&shop, INGRID, &forged, "forged and old").await;
    assert_eq!(
        message(&answers[0]),
        "the x-lojal-signature header does not match the customer id"
    );
}

#[tokio::test]
async fn the_window_is_the_merchants_to_set() {
    let shop = shop_with(ShopSecret::new(SECRET).with_max_age(600).unwrap());
    let secret = ShopSecret::new(SECRET);
    let now = unix_now();
    assert_accepted(
        &shop,
        INGRID,
        &secret.sign_at(INGRID, now - 500),
        "inside 10 minutes",
    )
    .await;
    assert_refused(
        &shop,
        INGRID,
        &secret.sign_at(INGRID, now - 700),
        "outside 10 minutes",
    )
    .await;
}

#[tokio::test]
async fn the_previous_secret_works_during_a_rotation_and_stops_when_it_is_removed() {
    // One database, three configurations of the same shop over time.
    let dir = TempDir::new().unwrap();
    let target = common::fresh_target(dir.path());
    let db = common::open(&target).unwrap();
    let router = |secret: ShopSecret| app(AppState::new(db.clone(), secret), &Options::default());
    let before = ShopSecret::new(PREVIOUS);
    let signed_before = before.sign(INGRID);
    let shop = |router: Router| Shop {
        router,
        db: db.clone(),
        _dir: TempDir::new().unwrap(),
    };

    let old = shop(router(ShopSecret::new(PREVIOUS)));
    assert_accepted(&old, INGRID, &signed_before, "before the rotation").await;

    let rotating = shop(router(ShopSecret::new(SECRET).with_previous(PREVIOUS)));
    assert_accepted(
        &rotating,
        INGRID,
        &signed_before,
        "old secret during the rotation",
    )
    .await;
    assert_accepted(
        &rotating,
        INGRID,
        &ShopSecret::new(SECRET).sign(INGRID),
        "new secret during the rotation",
    )
    .await;

    let rotated = shop(router(ShopSecret::new(SECRET)));
    assert_refused(
        &rotated,
        INGRID,
        &signed_before,
        "old secret after the rotation",
    )
    .await;
    assert_accepted(
        &rotated,
        INGRID,
        &ShopSecret::new(SECRET).sign(INGRID),
        "new secret after the rotation",
    )
    .await;
}

#[tokio::test]
async fn the_legacy_setting_accepts_the_timeless_form_and_nothing_else_more() {
    let shop = shop_with(ShopSecret::new(SECRET).with_legacy_timeless(true));
    let secret = ShopSecret::new(SECRET);
    assert_accepted(
        &shop,
        INGRID,
        &secret.sign_timeless(INGRID),
        "timeless, legacy on",
    )
    .await;
    assert_refused(
        &shop,
        "c-1002",
        &secret.sign_timeless(INGRID),
        "another customer's timeless signature",
    )
    .await;
    assert_refused(
        &shop,
        INGRID,
        &secret.sign_at(INGRID, unix_now() - 2 * DEFAULT_MAX_AGE_SECS),
        "an expired timed signature, legacy on",
    )
    .await;
}
