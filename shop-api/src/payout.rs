//! Paying out a coupon: a reward's, a game prize's or a referred friend's code is written with
//! the change that earns it and, when the shop has a coupon provider, stays `pending` (its
//! code withheld from the shopper) until the provider has created it at the shop's checkout.
//! The `coupon.create` job that does so is queued in the same transaction. A provider that
//! refuses for good fails the coupon with the reason, and a reward's points come back in a
//! ledger row; a provider that does not answer is retried from the queue with backoff and
//! `Retry-After`, for up to three days.

use axum::Json;
use axum::extract::{Path, State};
use jiff::Timestamp;
use lojal::core::loyalty::CouponState;
use serde_json::json;

use crate::AppState;
use crate::calendar;
use crate::db::{Conn, DbError};
use crate::error::ApiError;
use crate::ledger::{self, Entry, Kind};
use crate::outbound;
use crate::params;
use crate::providers::{self, CouponSpec, Created, Provider};
use crate::queue::{self, Job, NewJob, Outcome};

/// How long the queue keeps asking a provider that does not answer.
const GIVE_UP_AFTER_DAYS: i64 = 3;

/// The tables coupons live in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// A reward paid with points.
    Coupons,
    /// A game prize.
    GameCoupons,
    /// A referred friend's reward.
    Referrals,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Self::Coupons => "coupons",
            Self::GameCoupons => "game_coupons",
            Self::Referrals => "referrals",
        }
    }

    fn code_column(self) -> &'static str {
        match self {
            Self::Referrals => "coupon_code",
            _ => "code",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [Self::Coupons, Self::GameCoupons, Self::Referrals]
            .into_iter()
            .find(|t| t.name() == name)
    }
}

/// A 128-bit random ticket: the shopper's browser asks about a pending coupon with it.
fn new_ticket() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    hex::encode(bytes)
}

/// How a coupon just written stands, for the answer to the shopper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Issued {
    Active,
    Pending { ticket: String },
}

/// Run right after a coupon row is inserted in `tx`, its discount with it: with no provider (or a prize without a
/// discount, which the shop honours by hand) the coupon is active and `coupon.issued` is
/// emitted; otherwise it is pending and its creation is queued.
pub fn after_insert(
    tx: &mut Conn,
    provider: &Provider,
    table: Table,
    spec: &CouponSpec,
    now: Timestamp,
) -> Result<Issued, DbError> {
    let code = table.code_column();
    if !provider.is_external() || spec.kind.is_empty() {
        outbound::emit(tx, "coupon.issued", coupon_event(spec), now)?;
        return Ok(Issued::Active);
    }
    let ticket = new_ticket();
    let ticket_column = if table == Table::Referrals {
        ""
    } else {
        ", ticket = ?2"
    };
    tx.execute(
        &format!(
            "UPDATE {} SET status = 'pending'{ticket_column} WHERE {code} = ?1",
            table.name()
        ),
        &if table == Table::Referrals {
            params![&spec.code].to_vec()
        } else {
            params![&spec.code, &ticket].to_vec()
        },
    )?;
    queue::enqueue(
        tx,
        &NewJob {
            kind: "coupon.create",
            key: format!("coupon:{}", spec.code),
            ordering: None,
            payload: serde_json::to_value(spec).unwrap_or_default(),
        },
        now,
    )?;
    Ok(Issued::Pending { ticket })
}

fn coupon_event(spec: &CouponSpec) -> serde_json::Value {
    json!({
        "code": spec.code,
        "for": match spec.table.as_str() {
            "coupons" => "reward",
            "game_coupons" => "prize",
            _ => "referral",
        },
        "title": spec.title,
        "kind": spec.kind,
        "amount": spec.amount,
        "currency": spec.currency,
        "customer_id": spec.customer_id,
        "email": spec.email,
        "expires_at": spec.expires_at,
    })
}

