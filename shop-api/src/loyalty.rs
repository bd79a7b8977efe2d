//! `/api/v1/loyalty`: the programme, a shopper's status (from the ledger), redeeming points
//! for a coupon, and the birthday she sets in the badge.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use jiff::Timestamp;
use lojal::core::loyalty::{
    Birthday, BirthdayRequest, Coupon, Expiring, LoyaltyStatus, Program, RedeemRequest,
    RedeemResponse, Referral, Reward, Tier, is_day_of_year,
};
use lojal::core::programme::{EarnKind, RewardConfig, TierConfig};
use lojal::core::wire::{IDEMPOTENCY_HEADER, SIGNATURE_HEADER};

use crate::AppState;
use crate::calendar;
use crate::coupon;
use crate::db::{Conn, DbError, Row};
use crate::error::ApiError;
use crate::ledger::{self, Entry, Kind};
use crate::params;
use crate::programme::{self, Programme};
use crate::{jobs, referrals};

/// Generous, but bounded: the badge never shows more than this many rewards.
const MAX_REWARDS: usize = lojal::core::loyalty::MAX_REWARDS;
/// Ledger rows the badge lists.
const ACTIVITY_ROWS: usize = 10;
/// A birthday may be changed this long after it was last set.
const BIRTHDAY_LOCK_DAYS: i64 = 365;
/// Her newest coupons the status lists: enough for every reward of a busy season.
const STATUS_COUPONS: usize = 10;
/// Her newest coupons that have not expired (?1 the customer, ?2 now, ?3 how many), in an
/// order `coupons_by_customer` gives itself (`tests/plans.rs`).
pub const STATUS_COUPONS_SQL: &str =
    "SELECT code, reward_id, reward_name, expires_at, status, ticket FROM coupons
     WHERE customer_id = ?1 AND expires_at > ?2
     ORDER BY created_at DESC, code LIMIT ?3";

pub async fn program(State(state): State<AppState>) -> Result<Json<Program>, ApiError> {
    state.db.run(|conn| Ok(Json(load_program(conn)?))).await
}

pub async fn status(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<LoyaltyStatus>, ApiError> {
    authenticate(&state, &customer_id, &headers)?;
    status_of(&state, customer_id, None).await.map(Json)
}

/// Her status, read on a reader connection with the programme given (or loaded). Her referral
/// code is made the first time she needs it; that is a write, so it goes to the writer: on a
/// reader, SQLite would make it wait for the writer's lock in its busy handler, for seconds
/// under load.
async fn status_of(
    state: &AppState,
    customer_id: String,
    programme: Option<Programme>,
) -> Result<LoyaltyStatus, ApiError> {
    let read = |customer_id: String, programme: Option<Programme>| {
        state.db.run(move |conn| {
            let programme = match programme {
                Some(programme) => programme,
                None => programme::load(conn)?,
            };
            let mut snapshot = conn.snapshot()?;
            let read = load_status_with(&mut snapshot, &programme, &customer_id, calendar::now())?;
            Ok::<_, ApiError>((read, programme))
        })
    };
    let (found, programme) = read(customer_id.clone(), programme).await?;
    let found = match found {
        Read::NoReferralCode => {
            let id = customer_id.clone();
            state
                .db
                .write(move |conn| referrals::code_of(conn, &id))
                .await?
                .ok_or(ApiError::UnknownCustomer)?;
            read(customer_id, Some(programme)).await?.0
        }
        found => found,
    };
    found.status().ok_or(ApiError::UnknownCustomer)
}

pub async fn redeem(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RedeemRequest>, JsonRejection>,
) -> Result<Json<RedeemResponse>, ApiError> {
    // Identity first: a stranger learns nothing about the body rules or the customer.
    authenticate(&state, &customer_id, &headers)?;
    let idempotency_key = idempotency_key(&headers)?;
    let Json(request) = body?;
    if request.reward_id.is_empty() || request.reward_id.len() > 100 {
        return Err(ApiError::InvalidBody(
            "reward_id must be 1 to 100 characters".into(),
        ));
    }
    let provider = state.provider.clone();
    let who = customer_id.clone();
    let redeemed = state
        .db
        .write(move |conn| {
            let programme = programme::load(conn)?;
            let coupon = redeem_in_transaction(
                conn,
                &programme,
                &provider,
                &who,
                &request.reward_id,
                idempotency_key.as_deref(),
            )?;
            Ok::<_, ApiError>((coupon, programme))
        })
        .await;
    let (coupon, programme) = redeemed?;
    // Her new status is read once the redemption is committed, outside the write lock (or the
    // customer's row lock), which it would otherwise hold for half a dozen more queries.
    let status = status_of(&state, customer_id, Some(programme)).await?;
    Ok(Json(RedeemResponse { coupon, status }))
}

pub(crate) fn authenticate(
    state: &AppState,
    customer_id: &str,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    state
        .secret
        .verify(customer_id, signature)
        .map_err(ApiError::InvalidSignature)
}

pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::InvalidIdempotencyKey)?;
    let valid = (8..=100).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(Some(key.to_owned()))
    } else {
        Err(ApiError::InvalidIdempotencyKey)
    }
}

