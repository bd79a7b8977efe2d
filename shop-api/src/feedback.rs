//! `/api/v1/feedback` and `/api/v1/products/{id}/reviews`: answers from the NPS, CSAT and review
//! prompts, stored once per idempotency key with their text exactly as typed; the merchant's
//! summary, CSV export and review moderation behind the merchant token.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lojal::core::feedback::{
    AnsweredStatus, Band, CsatSummary, CsatTally, DayCounts, FeedbackAnswer, FeedbackReceipt,
    FeedbackSummary, NpsTally, ProductReviews, PromptType, PublishedReview, ReviewPage, average,
    describe, is_campaign, is_id,
};
use serde::Deserialize;

use crate::AppState;
use crate::console::session::Merchant;
use crate::db::{Conn, Value};
use crate::error::ApiError;
use crate::loyalty::{authenticate, idempotency_key};
use crate::params;

/// Reviews per page unless asked otherwise, and the most one page holds.
pub const DEFAULT_PER_PAGE: u32 = 10;
pub const MAX_PER_PAGE: u32 = 50;

/// `POST /api/v1/feedback`: 201 with a receipt the first time, 200 with the same receipt for
/// every repeat of the idempotency key.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<FeedbackAnswer>, JsonRejection>,
) -> Result<(StatusCode, Json<FeedbackReceipt>), ApiError> {
    let key = idempotency_key(&headers)?.ok_or(ApiError::MissingIdempotencyKey)?;
    let Json(answer) = body?;
    // A named shopper must be the one the shop signed in; otherwise anyone could answer (and
    // use up the once-per-campaign answer) in someone else's name.
    if let Some(customer_id) = &answer.customer_id {
        authenticate(&state, customer_id, &headers)?;
    }
    let answer = answer.normalized();
    let problems = answer.problems();
    if !problems.is_empty() {
        return Err(ApiError::InvalidAnswer(describe(&problems)));
    }
    let (receipt, created) = state
        .db
        .write(move |conn| store(conn, &key, &answer))
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(receipt)))
}

/// Stores `answer` under `key` in one transaction; `false` when the key was stored before.
pub fn store(
    conn: &mut Conn,
    key: &str,
    answer: &FeedbackAnswer,
) -> Result<(FeedbackReceipt, bool), ApiError> {
    // On SQLite, BEGIN IMMEDIATE serialises two copies of one answer and the second sees the
    // first's row here. On PostgreSQL both may pass these checks; the unique indexes then let
    // one insert through, and the other's ON CONFLICT DO NOTHING waits for it, inserts nothing
    // and checks again below.
    let mut tx = conn.transaction()?;
    if let Some(receipt) = stored_before(&mut tx, key, answer)? {
        return Ok((receipt, false));
    }
    if already_answered(&mut tx, answer)? {
        return Err(ApiError::AlreadyAnswered);
    }
    let status = match answer.kind {
        PromptType::Review => "pending",
        PromptType::Nps | PromptType::Csat => "received",
    };
    let inserted = tx.query_opt(
        "INSERT INTO feedback (idempotency_key, type, score, title, text, product_id, customer_id,
                               campaign, order_id, page_url, locale, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT DO NOTHING
         RETURNING id",
        &params![
            key,
            answer.kind.as_str(),
            answer.score,
            answer.title.as_deref(),
            answer.text.as_deref(),
            answer.product_id.as_deref(),
            answer.customer_id.as_deref(),
            &answer.campaign,
            answer.order_id.as_deref(),
            answer.page_url.as_deref(),
            answer.locale.as_deref(),
            status
        ],
    )?;
    let Some(row) = inserted else {
        // Another request committed this key, or this shopper's answer, since the checks.
        return match stored_before(&mut tx, key, answer)? {
            Some(receipt) => Ok((receipt, false)),
            None => Err(ApiError::AlreadyAnswered),
        };
    };
    let id: i64 = row.get(0)?;
    // The merchant's tools hear it: a detractor's score can start a follow-up at once.
    let event = if answer.kind == PromptType::Review {
        "review.submitted"
    } else {
        "feedback.answered"
    };
    crate::outbound::emit(
        &mut tx,
        event,
        serde_json::json!({
            "id": id,
            "type": answer.kind.as_str(),
            "score": answer.score,
            "title": answer.title,
            "text": answer.text,
            "product_id": answer.product_id,
            "customer_id": answer.customer_id,
            "campaign": answer.campaign,
            "order_id": answer.order_id,
            "locale": answer.locale,
        }),
        crate::calendar::now(),
    )?;
    tx.commit()?;
    Ok((
        FeedbackReceipt {
            id,
            status: status.into(),
            duplicate: false,
        },
        true,
    ))
}

