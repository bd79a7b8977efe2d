//! Events the merchant's other tools hear: `points.earned`, `points.redeemed`,
//! `points.expired`, `coupon.issued`, `play.won`, `feedback.answered`, `review.submitted`,
//! `referral.converted`, delivered to the endpoints the merchant registered, signed as the
//! Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`), so receivers can
//! verify them with its published libraries.
//!
//! An event is written once, in the transaction of the change it reports, with a stable id;
//! one delivery job per subscribed endpoint goes into the durable queue with it, ordered per
//! endpoint. Deliveries are retried with exponential backoff for a day; an endpoint that keeps
//! failing for three days is switched off, with the reason, until the merchant turns it on
//! again. Receivers' answers are untrusted: bounded in time and size, never followed to
//! another host, and private addresses only where the merchant allowed them.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use base64::Engine;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::AppState;
use crate::calendar;
use crate::db::{Conn, DbError};
use crate::egress::{self, Egress};
use crate::error::ApiError;
use crate::merchant;
use crate::params;
use crate::queue::{self, Job, NewJob, Outcome};

/// Every event type an endpoint may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "points.earned",
    "points.redeemed",
    "points.expired",
    "coupon.issued",
    "play.won",
    "feedback.answered",
    "review.submitted",
    "referral.converted",
];
/// How long an event is retried at one endpoint.
const RETRY_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);
/// An endpoint failing this long is switched off.
const DISABLE_AFTER_DAYS: i64 = 3;

/// A Standard Webhooks secret: `whsec_` and the base64 of the key.
#[derive(Clone)]
pub struct SigningSecret(Vec<u8>);

impl SigningSecret {
    pub fn generate() -> Self {
        let mut key = [0u8; 24];
        getrandom::fill(&mut key).expect("the OS random source is available");
        Self(key.to_vec())
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let encoded = text.strip_prefix("whsec_").unwrap_or(text);
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .filter(|key| key.len() >= 16)
            .map(Self)
            .ok_or_else(|| "a signing secret is whsec_ and the base64 of 16 or more bytes".into())
    }

    pub fn text(&self) -> String {
        format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(&self.0)
        )
    }

    /// `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body.as_bytes());
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        )
    }
}

/// A new event id: `msg_` and 26 random base32 characters.
fn event_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = [0u8; 26];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    let tail: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)] as char)
        .collect();
    format!("msg_{tail}")
}

/// Records an event of `kind` and queues its deliveries, in the caller's transaction.
pub fn emit(conn: &mut Conn, kind: &str, data: Value, now: Timestamp) -> Result<String, DbError> {
    debug_assert!(EVENT_TYPES.contains(&kind), "unknown event type {kind}");
    let id = event_id();
    let payload = json!({ "type": kind, "timestamp": calendar::text(now), "data": data });
    // The enabled endpoints come back with the insert, one "id events" line each: every
    // redemption, play and order emits, and on PostgreSQL a second query is a second round trip.
    let endpoints: Option<String> = conn
        .query_one(
            "INSERT INTO events (id, type, payload, created_at) VALUES (?1, ?2, ?3, ?4)
             RETURNING (SELECT string_agg(id || ' ' || events, ?5) FROM webhook_endpoints
                        WHERE enabled = 1)",
            &params![&id, kind, payload.to_string(), calendar::text(now), "\n"],
        )?
        .get(0)?;
    for line in endpoints.as_deref().unwrap_or("").lines() {
        // Ids are `ep_` and base32, events a list of event types: neither holds a space.
        let (endpoint, events) = line.split_once(' ').unwrap_or((line, ""));
        if subscribed(events, kind) {
            queue::enqueue(
                conn,
                &NewJob {
                    kind: "event.deliver",
                    key: format!("deliver:{endpoint}:{id}"),
                    ordering: Some(format!("endpoint:{endpoint}")),
                    payload: json!({ "endpoint": endpoint, "event": id }),
                },
                now,
            )?;
        }
    }
    Ok(id)
}

fn subscribed(events: &str, kind: &str) -> bool {
    events
        .split(',')
        .map(str::trim)
        .any(|e| e == "*" || e == kind)
}

