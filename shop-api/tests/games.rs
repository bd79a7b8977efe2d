//! Reward games against a fresh database (SQLite, or PostgreSQL with `DATABASE_URL`): the public campaign, plays by signed customers and
//! guests, idempotency, the play period, stock under concurrency, tampering, consent records,
//! cross-table coupon uniqueness and the `campaign put` command.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, get, send};
use lojal::core::games::{Campaign, CampaignConfig, CampaignState, PlayResult, parse_utc};
use serde_json::{Value, json};
use shop_api::db::Db;
use shop_api::identity::ShopSecret;
use shop_api::{AppState, Options, app};
use tempfile::TempDir;

const SECRET: &str = "test-secret";

struct Shop {
    router: Router,
    db: Db,
    _dir: TempDir,
}

fn shop() -> Shop {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let state = AppState::new(db.clone(), ShopSecret::new(SECRET));
    Shop {
        router: app(state, &Options::default()),
        db,
        _dir: dir,
    }
}

impl Shop {
    async fn put(&self, config: Value) {
        let config = CampaignConfig::from_json(&config.to_string()).expect("a valid campaign");
        self.db
            .run(move |conn| shop_api::games::put_campaign(conn, &config))
            .await
            .unwrap();
    }

    fn count(&self, sql: &str) -> i64 {
        common::count(&self.db, sql)
    }
}

/// For the SQLite file the `campaign put` command writes.
fn sqlite_count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |row| row.get(0))
        .unwrap()
}

fn sig(id: &str) -> String {
    ShopSecret::new(SECRET).sign(id)
}