/// The receipt of the answer stored under `key`, if any; the key with a different answer is
/// an error.
fn stored_before(
    conn: &mut Conn,
    key: &str,
    answer: &FeedbackAnswer,
) -> Result<Option<FeedbackReceipt>, ApiError> {
    let Some(row) = conn.query_opt(
        "SELECT id, status, type, score, title, text, product_id, customer_id, campaign, order_id
         FROM feedback WHERE idempotency_key = ?1",
        &params![key],
    )?
    else {
        return Ok(None);
    };
    let same = row.get::<String>(2)? == answer.kind.as_str()
        && row.get::<i64>(3)? == answer.score
        && row.get::<Option<String>>(4)? == answer.title
        && row.get::<Option<String>>(5)? == answer.text
        && row.get::<Option<String>>(6)? == answer.product_id
        && row.get::<Option<String>>(7)? == answer.customer_id
        && row.get::<String>(8)? == answer.campaign
        && row.get::<Option<String>>(9)? == answer.order_id;
    if !same {
        return Err(ApiError::AnswerKeyReused);
    }
    Ok(Some(FeedbackReceipt {
        id: row.get(0)?,
        status: row.get(1)?,
        duplicate: true,
    }))
}

fn already_answered(conn: &mut Conn, answer: &FeedbackAnswer) -> Result<bool, ApiError> {
    match &answer.customer_id {
        Some(customer_id) => answered(
            conn,
            customer_id,
            answer.kind,
            &answer.campaign,
            answer.product_id.as_deref(),
        ),
        None => Ok(false),
    }
}

fn answered(
    conn: &mut Conn,
    customer_id: &str,
    kind: PromptType,
    campaign: &str,
    product_id: Option<&str>,
) -> Result<bool, ApiError> {
    Ok(conn
        .query_opt(
            "SELECT 1 FROM feedback
             WHERE customer_id = ?1 AND type = ?2 AND campaign = ?3
               AND coalesce(product_id, '') = coalesce(?4, '')",
            &params![customer_id, kind.as_str(), campaign, product_id],
        )?
        .is_some())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnsweredQuery {
    #[serde(rename = "type")]
    kind: PromptType,
    campaign: String,
    customer_id: String,
    product_id: Option<String>,
}

/// `GET /api/v1/feedback/answered`: whether a signed-in shopper answered a prompt in a
/// campaign, so the widget does not ask twice even on another device.
pub async fn answered_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<AnsweredQuery>, QueryRejection>,
) -> Result<Json<AnsweredStatus>, ApiError> {
    let Query(query) = query?;
    authenticate(&state, &query.customer_id, &headers)?;
    if !is_campaign(&query.campaign) {
        return Err(ApiError::InvalidQuery(
            "campaign must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'".into(),
        ));
    }
    state
        .db
        .run(move |conn| {
            let answered = answered(
                conn,
                &query.customer_id,
                query.kind,
                &query.campaign,
                query.product_id.as_deref(),
            )?;
            Ok(Json(AnsweredStatus { answered }))
        })
        .await
}

/// `from` and `to` of the merchant endpoints: UTC days, both included.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

