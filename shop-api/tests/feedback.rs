//! The feedback API against a fresh database (SQLite, or PostgreSQL with `DATABASE_URL`): answers stored once per idempotency key and as
//! typed, strict 422s, signed shoppers once per campaign, the merchant's summary, CSV export and
//! moderation behind the merchant token, and published reviews page by page.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, count, send};
use lojal::core::feedback::{FeedbackReceipt, FeedbackSummary, ReviewPage};
use serde_json::{Value, json};
use shop_api::db::Db;
use shop_api::identity::ShopSecret;
use shop_api::merchant::MerchantToken;
use shop_api::{AppState, Options, app};
use tempfile::TempDir;

const SECRET: &str = "test-secret";
const TOKEN: &str = "merchant-token-for-tests";

struct Shop {
    router: Router,
    db: Db,
    _dir: TempDir,
}

fn shop_with_token(token: Option<&str>) -> Shop {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let state = AppState {
        merchant_token: token.map(|t| MerchantToken::new(t).unwrap()),
        ..AppState::new(db.clone(), ShopSecret::new(SECRET))
    };
    Shop {
        router: app(state, &Options::default()),
        db,
        _dir: dir,
    }
}

fn shop() -> Shop {
    shop_with_token(Some(TOKEN))
}

fn sig(id: &str) -> String {
    ShopSecret::new(SECRET).sign(id)
}

/// The error's code and message, which the feedback tests check together.
impl Answer {
    fn error(&self) -> (String, String) {
        let json = self.json();
        (
            json["error"]["code"].as_str().unwrap().to_owned(),
            json["error"]["message"].as_str().unwrap().to_owned(),
        )
    }
}

/// POSTs an answer with an idempotency key and, for a named customer, the shop's signature.
async fn post(router: &Router, key: Option<&str>, body: Value) -> Answer {
    let mut request =
        Request::post("/api/v1/feedback").header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    if let Some(customer) = body["customer_id"].as_str() {
        request = request.header("x-lojal-signature", sig(customer));
    }
    send(router, request.body(Body::from(body.to_string())).unwrap()).await
}

async fn merchant_get(router: &Router, path: &str, token: Option<&str>) -> Answer {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    send(router, request.body(Body::empty()).unwrap()).await
}

async fn public_get(router: &Router, path: &str) -> Answer {
    send(router, Request::get(path).body(Body::empty()).unwrap()).await
}

fn nps(score: i64, text: Option<&str>) -> Value {
    let mut body = json!({ "type": "nps", "score": score, "campaign": "2026-Q4" });
    if let Some(text) = text {
        body["text"] = json!(text);
    }
    body
}

fn stored_text(db: &Db, key: &str) -> Option<String> {
    let key = key.to_owned();
    common::with_conn(db, move |conn| {
        conn.query_one(
            "SELECT text FROM feedback WHERE idempotency_key = ?1",
            &shop_api::params![key],
        )?
        .get(0)
    })
}

const TYPED: &str = "Så bra! Õnnelik 😀👍🏽\n<img src=x onerror=alert(1)> & \"sitat\" – ŠŽ";

