//! Two `shop-api` processes sharing one database, as behind a load balancer: requests alternate
//! between them, so only the database's own locks and constraints keep the promises (one play
//! per period, a prize stock paid out exactly, points spent once, an answer stored once). On
//! PostgreSQL when `DATABASE_URL` is set (a fresh schema), else on one SQLite file.

mod common;

use common::process::{Instance, Outcome, post, request, request_text};
use common::{Target, count};
use serde_json::{Value, json};
use shop_api::db::{Conn, latest_version, schema_version};
use shop_api::identity::ShopSecret;
use shop_api::webhooks::WebhookSecret;
use tempfile::TempDir;

const SECRET: &str = "instances-secret";
const TOKEN: &str = "instances-merchant-token";
const SHOPIFY_SECRET: &str = "instances-shopify-secret";
const WOO_SECRET: &str = "instances-woocommerce-secret";
const ORDER_PAID: &str = include_str!("fixtures/shopify/orders-paid.json");
const WOO_ORDER: &str = include_str!("fixtures/woocommerce/order.json");

/// `shop-api` on the test's database: a fresh PostgreSQL schema when `DATABASE_URL` is set,
/// else one SQLite file; with the merchant token and both platforms' webhook secrets.
fn shop_api(target: &Target) -> std::process::Command {
    let mut command = common::process::shop_api(target, SECRET);
    command
        .env("LOJAL_MERCHANT_TOKEN", TOKEN)
        .env("LOJAL_SHOPIFY_WEBHOOK_SECRET", SHOPIFY_SECRET)
        .env("LOJAL_WOOCOMMERCE_WEBHOOK_SECRET", WOO_SECRET);
    command
}

fn start(target: &Target, args: &[&str]) -> Instance {
    let mut command = shop_api(target);
    command.args(args);
    Instance::start(command)
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

fn put_campaign(target: &Target, dir: &TempDir, campaign: Value) {
    let file = dir.path().join("campaign.json");
    std::fs::write(&file, campaign.to_string()).unwrap();
    let out = shop_api(target)
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
    let target = common::fresh_target(dir.path());
    put_campaign(
        &target,
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
        &target,
        &dir,
        json!({
            "id": "daily", "name": "Daily", "game": "wheel",
            "segments": [
                { "label": "Gevinst", "weight": 1, "prize": "10 % rabatt" },
                { "label": "Prøv igjen", "weight": 0, "fallback": true },
            ]
        }),
    );
    let instances = [
        start(&target, &["--no-rate-limits"]),
        start(&target, &["--no-rate-limits"]),
    ];
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

/// Any request over a real socket: status and body (a request that is not answered fails the
/// test).
fn call(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&Value>,
) -> (u16, Value) {
    answered(request(addr, method, path, headers, body))
}

fn answered(outcome: Outcome) -> (u16, Value) {
    match outcome {
        Outcome::Answered(status, body) => (status, body),
        other => panic!("not answered: {other:?}"),
    }
}

fn merchant() -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {TOKEN}"))]
}

fn statuses(answers: &[(u16, Value)]) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for (status, _) in answers {
        *counts.entry(*status).or_insert(0) += 1;
    }
    counts
}