/// A registered endpoint, as the merchant sees it (the secret only when it is made).
#[derive(Clone, Debug, Serialize)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub allow_private: bool,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// `POST /api/v1/admin/webhooks` body.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    pub url: String,
    pub events: Vec<String>,
    /// Allow a private, loopback or link-local target (an intranet receiver, a test).
    #[serde(default)]
    pub allow_private: bool,
}

/// Checks and stores an endpoint; answers it with its secret, shown this once.
pub fn add_endpoint(
    conn: &mut Conn,
    new: &NewEndpoint,
    now: Timestamp,
) -> Result<Endpoint, ApiError> {
    let url =
        reqwest::Url::parse(&new.url).map_err(|e| ApiError::InvalidBody(format!("url: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if new.allow_private => {}
        _ => {
            return Err(ApiError::InvalidBody(
                "url: must be https (plain http only with allow_private, for a receiver on your own network)"
                    .into(),
            ));
        }
    }
    if url.host_str().is_none() || !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::InvalidBody(
            "url: needs a host and no user or password".into(),
        ));
    }
    Egress::new()
        .client(&url, new.allow_private)
        .map_err(|why| ApiError::InvalidBody(format!("url: {why}")))?;
    if new.events.is_empty() {
        return Err(ApiError::InvalidBody(
            "events: name at least one, or *".into(),
        ));
    }
    for event in &new.events {
        if event != "*" && !EVENT_TYPES.contains(&event.as_str()) {
            return Err(ApiError::InvalidBody(format!(
                "events: {event:?} is not one of {}",
                EVENT_TYPES.join(", ")
            )));
        }
    }
    let secret = SigningSecret::generate();
    let id = format!("ep_{}", &event_id()[4..18]);
    conn.execute(
        "INSERT INTO webhook_endpoints (id, url, events, secret, allow_private, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &params![
            &id,
            url.as_str(),
            new.events.join(","),
            secret.text(),
            new.allow_private,
            calendar::text(now)
        ],
    )?;
    let mut endpoint = endpoint(conn, &id)?.ok_or(ApiError::UnknownEndpoint)?;
    endpoint.secret = Some(secret.text());
    Ok(endpoint)
}

pub fn endpoint(conn: &mut Conn, id: &str) -> Result<Option<Endpoint>, DbError> {
    conn.query_opt(
        "SELECT id, url, events, allow_private, enabled, disabled_reason, failing_since, created_at
         FROM webhook_endpoints WHERE id = ?1",
        &params![id],
    )?
    .map(|row| endpoint_from(&row))
    .transpose()
}

pub fn endpoints(conn: &mut Conn) -> Result<Vec<Endpoint>, DbError> {
    conn.query(
        "SELECT id, url, events, allow_private, enabled, disabled_reason, failing_since, created_at
         FROM webhook_endpoints ORDER BY created_at, id",
        &[],
    )?
    .iter()
    .map(endpoint_from)
    .collect()
}

fn endpoint_from(row: &crate::db::Row) -> Result<Endpoint, DbError> {
    let events: String = row.get(2)?;
    Ok(Endpoint {
        id: row.get(0)?,
        url: row.get(1)?,
        events: events.split(',').map(str::to_owned).collect(),
        allow_private: row.get(3)?,
        enabled: row.get(4)?,
        disabled_reason: row.get(5)?,
        failing_since: row.get(6)?,
        created_at: row.get(7)?,
        secret: None,
    })
}

/// One delivery attempt, for the merchant's log.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub event_id: String,
    pub event_type: Option<String>,
    pub attempt: i64,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: String,
}

pub fn attempts(conn: &mut Conn, endpoint: &str, limit: usize) -> Result<Vec<Attempt>, DbError> {
    conn.query(
        "SELECT a.event_id, e.type, a.attempt, a.status, a.error, a.duration_ms, a.at
         FROM webhook_attempts a LEFT JOIN events e ON e.id = a.event_id
         WHERE a.endpoint_id = ?1 ORDER BY a.id DESC LIMIT ?2",
        &params![endpoint, limit],
    )?
    .iter()
    .map(|row| {
        Ok(Attempt {
            event_id: row.get(0)?,
            event_type: row.get(1)?,
            attempt: row.get(2)?,
            status: row.get(3)?,
            error: row.get(4)?,
            duration_ms: row.get(5)?,
            at: row.get(6)?,
        })
    })
    .collect()
}