#[tokio::test]
async fn an_answer_is_stored_once_however_often_its_key_arrives_and_exactly_as_typed() {
    let shop = shop();
    let key = "0b6a3c1e-8d6f-4d3c-9c55-6f7e8a9b0c1d";
    let mut body = nps(9, Some(TYPED));
    body["page_url"] = json!("https://shop.example/ordre.html?id=NS-10042");
    body["locale"] = json!("nb-NO");
    let first = post(&shop.router, Some(key), body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let receipt: FeedbackReceipt = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(
        (receipt.status.as_str(), receipt.duplicate),
        ("received", false)
    );

    for _ in 0..3 {
        let again = post(&shop.router, Some(key), body.clone()).await;
        assert_eq!(again.status, StatusCode::OK);
        let repeat: FeedbackReceipt = serde_json::from_slice(&again.body).unwrap();
        assert_eq!((repeat.id, repeat.duplicate), (receipt.id, true));
    }
    assert_eq!(
        count(&shop.db, "SELECT count(*) FROM feedback WHERE type = 'nps'"),
        1
    );
    assert_eq!(stored_text(&shop.db, key).as_deref(), Some(TYPED));

    // The same key with another answer is a client bug, not a second answer.
    let other = post(&shop.router, Some(key), nps(3, Some(TYPED))).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        other.error(),
        (
            "idempotency_key_reused".into(),
            "this idempotency key was already used for a different answer".into()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_copies_of_one_answer_arriving_at_once_are_one_answer() {
    let shop = shop();
    let router = Arc::new(shop.router.clone());
    let copies = (0..16)
        .map(|_| {
            let router = Arc::clone(&router);
            tokio::spawn(async move {
                post(&router, Some("same-answer-16x"), nps(10, Some("Topp")))
                    .await
                    .status
            })
        })
        .collect::<Vec<_>>();
    let mut statuses = Vec::new();
    for copy in copies {
        statuses.push(copy.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let repeated = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!((created, repeated), (1, 15), "{statuses:?}");
    assert_eq!(
        count(&shop.db, "SELECT count(*) FROM feedback WHERE type = 'nps'"),
        1
    );
}

#[tokio::test]
async fn every_answer_needs_a_well_formed_idempotency_key() {
    let shop = shop();
    let missing = post(&shop.router, None, nps(9, None)).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.error().0, "missing_idempotency_key");
    for bad in [
        "short",
        "has space in it",
        &"k".repeat(101),
        "ø-not-ascii-key",
    ] {
        let request = Request::post("/api/v1/feedback")
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", bad);
        let answer = send(
            &shop.router,
            request.body(Body::from(nps(9, None).to_string())).unwrap(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(answer.error().0, "invalid_idempotency_key", "{bad}");
    }
    assert_eq!(
        count(&shop.db, "SELECT count(*) FROM feedback WHERE type = 'nps'"),
        0
    );
}

#[tokio::test]
async fn invalid_answers_get_a_422_that_says_exactly_what_is_wrong() {
    let shop = shop();
    let review = |extra: Value| {
        let mut body = json!({ "type": "review", "score": 5, "product_id": "setesdal-genser", "campaign": "2026-Q4" });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            nps(11, None),
            "invalid_answer",
            "score must be a whole number from 0 to 10 when type is nps, not 11",
        ),
        (
            nps(-1, None),
            "invalid_answer",
            "score must be a whole number from 0 to 10 when type is nps, not -1",
        ),
        (
            json!({ "type": "csat", "score": 0, "campaign": "2026-Q4" }),
            "invalid_answer",
            "score must be a whole number from 1 to 5 when type is csat, not 0",
        ),
        (
            nps(9, Some(&"ø".repeat(1001))),
            "invalid_answer",
            "text is 1001 characters long; at most 1000 are allowed",
        ),
        (
            review(json!({ "text": "😀".repeat(2001) })),
            "invalid_answer",
            "text is 2001 characters long; at most 2000 are allowed",
        ),
        (
            review(json!({ "title": "t".repeat(121) })),
            "invalid_answer",
            "title is 121 characters long; at most 120 are allowed",
        ),
        (
            json!({ "type": "review", "score": 4, "campaign": "2026-Q4" }),
            "invalid_answer",
            "product_id is required when type is review",
        ),
        (
            json!({ "type": "nps", "score": 4, "campaign": "2026-Q4", "title": "Hei" }),
            "invalid_answer",
            "title is not allowed when type is nps",
        ),
        (
            nps(9, Some("nul\u{0}byte")),
            "invalid_answer",
            "text must not contain control characters other than line breaks and tabs",
        ),
        (
            json!({ "type": "nps", "score": 11, "campaign": "" }),
            "invalid_answer",
            "score must be a whole number from 0 to 10 when type is nps, not 11; campaign must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'",
        ),
        (
            json!({ "type": "nps", "score": 9, "campaign": "q", "page_url": "javascript:alert(1)" }),
            "invalid_answer",
            "page_url must be an absolute http(s) URL of at most 2048 characters",
        ),
    ];
    for (i, (body, code, message)) in cases.into_iter().enumerate() {
        let answer = post(&shop.router, Some(&format!("invalid-answer-{i}")), body).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "case {i}");
        assert_eq!(
            answer.error(),
            (code.to_owned(), message.to_owned()),
            "case {i}"
        );
    }
    // Not an answer at all: serde's message names the problem.
    for body in [
        json!({ "type": "ces", "score": 5, "campaign": "q" }),
        json!({ "type": "nps", "score": "9", "campaign": "q" }),
        json!({ "type": "nps", "score": 9, "campaign": "q", "rating": 9 }),
        json!({ "type": "nps", "score": 9.5, "campaign": "q" }),
    ] {
        let answer = post(&shop.router, Some("not-an-answer"), body.clone()).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(answer.error().0, "invalid_body", "{body}");
    }
    assert_eq!(
        count(
            &shop.db,
            "SELECT count(*) FROM feedback WHERE type <> 'review'"
        ),
        0
    );
}

#[tokio::test]
async fn a_signed_customer_answers_each_prompt_once_per_campaign() {
    let shop = shop();
    let mut body = nps(10, Some("Rask levering"));
    body["customer_id"] = json!("c-1001");
    body["order_id"] = json!("NS-10042");

    // A forged signature is refused before anything is stored.
    let forged = send(
        &shop.router,
        Request::post("/api/v1/feedback")
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "forged-answer-1")
            .header("x-lojal-signature", sig("c-1002"))
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert_eq!(forged.error().0, "invalid_signature");

    let answered = |customer: &'static str, signature: String| {
        let router = shop.router.clone();
        async move {
            let request = Request::get(format!(
                "/api/v1/feedback/answered?type=nps&campaign=2026-Q4&customer_id={customer}"
            ))
            .header("x-lojal-signature", signature)
            .body(Body::empty())
            .unwrap();
            send(&router, request).await
        }
    };
    assert_eq!(
        answered("c-1001", sig("c-1001")).await.json(),
        json!({ "answered": false })
    );

    assert_eq!(
        post(&shop.router, Some("first-answer-1"), body.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        answered("c-1001", sig("c-1001")).await.json(),
        json!({ "answered": true })
    );
    assert_eq!(
        answered("c-1002", sig("c-1002")).await.json(),
        json!({ "answered": false })
    );
    assert_eq!(
        answered("c-1001", sig("c-1002")).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A second answer (another key) in the same campaign is refused; its retry is harmless.
    let second = post(&shop.router, Some("second-answer-1"), body.clone()).await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.error().0, "already_answered");
    // The first one's retries still get their receipt.
    assert_eq!(
        post(&shop.router, Some("first-answer-1"), body.clone())
            .await
            .status,
        StatusCode::OK
    );
    // Another campaign, another prompt type or another shopper may answer.
    body["campaign"] = json!("2027-Q1");
    assert_eq!(
        post(&shop.router, Some("next-quarter-1"), body.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    let csat =
        json!({ "type": "csat", "score": 4, "campaign": "2026-Q4", "customer_id": "c-1001" });
    assert_eq!(
        post(&shop.router, Some("csat-answer-1"), csat).await.status,
        StatusCode::CREATED
    );
    // Anonymous answers are not limited by the server.
    for i in 0..2 {
        assert_eq!(
            post(
                &shop.router,
                Some(&format!("anonymous-{i}-x")),
                nps(7, None)
            )
            .await
            .status,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        count(
            &shop.db,
            "SELECT count(*) FROM feedback WHERE type <> 'review'"
        ),
        5
    );

    let missing_campaign = send(
        &shop.router,
        Request::get("/api/v1/feedback/answered?type=nps&customer_id=c-1001")
            .header("x-lojal-signature", sig("c-1001"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(missing_campaign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing_campaign.error().0, "invalid_query");
}

#[tokio::test]
async fn the_merchant_endpoints_need_the_merchant_token() {
    let shop = shop();
    for path in ["/api/v1/feedback/summary", "/api/v1/feedback/export.csv"] {
        let none = merchant_get(&shop.router, path, None).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(none.error().0, "invalid_merchant_token");
        assert_eq!(none.headers[header::WWW_AUTHENTICATE], "Bearer");
        let wrong = merchant_get(&shop.router, path, Some("merchant-token-for-test")).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{path}");
        let right = merchant_get(&shop.router, path, Some(TOKEN)).await;
        assert_eq!(right.status, StatusCode::OK, "{path}: {}", right.text());
    }
    // A customer's shop signature is not a merchant token.
    let signed = send(
        &shop.router,
        Request::get("/api/v1/feedback/summary")
            .header("x-lojal-signature", sig("c-1001"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(signed.status, StatusCode::UNAUTHORIZED);

    // Without a configured token the endpoints are off, whatever is sent.
    let off = shop_with_token(None);
    let answer = merchant_get(&off.router, "/api/v1/feedback/summary", Some(TOKEN)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.error().0, "merchant_api_disabled");
}

#[tokio::test]
async fn the_summary_gives_nps_csat_reviews_and_counts_per_day() {
    let shop = shop();
    let summary = |query: &'static str| {
        let router = shop.router.clone();
        async move {
            let answer = merchant_get(
                &router,
                &format!("/api/v1/feedback/summary{query}"),
                Some(TOKEN),
            )
            .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
            serde_json::from_slice::<FeedbackSummary>(&answer.body).unwrap()
        }
    };
    // No NPS or CSAT answers yet: no score, which is not a score of 0.
    let empty = summary("").await;
    assert_eq!(empty.nps.score, None);
    assert_eq!(empty.nps.responses, 0);
    assert_eq!(empty.csat.average, None);
    let raw = merchant_get(&shop.router, "/api/v1/feedback/summary", Some(TOKEN))
        .await
        .json();
    assert_eq!(raw["nps"]["score"], Value::Null);
    // The demo shop's two published reviews.
    assert_eq!(empty.reviews.len(), 1);
    assert_eq!(
        (
            empty.reviews[0].product_id.as_str(),
            empty.reviews[0].average,
            empty.reviews[0].published
        ),
        ("setesdal-genser", 4.5, 2)
    );

    // 3 promoters, 1 passive, 2 detractors: (3 − 2) / 6 = 16.7 % → 17.
    for (i, score) in [10, 9, 9, 8, 6, 0].into_iter().enumerate() {
        assert_eq!(
            post(
                &shop.router,
                Some(&format!("nps-answer-{i}")),
                nps(score, None)
            )
            .await
            .status,
            StatusCode::CREATED
        );
    }
    for (i, score) in [5, 4, 2].into_iter().enumerate() {
        let csat = json!({ "type": "csat", "score": score, "campaign": "2026-Q4" });
        assert_eq!(
            post(&shop.router, Some(&format!("csat-answer-{i}")), csat)
                .await
                .status,
            StatusCode::CREATED
        );
    }
    let review = json!({ "type": "review", "score": 1, "product_id": "marius-lue", "campaign": "2026-Q4", "title": "Klør" });
    assert_eq!(
        post(&shop.router, Some("review-answer-1"), review)
            .await
            .status,
        StatusCode::CREATED
    );

    let full = summary("").await;
    assert_eq!(
        (
            full.nps.score,
            full.nps.promoters,
            full.nps.passives,
            full.nps.detractors,
            full.nps.responses
        ),
        (Some(17), 3, 1, 2, 6)
    );
    assert_eq!(full.csat.average, Some(3.67));
    assert_eq!(full.csat.satisfied_percent, Some(67));
    assert_eq!(full.csat.responses, 3);
    let reviews: Vec<(&str, f64, u64, u64, u64)> = full
        .reviews
        .iter()
        .map(|r| {
            (
                r.product_id.as_str(),
                r.average,
                r.reviews,
                r.published,
                r.pending,
            )
        })
        .collect();
    assert_eq!(
        reviews,
        [
            ("marius-lue", 1.0, 1, 0, 1),
            ("setesdal-genser", 4.5, 2, 2, 0)
        ]
    );
    let today = full.per_day.last().unwrap();
    assert_eq!((today.nps, today.csat, today.review), (6, 3, 1));
    assert_eq!(full.per_day.first().unwrap().date, "2026-10-02");

    // The period filters by UTC day, both ends included.
    let october = summary("?from=2026-10-01&to=2026-10-31").await;
    assert_eq!(
        (
            october.nps.responses,
            october.reviews.len(),
            october.per_day.len()
        ),
        (0, 1, 2)
    );
    let one_day = summary("?from=2026-10-19&to=2026-10-19").await;
    assert_eq!(one_day.per_day.len(), 1);
    for bad in [
        "?from=2026-13-01",
        "?to=yesterday",
        "?from=2026-11-02&to=2026-11-01",
        "?days=7",
    ] {
        let answer = merchant_get(
            &shop.router,
            &format!("/api/v1/feedback/summary{bad}"),
            Some(TOKEN),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(answer.error().0, "invalid_query", "{bad}");
    }
}

/// A small RFC 4180 reader, to check the export the way a spreadsheet reads it.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[tokio::test]
async fn the_csv_export_holds_every_answer_as_typed_and_safe_for_spreadsheets() {
    let shop = shop();
    assert_eq!(
        post(&shop.router, Some("export-answer-1"), nps(2, Some(TYPED)))
            .await
            .status,
        StatusCode::CREATED
    );
    let formula = json!({ "type": "csat", "score": 5, "campaign": "2026-Q4", "text": "=HYPERLINK(\"https://evil.example\",\"klikk\")" });
    assert_eq!(
        post(&shop.router, Some("export-answer-2"), formula)
            .await
            .status,
        StatusCode::CREATED
    );

    let answer = merchant_get(&shop.router, "/api/v1/feedback/export.csv", Some(TOKEN)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert!(
        answer.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let text = answer.text();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark, so Excel reads UTF-8");
    let rows = parse_csv(text);
    assert_eq!(
        rows[0],
        [
            "id",
            "created_at",
            "type",
            "score",
            "title",
            "text",
            "product_id",
            "customer_id",
            "campaign",
            "order_id",
            "page_url",
            "locale",
            "status"
        ]
    );
    // Two seeded reviews, then the two answers, oldest first.
    assert_eq!(rows.len(), 5, "{text}");
    assert_eq!(rows[1][6], "setesdal-genser");
    assert_eq!(rows[3][2..4], ["nps", "2"]);
    assert_eq!(rows[3][5], TYPED, "the text comes back exactly as typed");
    assert_eq!(
        rows[4][5],
        "'=HYPERLINK(\"https://evil.example\",\"klikk\")"
    );
    // The stored text itself is untouched; only the export guards against formulas.
    assert_eq!(
        stored_text(&shop.db, "export-answer-2").as_deref(),
        Some("=HYPERLINK(\"https://evil.example\",\"klikk\")")
    );
}

#[tokio::test]
async fn reviews_are_published_after_moderation_and_listed_page_by_page() {
    let shop = shop();
    let reviews = |path: String| {
        let router = shop.router.clone();
        async move {
            let answer = public_get(&router, &path).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
            serde_json::from_slice::<ReviewPage>(&answer.body).unwrap()
        }
    };
    let seeded = reviews("/api/v1/products/setesdal-genser/reviews".into()).await;
    assert_eq!(
        (seeded.total, seeded.average, seeded.page, seeded.per_page),
        (2, Some(4.5), 1, 10)
    );
    let names: Vec<Option<&str>> = seeded.reviews.iter().map(|r| r.author.as_deref()).collect();
    assert_eq!(
        names,
        [Some("Mart"), Some("Kari")],
        "newest first, first names only"
    );
    assert_eq!(seeded.reviews[0].title.as_deref(), Some("Väga soe"));

    // A new review waits for the merchant.
    let body = json!({
        "type": "review", "score": 3, "product_id": "setesdal-genser", "campaign": "2026-Q4",
        "title": "<b>Grei</b>", "text": TYPED, "customer_id": "c-1001"
    });
    let stored = post(&shop.router, Some("review-from-ingrid"), body).await;
    assert_eq!(stored.status, StatusCode::CREATED);
    let receipt: FeedbackReceipt = serde_json::from_slice(&stored.body).unwrap();
    assert_eq!(receipt.status, "pending");
    assert_eq!(
        reviews("/api/v1/products/setesdal-genser/reviews".into())
            .await
            .total,
        2
    );

    let moderate = |id: String, status: &'static str, token: &'static str| {
        let router = shop.router.clone();
        async move {
            let request = Request::post(format!("/api/v1/feedback/{id}/moderation"))
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(json!({ "status": status }).to_string()))
                .unwrap();
            send(&router, request).await
        }
    };
    assert_eq!(
        moderate(
            receipt.id.to_string(),
            "published",
            "wrong-token-wrong-token"
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        moderate(receipt.id.to_string(), "shown", TOKEN)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        moderate("999999".into(), "published", TOKEN)
            .await
            .error()
            .0,
        "unknown_review"
    );
    assert_eq!(
        moderate("abc".into(), "published", TOKEN).await.status,
        StatusCode::NOT_FOUND
    );
    let published = moderate(receipt.id.to_string(), "published", TOKEN).await;
    assert_eq!(published.status, StatusCode::OK);
    assert_eq!(published.json()["status"], "published");
    // NPS answers are not reviews and cannot be published.
    let nps_receipt: FeedbackReceipt = serde_json::from_slice(
        &post(&shop.router, Some("nps-not-review"), nps(9, None))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(
        moderate(nps_receipt.id.to_string(), "published", TOKEN)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let page = reviews("/api/v1/products/setesdal-genser/reviews?per_page=2".into()).await;
    assert_eq!(
        (page.total, page.average, page.reviews.len()),
        (3, Some(4.0), 2)
    );
    assert_eq!(page.reviews[0].author.as_deref(), Some("Ingrid"));
    assert_eq!(
        page.reviews[0].title.as_deref(),
        Some("<b>Grei</b>"),
        "HTML stays text"
    );
    assert_eq!(page.reviews[0].text.as_deref(), Some(TYPED));
    let second = reviews("/api/v1/products/setesdal-genser/reviews?per_page=2&page=2".into()).await;
    assert_eq!(second.reviews.len(), 1);
    assert_eq!(second.reviews[0].author.as_deref(), Some("Kari"));
    let beyond = reviews("/api/v1/products/setesdal-genser/reviews?per_page=2&page=3".into()).await;
    assert!(beyond.reviews.is_empty());

    let unknown = reviews("/api/v1/products/no-such-product/reviews".into()).await;
    assert_eq!((unknown.total, unknown.average), (0, None));
    for bad in [
        "?page=0",
        "?per_page=0",
        "?per_page=51",
        "?page=x",
        "?sort=new",
    ] {
        let answer = public_get(
            &shop.router,
            &format!("/api/v1/products/setesdal-genser/reviews{bad}"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(answer.error().0, "invalid_query", "{bad}");
    }
}

#[tokio::test]
async fn feedback_bodies_follow_the_api_wide_rules() {
    let shop = shop();
    let text_plain = send(
        &shop.router,
        Request::post("/api/v1/feedback")
            .header("idempotency-key", "wrong-type-1")
            .body(Body::from(nps(9, None).to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(text_plain.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = post(
        &shop.router,
        Some("too-large-1"),
        nps(9, Some(&"x".repeat(20_000))),
    )
    .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        public_get(&shop.router, "/api/v1/feedback").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    // The longest review that passes validation fits the body limit even in 4-byte characters.
    let longest = json!({
        "type": "review", "score": 5, "product_id": "p".repeat(128), "campaign": "c".repeat(64),
        "title": "😀".repeat(120), "text": "😀".repeat(2000)
    });
    assert!(longest.to_string().len() < shop_api::MAX_BODY_BYTES);
    assert_eq!(
        post(&shop.router, Some("longest-review"), longest)
            .await
            .status,
        StatusCode::CREATED
    );
}