/// The write endpoints the first test leaves out, each sent sixteen times at once through
/// both instances: the platforms' webhooks, order and sign-up reports, birthdays, referral
/// claims, the programme, the merchant's endpoints, moderation and a shopper's erasure.
#[test]
fn every_other_write_endpoint_keeps_its_promise_across_two_instances() {
    let dir = TempDir::new().unwrap();
    let target = common::fresh_target(dir.path());
    let instances = [
        start(&target, &["--no-rate-limits"]),
        start(&target, &["--no-rate-limits"]),
    ];
    let addr = |i: usize| instances[i % 2].addr;
    let db = common::open(&target).unwrap();
    let n = |sql: &str| count(&db, sql);

    // Shopify retrying one order's delivery, WooCommerce delivering one state under new ids:
    // one credit each.
    let shopify = all_at_once(16, |i| {
        let headers = [
            ("x-shopify-topic", "orders/paid".to_owned()),
            ("x-shopify-webhook-id", "instances-w-1".to_owned()),
            (
                "x-shopify-shop-domain",
                "nordlys-strikk.myshopify.com".to_owned(),
            ),
            (
                "x-shopify-hmac-sha256",
                WebhookSecret::new(SHOPIFY_SECRET).sign(ORDER_PAID.as_bytes()),
            ),
        ];
        answered(request_text(
            addr(i),
            "POST",
            "/api/v1/webhooks/shopify",
            &headers,
            ORDER_PAID,
        ))
    });
    assert_eq!(statuses(&shopify), [(200, 16)].into(), "{shopify:?}");
    assert_eq!(
        n("SELECT count(*) FROM ledger WHERE customer_id = '115310627314723954'"),
        1
    );
    let woo = all_at_once(16, |i| {
        let headers = [
            ("x-wc-webhook-topic", "order.updated".to_owned()),
            ("x-wc-webhook-delivery-id", format!("instances-d-{i}")),
            ("x-wc-webhook-source", "https://nordlys.example/".to_owned()),
            (
                "x-wc-webhook-signature",
                WebhookSecret::new(WOO_SECRET).sign(WOO_ORDER.as_bytes()),
            ),
        ];
        answered(request_text(
            addr(i),
            "POST",
            "/api/v1/webhooks/woocommerce",
            &headers,
            WOO_ORDER,
        ))
    });
    assert_eq!(statuses(&woo), [(200, 16)].into(), "{woo:?}");
    assert_eq!(n("SELECT count(*) FROM ledger WHERE customer_id = '26'"), 1);

    // The shop's backend reporting one order and one sign-up sixteen times: credited once.
    let orders = all_at_once(16, |i| {
        let body = json!({ "id": "o-77", "customer_id": "c-77", "email": "sytti.sju@example.no",
                           "currency": "NOK", "subtotal": 100_000, "status": "paid" });
        call(addr(i), "POST", "/api/v1/orders", &merchant(), Some(&body))
    });
    assert_eq!(statuses(&orders), [(200, 16)].into(), "{orders:?}");
    let signups = all_at_once(16, |i| {
        let body = json!({ "id": "c-78", "email": "sytti.atte@example.no" });
        call(
            addr(i),
            "POST",
            "/api/v1/customers",
            &merchant(),
            Some(&body),
        )
    });
    assert_eq!(statuses(&signups), [(200, 16)].into(), "{signups:?}");
    assert_eq!(
        n("SELECT count(*) FROM ledger WHERE customer_id = 'c-77' AND source LIKE 'order:%'"),
        1
    );
    assert_eq!(
        n("SELECT count(*) FROM ledger WHERE customer_id = 'c-78' AND source = 'signup'"),
        1
    );
    assert_eq!(
        signups
            .iter()
            .filter(|(_, body)| body["created"] == true)
            .count(),
        1,
        "{signups:?}"
    );

    // Sixteen different birthdays for one shopper at once: one is set, the rest are refused.
    let birthdays = all_at_once(16, |i| {
        let headers = [("x-lojal-signature", ShopSecret::new(SECRET).sign("c-1002"))];
        let body = json!({ "month": 3, "day": i + 1 });
        call(
            addr(i),
            "PUT",
            "/api/v1/loyalty/c-1002/birthday",
            &headers,
            Some(&body),
        )
    });
    assert_eq!(
        statuses(&birthdays),
        [(200, 1), (409, 15)].into(),
        "{birthdays:?}"
    );
    let (_, set) = birthdays.iter().find(|(s, _)| *s == 200).unwrap();
    assert_eq!(
        n(&format!(
            "SELECT count(*) FROM customers WHERE id = 'c-1002' AND birthday_month = 3 AND birthday_day = {}",
            set["birthday"]["day"]
        )),
        1
    );

    // One friend claiming Ingrid's invitation sixteen times: one invitation, one coupon.
    let ingrid = call(
        addr(0),
        "GET",
        "/api/v1/loyalty/c-1001",
        &[("x-lojal-signature", ShopSecret::new(SECRET).sign("c-1001"))],
        None,
    );
    let code = ingrid.1["referral"]["code"].as_str().unwrap().to_owned();
    let claims = all_at_once(16, |i| {
        let body = json!({ "email": "venn.viljar@example.no" });
        call(
            addr(i),
            "POST",
            &format!("/api/v1/referrals/{code}/claim"),
            &[],
            Some(&body),
        )
    });
    assert_eq!(statuses(&claims), [(200, 16)].into(), "{claims:?}");
    assert_eq!(
        n("SELECT count(*) FROM referrals WHERE email = 'venn.viljar@example.no'"),
        1
    );

    // Sixteen programme edits based on the same revision: one is saved, fifteen are stale.
    let (_, current) = call(addr(0), "GET", "/api/v1/admin/programme", &merchant(), None);
    let revision = current["revision"].as_i64().unwrap();
    let edits = all_at_once(16, |i| {
        let mut programme = current["programme"].clone();
        programme["name"] = json!(format!("Klubben {i}"));
        let mut headers = merchant();
        headers.push(("if-match", revision.to_string()));
        call(
            addr(i),
            "PUT",
            "/api/v1/admin/programme",
            &headers,
            Some(&programme),
        )
    });
    assert_eq!(statuses(&edits), [(200, 1), (409, 15)].into(), "{edits:?}");
    assert_eq!(n("SELECT revision FROM programme"), revision + 1);

    // The merchant's endpoints: sixteen registrations are sixteen endpoints; one of them
    // removed sixteen times is removed once; switched on sixteen times, it is on.
    let added = all_at_once(16, |i| {
        let body = json!({ "url": format!("https://hooks.example/{i}"), "events": ["*"] });
        call(
            addr(i),
            "POST",
            "/api/v1/admin/webhooks",
            &merchant(),
            Some(&body),
        )
    });
    assert_eq!(statuses(&added), [(200, 16)].into(), "{added:?}");
    let ids: std::collections::BTreeSet<&str> = added
        .iter()
        .filter_map(|(_, body)| body["id"].as_str())
        .collect();
    assert_eq!(
        (ids.len(), n("SELECT count(*) FROM webhook_endpoints")),
        (16, 16)
    );
    let first = *ids.iter().next().unwrap();
    let enabled = all_at_once(16, |i| {
        call(
            addr(i),
            "POST",
            &format!("/api/v1/admin/webhooks/{first}/enable"),
            &merchant(),
            None,
        )
    });
    assert_eq!(statuses(&enabled), [(200, 16)].into(), "{enabled:?}");
    let removed = all_at_once(16, |i| {
        call(
            addr(i),
            "DELETE",
            &format!("/api/v1/admin/webhooks/{first}"),
            &merchant(),
            None,
        )
    });
    assert_eq!(
        statuses(&removed),
        [(200, 1), (404, 15)].into(),
        "{removed:?}"
    );
    assert_eq!(n("SELECT count(*) FROM webhook_endpoints"), 15);

    // A review moderated sixteen times at once ends in one of the states asked for.
    let (_, review) = post(
        addr(0),
        "/api/v1/feedback",
        &[("idempotency-key", "instances-review".to_owned())],
        &json!({ "type": "review", "score": 5, "product_id": "p-setesdal", "campaign": "reviews",
                 "text": "Varm" }),
    );
    let id = review["id"].as_i64().unwrap();
    let moderations = all_at_once(16, |i| {
        let status = if i % 2 == 0 { "published" } else { "rejected" };
        call(
            addr(i),
            "POST",
            &format!("/api/v1/feedback/{id}/moderation"),
            &merchant(),
            Some(&json!({ "status": status })),
        )
    });
    assert_eq!(
        statuses(&moderations),
        [(200, 16)].into(),
        "{moderations:?}"
    );
    assert_eq!(
        n(&format!(
            "SELECT count(*) FROM feedback WHERE id = {id} AND status IN ('published', 'rejected')"
        )),
        1
    );

    // One shopper erased sixteen times at once: erased once, then there is nothing left.
    let erased = all_at_once(16, |i| {
        call(
            addr(i),
            "DELETE",
            "/api/v1/admin/customers/c-77",
            &merchant(),
            None,
        )
    });
    assert_eq!(
        statuses(&erased),
        [(200, 1), (404, 15)].into(),
        "{erased:?}"
    );
    assert_eq!(
        n("SELECT count(*) FROM customers WHERE id LIKE 'erased-%'"),
        1
    );
    assert_eq!(
        n("SELECT count(*) FROM ledger WHERE customer_id = 'c-77'"),
        0
    );
}

