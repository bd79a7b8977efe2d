//! lojal's reference shop API: what the widgets expect from a shop, on axum and SQLite.
//!
//! `app` builds the whole service (JSON API under `/api/v1`, the demo storefront and the widget
//! bundle) so the tests drive exactly what `main` serves.

pub mod calendar;
pub mod catalog;
pub mod console;
pub mod coupon;
pub mod db;
pub mod egress;
pub mod error;
pub mod feedback;
pub mod games;
pub mod identity;
pub mod jobs;
pub mod ledger;
pub mod limits;
pub mod loyalty;
pub mod merchant;
pub mod orders;
pub mod outbound;
pub mod payout;
pub mod postgres_tls;
pub mod privacy;
pub mod programme;
pub mod providers;
pub mod queue;
pub mod recs;
pub mod referrals;
pub mod site;
pub mod telemetry;
pub mod webhooks;
pub mod worker;

use std::path::PathBuf;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::{any, delete, get, post, put};
use axum::{Router, middleware};
use serde_json::{Value, json};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::db::Db;
use crate::error::ApiError;
use crate::identity::ShopSecret;
use crate::limits::{Limiter, RateLimits};
use crate::merchant::MerchantToken;
use crate::webhooks::WebhookSecrets;

/// Requests to the API are a few hundred bytes; anything over this is refused with 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub secret: ShopSecret,
    /// Opens the merchant endpoints (programme, orders, feedback summary, export, moderation);
    /// `None` keeps them shut.
    pub merchant_token: Option<MerchantToken>,
    /// Shopify's and WooCommerce's webhook secrets; a platform without one is switched off.
    pub webhooks: WebhookSecrets,
    /// Take the client's address from `X-Forwarded-For` (only behind the shop's own proxy).
    pub trust_forwarded_for: bool,
    /// Which platform creates the shop's coupons.
    pub provider: providers::Provider,
    /// The bounded HTTP clients for calls out (providers, the merchant's endpoints).
    pub egress: egress::Egress,
    /// Wakes this process's queue worker when a job is queued ([`Db::wake`]) or finished.
    pub wake: std::sync::Arc<tokio::sync::Notify>,
    /// The queue's first retry wait ([`queue::BACKOFF_BASE`]; tests shorten it).
    pub backoff_base: std::time::Duration,
    /// The "for you" model this process has learned.
    pub recs: std::sync::Arc<recs::Learner>,
    /// Where the shop's product pages live when not on this server (a headless storefront):
    /// product links in answers are made absolute against it.
    pub storefront_url: Option<String>,
    /// What `/metrics` reports.
    pub metrics: std::sync::Arc<telemetry::Metrics>,
    /// Set on SIGTERM: readiness turns 503 and the background work stops.
    pub lifecycle: std::sync::Arc<telemetry::Lifecycle>,
}

impl AppState {
    /// A shop on `db` signing customers with `secret`; no merchant token, no webhooks.
    pub fn new(db: Db, secret: ShopSecret) -> Self {
        Self {
            wake: db.wake(),
            metrics: std::sync::Arc::new(telemetry::Metrics::new(db.stats())),
            lifecycle: std::sync::Arc::default(),
            db,
            secret,
            merchant_token: None,
            webhooks: WebhookSecrets::default(),
            trust_forwarded_for: false,
            provider: providers::Provider::None,
            egress: egress::Egress::new(),
            backoff_base: queue::BACKOFF_BASE,
            recs: std::sync::Arc::new(recs::Learner::default()),
            storefront_url: None,
        }
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Db")
    }
}

/// Where the static parts come from, and which other origins may call the API.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub www: Option<PathBuf>,
    pub dist: Option<PathBuf>,
    pub allowed_origins: Vec<HeaderValue>,
    /// `None`: no limits (the library's default, for tests); `main` turns them on.
    pub rate_limits: Option<RateLimits>,
    /// The merchant console's built bundle, served under /console/ to signed-in merchants.
    pub console: Option<PathBuf>,
}

