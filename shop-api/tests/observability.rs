//! What an operator sees: a JSON log line per request that names its method, route, status,
//! duration and request id and never a signature, token, email or customer id; Prometheus
//! metrics by route and status with latency histograms and the database's and queue's
//! figures; liveness and readiness that tell a draining server apart.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Answer, get, send};
use serde_json::{Value, json};
use shop_api::identity::ShopSecret;
use shop_api::merchant::MerchantToken;
use shop_api::telemetry::{LogFormat, metrics_router, subscriber};
use shop_api::{AppState, Options, app};
use tempfile::TempDir;

const SECRET: &str = "observability-secret";
const TOKEN: &str = "observability-merchant-token";

struct Shop {
    state: AppState,
    router: Router,
    _dir: TempDir,
}

fn shop() -> Shop {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let state = AppState {
        merchant_token: Some(MerchantToken::new(TOKEN).unwrap()),
        ..AppState::new(db, ShopSecret::new(SECRET))
    };
    Shop {
        router: app(state.clone(), &Options::default()),
        state,
        _dir: dir,
    }
}

/// Log lines written by the subscriber under test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn post(path: &str, headers: &[(&str, &str)], body: Value) -> Request<Body> {
    let mut request = Request::post(path).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn request_logs_name_route_status_duration_and_request_id_but_never_a_secret_or_email() {
    let shop = shop();
    let logs = Captured::default();
    let _guard = tracing::subscriber::set_default(
        subscriber(LogFormat::Json, "info", logs.clone()).unwrap(),
    );
    let signature = ShopSecret::new(SECRET).sign("c-1003");
    let email = "solveig.nakken@example.no";

    let status = get(&shop.router, "/api/v1/loyalty/c-1003", Some(&signature)).await;
    assert_eq!(status.status, StatusCode::OK);
    let redeemed = send(
        &shop.router,
        post(
            "/api/v1/loyalty/c-1003/redeem",
            &[
                ("x-lojal-signature", &signature),
                ("idempotency-key", "observability-0001"),
                ("x-request-id", "proxy-made-id-42"),
            ],
            json!({ "reward_id": "r-ship" }),
        ),
    )
    .await;
    assert_eq!(redeemed.status, StatusCode::OK, "{}", redeemed.text());
    assert_eq!(redeemed.headers["x-request-id"], "proxy-made-id-42");
    let played = send(
        &shop.router,
        post(
            "/api/v1/campaigns/vinterhjulet/play",
            &[("idempotency-key", "observability-0002")],
            json!({ "email": email, "marketing_consent": false }),
        ),
    )
    .await;
    assert_eq!(played.status, StatusCode::OK, "{}", played.text());
    let summary = send(
        &shop.router,
        Request::get("/api/v1/feedback/summary?from=2026-01-01")
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(summary.status, StatusCode::OK);
    let refused = get(&shop.router, "/api/v1/loyalty/c-1003", Some("t=1,v1=00")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let text = logs.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .filter(|line: &Value| line["message"] == "response")
        .collect();
    let seen: Vec<(String, String, u64)> = lines
        .iter()
        .map(|line| {
            assert!(line["duration_ms"].as_f64().unwrap() > 0.0, "{line}");
            assert!(!line["span"]["request_id"].as_str().unwrap().is_empty());
            (
                line["span"]["method"].as_str().unwrap().to_owned(),
                line["span"]["route"].as_str().unwrap().to_owned(),
                line["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("GET", "/api/v1/loyalty/{customer_id}", 200),
        ("POST", "/api/v1/loyalty/{customer_id}/redeem", 200),
        ("POST", "/api/v1/campaigns/{campaign_id}/play", 200),
        ("GET", "/api/v1/feedback/summary", 200),
        ("GET", "/api/v1/loyalty/{customer_id}", 401),
    ]
    .map(|(method, route, status)| (method.to_owned(), route.to_owned(), status));
    assert_eq!(seen, expected);
    assert_eq!(lines[1]["span"]["request_id"], "proxy-made-id-42");
    // Ids made here are UUIDs, sent back with the answer.
    let made = lines[0]["span"]["request_id"].as_str().unwrap();
    assert_eq!(made.len(), 36, "{made}");
    assert_eq!(status.headers["x-request-id"], made);
    for secret in [
        signature.as_str(),
        "t=1,v1=00",
        TOKEN,
        email,
        "solveig",
        "c-1003",
        "observability-0001",
        "2026-01-01",
    ] {
        assert!(!text.contains(secret), "{secret:?} is in the log:\n{text}");
    }
}

fn metric(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(line_start))
        .unwrap_or_else(|| panic!("no {line_start} in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

async fn scrape(state: &AppState) -> String {
    let answer: Answer = get(&metrics_router(state.clone()), "/metrics", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    answer.text()
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_with_latency_and_database_and_queue_figures() {
    let shop = shop();
    for n in 0..3 {
        let answer = send(
            &shop.router,
            post(
                "/api/v1/feedback",
                &[("idempotency-key", &format!("metrics-answer-{n:04}"))],
                json!({ "type": "nps", "score": 9, "campaign": "metrics" }),
            ),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED);
    }
    let missing = get(&shop.router, "/api/v1/no/such/thing", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let text = scrape(&shop.state).await;
    assert_eq!(
        metric(
            &text,
            r#"lojal_http_requests_total{method="POST",route="/api/v1/feedback",status="201"}"#
        ),
        3.0
    );
    assert_eq!(
        metric(
            &text,
            r#"lojal_http_request_duration_seconds_count{method="POST",route="/api/v1/feedback"}"#
        ),
        3.0
    );
    assert_eq!(
        metric(
            &text,
            r#"lojal_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/api/v1/feedback"}"#
        ),
        3.0
    );
    // A miss is counted under one label, not under the path it asked for.
    assert!(
        text.contains(r#"route="/api/{*rest}",status="404""#),
        "{text}"
    );
    assert!(!text.contains("/no/such/thing"));
    assert!(metric(&text, "lojal_db_commit_seconds_count") >= 3.0);
    assert!(metric(&text, "lojal_db_lock_wait_seconds_count") >= 3.0);
    assert!(metric(&text, "lojal_db_connects_total") >= 1.0);
    assert!(metric(&text, "lojal_db_wait_seconds_count") >= 3.0);
    assert_eq!(metric(&text, "lojal_http_requests_in_flight"), 0.0);
    // Each answer queued an event for the merchant's endpoints; none is registered, so the
    // queue holds nothing, and nothing waits.
    assert_eq!(metric(&text, "lojal_queue_oldest_due_job_seconds"), 0.0);
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
}

#[tokio::test]
async fn readiness_says_no_while_the_server_drains_and_liveness_stays_yes() {
    let shop = shop();
    let ready = get(&shop.router, "/readyz", None).await;
    assert_eq!(
        (ready.status, ready.json()["status"].clone()),
        (StatusCode::OK, json!("ready"))
    );
    shop.state.lifecycle.drain();
    let draining = get(&shop.router, "/readyz", None).await;
    assert_eq!(draining.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(draining.json()["reason"], "shutting down");
    let live = get(&shop.router, "/livez", None).await;
    assert_eq!(live.status, StatusCode::OK);
}