/// Spends the points on a coupon (or finds the coupon an earlier try with the same key made).
fn redeem_in_transaction(
    conn: &mut Conn,
    programme: &Programme,
    provider: &crate::providers::Provider,
    customer_id: &str,
    reward_id: &str,
    idempotency_key: Option<&str>,
) -> Result<Coupon, ApiError> {
    let now = calendar::now();
    // The customer's row is read first and locked (BEGIN IMMEDIATE on SQLite, FOR UPDATE on
    // PostgreSQL), so two concurrent redemptions cannot both spend the same points, and a
    // retried request finds the coupon its first attempt committed.
    let mut tx = conn.transaction()?;
    let sql = format!(
        "SELECT first_name, email FROM customers WHERE id = ?1{}",
        tx.for_update()
    );
    let customer = tx
        .query_opt(&sql, &params![customer_id])?
        .ok_or(ApiError::UnknownCustomer)?;
    let first_name: Option<String> = customer.get(0)?;
    let email: Option<String> = customer.get(1)?;

    if let Some(key) = idempotency_key {
        let earlier = tx.query_opt(
            "SELECT code, reward_id, reward_name, expires_at, status, ticket FROM coupons
             WHERE customer_id = ?1 AND idempotency_key = ?2",
            &params![customer_id, key],
        )?;
        if let Some(row) = earlier {
            let coupon = coupon_from_row(&row)?;
            if coupon.reward_id != reward_id {
                return Err(ApiError::IdempotencyKeyReused);
            }
            return Ok(coupon);
        }
    }

    let offered = programme
        .config
        .rewards
        .iter()
        .find(|reward| reward.id == reward_id)
        .ok_or(ApiError::UnknownReward)?;
    let (kind, amount) = (offered.kind.as_str().to_owned(), offered.amount);
    let reward = reward_of(offered);
    let points = ledger::spendable(&mut tx, customer_id, now)?;
    if points < reward.cost {
        let who = first_name.unwrap_or_else(|| "This customer".into());
        return Err(ApiError::InsufficientPoints {
            message: format!(
                "{who} has {points} points; {} costs {}, {} more are needed",
                reward.name,
                reward.cost,
                reward.cost - points
            ),
        });
    }

    let valid_days = i64::from(programme.config.coupon_valid_days);
    let mut coupon = insert_coupon(
        &mut tx,
        customer_id,
        &reward,
        (&kind, amount),
        idempotency_key,
        now,
        valid_days,
    )?;
    let spec = crate::providers::CouponSpec {
        table: "coupons".into(),
        code: coupon.code.clone(),
        title: format!("lojal: {}", reward.name),
        kind,
        amount,
        currency: programme.config.currency.clone(),
        customer_id: Some(customer_id.to_owned()),
        email,
        starts_at: calendar::text(now),
        expires_at: coupon.expires_at.clone(),
    };
    let code = coupon.code.clone();
    if let crate::payout::Issued::Pending { ticket } =
        crate::payout::after_insert(&mut tx, provider, crate::payout::Table::Coupons, &spec, now)?
    {
        coupon.status = "pending".into();
        coupon.ticket = Some(ticket);
        // Withheld until the shop's checkout takes it.
        coupon.code = String::new();
    }
    ledger::record(
        &mut tx,
        &Entry {
            customer_id,
            kind: Kind::Redeem,
            points: -(reward.cost as i64),
            tier_points: 0,
            source: format!("redeem:{code}"),
            detail: Some(reward.name.clone()),
            shortfall: 0,
            available_at: now,
        },
        now,
    )?;
    tx.commit()?;
    Ok(coupon)
}