/// What the games' tests read from an answer, beside `common::Answer`'s own.
impl Answer {
    fn result(&self) -> PlayResult {
        assert_eq!(self.status, StatusCode::OK, "{}", self.json());
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// Plays `campaign` with `body`; `signature` goes in the header, `key` is the idempotency key.
async fn play_raw(
    router: &Router,
    campaign: &str,
    body: Value,
    signature: Option<&str>,
    key: Option<&str>,
) -> Answer {
    let mut request = Request::post(format!("/api/v1/campaigns/{campaign}/play"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(signature) = signature {
        request = request.header("x-lojal-signature", signature);
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    send(router, request.body(Body::from(body.to_string())).unwrap()).await
}

/// A signed customer plays with a fresh idempotency key.
async fn play(router: &Router, campaign: &str, customer: &str) -> Answer {
    let key = format!("play-key-{:08}", fresh());
    play_raw(
        router,
        campaign,
        json!({ "customer_id": customer }),
        Some(&sig(customer)),
        Some(&key),
    )
    .await
}

/// A guest's play; a ticked consent is sent with [`CONSENT_TEXT`], as the widget shows it.
async fn play_as_guest(router: &Router, campaign: &str, email: &str, consent: bool) -> Answer {
    let body = match consent {
        true => json!({ "email": email, "marketing_consent": true, "consent_text": CONSENT_TEXT }),
        false => json!({ "email": email }),
    };
    let key = format!("play-key-{:08}", fresh());
    play_raw(router, campaign, body, None, Some(&key)).await
}

const CONSENT_TEXT: &str = "Send meg tilbud på e-post.";

fn fresh() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Every play wins the one prize (the fallback weighs nothing until the stock runs out).
fn sure_prize(id: &str, stock: Option<u32>) -> Value {
    json!({
        "id": id, "name": "Test", "game": "wheel", "guest_email": true,
        "consent_text": CONSENT_TEXT,
        "segments": [
            { "label": "Gevinst", "weight": 1, "prize": "50 % rabatt", "stock": stock },
            { "label": "Prøv igjen", "weight": 0, "fallback": true },
        ]
    })
}

#[tokio::test]
async fn a_campaign_shows_its_segments_and_its_odds_only_when_it_discloses_them() {
    let shop = shop();
    let answer = get(&shop.router, "/api/v1/campaigns/vinterhjulet", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    let body = answer.json();
    // Weights and stock are never public as such.
    assert!(body["segments"][0].get("weight").is_none(), "{body}");
    let wheel = Campaign::from_json(&answer_text(&answer)).expect("the widget accepts it");
    assert_eq!(wheel.state, CampaignState::Active);
    assert_eq!(wheel.segments.len(), 8);
    assert_eq!(wheel.segments[1].label, "Prøv igjen");
    assert_eq!(wheel.segments[0].color.as_deref(), Some("#0b6e4f"));
    assert!(wheel.guest_email);
    let odds = wheel.odds.expect("vinterhjulet discloses its odds");
    let total: f64 = odds.iter().map(|o| o.chance).sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    assert_eq!(odds[6].remaining, Some(5), "the hat: small stock");
    assert_eq!(odds[0].remaining, None, "10 % off: unlimited");
    assert!((odds[6].chance - 0.02).abs() < 1e-9);

    let scratch = get(&shop.router, "/api/v1/campaigns/skrapelodd", None).await;
    assert_eq!(scratch.status, StatusCode::OK);
    assert!(scratch.json().get("odds").is_none(), "not disclosed");
    assert_eq!(scratch.json()["game"], "scratch");

    let over = get(&shop.router, "/api/v1/campaigns/sommerhjulet", None).await;
    assert_eq!(over.json()["state"], "over");

    let missing = get(&shop.router, "/api/v1/campaigns/nope", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "unknown_campaign");
}

fn answer_text(answer: &Answer) -> String {
    String::from_utf8(answer.body.clone()).unwrap()
}

#[tokio::test]
async fn a_signed_customer_plays_once_per_period_and_gets_a_bound_expiring_coupon() {
    let shop = shop();
    shop.put(sure_prize("test", None)).await;
    let first = play(&shop.router, "test", "c-1001").await.result();
    assert_eq!((first.segment_index, first.label.as_str()), (0, "Gevinst"));
    let prize = first.prize.clone().expect("a sure prize");
    assert_eq!(prize.name, "50 % rabatt");
    assert!(prize.code.starts_with("LOJAL-") && prize.code.len() == 15);
    // Bound to the shopper, valid for the campaign's 30 days.
    assert_eq!(
        shop.count(&format!(
            "SELECT count(*) FROM game_coupons WHERE code = '{}' AND player = 'customer:c-1001'",
            prize.code
        )),
        1
    );
    let valid = parse_utc(&prize.expires_at).unwrap() - parse_utc(&first.played_at).unwrap();
    assert_eq!(valid, 30 * 86_400);
    assert_eq!(
        parse_utc(&first.next_play_at).unwrap() - parse_utc(&first.played_at).unwrap(),
        86_400
    );

    // Again inside the period: 429, with when.
    let again = play(&shop.router, "test", "c-1001").await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(again.error_code(), "already_played");
    assert_eq!(again.json()["error"]["next_play_at"], first.next_play_at);
    let retry_after: u64 = again.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((86_390..=86_400).contains(&retry_after), "{retry_after}");

    // The widget can know before playing.
    let status = get(
        &shop.router,
        "/api/v1/campaigns/test?customer_id=c-1001",
        Some(&sig("c-1001")),
    )
    .await;
    assert_eq!(status.json()["next_play_at"], first.next_play_at);
    let other = get(
        &shop.router,
        "/api/v1/campaigns/test?customer_id=c-1002",
        Some(&sig("c-1002")),
    )
    .await;
    assert!(other.json().get("next_play_at").is_none());
    // Another shopper plays independently.
    assert!(
        play(&shop.router, "test", "c-1002")
            .await
            .result()
            .prize
            .is_some()
    );

    // Once the period is over the shopper may play again.
    shop.db
        .run(|conn| {
            conn.execute(
                "UPDATE plays SET next_play_at = '2000-01-01T00:00:00Z' WHERE player = 'customer:c-1001'",
                &[],
            )
        })
        .await
        .unwrap();
    let later = play(&shop.router, "test", "c-1001").await.result();
    assert_ne!(later.prize.unwrap().code, prize.code);
    assert_eq!(shop.count("SELECT count(*) FROM plays"), 3);
}

#[tokio::test]
async fn the_same_idempotency_key_twice_is_one_play() {
    let shop = shop();
    shop.put(sure_prize("test", Some(100))).await;
    let body = json!({ "customer_id": "c-1001" });
    let key = "9a7c1d2e-3f4b-4c5d-8e6f-7a8b9c0d1e2f";
    let first = play_raw(
        &shop.router,
        "test",
        body.clone(),
        Some(&sig("c-1001")),
        Some(key),
    )
    .await
    .result();
    let again = play_raw(
        &shop.router,
        "test",
        body.clone(),
        Some(&sig("c-1001")),
        Some(key),
    )
    .await
    .result();
    assert_eq!(first, again);
    assert_eq!(shop.count("SELECT count(*) FROM plays"), 1);
    assert_eq!(shop.count("SELECT count(*) FROM game_coupons"), 1);
    assert_eq!(
        shop.count(
            "SELECT stock FROM campaign_segments WHERE campaign_id = 'test' AND position = 0"
        ),
        99
    );

    // Sixteen copies of one new key at once (the period has been reset): still one play.
    let router = Arc::new(shop.router.clone());
    shop.db
        .run(|conn| {
            conn.execute(
                "UPDATE plays SET next_play_at = '2000-01-01T00:00:00Z'",
                &[],
            )
        })
        .await
        .unwrap();
    let copies = (0..16)
        .map(|_| {
            let (router, body) = (Arc::clone(&router), body.clone());
            tokio::spawn(async move {
                play_raw(
                    &router,
                    "test",
                    body,
                    Some(&sig("c-1001")),
                    Some("same-key-16x"),
                )
                .await
                .result()
            })
        })
        .collect::<Vec<_>>();
    let mut results = HashSet::new();
    for copy in copies {
        results.insert(serde_json::to_string(&copy.await.unwrap()).unwrap());
    }
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(shop.count("SELECT count(*) FROM plays"), 2);

    // Keys belong to one shopper: another's identical key is her own play.
    let mart = play_raw(
        &shop.router,
        "test",
        json!({ "customer_id": "c-1002" }),
        Some(&sig("c-1002")),
        Some(key),
    )
    .await
    .result();
    assert_ne!(mart.prize, first.prize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_plays_by_one_shopper_give_one_prize_and_49_refusals() {
    let shop = shop();
    shop.put(sure_prize("test", None)).await;
    let router = Arc::new(shop.router.clone());
    let attempts = (0..50)
        .map(|_| {
            let router = Arc::clone(&router);
            tokio::spawn(async move {
                let answer = play(&router, "test", "c-1001").await;
                (answer.status, answer.body)
            })
        })
        .collect::<Vec<_>>();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let won = statuses
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .count();
    let refused = statuses
        .iter()
        .filter(|(s, body)| {
            *s == StatusCode::TOO_MANY_REQUESTS
                && serde_json::from_slice::<Value>(body).unwrap()["error"]["code"]
                    == "already_played"
        })
        .count();
    assert_eq!((won, refused), (1, 49));
    assert_eq!(shop.count("SELECT count(*) FROM plays"), 1);
    assert_eq!(shop.count("SELECT count(*) FROM game_coupons"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stock_never_goes_below_zero_under_200_concurrent_players() {
    let shop = shop();
    // Ten prizes that almost always win while they last; then only the fallback is left.
    shop.put(json!({
        "id": "rush", "name": "Rush", "game": "wheel", "guest_email": true,
        "segments": [
            { "label": "50 %", "weight": 99, "prize": "50 % rabatt", "stock": 10 },
            { "label": "Prøv igjen", "weight": 1, "fallback": true },
        ]
    }))
    .await;
    let router = Arc::new(shop.router.clone());
    let players = (0..200)
        .map(|i| {
            let router = Arc::clone(&router);
            tokio::spawn(async move {
                // Half signed customers, half guests.
                let answer = if i % 2 == 0 {
                    play(&router, "rush", &format!("c-{}", 5000 + i)).await
                } else {
                    play_as_guest(&router, "rush", &format!("guest{i}@example.no"), false).await
                };
                answer.result()
            })
        })
        .collect::<Vec<_>>();
    let mut results = Vec::new();
    for player in players {
        results.push(player.await.unwrap());
    }
    let codes: HashSet<String> = results
        .iter()
        .filter_map(|r| r.prize.as_ref().map(|p| p.code.clone()))
        .collect();
    let won = results.iter().filter(|r| r.prize.is_some()).count();
    assert_eq!(won, 10, "exactly the stock is paid out");
    assert_eq!(codes.len(), 10, "every coupon is its own");
    assert!(
        results
            .iter()
            .all(|r| (r.segment_index == 0) == r.prize.is_some())
    );
    assert_eq!(
        shop.count(
            "SELECT stock FROM campaign_segments WHERE campaign_id = 'rush' AND position = 0"
        ),
        0
    );
    assert_eq!(shop.count("SELECT count(*) FROM plays"), 200);
    assert_eq!(shop.count("SELECT count(*) FROM game_coupons"), 10);

    // The odds now show the prize gone and its weight with the fallback.
    let odds = get(&shop.router, "/api/v1/campaigns/rush", None)
        .await
        .json();
    assert!(
        odds.get("odds").is_none(),
        "rush does not disclose its odds"
    );
}

#[tokio::test]
async fn another_customers_id_without_her_signature_is_401_and_plays_nothing() {
    let shop = shop();
    shop.put(sure_prize("test", None)).await;
    let cases: [(&str, Option<String>); 5] = [
        ("c-1002", Some(sig("c-1001"))),
        ("c-1002", None),
        ("c-1002", Some(String::new())),
        ("c-1002", Some("ab".repeat(32))),
        ("nobody", Some(sig("c-1001"))),
    ];
    for (customer, signature) in cases {
        let answer = play_raw(
            &shop.router,
            "test",
            json!({ "customer_id": customer }),
            signature.as_deref(),
            Some("tamper-key-1"),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{customer} {signature:?}"
        );
        assert_eq!(answer.error_code(), "invalid_signature");
    }
    // Asking when someone else may play next is refused the same way.
    let peek = get(
        &shop.router,
        "/api/v1/campaigns/test?customer_id=c-1002",
        Some(&sig("c-1001")),
    )
    .await;
    assert_eq!(peek.status, StatusCode::UNAUTHORIZED);
    assert_eq!(shop.count("SELECT count(*) FROM plays"), 0);
    assert_eq!(shop.count("SELECT count(*) FROM game_coupons"), 0);
}

#[tokio::test]
async fn guests_play_by_email_and_their_consent_is_stored_with_the_text_they_saw() {
    let shop = shop();
    shop.put(sure_prize("test", None)).await;
    let ingrid = play_as_guest(&shop.router, "test", "  Ingrid@Example.NO ", true)
        .await
        .result();
    assert!(ingrid.prize.is_some());
    // The same address in other letters is the same shopper.
    let again = play_as_guest(&shop.router, "test", "ingrid@example.no", false).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    let kari = play_as_guest(&shop.router, "test", "kari@example.no", false).await;
    assert_eq!(kari.status, StatusCode::OK);

    let rows: Vec<(String, i64, Option<String>)> = common::with_conn(&shop.db, |conn| {
        conn.query(
            "SELECT email, marketing_consent, consent_text FROM plays ORDER BY id",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .collect()
    });
    let text = Some(CONSENT_TEXT.to_owned());
    assert_eq!(
        rows,
        [
            ("ingrid@example.no".to_owned(), 1, text.clone()),
            ("kari@example.no".to_owned(), 0, text)
        ]
    );
    assert_eq!(
        shop.count("SELECT count(*) FROM game_coupons WHERE player = 'email:ingrid@example.no'"),
        1
    );

    for bad in ["ingrid", "ingrid@", "<script>@x.no", ""] {
        let answer = play_as_guest(&shop.router, "test", bad, false).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(answer.error_code(), "invalid_email");
    }
    // A campaign without email capture is for signed-in customers only.
    shop.put(json!({
        "id": "members", "name": "Members", "game": "scratch",
        "segments": [
            { "label": "A", "weight": 1, "prize": "A" },
            { "label": "B", "weight": 1, "fallback": true },
        ]
    }))
    .await;
    let guest = play_as_guest(&shop.router, "members", "kari@example.no", true).await;
    assert_eq!(guest.status, StatusCode::FORBIDDEN);
    assert_eq!(guest.error_code(), "guests_not_allowed");
}

#[tokio::test]
async fn a_consent_counts_only_for_the_text_the_campaign_shows_now() {
    let shop = shop();
    shop.put(sure_prize("test", None)).await;
    // The merchant rewrites the text while Ingrid reads the old one.
    let mut changed = sure_prize("test", None);
    changed["consent_text"] = json!("Send meg tilbud og nyhetsbrev på e-post.");
    shop.put(changed).await;

    let stale = play_as_guest(&shop.router, "test", "ingrid@example.no", true).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.error_code(), "consent_text_changed");
    // A ticked box without its text is no record of consent.
    let key = format!("play-key-{:08}", fresh());
    let bare = json!({ "email": "ingrid@example.no", "marketing_consent": true });
    let bare = play_raw(&shop.router, "test", bare, None, Some(&key)).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bare.error_code(), "invalid_body");
    // Neither drew anything, so she has not played yet.
    assert_eq!(shop.count("SELECT count(*) FROM plays"), 0);
    assert_eq!(shop.count("SELECT count(*) FROM game_coupons"), 0);

    // She reads the new text and agrees to it; an unticked box is not compared.
    let key = format!("play-key-{:08}", fresh());
    let body = json!({ "email": "ingrid@example.no", "marketing_consent": true,
                       "consent_text": "Send meg tilbud og nyhetsbrev på e-post." });
    assert_eq!(
        play_raw(&shop.router, "test", body, None, Some(&key))
            .await
            .status,
        StatusCode::OK
    );
    let key = format!("play-key-{:08}", fresh());
    let body = json!({ "email": "kari@example.no", "consent_text": CONSENT_TEXT });
    assert_eq!(
        play_raw(&shop.router, "test", body, None, Some(&key))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        shop.count(
            "SELECT count(*) FROM plays WHERE email = 'ingrid@example.no' AND marketing_consent = 1
             AND consent_text = 'Send meg tilbud og nyhetsbrev på e-post.'"
        ),
        1
    );
    assert_eq!(
        shop.count(
            "SELECT count(*) FROM plays WHERE email = 'kari@example.no' AND marketing_consent = 0"
        ),
        1
    );
}

#[tokio::test]
async fn campaigns_before_and_after_their_window_refuse_plays() {
    let shop = shop();
    let over = play(&shop.router, "sommerhjulet", "c-1001").await;
    assert_eq!(over.status, StatusCode::GONE);
    assert_eq!(over.error_code(), "campaign_over");
    shop.put(json!({
        "id": "jul-2099", "name": "Jul", "game": "wheel", "starts_at": "2099-12-01T00:00:00Z",
        "segments": [
            { "label": "A", "weight": 1, "prize": "A" },
            { "label": "B", "weight": 1, "fallback": true },
        ]
    }))
    .await;
    let early = play(&shop.router, "jul-2099", "c-1001").await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.error_code(), "campaign_not_started");
    let campaign = get(&shop.router, "/api/v1/campaigns/jul-2099", None).await;
    assert_eq!(campaign.json()["state"], "upcoming");
    let unknown = play(&shop.router, "nope", "c-1001").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(shop.count("SELECT count(*) FROM plays"), 0);
}

#[tokio::test]
async fn malformed_play_requests_get_json_errors_and_play_nothing() {
    let shop = shop();
    let both = play_raw(
        &shop.router,
        "vinterhjulet",
        json!({ "customer_id": "c-1001", "email": "a@example.no" }),
        Some(&sig("c-1001")),
        Some("key-both-0001"),
    )
    .await;
    assert_eq!(
        (both.status, both.error_code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );
    let neither = play_raw(
        &shop.router,
        "vinterhjulet",
        json!({}),
        None,
        Some("key-none-0001"),
    )
    .await;
    assert_eq!(neither.error_code(), "invalid_body");
    for key in [None, Some("short"), Some("has space in it")] {
        let answer = play_raw(
            &shop.router,
            "vinterhjulet",
            json!({ "customer_id": "c-1001" }),
            Some(&sig("c-1001")),
            key,
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{key:?}");
        assert_eq!(answer.error_code(), "invalid_idempotency_key");
    }
    let plain = Request::post("/api/v1/campaigns/vinterhjulet/play")
        .header(header::CONTENT_TYPE, "text/plain")
        .header("idempotency-key", "key-plain-0001")
        .body(Body::from(r#"{"email":"a@example.no"}"#))
        .unwrap();
    assert_eq!(
        send(&shop.router, plain).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let get_play = get(&shop.router, "/api/v1/campaigns/vinterhjulet/play", None).await;
    assert_eq!(get_play.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(shop.count("SELECT count(*) FROM plays"), 0);
}

#[tokio::test]
async fn the_demo_wheel_pays_out_real_prizes_and_keeps_its_hat_stock_honest() {
    let shop = shop();
    // 300 shoppers on the demo wheel: every answer is a real segment with the right label, and
    // prizes come with coupons exactly when the segment has a prize.
    let campaign: Campaign = serde_json::from_slice(
        &get(&shop.router, "/api/v1/campaigns/vinterhjulet", None)
            .await
            .body,
    )
    .unwrap();
    let prized = [true, false, true, true, true, false, true, true];
    let mut hats = 0;
    for i in 0..300 {
        let result = play_as_guest(
            &shop.router,
            "vinterhjulet",
            &format!("g{i}@example.no"),
            false,
        )
        .await
        .result();
        assert_eq!(result.label, campaign.segments[result.segment_index].label);
        assert_eq!(
            result.prize.is_some(),
            prized[result.segment_index],
            "{result:?}"
        );
        hats += usize::from(result.segment_index == 6);
    }
    let left = shop.count(
        "SELECT stock FROM campaign_segments WHERE campaign_id = 'vinterhjulet' AND position = 6",
    );
    assert_eq!(left, 5 - hats as i64);
    assert!(left >= 0);
}

#[test]
fn coupon_codes_are_unique_across_loyalty_and_games() {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let (loyalty, game) = common::with_conn(&db, |conn| {
        conn.execute(
            "INSERT INTO game_coupons (code, campaign_id, player, prize, expires_at)
             VALUES ('LOJAL-AAAA-BBBB', 'vinterhjulet', 'customer:c-1001', 'x', '2099-01-01T00:00:00Z')",
            &[],
        )?;
        // The loyalty redemption's own statement skips the taken code (and then draws another).
        let loyalty = conn.query_opt(
            "INSERT INTO coupons (code, customer_id, reward_id, reward_name, cost, expires_at)
             VALUES ('LOJAL-AAAA-BBBB', 'c-1001', 'r-ship', 'Gratis frakt', 300, '2099-01-01T00:00:00Z')
             ON CONFLICT (code) DO NOTHING RETURNING code",
            &[],
        )?;
        conn.execute(
            "INSERT INTO coupons (code, customer_id, reward_id, reward_name, cost, expires_at)
             VALUES ('LOJAL-CCCC-DDDD', 'c-1001', 'r-ship', 'Gratis frakt', 300, '2099-01-01T00:00:00Z')",
            &[],
        )?;
        let game = conn.query_opt(
            "INSERT INTO game_coupons (code, campaign_id, player, prize, expires_at)
             VALUES ('LOJAL-CCCC-DDDD', 'vinterhjulet', 'customer:c-1001', 'x', '2099-01-01T00:00:00Z')
             ON CONFLICT (code) DO NOTHING RETURNING code",
            &[],
        )?;
        Ok((loyalty.is_some(), game.is_some()))
    });
    assert!(!loyalty, "the loyalty coupon took a game's code");
    assert!(!game, "the game coupon took a loyalty code");
    assert_eq!(common::count(&db, "SELECT count(*) FROM coupons"), 1);
    assert_eq!(common::count(&db, "SELECT count(*) FROM game_coupons"), 1);
}

#[test]
fn campaign_put_saves_a_merchants_file_and_refuses_a_broken_one() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("data").join("shop.sqlite");
    let file = dir.path().join("advent.json");
    std::fs::write(
        &file,
        json!({
            "id": "advent", "name": "Adventshjulet", "game": "wheel", "disclose_odds": true,
            "ends_at": "2099-12-24T23:00:00Z", "play_every_seconds": 3600, "coupon_valid_days": 7,
            "segments": [
                { "label": "10 %", "color": "#0b6e4f", "weight": 3, "prize": "10 % rabatt" },
                { "label": "Lue", "weight": 1, "prize": "Lue", "stock": 2 },
                { "label": "Neste gang", "weight": 6, "fallback": true },
            ]
        })
        .to_string(),
    )
    .unwrap();
    let run = |file: &Path| {
        // This test is about the SQLite file; the PostgreSQL run must not redirect it.
        std::process::Command::new(env!("CARGO_BIN_EXE_shop-api"))
            .env_remove("DATABASE_URL")
            .arg("--db")
            .arg(&db)
            .args(["campaign", "put"])
            .arg(file)
            .output()
            .unwrap()
    };
    let saved = run(&file);
    assert!(saved.status.success(), "{saved:?}");
    let out = String::from_utf8_lossy(&saved.stdout);
    assert!(
        out.contains("campaign advent saved") && out.contains("3 wheel segments, 2 with a prize"),
        "{out}"
    );
    assert_eq!(
        sqlite_count(
            &db,
            "SELECT count(*) FROM campaign_segments WHERE campaign_id = 'advent'"
        ),
        3
    );
    assert_eq!(
        sqlite_count(
            &db,
            "SELECT play_every_seconds FROM campaigns WHERE id = 'advent'"
        ),
        3600
    );
    // Putting it again replaces it (and restocks).
    assert!(run(&file).status.success());
    assert_eq!(
        sqlite_count(
            &db,
            "SELECT count(*) FROM campaign_segments WHERE campaign_id = 'advent'"
        ),
        3
    );

    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        r#"{"id":"x","name":"X","game":"wheel","segments":[{"label":"A","weight":1}]}"#,
    )
    .unwrap();
    let refused = run(&broken);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("1 segments; a campaign has 2 to 24"), "{err}");
    assert_eq!(
        sqlite_count(&db, "SELECT count(*) FROM campaigns WHERE id = 'x'"),
        0
    );
}