/// What each instance enforces on its own, as the README says: the rate limits. Two instances
/// with a burst of 3 signed writes per customer let through 3 each, so 6 in all; everything
/// the database decides (periods, stock, points, once per campaign) holds across them.
#[test]
fn each_instance_counts_its_own_rate_limits() {
    let dir = TempDir::new().unwrap();
    let target = common::fresh_target(dir.path());
    let limits = ["--rate-limit-customer", "1/s,burst=3"];
    let instances = [start(&target, &limits), start(&target, &limits)];
    // The per-customer limit is keyed by the signature: the same one, as one page sends it.
    let signature = ShopSecret::new(SECRET).sign("c-1001");
    let started = std::time::Instant::now();
    let answers: Vec<(u16, Value)> = (0..20)
        .map(|i| {
            post(
                instances[i % 2].addr,
                "/api/v1/feedback",
                &[
                    ("x-lojal-signature", signature.clone()),
                    ("idempotency-key", format!("rate-limit-{i:04}")),
                ],
                &json!({ "type": "nps", "score": 8, "campaign": format!("rate-{i}"),
                         "customer_id": "c-1001" }),
            )
        })
        .collect();
    let elapsed = started.elapsed().as_secs();
    let let_through = status_count(&answers, 201) as u64;
    // One shared limit would let 3 through, and one more per second; each instance's own, 6.
    assert!(
        (6..=6 + 2 * elapsed).contains(&let_through),
        "{let_through} let through in {elapsed} s: {answers:?}"
    );
    assert_eq!(status_count(&answers, 429) as u64, 20 - let_through);
}