fn insert_coupon(
    conn: &mut Conn,
    customer_id: &str,
    reward: &Reward,
    (discount_kind, discount_amount): (&str, Option<u64>),
    idempotency_key: Option<&str>,
    now: Timestamp,
    valid_days: i64,
) -> Result<Coupon, ApiError> {
    let expires_at = calendar::text(calendar::plus_days(now, valid_days));
    // A clash among 31⁸ codes is rare; a few fresh draws make it practically impossible.
    for _ in 0..5 {
        let code = coupon::new_code();
        let inserted = conn.query_opt(
            "INSERT INTO coupons (code, customer_id, reward_id, reward_name, cost, idempotency_key,
                                  created_at, expires_at, discount_kind, discount_amount)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (code) DO NOTHING
             RETURNING code, reward_id, reward_name, expires_at, status, ticket",
            &params![
                code,
                customer_id,
                &reward.id,
                &reward.name,
                reward.cost,
                idempotency_key,
                calendar::text(now),
                &expires_at,
                discount_kind,
                discount_amount
            ],
        )?;
        if let Some(row) = inserted {
            return Ok(coupon_from_row(&row)?);
        }
    }
    Err(ApiError::Internal(
        "five coupon codes in a row already existed".into(),
    ))
}

/// A coupon from `code, reward_id, reward_name, expires_at, status, ticket`; its code only
/// once the shop's checkout takes it.
fn coupon_from_row(row: &Row) -> Result<Coupon, DbError> {
    let status: String = row.get(4)?;
    Ok(Coupon {
        code: if status == "active" {
            row.get(0)?
        } else {
            String::new()
        },
        reward_id: row.get(1)?,
        reward_name: row.get(2)?,
        expires_at: row.get(3)?,
        status,
        ticket: row.get(5)?,
    })
}

// Tiers and rewards come from the programme in force, which the `tiers` and `rewards` tables
// only mirror (for the merchant's own SQL): one query fewer each, and never out of step.

fn reward_of(reward: &RewardConfig) -> Reward {
    Reward {
        id: reward.id.clone(),
        name: reward.name.clone(),
        cost: reward.cost,
    }
}

fn tier_of(tier: &TierConfig) -> Tier {
    Tier {
        id: tier.id.clone(),
        name: tier.name.clone(),
        min_points: tier.min_points,
    }
}

pub fn load_program(conn: &mut Conn) -> Result<Program, ApiError> {
    let programme = programme::load(conn)?;
    let row = conn.query_one(
        "SELECT name, signup_bonus, signup_url FROM program WHERE id = 1",
        &[],
    )?;
    let mut tiers: Vec<Tier> = programme.config.tiers.iter().map(tier_of).collect();
    tiers.sort_by_key(|tier| tier.min_points);
    Ok(Program {
        name: row.get(0)?,
        signup_bonus: row.get(1)?,
        signup_url: row.get(2)?,
        tiers,
        ways_to_earn: programme.ways_to_earn(),
        currency: Some(programme.config.currency.clone()),
    })
}

