//! `/api/v1/loyalty`: the programme, a shopper's status, and redeeming points for a coupon.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use lojal::core::loyalty::{
    Coupon, LoyaltyStatus, Program, RedeemRequest, RedeemResponse, Reward, Tier,
};
use lojal::core::wire::{IDEMPOTENCY_HEADER, SIGNATURE_HEADER};

use crate::AppState;
use crate::coupon;
use crate::db::{Conn, DbError, Row};
use crate::error::ApiError;
use crate::params;

/// How long a coupon stays valid, as an SQLite date modifier.
const COUPON_VALIDITY: &str = "+30 days";
/// Generous, but bounded: the badge never shows more than this many rewards.
const MAX_REWARDS: usize = lojal::core::loyalty::MAX_REWARDS;

pub async fn program(State(state): State<AppState>) -> Result<Json<Program>, ApiError> {
    state.db.run(|conn| Ok(Json(load_program(conn)?))).await
}

pub async fn status(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<LoyaltyStatus>, ApiError> {
    authenticate(&state, &customer_id, &headers)?;
    state
        .db
        .run(move |conn| {
            load_status(conn, &customer_id)?
                .map(Json)
                .ok_or(ApiError::UnknownCustomer)
        })
        .await
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
    state
        .db
        .run(move |conn| {
            redeem_in_transaction(
                conn,
                &customer_id,
                &request.reward_id,
                idempotency_key.as_deref(),
            )
        })
        .await
        .map(Json)
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

fn redeem_in_transaction(
    conn: &mut Conn,
    customer_id: &str,
    reward_id: &str,
    idempotency_key: Option<&str>,
) -> Result<RedeemResponse, ApiError> {
    // The customer's row is read first and locked (BEGIN IMMEDIATE on SQLite, FOR UPDATE on
    // PostgreSQL), so two concurrent redemptions cannot both spend the same points, and a
    // retried request finds the coupon its first attempt committed.
    let mut tx = conn.transaction()?;
    let sql = format!(
        "SELECT first_name, points FROM customers WHERE id = ?1{}",
        tx.for_update()
    );
    let customer = tx
        .query_opt(&sql, &params![customer_id])?
        .ok_or(ApiError::UnknownCustomer)?;
    let (first_name, points): (Option<String>, u64) = (customer.get(0)?, customer.get(1)?);

    if let Some(key) = idempotency_key {
        let earlier = tx.query_opt(
            "SELECT code, reward_id, reward_name, expires_at FROM coupons
             WHERE customer_id = ?1 AND idempotency_key = ?2",
            &params![customer_id, key],
        )?;
        if let Some(row) = earlier {
            let coupon = coupon_from_row(&row)?;
            if coupon.reward_id != reward_id {
                return Err(ApiError::IdempotencyKeyReused);
            }
            let status = load_status(&mut tx, customer_id)?.ok_or(ApiError::UnknownCustomer)?;
            return Ok(RedeemResponse { coupon, status });
        }
    }

    let reward = tx
        .query_opt(
            "SELECT id, name, cost FROM rewards WHERE id = ?1 AND active = 1",
            &params![reward_id],
        )?
        .as_ref()
        .map(reward_from_row)
        .transpose()?
        .ok_or(ApiError::UnknownReward)?;
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

    tx.execute(
        "UPDATE customers SET points = points - ?2 WHERE id = ?1",
        &params![customer_id, reward.cost],
    )?;
    let coupon = insert_coupon(&mut tx, customer_id, &reward, idempotency_key)?;
    let status = load_status(&mut tx, customer_id)?.ok_or(ApiError::UnknownCustomer)?;
    tx.commit()?;
    Ok(RedeemResponse { coupon, status })
}

fn insert_coupon(
    conn: &mut Conn,
    customer_id: &str,
    reward: &Reward,
    idempotency_key: Option<&str>,
) -> Result<Coupon, ApiError> {
    // A clash among 31⁸ codes is rare; a few fresh draws make it practically impossible.
    for _ in 0..5 {
        let code = coupon::new_code();
        let inserted = conn.query_opt(
            "INSERT INTO coupons (code, customer_id, reward_id, reward_name, cost, idempotency_key, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?7))
             ON CONFLICT (code) DO NOTHING
             RETURNING code, reward_id, reward_name, expires_at",
            &params![
                code,
                customer_id,
                &reward.id,
                &reward.name,
                reward.cost,
                idempotency_key,
                COUPON_VALIDITY
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

fn coupon_from_row(row: &Row) -> Result<Coupon, DbError> {
    Ok(Coupon {
        code: row.get(0)?,
        reward_id: row.get(1)?,
        reward_name: row.get(2)?,
        expires_at: row.get(3)?,
    })
}

fn reward_from_row(row: &Row) -> Result<Reward, DbError> {
    Ok(Reward {
        id: row.get(0)?,
        name: row.get(1)?,
        cost: row.get(2)?,
    })
}

fn tier_from_row(row: &Row) -> Result<Tier, DbError> {
    Ok(Tier {
        id: row.get(0)?,
        name: row.get(1)?,
        min_points: row.get(2)?,
    })
}

pub fn load_program(conn: &mut Conn) -> Result<Program, ApiError> {
    let row = conn.query_one(
        "SELECT name, signup_bonus, signup_url FROM program WHERE id = 1",
        &[],
    )?;
    let tiers = conn
        .query(
            "SELECT id, name, min_points FROM tiers ORDER BY min_points",
            &[],
        )?
        .iter()
        .map(tier_from_row)
        .collect::<Result<_, _>>()?;
    Ok(Program {
        name: row.get(0)?,
        signup_bonus: row.get(1)?,
        signup_url: row.get(2)?,
        tiers,
        ways_to_earn: Vec::new(),
        currency: None,
    })
}

/// A shopper's balance, tier, next tier and the rewards on offer (cheapest first), or `None`
/// for an unknown id.
pub fn load_status(conn: &mut Conn, customer_id: &str) -> Result<Option<LoyaltyStatus>, ApiError> {
    let Some(row) = conn.query_opt(
        "SELECT first_name, points, tier_points FROM customers WHERE id = ?1",
        &params![customer_id],
    )?
    else {
        return Ok(None);
    };
    let (first_name, points, tier_points): (Option<String>, u64, u64) =
        (row.get(0)?, row.get(1)?, row.get(2)?);
    let tier = conn
        .query_opt(
            "SELECT id, name, min_points FROM tiers WHERE min_points <= ?1 ORDER BY min_points DESC LIMIT 1",
            &params![tier_points],
        )?
        .as_ref()
        .map(tier_from_row)
        .transpose()?
        .ok_or_else(|| ApiError::Internal("no tier starts at 0 points".into()))?;
    let next_tier = conn
        .query_opt(
            "SELECT id, name, min_points FROM tiers WHERE min_points > ?1 ORDER BY min_points LIMIT 1",
            &params![tier_points],
        )?
        .as_ref()
        .map(tier_from_row)
        .transpose()?;
    let rewards = conn
        .query(
            "SELECT id, name, cost FROM rewards WHERE active = 1 ORDER BY cost, id LIMIT ?1",
            &params![MAX_REWARDS],
        )?
        .iter()
        .map(reward_from_row)
        .collect::<Result<_, _>>()?;
    Ok(Some(LoyaltyStatus {
        customer_id: customer_id.to_owned(),
        first_name,
        points,
        tier_points,
        points_to_next: next_tier
            .as_ref()
            .map_or(0, |next: &Tier| next.min_points - tier_points),
        tier,
        next_tier,
        rewards,
        pending_points: 0,
        pending_until: None,
        expiring: None,
        activity: Vec::new(),
        ways_to_earn: Vec::new(),
        currency: None,
        birthday: None,
        birthday_points: 0,
        referral: None,
    }))
}
