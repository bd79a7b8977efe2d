//! Rate limits through the whole router: per client IP on every API request, per signed
//! customer on writes, answered with 429, `Retry-After` and the usual JSON error.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use shop_api::identity::ShopSecret;
use shop_api::limits::RateLimits;
use shop_api::{AppState, Options, app};
use tempfile::TempDir;
use tower::ServiceExt;

const SECRET: &str = "limits-secret";

fn router(limits: RateLimits) -> (axum::Router, TempDir) {
    let dir = TempDir::new().unwrap();
    let state = AppState::new(common::test_db(dir.path()), ShopSecret::new(SECRET));
    let options = Options {
        rate_limits: Some(limits),
        ..Options::default()
    };
    (app(state, &options), dir)
}

fn from(ip: &str, request: axum::http::request::Builder) -> Request<Body> {
    let mut request = request.body(Body::empty()).unwrap();
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(addr));
    request
}

async fn status_of(
    router: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, Option<u64>, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        retry_after,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

fn tight() -> RateLimits {
    RateLimits {
        per_ip: "1/s,burst=3".parse().unwrap(),
        per_customer: "1/s,burst=2".parse().unwrap(),
        trust_forwarded_for: false,
    }
}

#[tokio::test]
async fn one_ip_over_its_burst_gets_429_with_retry_after_while_another_ip_goes_on() {
    let (router, _dir) = router(tight());
    for _ in 0..3 {
        let (status, ..) =
            status_of(&router, from("203.0.113.7", Request::get("/api/v1/health"))).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, retry_after, body) =
        status_of(&router, from("203.0.113.7", Request::get("/api/v1/health"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(matches!(retry_after, Some(1..=2)), "{retry_after:?}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again in")
    );

    let (status, ..) = status_of(
        &router,
        from("198.51.100.1", Request::get("/api/v1/health")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "another shopper is not punished");
}

#[tokio::test]
async fn writes_are_limited_per_customer_whatever_ip_they_come_from() {
    let (router, _dir) = router(RateLimits {
        per_ip: "100/s,burst=100".parse().unwrap(),
        ..tight()
    });
    let signature = ShopSecret::new(SECRET).sign("c-1001");
    let redeem = |ip: &'static str| {
        from(
            ip,
            Request::post("/api/v1/loyalty/c-1001/redeem")
                .header("x-lojal-signature", &signature)
                .header(header::CONTENT_TYPE, "application/json"),
        )
    };
    // Each from a new address, as a script rotating proxies would.
    let mut statuses = Vec::new();
    for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        statuses.push(status_of(&router, redeem(ip)).await.0);
    }
    assert_ne!(statuses[0], StatusCode::TOO_MANY_REQUESTS);
    assert_ne!(statuses[1], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS);

    // Reads by the same customer are not writes.
    let (status, ..) = status_of(
        &router,
        from(
            "192.0.2.4",
            Request::get("/api/v1/loyalty/c-1001").header("x-lojal-signature", &signature),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_key() {
    let (router, _dir) = router(RateLimits {
        trust_forwarded_for: true,
        ..tight()
    });
    // Everyone arrives from the proxy's address; X-Forwarded-For tells them apart.
    let via_proxy = |client: &str| {
        from(
            "10.0.0.1",
            Request::get("/api/v1/health").header("x-forwarded-for", format!("1.2.3.4, {client}")),
        )
    };
    for _ in 0..3 {
        assert_eq!(
            status_of(&router, via_proxy("203.0.113.9")).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(
        status_of(&router, via_proxy("203.0.113.9")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        status_of(&router, via_proxy("203.0.113.10")).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn without_limits_configured_nothing_is_refused() {
    let dir = TempDir::new().unwrap();
    let state = AppState::new(common::test_db(dir.path()), ShopSecret::new(SECRET));
    let router = app(state, &Options::default());
    for _ in 0..50 {
        let (status, ..) =
            status_of(&router, from("203.0.113.7", Request::get("/api/v1/health"))).await;
        assert_eq!(status, StatusCode::OK);
    }
}