/// A shopper's balance, tier, next tier and the rewards on offer (cheapest first), pending
/// and expiring points, her latest activity and how to earn more, at `now`; `None` for an
/// unknown id.
pub fn load_status(
    conn: &mut Conn,
    customer_id: &str,
    now: Timestamp,
) -> Result<Option<LoyaltyStatus>, ApiError> {
    let programme = programme::load(conn)?;
    // Half a dozen queries: one snapshot makes them agree, and on SQLite spares each of them a
    // cold page cache when a write commits meanwhile.
    let read = |conn: &mut Conn| {
        let mut snapshot = conn.snapshot()?;
        load_status_with(&mut snapshot, &programme, customer_id, now)
    };
    match read(conn)? {
        // Her referral code is made the first time she needs it: a write, so outside the
        // snapshot, and only then (every later read finds it in her row).
        Read::NoReferralCode => match referrals::code_of(conn, customer_id)? {
            Some(_) => Ok(read(conn)?.status()),
            None => Ok(None),
        },
        found => Ok(found.status()),
    }
}

/// What one read of her status found.
enum Read {
    Status(Box<LoyaltyStatus>),
    NoCustomer,
    /// The programme has referrals and she has no code yet.
    NoReferralCode,
}

impl Read {
    fn status(self) -> Option<LoyaltyStatus> {
        match self {
            Read::Status(status) => Some(*status),
            Read::NoCustomer | Read::NoReferralCode => None,
        }
    }
}

fn load_status_with(
    conn: &mut Conn,
    programme: &Programme,
    customer_id: &str,
    now: Timestamp,
) -> Result<Read, ApiError> {
    // Her referral code and the friends it converted come with her row: on PostgreSQL each
    // query is a round trip.
    let Some(row) = conn.query_opt(
        "SELECT first_name, birthday_month, birthday_day, birthday_set_at, referral_code,
                (SELECT COUNT(*) FROM referrals
                 WHERE referrer_id = ?1 AND converted_at IS NOT NULL)
         FROM customers WHERE id = ?1",
        &params![customer_id],
    )?
    else {
        return Ok(Read::NoCustomer);
    };
    let referral_code: Option<String> = row.get(4)?;
    let converted: u64 = row.get(5)?;
    let first_name: Option<String> = row.get(0)?;
    let birthday_set_at: Option<String> = row.get(3)?;
    let birthday = match (row.get::<Option<u8>>(1)?, row.get::<Option<u8>>(2)?) {
        (Some(month), Some(day)) => Some(Birthday {
            month,
            day,
            changeable_from: birthday_set_at
                .as_deref()
                .map(calendar::parse)
                .transpose()?
                .map(|at| calendar::plus_days(at, BIRTHDAY_LOCK_DAYS))
                .filter(|from| *from > now)
                .map(calendar::text),
        }),
        _ => None,
    };
    let balance = ledger::balance(conn, customer_id, now)?;
    let tier_points = balance.tier_points;
    let tiers = &programme.config.tiers;
    let tier = tiers
        .iter()
        .filter(|tier| tier.min_points <= tier_points)
        .max_by_key(|tier| tier.min_points)
        .map(tier_of)
        .ok_or_else(|| ApiError::Internal("no tier starts at 0 points".into()))?;
    let next_tier = tiers
        .iter()
        .filter(|tier| tier.min_points > tier_points)
        .min_by_key(|tier| tier.min_points)
        .map(tier_of);
    let mut rewards: Vec<Reward> = programme.config.rewards.iter().map(reward_of).collect();
    rewards.sort_by(|a, b| (a.cost, &a.id).cmp(&(b.cost, &b.id)));
    rewards.truncate(MAX_REWARDS);
    let expiring = match (&balance.last_activity, balance.points) {
        (Some(last), 1..) => jobs::expires_at(programme, last).map(|at| Expiring {
            points: balance.points,
            at: calendar::text(at),
        }),
        _ => None,
    };
    let referral = match (programme.config.way(EarnKind::Referral), referral_code) {
        (Some(_), None) => return Ok(Read::NoReferralCode),
        (Some(way), Some(code)) => Some(Referral {
            code,
            points: way.points.unwrap_or(0),
            friend_reward: way
                .friend_reward
                .as_ref()
                .map(programme::offer)
                .ok_or_else(|| ApiError::Internal("a referral without a friend reward".into()))?,
            min_order: way.min_order.unwrap_or(0),
            converted,
        }),
        (None, _) => None,
    };
    let birthday_points = programme.config.points_for(EarnKind::Birthday);
    let coupons = conn
        .query(
            STATUS_COUPONS_SQL,
            &params![customer_id, calendar::text(now), STATUS_COUPONS],
        )?
        .iter()
        .map(coupon_from_row)
        .collect::<Result<_, _>>()?;
    Ok(Read::Status(Box::new(LoyaltyStatus {
        customer_id: customer_id.to_owned(),
        first_name,
        points: balance.points,
        tier_points,
        points_to_next: next_tier
            .as_ref()
            .map_or(0, |next: &Tier| next.min_points - tier_points),
        tier,
        next_tier,
        rewards,
        pending_points: balance.pending,
        pending_until: balance.pending_until,
        expiring,
        activity: ledger::activity(conn, customer_id, now, ACTIVITY_ROWS)?,
        ways_to_earn: programme.ways_to_earn(),
        currency: Some(programme.config.currency.clone()),
        birthday: birthday.filter(|_| birthday_points > 0),
        birthday_points,
        referral,
        coupons,
    })))
}

