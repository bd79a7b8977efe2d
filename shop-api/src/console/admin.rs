//! The merchant endpoints the console reads and writes (the merchant token opens them too): the
//! overview's numbers, campaigns with revisions, feedback answers with filters, customers with
//! their ledger and coupons, and manual adjustments. Every write is one transaction with its
//! audit row.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use jiff::Timestamp;
use lojal::core::console::{
    Adjustment, AnswerPage, AnswerRow, CampaignListItem, CampaignPlays, CampaignRecord,
    CouponsIssued, CustomerCoupon, CustomerDetail, CustomerHit, LedgerEntry, Overview, PointsMoved,
    civil_from_days, odds_problem, parse_day, running_change_notes, weekly_nps,
};
use lojal::core::games::{CampaignConfig, days_from_civil};
use serde::Deserialize;

use super::audit;
use super::session::Merchant;
use crate::AppState;
use crate::calendar;
use crate::db::Conn;
use crate::error::ApiError;
use crate::games;
use crate::ledger::{self, Entry, Kind};
use crate::loyalty::idempotency_key;
use crate::params;

/// Days the overview covers unless asked otherwise.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest period one overview covers.
pub const MAX_DAYS: i64 = 366 * 3;
/// Answers one page holds at most, and customers one search finds at most.
pub const MAX_PER_PAGE: u32 = 100;
pub const MAX_HITS: usize = 20;
/// Ledger rows a customer's page shows.
pub const LEDGER_ROWS: usize = 100;

/// `from` and `to`: UTC days, both included.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