/// Works one `event.deliver` job: signs and posts the event, records the attempt, and says
/// whether to retry.
pub async fn deliver(state: &AppState, job: &Job) -> Result<Outcome, ApiError> {
    let endpoint_id = job.payload["endpoint"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let event_id = job.payload["event"].as_str().unwrap_or_default().to_owned();
    let (id, ev) = (endpoint_id.clone(), event_id.clone());
    let loaded = state
        .db
        .run(move |conn| -> Result<_, ApiError> {
            let target = conn.query_opt(
                "SELECT url, secret, allow_private, enabled FROM webhook_endpoints WHERE id = ?1",
                &params![&id],
            )?;
            let event = conn.query_opt(
                "SELECT payload, created_at FROM events WHERE id = ?1",
                &params![&ev],
            )?;
            Ok(match (target, event) {
                (Some(t), Some(e)) => Some((
                    t.get::<String>(0)?,
                    t.get::<String>(1)?,
                    t.get::<bool>(2)?,
                    t.get::<bool>(3)?,
                    e.get::<String>(0)?,
                    e.get::<String>(1)?,
                )),
                _ => None,
            })
        })
        .await?;
    let Some((url, secret, allow_private, enabled, body, created_at)) = loaded else {
        return Ok(Outcome::GiveUp("the endpoint or the event is gone".into()));
    };
    if !enabled {
        return Ok(Outcome::GiveUp("the endpoint is switched off".into()));
    }
    let started = std::time::Instant::now();
    let now = calendar::now();
    let result = post_signed(
        &state.egress,
        &url,
        &secret,
        allow_private,
        &event_id,
        now,
        &body,
    )
    .await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status, error) = match &result {
        Ok(answer) if (200..300).contains(&answer.status) => (Some(answer.status), None),
        Ok(answer) => (
            Some(answer.status),
            Some(format!(
                "HTTP {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)])
            )),
        ),
        Err(e) => (None, Some(e.to_string())),
    };
    let created = calendar::parse(&created_at)?;
    let outcome = match (&result, &error) {
        (_, None) => Outcome::Done,
        (Err(egress::CallError::Refused(why)), _) => Outcome::GiveUp(why.clone()),
        (_, Some(error)) => {
            let retry_after = result.as_ref().ok().and_then(|a| a.retry_after);
            let at = now + queue::backoff_from(state.backoff_base, job.attempts, retry_after);
            if at.duration_since(created) > RETRY_FOR {
                Outcome::GiveUp(format!("{error}; retried for a day"))
            } else {
                Outcome::RetryAt(at, error.clone())
            }
        }
    };
    let attempt = i64::from(job.attempts) + 1;
    let error_text = error.clone();
    let done = outcome == Outcome::Done;
    state
        .db
        .write(move |conn| -> Result<(), ApiError> {
            let now_text = calendar::text(now);
            conn.execute(
                "INSERT INTO webhook_attempts (endpoint_id, event_id, attempt, status, error, duration_ms, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                &params![
                    &endpoint_id,
                    &event_id,
                    attempt,
                    status.map(i64::from),
                    error_text.as_deref(),
                    duration_ms,
                    &now_text
                ],
            )?;
            if done {
                conn.execute(
                    "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?1",
                    &params![&endpoint_id],
                )?;
                return Ok(());
            }
            conn.execute(
                "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?2) WHERE id = ?1",
                &params![&endpoint_id, &now_text],
            )?;
            let since = calendar::text(calendar::plus_days(now, -DISABLE_AFTER_DAYS));
            conn.execute(
                "UPDATE webhook_endpoints SET enabled = 0,
                        disabled_reason = ?3
                 WHERE id = ?1 AND failing_since <= ?2 AND enabled = 1",
                &params![
                    &endpoint_id,
                    &since,
                    format!(
                        "every delivery failed for {DISABLE_AFTER_DAYS} days; the last: {}",
                        error_text.as_deref().unwrap_or("unknown")
                    )
                ],
            )?;
            Ok(())
        })
        .await?;
    Ok(outcome)
}

