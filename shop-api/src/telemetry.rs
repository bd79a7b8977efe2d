//! What the server tells its operator: one JSON log line per request, Prometheus metrics, and
//! the liveness and readiness probes.
//!
//! A request's log line and span carry its method, its route as the router knows it
//! (`/api/v1/loyalty/{customer_id}`, never the path itself), its status, its duration and its
//! request id (`x-request-id`, made here when the proxy in front sent none, and sent back).
//! Paths, queries, headers and bodies are never logged, so no signature, token, email or
//! customer id reaches the log. Logging is tower-http's `TraceLayer` and the request ids its
//! `SetRequestIdLayer`; the metrics are the `prometheus-client` crate's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde_json::json;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::AppState;
use crate::db::{self, DbStats};
use crate::error::ApiError;

/// Latency buckets in seconds, from half a millisecond (a cached read) to ten seconds.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How long the readiness probe waits for the database before it answers 503.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    state: String,
}

/// The server's metrics and the registry that exposes them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    jobs: Family<JobLabels, Gauge>,
    oldest_due_job: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// A registry with the HTTP and queue metrics and `db`'s figures.
    pub fn new(db: &DbStats) -> Self {
        let mut registry = Registry::with_prefix("lojal");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(LATENCY_BUCKETS)
        });
        let in_flight = Gauge::default();
        let jobs = Family::<JobLabels, Gauge>::default();
        let oldest_due_job = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "http_requests",
            "Requests answered, by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from the request's arrival to its response, by method and route",
            latency.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being answered now",
            in_flight.clone(),
        );
        registry.register(
            "queue_jobs",
            "Jobs in the work queue, by kind and state (read at each scrape)",
            jobs.clone(),
        );
        registry.register(
            "queue_oldest_due_job_seconds",
            "How long the oldest due job has waited to be worked (0 when none waits)",
            oldest_due_job.clone(),
        );
        db.register(registry.sub_registry_with_prefix("db"));
        Self {
            registry,
            requests,
            latency,
            in_flight,
            jobs,
            oldest_due_job,
        }
    }

    /// The registry in Prometheus's text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }
}

/// Whether the server still takes traffic: set once SIGTERM arrives, so the readiness probe
/// turns a load balancer away while the requests in flight finish.
#[derive(Debug, Default)]
pub struct Lifecycle {
    draining: AtomicBool,
    stop: tokio::sync::Notify,
}

impl Lifecycle {
    /// Answers 503 to readiness from now on and tells the background workers to stop.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.stop.notify_waiters();
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Resolves once [`Lifecycle::drain`] has been called.
    pub async fn drained(&self) {
        let notified = self.stop.notified();
        if self.is_draining() {
            return;
        }
        notified.await;
    }
}

/// The route a request matched, as written in the router (`/api/v1/loyalty/{customer_id}`);
/// `unmatched` for the demo site's files, so the label never holds a path.
fn route_of<B>(request: &axum::http::Request<B>) -> String {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned()
}

/// Counts and times every request by route and status.
async fn record(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response<Body> {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = route_of(&request);
    metrics.in_flight.inc();
    let response = next.run(request).await;
    metrics.in_flight.dec();
    metrics.observe(&method, &route, response.status(), started.elapsed());
    response
}

/// Wraps `router` in the request id, logging and metrics layers. Layers added to a `Router`
/// run after routing, so every layer here sees the matched route.
pub fn layer(router: Router, metrics: Arc<Metrics>) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &axum::http::Request<Body>| {
            let request_id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!(
                "request",
                method = %request.method(),
                route = %route_of(request),
                request_id,
            )
        })
        .on_request(())
        .on_response(
            |response: &Response<Body>, latency: Duration, _span: &Span| {
                let status = response.status().as_u16();
                // Microseconds are plenty, and keep the line short.
                let duration_ms = latency.as_micros() as f64 / 1000.0;
                if response.status().is_server_error() {
                    tracing::error!(status, duration_ms, "response");
                } else {
                    tracing::info!(status, duration_ms, "response");
                }
            },
        )
        .on_body_chunk(())
        .on_eos(())
        .on_failure(());
    router
        .layer(middleware::from_fn_with_state(metrics, record))
        .layer(trace)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// `GET /livez`: the process answers. Nothing else is checked: a restart would not help a
/// database that is down.
pub async fn live() -> axum::Json<serde_json::Value> {
    axum::Json(json!({ "status": "live" }))
}

/// `GET /readyz`: 200 while this instance should get traffic (the database answers at the
/// schema this server knows, and it is not shutting down), else 503 with the reason.
pub async fn ready(State(state): State<AppState>) -> Response<Body> {
    let unready = |reason: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "unready", "reason": reason })),
        )
            .into_response()
    };
    if state.lifecycle.is_draining() {
        return unready("shutting down".into());
    }
    let check = state.db.run(db::schema_version);
    match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Ok(version)) if version == db::latest_version() => {
            axum::Json(json!({ "status": "ready" })).into_response()
        }
        Ok(Ok(version)) => unready(format!(
            "the database is at schema version {version}, this server expects {}",
            db::latest_version()
        )),
        Ok(Err(error)) => unready(format!("the database does not answer: {error}")),
        Err(_) => unready(format!(
            "the database did not answer within {} s",
            READY_TIMEOUT.as_secs()
        )),
    }
}

/// `GET /metrics` in Prometheus's text format, on the address given by `--metrics-addr`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

async fn scrape(State(state): State<AppState>) -> Result<Response<Body>, ApiError> {
    let (counts, oldest) = state
        .db
        .run(|conn| {
            let counts = crate::queue::counts(conn)?;
            let oldest = crate::queue::oldest_due_age(conn, crate::calendar::now())?;
            Ok::<_, ApiError>((counts, oldest))
        })
        .await?;
    let metrics = &state.metrics;
    metrics.jobs.clear();
    for (kind, job_state, count) in counts {
        metrics
            .jobs
            .get_or_create(&JobLabels {
                kind,
                state: job_state,
            })
            .set(count);
    }
    metrics.oldest_due_job.set(oldest.as_secs_f64());
    let text = metrics
        .encode()
        .map_err(|e| ApiError::Internal(format!("metrics: {e}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        text,
    )
        .into_response())
}

/// How log lines are written: JSON for machines (the default), or plain text for a terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Json,
    Text,
}

/// Sends the server's events to stderr, filtered by `filter` (`info`, `warn`,
/// `shop_api=debug,info`: tracing-subscriber's `Targets` syntax).
pub fn init_logging(format: LogFormat, filter: &str) -> Result<(), String> {
    use tracing_subscriber::util::SubscriberInitExt;
    subscriber(format, filter, std::io::stderr)?
        .try_init()
        .map_err(|e| e.to_string())
}

/// The subscriber [`init_logging`] installs, writing to `writer` (tests read what it writes).
pub fn subscriber<W>(
    format: LogFormat,
    filter: &str,
    writer: W,
) -> Result<Box<dyn tracing::Subscriber + Send + Sync>, String>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::layer::SubscriberExt;
    let targets: tracing_subscriber::filter::Targets = filter
        .parse()
        .map_err(|e| format!("LOJAL_LOG: {e} in {filter:?}"))?;
    let registry = tracing_subscriber::registry().with(targets);
    Ok(match format {
        LogFormat::Json => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            ),
        ),
        LogFormat::Text => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(writer),
            ),
        ),
    })
}