/// A `YYYY-MM-DD` day with a real month and a day that can exist in it.
fn is_day(value: &str) -> bool {
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return false;
    }
    let month: u32 = value[5..7].parse().unwrap_or(0);
    let day: u32 = value[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

impl Period {
    /// The first and last day to include, as strings that compare like dates.
    fn bounds(&self) -> Result<(String, String), ApiError> {
        let day = |value: &Option<String>, name: &str, default: &str| match value {
            None => Ok(default.to_owned()),
            Some(v) if is_day(v) => Ok(v.clone()),
            Some(v) => Err(ApiError::InvalidQuery(format!(
                "{name} must be a day written YYYY-MM-DD, not {v:?}"
            ))),
        };
        let from = day(&self.from, "from", "0000-01-01")?;
        let to = day(&self.to, "to", "9999-12-31")?;
        if from > to {
            return Err(ApiError::InvalidQuery(format!(
                "from ({from}) is after to ({to})"
            )));
        }
        Ok((from, to))
    }
}

/// Scores of one prompt type in the period, with how often each was given.
fn score_counts(
    conn: &mut Conn,
    kind: PromptType,
    from: &str,
    to: &str,
) -> Result<Vec<(u8, u64)>, ApiError> {
    conn.query(
        "SELECT score, count(*) FROM feedback
         WHERE type = ?1 AND substr(created_at, 1, 10) BETWEEN ?2 AND ?3
         GROUP BY score",
        &params![kind.as_str(), from, to],
    )?
    .iter()
    .map(|row| Ok((row.get(0)?, row.get(1)?)))
    .collect()
}

/// NPS, CSAT, reviews per product and answers per day, for days `from` to `to` (inclusive).
pub fn summarize(conn: &mut Conn, from: &str, to: &str) -> Result<FeedbackSummary, ApiError> {
    let mut nps = NpsTally::default();
    for (score, count) in score_counts(conn, PromptType::Nps, from, to)? {
        match Band::of(score) {
            Some(Band::Promoter) => nps.promoters += count,
            Some(Band::Passive) => nps.passives += count,
            Some(Band::Detractor) => nps.detractors += count,
            None => {}
        }
    }
    let mut csat = CsatTally::default();
    for (score, count) in score_counts(conn, PromptType::Csat, from, to)? {
        if (1..=5).contains(&score) {
            csat.counts[usize::from(score - 1)] += count;
        }
    }
    // Counts are sums of CASE … THEN 1 ELSE 0, not of comparisons: PostgreSQL does not add
    // booleans.
    let reviews = conn
        .query(
            "SELECT product_id, sum(score), count(*),
                    sum(CASE WHEN status = 'published' THEN 1 ELSE 0 END),
                    sum(CASE WHEN status = 'pending' THEN 1 ELSE 0 END)
             FROM feedback
             WHERE type = 'review' AND substr(created_at, 1, 10) BETWEEN ?1 AND ?2
             GROUP BY product_id ORDER BY product_id",
            &params![from, to],
        )?
        .iter()
        .map(|row| -> Result<_, ApiError> {
            let (sum, count): (u64, u64) = (row.get(1)?, row.get(2)?);
            Ok(ProductReviews {
                product_id: row.get(0)?,
                average: average(sum, count).unwrap_or_default(),
                reviews: count,
                published: row.get(3)?,
                pending: row.get(4)?,
            })
        })
        .collect::<Result<_, _>>()?;
    let per_day = conn
        .query(
            "SELECT substr(created_at, 1, 10) AS day,
                    sum(CASE WHEN type = 'nps' THEN 1 ELSE 0 END),
                    sum(CASE WHEN type = 'csat' THEN 1 ELSE 0 END),
                    sum(CASE WHEN type = 'review' THEN 1 ELSE 0 END)
             FROM feedback WHERE substr(created_at, 1, 10) BETWEEN ?1 AND ?2
             GROUP BY day ORDER BY day",
            &params![from, to],
        )?
        .iter()
        .map(|row| -> Result<_, ApiError> {
            Ok(DayCounts {
                date: row.get(0)?,
                nps: row.get(1)?,
                csat: row.get(2)?,
                review: row.get(3)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(FeedbackSummary {
        nps: nps.into(),
        csat: CsatSummary::from(csat),
        reviews,
        per_day,
    })
}

pub async fn summary(
    State(state): State<AppState>,
    _merchant: Merchant,
    period: Result<Query<Period>, QueryRejection>,
) -> Result<Json<FeedbackSummary>, ApiError> {
    let (from, to) = period?.0.bounds()?;
    state
        .db
        .run(move |conn| summarize(conn, &from, &to).map(Json))
        .await
}

/// The export's columns, in order.
pub const CSV_COLUMNS: [&str; 13] = [
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
    "status",
];

/// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A field that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) gets a
/// leading `'`, so a shopper's "=HYPERLINK(…)" stays text in the merchant's Excel.
pub fn csv_field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Every answer in the period as CSV (UTF-8 with a byte-order mark, CRLF line ends), oldest first.
pub fn export(conn: &mut Conn, from: &str, to: &str) -> Result<String, ApiError> {
    let mut csv = String::from("\u{feff}");
    csv.push_str(&CSV_COLUMNS.join(","));
    csv.push_str("\r\n");
    let rows = conn.query(
        "SELECT id, created_at, type, score, title, text, product_id, customer_id, campaign,
                order_id, page_url, locale, status
         FROM feedback WHERE substr(created_at, 1, 10) BETWEEN ?1 AND ?2 ORDER BY id",
        &params![from, to],
    )?;
    for row in rows {
        let mut fields = Vec::with_capacity(CSV_COLUMNS.len());
        for index in 0..CSV_COLUMNS.len() {
            let value = match row.get::<Value>(index)? {
                Value::Null => String::new(),
                Value::Integer(n) => n.to_string(),
                Value::Text(t) => csv_field(&t),
                Value::Real(r) => r.to_string(),
            };
            fields.push(value);
        }
        csv.push_str(&fields.join(","));
        csv.push_str("\r\n");
    }
    Ok(csv)
}

pub async fn export_csv(
    State(state): State<AppState>,
    _merchant: Merchant,
    period: Result<Query<Period>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (from, to) = period?.0.bounds()?;
    let csv = state.db.run(move |conn| export(conn, &from, &to)).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"lojal-feedback.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moderation {
    status: String,
    /// The status the review had when the merchant saw it (the console sends it): another
    /// moderation since then is refused (409) instead of overwritten.
    #[serde(default)]
    from: Option<String>,
}

/// `POST /api/v1/feedback/{id}/moderation` (merchant token): `published`, `rejected` or back to
/// `pending`, for reviews only.
pub async fn moderate(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
    body: Result<Json<Moderation>, JsonRejection>,
) -> Result<Json<FeedbackReceipt>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::UnknownReview)?;
    let Json(moderation) = body?;
    if !matches!(
        moderation.status.as_str(),
        "published" | "rejected" | "pending"
    ) {
        return Err(ApiError::InvalidBody(
            "status must be published, rejected or pending".into(),
        ));
    }
    state
        .db
        .write(move |conn| {
            let now = crate::calendar::now();
            let programme = crate::programme::load(conn)?;
            let mut tx = conn.transaction()?;
            let lock = format!(
                "SELECT status FROM feedback WHERE id = ?1 AND type = 'review'{}",
                tx.for_update()
            );
            let current: String = tx
                .query_opt(&lock, &params![id])?
                .ok_or(ApiError::UnknownReview)?
                .get(0)?;
            if let Some(from) = &moderation.from
                && *from != current
            {
                return Err(ApiError::StaleReview { current });
            }
            let row = tx
                .query_opt(
                    "UPDATE feedback SET status = ?2 WHERE id = ?1 AND type = 'review'
                     RETURNING id, status, customer_id, product_id",
                    &params![id, &moderation.status],
                )?
                .ok_or(ApiError::UnknownReview)?;
            crate::console::audit::record(
                &mut tx,
                &merchant.actor,
                "review.moderate",
                &format!("review:{id}"),
                serde_json::json!({ "from": current, "to": moderation.status }),
                now,
            )?;
            let (customer_id, product_id): (Option<String>, Option<String>) =
                (row.get(2)?, row.get(3)?);
            if let (true, Some(customer_id), Some(product_id)) =
                (moderation.status == "published", customer_id, product_id)
            {
                review_points(&mut tx, &programme, &customer_id, &product_id, now)?;
            }
            tx.commit()?;
            Ok(Json(FeedbackReceipt {
                id: row.get(0)?,
                status: row.get(1)?,
                duplicate: false,
            }))
        })
        .await
}

/// A published review earns its points once per product and customer, however often it is
/// published, unpublished and published again.
fn review_points(
    tx: &mut Conn,
    programme: &crate::programme::Programme,
    customer_id: &str,
    product_id: &str,
    now: jiff::Timestamp,
) -> Result<(), ApiError> {
    let points = programme
        .config
        .points_for(lojal::core::programme::EarnKind::Review);
    if points == 0 {
        return Ok(());
    }
    crate::ledger::ensure_customer(tx, customer_id, None, None, now)?;
    crate::ledger::lock_customer(tx, customer_id)?;
    let name: Option<String> = tx
        .query_opt(
            "SELECT title FROM products WHERE id = ?1",
            &params![product_id],
        )?
        .map(|row| row.get(0))
        .transpose()?;
    crate::ledger::record(
        tx,
        &crate::ledger::Entry {
            customer_id,
            kind: crate::ledger::Kind::Review,
            points: points as i64,
            tier_points: points as i64,
            source: format!("review:{product_id}"),
            detail: Some(name.unwrap_or_else(|| product_id.to_owned())),
            shortfall: 0,
            available_at: now,
        },
        now,
    )?;
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    page: Option<u32>,
    per_page: Option<u32>,
}

/// One page of a product's published reviews, newest first.
pub fn reviews_page(
    conn: &mut Conn,
    product_id: &str,
    page: u32,
    per_page: u32,
) -> Result<ReviewPage, ApiError> {
    let row = conn.query_one(
        "SELECT count(*), sum(score) FROM feedback
         WHERE type = 'review' AND status = 'published' AND product_id = ?1",
        &params![product_id],
    )?;
    let (total, sum): (u64, Option<u64>) = (row.get(0)?, row.get(1)?);
    let offset = u64::from(page - 1) * u64::from(per_page);
    let reviews = conn
        .query(
            "SELECT f.id, f.score, f.title, f.text, c.first_name, f.created_at
             FROM feedback f LEFT JOIN customers c ON c.id = f.customer_id
             WHERE f.type = 'review' AND f.status = 'published' AND f.product_id = ?1
             ORDER BY f.created_at DESC, f.id DESC LIMIT ?2 OFFSET ?3",
            &params![product_id, per_page, offset],
        )?
        .iter()
        .map(|row| -> Result<_, ApiError> {
            Ok(PublishedReview {
                id: row.get(0)?,
                score: row.get(1)?,
                title: row.get(2)?,
                text: row.get(3)?,
                author: row.get(4)?,
                created_at: row.get(5)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(ReviewPage {
        product_id: product_id.to_owned(),
        reviews,
        page,
        per_page,
        total,
        average: average(sum.unwrap_or(0), total),
    })
}

/// `GET /api/v1/products/{id}/reviews?page=1&per_page=10`: published reviews only, for anyone.
pub async fn product_reviews(
    State(state): State<AppState>,
    Path(product_id): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<ReviewPage>, ApiError> {
    let Query(query) = query?;
    if !is_id(&product_id) {
        return Err(ApiError::NotFound);
    }
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if page == 0 {
        return Err(ApiError::InvalidQuery("page counts from 1".into()));
    }
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::InvalidQuery(format!(
            "per_page must be 1 to {MAX_PER_PAGE}"
        )));
    }
    state
        .db
        .run(move |conn| reviews_page(conn, &product_id, page, per_page).map(Json))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed_and_formulas_stay_text() {
        let cases = [
            ("plain", "plain"),
            ("", ""),
            ("æøå Õõ 🧶", "æøå Õõ 🧶"),
            ("a,b", "\"a,b\""),
            ("say \"hei\"", "\"say \"\"hei\"\"\""),
            ("line\nbreak", "\"line\nbreak\""),
            ("<b>bold</b>", "<b>bold</b>"),
            ("=1+1", "'=1+1"),
            ("+47 999", "'+47 999"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("\tx", "'\tx"),
            ("– en dash", "– en dash"),
        ];
        for (value, expected) in cases {
            assert_eq!(csv_field(value), expected, "{value:?}");
        }
    }

    #[test]
    fn days_are_checked_strictly() {
        for ok in ["2026-11-23", "0000-01-01", "9999-12-31"] {
            assert!(is_day(ok), "{ok}");
        }
        for bad in [
            "2026-13-01",
            "2026-00-10",
            "2026-11-32",
            "2026-1-23",
            "23.11.2026",
            "2026-11-23T00:00",
            "",
            "２０２６-11-23",
        ] {
            assert!(!is_day(bad), "{bad}");
        }
    }
}