/// `PUT /api/v1/loyalty/{customer_id}/birthday`: she sets her birthday once; changing it is
/// refused for a year after it was last set.
pub async fn set_birthday(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<BirthdayRequest>, JsonRejection>,
) -> Result<Json<LoyaltyStatus>, ApiError> {
    authenticate(&state, &customer_id, &headers)?;
    let Json(request) = body?;
    if !is_day_of_year(request.month, request.day) {
        return Err(ApiError::InvalidBody(format!(
            "{}/{} is not a day of the year: send month 1 to 12 and a day that month has",
            request.day, request.month
        )));
    }
    state
        .db
        .write(move |conn| {
            birthday_in_transaction(conn, &customer_id, &request, calendar::now()).map(Json)
        })
        .await
}

pub fn birthday_in_transaction(
    conn: &mut Conn,
    customer_id: &str,
    request: &BirthdayRequest,
    now: Timestamp,
) -> Result<LoyaltyStatus, ApiError> {
    let programme = programme::load(conn)?;
    if programme.config.points_for(EarnKind::Birthday) == 0 {
        return Err(ApiError::BirthdayNotOffered);
    }
    let mut tx = conn.transaction()?;
    let sql = format!(
        "SELECT birthday_month, birthday_day, birthday_set_at FROM customers WHERE id = ?1{}",
        tx.for_update()
    );
    let row = tx
        .query_opt(&sql, &params![customer_id])?
        .ok_or(ApiError::UnknownCustomer)?;
    let current = (row.get::<Option<u8>>(0)?, row.get::<Option<u8>>(1)?);
    let set_at: Option<String> = row.get(2)?;
    if current != (Some(request.month), Some(request.day)) {
        if let Some(set_at) = set_at {
            let from = calendar::plus_days(calendar::parse(&set_at)?, BIRTHDAY_LOCK_DAYS);
            if from > now {
                return Err(ApiError::BirthdayLocked {
                    changeable_from: calendar::text(from),
                });
            }
        }
        tx.execute(
            "UPDATE customers SET birthday_month = ?2, birthday_day = ?3, birthday_set_at = ?4
             WHERE id = ?1",
            &params![customer_id, request.month, request.day, calendar::text(now)],
        )?;
    }
    if programme.config.way(EarnKind::Referral).is_some() {
        referrals::code_of(&mut tx, customer_id)?;
    }
    let status = load_status_with(&mut tx, &programme, customer_id, now)?
        .status()
        .ok_or(ApiError::UnknownCustomer)?;
    tx.commit()?;
    Ok(status)
}