/// Works one `coupon.create` job.
pub async fn work(state: &AppState, job: &Job) -> Result<Outcome, ApiError> {
    let spec: CouponSpec = serde_json::from_value(job.payload.clone())
        .map_err(|e| ApiError::Internal(format!("coupon job {}: {e}", job.id)))?;
    let Some(table) = Table::parse(&spec.table) else {
        return Ok(Outcome::GiveUp(format!(
            "unknown coupon table {}",
            spec.table
        )));
    };
    let now = calendar::now();
    let created = providers::create(&state.egress, &state.provider, &spec, now).await;
    let started = {
        let key = job.key.clone();
        state
            .db
            .run(move |conn| -> Result<String, ApiError> {
                Ok(conn
                    .query_one(
                        "SELECT created_at FROM work_queue WHERE job_key = ?1",
                        &params![&key],
                    )?
                    .get(0)?)
            })
            .await?
    };
    let give_up_at = calendar::plus_days(calendar::parse(&started)?, GIVE_UP_AFTER_DAYS);
    let (outcome, result) = match created {
        Created::Yes { reference } => (Outcome::Done, Ok(reference)),
        Created::Refused { why } => (Outcome::GiveUp(why.clone()), Err(why)),
        Created::NotYet { why, .. } if now >= give_up_at => {
            let why = format!(
                "the shop's platform did not take the coupon in {GIVE_UP_AFTER_DAYS} days: {why}"
            );
            (Outcome::GiveUp(why.clone()), Err(why))
        }
        Created::NotYet { why, retry_after } => {
            let at = now + queue::backoff_from(state.backoff_base, job.attempts, retry_after);
            return Ok(Outcome::RetryAt(at, why));
        }
    };
    state
        .db
        .write(move |conn| settle(conn, table, &spec, result, calendar::now()))
        .await?;
    Ok(outcome)
}

/// The provider's last word on a pending coupon: active, or failed with the points back.
fn settle(
    conn: &mut Conn,
    table: Table,
    spec: &CouponSpec,
    result: Result<Option<String>, String>,
    now: Timestamp,
) -> Result<(), ApiError> {
    let mut tx = conn.transaction()?;
    let code = table.code_column();
    match result {
        Ok(reference) => {
            let reference_column = if table == Table::Referrals {
                ""
            } else {
                ", provider_ref = ?2"
            };
            let updated = tx.execute(
                &format!(
                    "UPDATE {} SET status = 'active'{reference_column} WHERE {code} = ?1 AND status = 'pending'",
                    table.name()
                ),
                &if table == Table::Referrals {
                    params![&spec.code].to_vec()
                } else {
                    params![&spec.code, reference.as_deref()].to_vec()
                },
            )?;
            if updated > 0 {
                outbound::emit(&mut tx, "coupon.issued", coupon_event(spec), now)?;
            }
        }
        Err(why) => {
            let updated = tx.execute(
                &format!(
                    "UPDATE {} SET status = 'failed', failure = ?2 WHERE {code} = ?1 AND status = 'pending'",
                    table.name()
                ),
                &params![&spec.code, &why],
            )?;
            if updated > 0 && table == Table::Coupons {
                let row = tx.query_one(
                    "SELECT customer_id, cost, reward_name FROM coupons WHERE code = ?1",
                    &params![&spec.code],
                )?;
                let (customer_id, cost, name): (String, i64, String) =
                    (row.get(0)?, row.get(1)?, row.get(2)?);
                ledger::lock_customer(&mut tx, &customer_id)?;
                ledger::record(
                    &mut tx,
                    &Entry {
                        customer_id: &customer_id,
                        kind: Kind::Returned,
                        points: cost,
                        tier_points: 0,
                        source: format!("returned:{}", spec.code),
                        detail: Some(name),
                        shortfall: 0,
                        available_at: now,
                    },
                    now,
                )?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// `GET /api/v1/coupons/{ticket}`: how a pending coupon is doing. The ticket is the
/// capability: whoever redeemed or won holds it, nobody else can guess it.
pub async fn status(
    State(state): State<AppState>,
    Path(ticket): Path<String>,
) -> Result<Json<CouponState>, ApiError> {
    if ticket.len() != 32 || !ticket.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::UnknownCoupon);
    }
    state
        .db
        .run(move |conn| {
            for table in ["coupons", "game_coupons"] {
                let name_column = if table == "coupons" { "reward_name" } else { "prize" };
                if let Some(row) = conn.query_opt(
                    &format!(
                        "SELECT status, code, expires_at, failure, {name_column} FROM {table} WHERE ticket = ?1"
                    ),
                    &params![&ticket],
                )? {
                    let status: String = row.get(0)?;
                    return Ok(Json(CouponState {
                        code: (status == "active").then(|| row.get(1)).transpose()?,
                        status,
                        expires_at: row.get(2)?,
                        failure: row.get(3)?,
                        name: row.get(4)?,
                    }));
                }
            }
            Err(ApiError::UnknownCoupon)
        })
        .await
}