/// Posts `body` signed per Standard Webhooks with `secret`.
pub async fn post_signed(
    egress: &Egress,
    url: &str,
    secret: &str,
    allow_private: bool,
    id: &str,
    now: Timestamp,
    body: &str,
) -> Result<egress::Answer, egress::CallError> {
    let url = reqwest::Url::parse(url).map_err(|e| egress::CallError::Refused(e.to_string()))?;
    let client = egress
        .client(&url, allow_private)
        .map_err(egress::CallError::Refused)?;
    let secret = SigningSecret::parse(secret).map_err(egress::CallError::Refused)?;
    let timestamp = now.as_second();
    let request = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", secret.sign(id, timestamp, body))
        .body(body.to_owned());
    egress::call(request).await
}

/// How often the merchant's delivery log is shown per request.
const LOG_ROWS: usize = 100;

/// `GET /api/v1/admin/webhooks`.
pub async fn admin_list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Endpoint>>, ApiError> {
    merchant::authorize(state.merchant_token.as_ref(), &headers)?;
    state
        .db
        .run(|conn| endpoints(conn).map(Json).map_err(ApiError::from))
        .await
}

/// `POST /api/v1/admin/webhooks`.
pub async fn admin_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<NewEndpoint>, JsonRejection>,
) -> Result<Json<Endpoint>, ApiError> {
    merchant::authorize(state.merchant_token.as_ref(), &headers)?;
    let Json(new) = body?;
    state
        .db
        .write(move |conn| add_endpoint(conn, &new, calendar::now()).map(Json))
        .await
}

/// `DELETE /api/v1/admin/webhooks/{id}`.
pub async fn admin_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    merchant::authorize(state.merchant_token.as_ref(), &headers)?;
    state
        .db
        .write(move |conn| {
            let removed =
                conn.execute("DELETE FROM webhook_endpoints WHERE id = ?1", &params![&id])?;
            if removed == 0 {
                return Err(ApiError::UnknownEndpoint);
            }
            Ok(Json(json!({ "removed": id })))
        })
        .await
}

/// `POST /api/v1/admin/webhooks/{id}/enable`: back on after the merchant fixed the receiver.
pub async fn admin_enable(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Endpoint>, ApiError> {
    merchant::authorize(state.merchant_token.as_ref(), &headers)?;
    state
        .db
        .write(move |conn| {
            conn.execute(
                "UPDATE webhook_endpoints SET enabled = 1, disabled_reason = NULL, failing_since = NULL
                 WHERE id = ?1",
                &params![&id],
            )?;
            endpoint(conn, &id)?.map(Json).ok_or(ApiError::UnknownEndpoint)
        })
        .await
}

/// `GET /api/v1/admin/webhooks/{id}/deliveries`: the newest attempts, and what waits.
pub async fn admin_deliveries(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    merchant::authorize(state.merchant_token.as_ref(), &headers)?;
    state
        .db
        .run(move |conn| {
            let endpoint = endpoint(conn, &id)?.ok_or(ApiError::UnknownEndpoint)?;
            let waiting: i64 = conn
                .query_one(
                    "SELECT COUNT(*) FROM work_queue WHERE ordering = ?1 AND state = 'ready'",
                    &params![format!("endpoint:{id}")],
                )?
                .get(0)?;
            let given_up: i64 = conn
                .query_one(
                    "SELECT COUNT(*) FROM work_queue WHERE ordering = ?1 AND state = 'dead'",
                    &params![format!("endpoint:{id}")],
                )?
                .get(0)?;
            Ok(Json(json!({
                "endpoint": endpoint,
                "waiting": waiting,
                "given_up": given_up,
                "attempts": attempts(conn, &id, LOG_ROWS)?,
            })))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The specification's own example: secret, id, timestamp, body and signature.
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(SigningSecret::parse("whsec_short").is_err());
        assert!(SigningSecret::parse(&SigningSecret::generate().text()).is_ok());
    }

    #[test]
    fn endpoints_hear_what_they_subscribed_to() {
        assert!(subscribed("points.earned,play.won", "play.won"));
        assert!(subscribed("*", "feedback.answered"));
        assert!(!subscribed("points.earned", "points.expired"));
    }
}