pub fn app(state: AppState, options: &Options) -> Router {
    let mut router = Router::new().nest("/api/v1", api(state.clone(), options));
    // Anything else under /api is an API miss, answered in JSON rather than by the static site.
    router = router
        .route("/api", any(error::not_found))
        .route("/api/{*rest}", any(error::not_found));
    // The probes: outside the API's rate limits, so a busy shop is never restarted for them.
    router = router.merge(
        Router::new()
            .route("/livez", get(telemetry::live))
            .route("/readyz", get(telemetry::ready))
            .with_state(state.clone()),
    );
    router = router.merge(console::pages::router(
        state.clone(),
        options.console.as_deref(),
    ));
    if let (Some(www), Some(dist)) = (&options.www, &options.dist) {
        router = router.merge(site::router(state.clone(), www, dist));
    }
    telemetry::layer(router, state.metrics)
}

fn api(state: AppState, options: &Options) -> Router {
    let mut router = Router::new()
        .route("/health", get(health))
        .route("/loyalty/program", get(loyalty::program))
        .route("/loyalty/{customer_id}", get(loyalty::status))
        .route("/loyalty/{customer_id}/redeem", post(loyalty::redeem))
        .route("/recommendations", get(catalog::recommendations))
        .route("/products/{product_id}", get(catalog::product))
        .route("/feedback", post(feedback::submit))
        .route("/feedback/answered", get(feedback::answered_status))
        .route("/feedback/summary", get(feedback::summary))
        .route("/feedback/export.csv", get(feedback::export_csv))
        .route("/feedback/{id}/moderation", post(feedback::moderate))
        .route(
            "/products/{product_id}/reviews",
            get(feedback::product_reviews),
        )
        .route("/campaigns/{campaign_id}", get(games::campaign))
        .route("/campaigns/{campaign_id}/play", post(games::play))
        .route(
            "/loyalty/{customer_id}/birthday",
            put(loyalty::set_birthday),
        )
        .route("/referrals/{code}", get(referrals::invite))
        .route("/referrals/{code}/claim", post(referrals::claim))
        .route("/orders", post(orders::report))
        .route("/customers", post(orders::report_customer))
        .route(
            "/admin/programme",
            get(programme::admin_get).put(programme::admin_put),
        )
        .route("/coupons/{ticket}", get(payout::status))
        .route(
            "/admin/webhooks",
            get(outbound::admin_list).post(outbound::admin_add),
        )
        .route("/admin/webhooks/{id}", delete(outbound::admin_remove))
        .route(
            "/admin/customers/{customer_id}/export",
            get(privacy::admin_export),
        )
        .route("/admin/webhooks/{id}/enable", post(outbound::admin_enable))
        .route(
            "/admin/webhooks/{id}/deliveries",
            get(outbound::admin_deliveries),
        )
        .merge(webhook_routes())
        .merge(console::api_routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Balances are personal: no shared cache may keep them.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    if let Some(limits) = options.rate_limits {
        router = router.layer(middleware::from_fn_with_state(
            Limiter::new(limits),
            limits::enforce,
        ));
    }
    // Outside the limits, so preflights are answered at once and a 429 carries CORS headers.
    let allowed_origins = &options.allowed_origins;
    if allowed_origins.is_empty() {
        // Same origin only: browsers refuse cross-origin reads without CORS headers.
        return router;
    }
    router.layer(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed_origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static(lojal::core::wire::SIGNATURE_HEADER),
                HeaderName::from_static(lojal::core::wire::IDEMPOTENCY_HEADER),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// The platforms' order webhooks: their payloads are larger than the widgets' requests, so
/// they get their own body limit (the innermost limit is the one that holds).
fn webhook_routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/shopify", post(webhooks::shopify))
        .route("/webhooks/woocommerce", post(webhooks::woocommerce))
        .layer(DefaultBodyLimit::max(webhooks::MAX_WEBHOOK_BYTES))
}

async fn health(State(state): State<AppState>) -> Result<axum::Json<Value>, ApiError> {
    state
        .db
        .run(|conn| {
            let version = db::schema_version(conn)?;
            Ok(axum::Json(
                json!({ "status": "ok", "schema_version": version }),
            ))
        })
        .await
}

/// Parses `LOJAL_ALLOWED_ORIGINS`: comma-separated origins such as `https://shop.example`.
pub fn parse_origins(list: &str) -> Result<Vec<HeaderValue>, String> {
    list.split(',')
        .map(|origin| origin.trim().trim_end_matches('/'))
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .filter(|host| !host.is_empty() && !host.contains(['/', '?', '#', '*']));
            host.and_then(|_| HeaderValue::from_str(origin).ok())
                .ok_or_else(|| format!("not an origin (scheme://host[:port]): {origin:?}"))
        })
        .collect()
}