fn day_text(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The period asked for: the last 30 days up to today unless given, at most three years.
pub fn period(query: &PeriodQuery, today: &str) -> Result<(String, String), ApiError> {
    let day = |value: &Option<String>, name: &str| -> Result<Option<i64>, ApiError> {
        value
            .as_deref()
            .map(|v| {
                parse_day(v)
                    .map(|(y, m, d)| days_from_civil(y, m, d))
                    .ok_or_else(|| {
                        ApiError::InvalidQuery(format!(
                            "{name} must be a day written YYYY-MM-DD, not {v:?}"
                        ))
                    })
            })
            .transpose()
    };
    let today = parse_day(today)
        .map(|(y, m, d)| days_from_civil(y, m, d))
        .ok_or_else(|| ApiError::Internal(format!("today is not a day: {today}")))?;
    let to = day(&query.to, "to")?.unwrap_or(today);
    let from = day(&query.from, "from")?.unwrap_or(to - (DEFAULT_DAYS - 1));
    if from > to {
        return Err(ApiError::InvalidQuery(format!(
            "from ({}) is after to ({})",
            day_text(from),
            day_text(to)
        )));
    }
    if to - from >= MAX_DAYS {
        return Err(ApiError::InvalidQuery(format!(
            "a period covers at most {MAX_DAYS} days"
        )));
    }
    Ok((day_text(from), day_text(to)))
}

fn today() -> String {
    calendar::text(calendar::now())[..10].to_owned()
}

/// The overview's numbers for days `from` to `to`.
pub fn overview(conn: &mut Conn, from: &str, to: &str) -> Result<Overview, ApiError> {
    let nps_days = conn
        .query(
            "SELECT substr(created_at, 1, 10), score, count(*) FROM feedback
             WHERE type = 'nps' AND substr(created_at, 1, 10) BETWEEN ?1 AND ?2
             GROUP BY substr(created_at, 1, 10), score",
            &params![from, to],
        )?
        .iter()
        .map(|row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let summary = crate::feedback::summarize(conn, from, to)?;
    let campaigns = conn
        .query(
            "SELECT c.id, c.name, count(p.id),
                    COALESCE(sum(CASE WHEN p.coupon_code IS NOT NULL THEN 1 ELSE 0 END), 0)
             FROM campaigns c
             LEFT JOIN plays p ON p.campaign_id = c.id
                              AND substr(p.played_at, 1, 10) BETWEEN ?1 AND ?2
             GROUP BY c.id, c.name ORDER BY c.id",
            &params![from, to],
        )?
        .iter()
        .map(|row| {
            Ok(CampaignPlays {
                campaign_id: row.get(0)?,
                name: row.get(1)?,
                plays: row.get(2)?,
                prizes: row.get(3)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let points = conn.query_one(
        "SELECT COALESCE(sum(CASE WHEN points > 0 AND kind IN
                    ('purchase', 'signup', 'birthday', 'review', 'referral', 'adjust')
                    THEN points ELSE 0 END), 0),
                COALESCE(sum(CASE WHEN kind = 'redeem' THEN -points ELSE 0 END), 0),
                COALESCE(sum(CASE WHEN kind = 'expire' THEN -points ELSE 0 END), 0)
         FROM ledger WHERE substr(created_at, 1, 10) BETWEEN ?1 AND ?2",
        &params![from, to],
    )?;
    let count = |conn: &mut Conn, sql: &str| -> Result<u64, ApiError> {
        Ok(conn.query_one(sql, &params![from, to])?.get(0)?)
    };
    let coupons = CouponsIssued {
        rewards: count(
            conn,
            "SELECT count(*) FROM coupons WHERE substr(created_at, 1, 10) BETWEEN ?1 AND ?2",
        )?,
        prizes: count(
            conn,
            "SELECT count(*) FROM game_coupons WHERE substr(created_at, 1, 10) BETWEEN ?1 AND ?2",
        )?,
        referrals: count(
            conn,
            "SELECT count(*) FROM referrals WHERE substr(created_at, 1, 10) BETWEEN ?1 AND ?2",
        )?,
    };
    Ok(Overview {
        from: from.to_owned(),
        to: to.to_owned(),
        nps_weeks: weekly_nps(&nps_days),
        csat: summary.csat,
        per_day: summary.per_day,
        campaigns,
        points: PointsMoved {
            issued: points.get(0)?,
            redeemed: points.get(1)?,
            expired: points.get(2)?,
        },
        coupons,
    })
}

/// `GET /api/v1/admin/overview?from=&to=`.
pub async fn get_overview(
    State(state): State<AppState>,
    _merchant: Merchant,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Json<Overview>, ApiError> {
    let (from, to) = period(&query?.0, &today())?;
    state
        .db
        .run(move |conn| overview(conn, &from, &to).map(Json))
        .await
}

/// Plays and prizes of each campaign, ever.
fn plays_by_campaign(
    conn: &mut Conn,
) -> Result<std::collections::HashMap<String, (u64, u64)>, ApiError> {
    conn.query(
        "SELECT campaign_id, count(*),
                COALESCE(sum(CASE WHEN coupon_code IS NOT NULL THEN 1 ELSE 0 END), 0)
         FROM plays GROUP BY campaign_id",
        &[],
    )?
    .iter()
    .map(|row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))
    .collect()
}

/// `GET /api/v1/admin/campaigns`: every campaign, newest start first.
pub async fn list_campaigns(
    State(state): State<AppState>,
    _merchant: Merchant,
) -> Result<Json<Vec<CampaignListItem>>, ApiError> {
    state
        .db
        .run(|conn| {
            let now = games::now(conn)?;
            let plays = plays_by_campaign(conn)?;
            let ids: Vec<String> = conn
                .query("SELECT id FROM campaigns ORDER BY starts_at DESC, id", &[])?
                .iter()
                .map(|row| row.get(0))
                .collect::<Result<_, _>>()?;
            let mut items = Vec::with_capacity(ids.len());
            for id in ids {
                let Some(row) = games::load_campaign(conn, &id)? else {
                    continue;
                };
                let (played, prizes) = plays.get(&id).copied().unwrap_or_default();
                items.push(CampaignListItem {
                    state: games::state_at(&row, &now),
                    id,
                    name: row.config.name.clone(),
                    game: row.config.game,
                    starts_at: row.starts_at.clone(),
                    ends_at: row.config.ends_at.clone(),
                    revision: revision_of(conn, &row.config.id)?.unwrap_or(0),
                    plays: played,
                    prizes,
                });
            }
            Ok(Json(items))
        })
        .await
}

fn revision_of(conn: &mut Conn, campaign_id: &str) -> Result<Option<i64>, ApiError> {
    Ok(conn
        .query_opt(
            "SELECT revision FROM campaigns WHERE id = ?1",
            &params![campaign_id],
        )?
        .map(|row| row.get(0))
        .transpose()?)
}

fn record(conn: &mut Conn, campaign_id: &str) -> Result<Option<CampaignRecord>, ApiError> {
    let now = games::now(conn)?;
    let Some(row) = games::load_campaign(conn, campaign_id)? else {
        return Ok(None);
    };
    let counts = conn.query_one(
        "SELECT count(*), COALESCE(sum(CASE WHEN coupon_code IS NOT NULL THEN 1 ELSE 0 END), 0)
         FROM plays WHERE campaign_id = ?1",
        &params![campaign_id],
    )?;
    Ok(Some(CampaignRecord {
        revision: revision_of(conn, campaign_id)?.unwrap_or(0),
        state: games::state_at(&row, &now),
        campaign: row.config,
        plays: counts.get(0)?,
        prizes: counts.get(1)?,
    }))
}

/// `GET /api/v1/admin/campaigns/{id}`.
pub async fn get_campaign(
    State(state): State<AppState>,
    _merchant: Merchant,
    Path(campaign_id): Path<String>,
) -> Result<Json<CampaignRecord>, ApiError> {
    state
        .db
        .run(move |conn| {
            record(conn, &campaign_id)?
                .map(Json)
                .ok_or(ApiError::UnknownCampaign)
        })
        .await
}

/// What a campaign write expects to find: `If-Match: <revision>` (the form's), or
/// `If-None-Match: *` (a new campaign, which must not replace one of the same id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Revision(i64),
    New,
    Anything,
}

pub fn expectation(headers: &HeaderMap) -> Result<Expect, ApiError> {
    if let Some(value) = headers.get(header::IF_MATCH) {
        return value
            .to_str()
            .ok()
            .map(|v| v.trim().trim_matches('"'))
            .and_then(|v| v.parse::<i64>().ok())
            .map(Expect::Revision)
            .ok_or_else(|| {
                ApiError::InvalidBody("If-Match must be the campaign's revision".into())
            });
    }
    match headers.get(header::IF_NONE_MATCH) {
        Some(value) if value.as_bytes() == b"*" => Ok(Expect::New),
        Some(_) => Err(ApiError::InvalidBody(
            "If-None-Match may only be * (create, never replace)".into(),
        )),
        None => Ok(Expect::Anything),
    }
}

/// Validates a campaign as the console sends it: every rule of `shop-api campaign put`, and
/// chances (the segments' weights, in hundredths of a percent) that add up to 100 %.
pub fn validate_console_campaign(json: &str) -> Result<CampaignConfig, ApiError> {
    let config =
        CampaignConfig::from_json(json).map_err(|e| ApiError::InvalidBody(e.to_string()))?;
    if let Some(problem) = odds_problem(&config) {
        return Err(ApiError::InvalidBody(problem));
    }
    Ok(config)
}

/// Saves a campaign in one transaction with its audit row, if the revision expected is the one
/// stored.
pub fn save_campaign(
    conn: &mut Conn,
    merchant: &Merchant,
    config: &CampaignConfig,
    expect: Expect,
    now: Timestamp,
) -> Result<CampaignRecord, ApiError> {
    let mut tx = conn.transaction()?;
    let lock = format!(
        "SELECT revision FROM campaigns WHERE id = ?1{}",
        tx.for_update()
    );
    let current: Option<i64> = tx
        .query_opt(&lock, &params![&config.id])?
        .map(|row| row.get(0))
        .transpose()?;
    match (expect, current) {
        (Expect::New, Some(_)) => return Err(ApiError::CampaignExists),
        (Expect::Revision(expected), current) if current != Some(expected) => {
            return Err(match current {
                Some(current) => ApiError::StaleCampaign { current },
                None => ApiError::UnknownCampaign,
            });
        }
        _ => {}
    }
    let before = games::load_campaign(&mut tx, &config.id)?.map(|row| row.config);
    games::write_campaign(&mut tx, config)?;
    let saved = record(&mut tx, &config.id)?
        .ok_or_else(|| ApiError::Internal("the campaign just saved is gone".into()))?;
    audit::record(
        &mut tx,
        &merchant.actor,
        if before.is_some() {
            "campaign.update"
        } else {
            "campaign.create"
        },
        &config.id,
        serde_json::json!({
            "revision": saved.revision,
            "name": config.name,
            "state": saved.state,
            "changes": before.as_ref().map(|b| running_change_notes(b, config)),
        }),
        now,
    )?;
    tx.commit()?;
    Ok(saved)
}

/// `PUT /api/v1/admin/campaigns/{id}`: creates or replaces a campaign, its chances in
/// hundredths of a percent. `If-Match: <revision>` refuses (409) a form that another write has
/// overtaken; `If-None-Match: *` refuses to replace an existing campaign.
pub async fn put_campaign(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CampaignRecord>, ApiError> {
    let expect = expectation(&headers)?;
    let json = std::str::from_utf8(&body)
        .map_err(|_| ApiError::InvalidBody("the campaign must be UTF-8 JSON".into()))?;
    let config = validate_console_campaign(json)?;
    if config.id != campaign_id {
        return Err(ApiError::InvalidBody(format!(
            "the campaign's id ({}) is not the one in the path ({campaign_id})",
            config.id
        )));
    }
    state
        .db
        .run(move |conn| save_campaign(conn, &merchant, &config, expect, calendar::now()).map(Json))
        .await
}

/// The answers list's filters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    min_score: Option<u8>,
    max_score: Option<u8>,
    campaign: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// One page of answers matching the filters, newest first.
pub fn answers(conn: &mut Conn, query: &AnswerQuery) -> Result<AnswerPage, ApiError> {
    let kind = query.kind.as_deref().filter(|k| !k.is_empty());
    if kind.is_some_and(|k| !matches!(k, "nps" | "csat" | "review")) {
        return Err(ApiError::InvalidQuery(
            "type must be nps, csat or review".into(),
        ));
    }
    let status = query.status.as_deref().filter(|k| !k.is_empty());
    if status.is_some_and(|s| !matches!(s, "received" | "pending" | "published" | "rejected")) {
        return Err(ApiError::InvalidQuery(
            "status must be received, pending, published or rejected".into(),
        ));
    }
    let campaign = query.campaign.as_deref().filter(|c| !c.is_empty());
    if campaign.is_some_and(|c| !lojal::core::feedback::is_campaign(c)) {
        return Err(ApiError::InvalidQuery(
            "campaign must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'".into(),
        ));
    }
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(25);
    if page == 0 || !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::InvalidQuery(format!(
            "page counts from 1; per_page must be 1 to {MAX_PER_PAGE}"
        )));
    }
    let day = |value: &Option<String>, name: &str, default: &str| match value.as_deref() {
        None | Some("") => Ok(default.to_owned()),
        Some(v) if parse_day(v).is_some() => Ok(v.to_owned()),
        Some(v) => Err(ApiError::InvalidQuery(format!(
            "{name} must be a day written YYYY-MM-DD, not {v:?}"
        ))),
    };
    let from = day(&query.from, "from", "0000-01-01")?;
    let to = day(&query.to, "to", "9999-12-31")?;
    let filters = "(?1 = '' OR f.type = ?1) AND f.score >= ?2 AND f.score <= ?3
                   AND (?4 = '' OR f.campaign = ?4) AND (?5 = '' OR f.status = ?5)
                   AND substr(f.created_at, 1, 10) BETWEEN ?6 AND ?7";
    let values = params![
        kind.unwrap_or(""),
        query.min_score.unwrap_or(0),
        query.max_score.unwrap_or(10),
        campaign.unwrap_or(""),
        status.unwrap_or(""),
        &from,
        &to
    ];
    let total: u64 = conn
        .query_one(
            &format!("SELECT count(*) FROM feedback f WHERE {filters}"),
            &values,
        )?
        .get(0)?;
    let mut paged = values.to_vec();
    paged.push(per_page.into());
    paged.push((u64::from(page - 1) * u64::from(per_page)).into());
    let answers = conn
        .query(
            &format!(
                "SELECT f.id, f.type, f.score, f.title, f.text, f.product_id, p.title,
                        f.customer_id, f.campaign, f.status, f.created_at
                 FROM feedback f LEFT JOIN products p ON p.id = f.product_id
                 WHERE {filters} ORDER BY f.created_at DESC, f.id DESC LIMIT ?8 OFFSET ?9"
            ),
            &paged,
        )?
        .iter()
        .map(|row| {
            Ok(AnswerRow {
                id: row.get(0)?,
                kind: row.get(1)?,
                score: row.get(2)?,
                title: row.get(3)?,
                text: row.get(4)?,
                product_id: row.get(5)?,
                product_title: row.get(6)?,
                customer_id: row.get(7)?,
                campaign: row.get(8)?,
                status: row.get(9)?,
                created_at: row.get(10)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(AnswerPage {
        answers,
        total,
        page,
        per_page,
    })
}

/// `GET /api/v1/admin/feedback?type=&min_score=&max_score=&campaign=&status=&from=&to=&page=`.
pub async fn list_answers(
    State(state): State<AppState>,
    _merchant: Merchant,
    query: Result<Query<AnswerQuery>, QueryRejection>,
) -> Result<Json<AnswerPage>, ApiError> {
    let Query(query) = query?;
    state
        .db
        .run(move |conn| answers(conn, &query).map(Json))
        .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: String,
}

/// Customers whose id or email is `q`, or starts with it (case-insensitively for emails).
pub fn search(conn: &mut Conn, q: &str) -> Result<Vec<CustomerHit>, ApiError> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 128 || q.chars().any(char::is_control) {
        return Err(ApiError::InvalidQuery(
            "q must be 1 to 128 characters: an id or an email".into(),
        ));
    }
    let escaped: String = q
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let prefix = format!("{}%", escaped.to_lowercase());
    conn.query(
        "SELECT id, first_name, email FROM customers
         WHERE id = ?1 OR lower(email) = lower(?1)
            OR lower(id) LIKE ?2 ESCAPE '\\' OR lower(email) LIKE ?2 ESCAPE '\\'
         ORDER BY CASE WHEN id = ?1 OR lower(email) = lower(?1) THEN 0 ELSE 1 END, id
         LIMIT ?3",
        &params![q, prefix, MAX_HITS],
    )?
    .iter()
    .map(|row| {
        Ok(CustomerHit {
            id: row.get(0)?,
            first_name: row.get(1)?,
            email: row.get(2)?,
        })
    })
    .collect()
}

/// `GET /api/v1/admin/customers?q=`.
pub async fn search_customers(
    State(state): State<AppState>,
    _merchant: Merchant,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Json<Vec<CustomerHit>>, ApiError> {
    let Query(query) = query?;
    state
        .db
        .run(move |conn| search(conn, &query.q).map(Json))
        .await
}

/// A customer's balance, tier, ledger (newest first) and coupons; `None` for an unknown id.
pub fn customer(
    conn: &mut Conn,
    customer_id: &str,
    now: Timestamp,
) -> Result<Option<CustomerDetail>, ApiError> {
    let Some(row) = conn.query_opt(
        "SELECT id, first_name, email FROM customers WHERE id = ?1",
        &params![customer_id],
    )?
    else {
        return Ok(None);
    };
    let hit = CustomerHit {
        id: row.get(0)?,
        first_name: row.get(1)?,
        email: row.get(2)?,
    };
    let programme = crate::programme::load(conn)?;
    let balance = ledger::balance(conn, customer_id, now)?;
    let ledger = conn
        .query(
            "SELECT id, kind, points, tier_points, detail, available_at, created_at FROM ledger
             WHERE customer_id = ?1 ORDER BY id DESC LIMIT ?2",
            &params![customer_id, LEDGER_ROWS],
        )?
        .iter()
        .map(|row| {
            Ok(LedgerEntry {
                id: row.get(0)?,
                kind: row.get(1)?,
                points: row.get(2)?,
                tier_points: row.get(3)?,
                detail: row.get(4)?,
                available_at: row.get(5)?,
                created_at: row.get(6)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let mut coupons: Vec<CustomerCoupon> = conn
        .query(
            "SELECT code, reward_name, 'reward', status, created_at, expires_at FROM coupons
             WHERE customer_id = ?1
             UNION ALL
             SELECT code, prize, 'prize', status, created_at, expires_at FROM game_coupons
             WHERE player = ?2",
            &params![customer_id, format!("customer:{customer_id}")],
        )?
        .iter()
        .map(|row| {
            Ok(CustomerCoupon {
                code: row.get(0)?,
                name: row.get(1)?,
                source: row.get(2)?,
                status: row.get(3)?,
                created_at: row.get(4)?,
                expires_at: row.get(5)?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    coupons.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.code.cmp(&b.code)));
    Ok(Some(CustomerDetail {
        customer: hit,
        points: balance.points,
        pending_points: balance.pending,
        tier_points: balance.tier_points,
        tier: programme
            .config
            .tier_for(balance.tier_points)
            .map(|t| t.name.clone()),
        ledger,
        coupons,
    }))
}

/// `GET /api/v1/admin/customers/{id}`.
pub async fn get_customer(
    State(state): State<AppState>,
    _merchant: Merchant,
    Path(customer_id): Path<String>,
) -> Result<Json<CustomerDetail>, ApiError> {
    state
        .db
        .run(move |conn| {
            customer(conn, &customer_id, calendar::now())?
                .map(Json)
                .ok_or(ApiError::UnknownCustomer)
        })
        .await
}

/// Adds or takes points by hand, with the reason in the ledger row and the audit log, in one
/// transaction that holds the customer's row. The spendable balance never goes below zero;
/// tier points are not touched (tiers follow what was earned). With the same idempotency key
/// twice, the adjustment is made once.
pub fn adjust(
    conn: &mut Conn,
    merchant: &Merchant,
    customer_id: &str,
    adjustment: &Adjustment,
    key: &str,
    now: Timestamp,
) -> Result<CustomerDetail, ApiError> {
    let mut tx = conn.transaction()?;
    if !ledger::lock_customer(&mut tx, customer_id)? {
        return Err(ApiError::UnknownCustomer);
    }
    let source = format!("adjust:{key}");
    let done_before = tx
        .query_opt(
            "SELECT points, detail FROM ledger WHERE customer_id = ?1 AND source = ?2",
            &params![customer_id, &source],
        )?
        .map(|row| -> Result<(i64, Option<String>), ApiError> { Ok((row.get(0)?, row.get(1)?)) })
        .transpose()?;
    match done_before {
        Some((points, detail))
            if points == adjustment.points
                && detail.as_deref() == Some(adjustment.reason.trim()) => {}
        Some(_) => return Err(ApiError::IdempotencyKeyReused),
        None => {
            let balance = ledger::balance(&mut tx, customer_id, now)?;
            if adjustment.points < 0 && balance.points < adjustment.points.unsigned_abs() {
                return Err(ApiError::InsufficientPoints {
                    message: format!(
                        "the customer has {} points; {} cannot be taken",
                        balance.points,
                        adjustment.points.unsigned_abs()
                    ),
                });
            }
            ledger::record(
                &mut tx,
                &Entry {
                    customer_id,
                    kind: Kind::Adjust,
                    points: adjustment.points,
                    tier_points: 0,
                    source,
                    detail: Some(adjustment.reason.trim().to_owned()),
                    shortfall: 0,
                    available_at: now,
                },
                now,
            )?;
            audit::record(
                &mut tx,
                &merchant.actor,
                "points.adjust",
                customer_id,
                serde_json::json!({
                    "points": adjustment.points,
                    "reason": adjustment.reason.trim(),
                    "balance_before": balance.points,
                }),
                now,
            )?;
        }
    }
    let detail = customer(&mut tx, customer_id, now)?.ok_or(ApiError::UnknownCustomer)?;
    tx.commit()?;
    Ok(detail)
}

/// `POST /api/v1/admin/customers/{id}/adjustments` `{"points": -50, "reason": "…"}` with an
/// `idempotency-key`: 201 with the customer as she is now.
pub async fn post_adjustment(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<Adjustment>, JsonRejection>,
) -> Result<(StatusCode, Json<CustomerDetail>), ApiError> {
    let key = idempotency_key(&headers)?.ok_or(ApiError::MissingIdempotencyKey)?;
    let Json(adjustment) = body?;
    if let Some(problem) = adjustment.problem() {
        return Err(ApiError::InvalidBody(problem));
    }
    state
        .db
        .run(move |conn| {
            adjust(
                conn,
                &merchant,
                &customer_id,
                &adjustment,
                &key,
                calendar::now(),
            )
            .map(|detail| (StatusCode::CREATED, Json(detail)))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_defaults_to_the_last_thirty_days_and_is_checked() {
        let q = |from: Option<&str>, to: Option<&str>| PeriodQuery {
            from: from.map(Into::into),
            to: to.map(Into::into),
        };
        assert_eq!(
            period(&q(None, None), "2026-12-02").unwrap(),
            ("2026-11-03".into(), "2026-12-02".into())
        );
        assert_eq!(
            period(&q(Some("2026-01-01"), Some("2026-01-31")), "2026-12-02").unwrap(),
            ("2026-01-01".into(), "2026-01-31".into())
        );
        assert!(period(&q(Some("2026-02-01"), Some("2026-01-31")), "2026-12-02").is_err());
        assert!(period(&q(Some("2026-02-30"), None), "2026-12-02").is_err());
        assert!(period(&q(Some("2020-01-01"), Some("2026-01-01")), "2026-12-02").is_err());
    }
}
