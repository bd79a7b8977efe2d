//! Referrals: a member's share link (`?lojal_ref=CODE`), the friend who claims the friend
//! reward with her email, and the member's points once that friend's first order at or above
//! the programme's `min_order` is paid (through the same order reports as every order).
//!
//! Refused, each with its reason: the member's own email, an email that already belongs to a
//! customer or has ordered, more claims from one IP address in a week than the programme
//! allows, and (at conversion) an order placed by the member herself.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use lojal::core::loyalty::{ReferralClaim, ReferralCoupon, ReferralInvite};
use lojal::core::programme::EarnKind;
use sha2::Sha256;

use crate::AppState;
use crate::calendar;
use crate::coupon;
use crate::db::{Conn, DbError};
use crate::error::ApiError;
use crate::ledger::{self, Entry, Kind};
use crate::orders::{Buyer, normalize_email};
use crate::params;
use crate::programme::{self, Programme};

/// A referral code: eight characters of the coupon alphabet (31⁸ codes).
pub fn new_code() -> String {
    coupon::new_code()
        .trim_start_matches("LOJAL-")
        .replace('-', "")
}

/// The member's code, made the first time she needs one; nothing if she is not a customer.
pub fn code_of(conn: &mut Conn, customer_id: &str) -> Result<Option<String>, DbError> {
    for _ in 0..5 {
        let Some(row) = conn.query_opt(
            "SELECT referral_code FROM customers WHERE id = ?1",
            &params![customer_id],
        )?
        else {
            return Ok(None);
        };
        if let Some(code) = row.get::<Option<String>>(0)? {
            return Ok(Some(code));
        }
        // Another request may set it at the same moment; the unique index keeps one.
        let _ = conn.execute(
            "UPDATE customers SET referral_code = ?2 WHERE id = ?1 AND referral_code IS NULL",
            &params![customer_id, new_code()],
        );
    }
    Err(DbError::Mismatch(
        "no referral code after five tries".into(),
    ))
}

fn is_code(code: &str) -> bool {
    (4..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

struct Referrer {
    id: String,
    first_name: Option<String>,
    email: Option<String>,
}

fn referrer(conn: &mut Conn, code: &str) -> Result<Referrer, ApiError> {
    if !is_code(code) {
        return Err(ApiError::UnknownReferral);
    }
    let row = conn
        .query_opt(
            "SELECT id, first_name, email FROM customers WHERE referral_code = ?1",
            &params![code.to_ascii_uppercase()],
        )?
        .ok_or(ApiError::UnknownReferral)?;
    Ok(Referrer {
        id: row.get(0)?,
        first_name: row.get(1)?,
        email: row.get(2)?,
    })
}

/// `GET /api/v1/referrals/{code}`: what the friend is offered.
pub async fn invite(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ReferralInvite>, ApiError> {
    state
        .db
        .run(move |conn| {
            let programme = programme::load(conn)?;
            let reward = friend_reward(&programme)?;
            let referrer = referrer(conn, &code)?;
            Ok(Json(ReferralInvite {
                code: code.to_ascii_uppercase(),
                referrer_first_name: referrer.first_name,
                friend_reward: programme::offer(reward),
                currency: programme.config.currency.clone(),
            }))
        })
        .await
}

fn friend_reward(programme: &Programme) -> Result<&lojal::core::programme::Discount, ApiError> {
    programme
        .config
        .way(EarnKind::Referral)
        .and_then(|w| w.friend_reward.as_ref())
        .ok_or(ApiError::ReferralsOff)
}

/// A keyed hash of the client's address: enough to count claims per IP, nothing to give away.
fn ip_hash(state: &AppState, ip: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(state.secret.hash_key())
        .expect("HMAC accepts keys of any length");
    mac.update(b"lojal referral ip\0");
    mac.update(ip.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// `POST /api/v1/referrals/{code}/claim`: the friend's coupon, once per email.
pub async fn claim(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    crate::limits::Peer(peer): crate::limits::Peer,
    body: Result<Json<ReferralClaim>, JsonRejection>,
) -> Result<Json<ReferralCoupon>, ApiError> {
    let Json(request) = body?;
    let email = normalize_email(&request.email).ok_or(ApiError::InvalidEmail)?;
    let ip = crate::limits::client_ip_of(&headers, peer, state.trust_forwarded_for)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let ip = ip_hash(&state, &ip);
    let provider = state.provider.clone();
    state
        .db
        .write(move |conn| {
            let programme = programme::load(conn)?;
            claim_in(
                conn,
                &provider,
                &programme,
                &code,
                &email,
                &ip,
                calendar::now(),
            )
            .map(Json)
        })
        .await
}

/// [`claim`]'s rules, in one transaction.
pub fn claim_in(
    conn: &mut Conn,
    provider: &crate::providers::Provider,
    programme: &Programme,
    code: &str,
    email: &str,
    ip_hash: &str,
    now: Timestamp,
) -> Result<ReferralCoupon, ApiError> {
    let reward = friend_reward(programme)?.clone();
    let limit = programme
        .config
        .way(EarnKind::Referral)
        .and_then(|w| w.max_per_ip_per_week)
        .unwrap_or(lojal::core::programme::DEFAULT_REFERRALS_PER_IP_PER_WEEK);
    let mut tx = conn.transaction()?;
    // One claim at a time per address and per email, whichever instance takes it: the weekly
    // count per address and the one invitation per email are decided on rows not yet written.
    tx.lock_key(&format!("referral-ip:{ip_hash}"))?;
    tx.lock_key(&format!("referral-email:{email}"))?;
    let referrer = referrer(&mut tx, code)?;
    let coupon = |code: String, status: String, expires_at: String| ReferralCoupon {
        code: if status == "active" {
            code
        } else {
            String::new()
        },
        status,
        friend_reward: programme::offer(&reward),
        currency: programme.config.currency.clone(),
        expires_at,
    };
    // The same friend asking again (a double click, a second tab) gets her coupon again.
    if let Some(row) = tx.query_opt(
        "SELECT referrer_id, coupon_code, expires_at, status FROM referrals WHERE email = ?1",
        &params![email],
    )? {
        let (by, code, expires_at, status): (String, String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        if by == referrer.id {
            return Ok(coupon(code, status, expires_at));
        }
        return Err(ApiError::AlreadyReferred);
    }
    if referrer.email.as_deref() == Some(email) {
        return Err(ApiError::SelfReferral);
    }
    let known = tx
        .query_one(
            "SELECT (SELECT COUNT(*) FROM customers WHERE email = ?1)
                  + (SELECT COUNT(*) FROM shop_orders WHERE email = ?1)",
            &params![email],
        )?
        .get::<i64>(0)?;
    if known > 0 {
        return Err(ApiError::AlreadyMember);
    }
    let week_ago = calendar::text(calendar::plus_days(now, -7));
    let claims: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM referrals WHERE ip_hash = ?1 AND created_at > ?2",
            &params![ip_hash, &week_ago],
        )?
        .get(0)?;
    if claims >= i64::from(limit) {
        let oldest: String = tx
            .query_one(
                "SELECT MIN(created_at) FROM referrals WHERE ip_hash = ?1 AND created_at > ?2",
                &params![ip_hash, &week_ago],
            )?
            .get(0)?;
        let free_at = calendar::plus_days(calendar::parse(&oldest)?, 7);
        return Err(ApiError::ReferralLimit {
            limit,
            retry_after_secs: u64::try_from((free_at - now).as_secs()).unwrap_or(0).max(1),
        });
    }
    let expires_at = calendar::text(calendar::plus_days(
        now,
        i64::from(programme.config.coupon_valid_days),
    ));
    for _ in 0..5 {
        let code = coupon::new_code();
        let inserted = tx.execute(
            "INSERT INTO referrals (referrer_id, email, coupon_code, ip_hash, created_at, expires_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6
             WHERE NOT EXISTS (SELECT 1 FROM coupons WHERE code = ?3)
               AND NOT EXISTS (SELECT 1 FROM game_coupons WHERE code = ?3)
             ON CONFLICT (coupon_code) DO NOTHING",
            &params![&referrer.id, email, &code, ip_hash, calendar::text(now), &expires_at],
        )?;
        if inserted > 0 {
            let spec = crate::providers::CouponSpec {
                table: "referrals".into(),
                code: code.clone(),
                title: "lojal: a friend's first order".into(),
                kind: reward.kind.as_str().to_owned(),
                amount: reward.amount,
                currency: programme.config.currency.clone(),
                customer_id: None,
                email: Some(email.to_owned()),
                starts_at: calendar::text(now),
                expires_at: expires_at.clone(),
            };
            let status = match crate::payout::after_insert(
                &mut tx,
                provider,
                crate::payout::Table::Referrals,
                &spec,
                now,
            )? {
                crate::payout::Issued::Active => "active",
                crate::payout::Issued::Pending { .. } => "pending",
            };
            tx.commit()?;
            return Ok(coupon(code, status.to_owned(), expires_at));
        }
    }
    Err(ApiError::Internal(
        "five coupon codes in a row already existed".into(),
    ))
}

/// Called once when an order becomes paid: if its buyer was referred, this is her first paid
/// order, it reaches `min_order` and it is not the referrer's own, the referrer earns her
/// points (pending like a purchase's).
pub fn convert(
    tx: &mut Conn,
    programme: &Programme,
    order_key: &str,
    buyer: &Buyer,
    eligible: u64,
    now: Timestamp,
) -> Result<(), ApiError> {
    let Some(way) = programme.config.way(EarnKind::Referral) else {
        return Ok(());
    };
    let Some(email) = buyer.email.as_deref() else {
        return Ok(());
    };
    let Some(row) = tx.query_opt(
        "SELECT r.id, r.referrer_id, c.email FROM referrals r JOIN customers c ON c.id = r.referrer_id
         WHERE r.email = ?1 AND r.converted_at IS NULL",
        &params![email],
    )?
    else {
        return Ok(());
    };
    let (referral_id, referrer_id, referrer_email): (i64, String, Option<String>) =
        (row.get(0)?, row.get(1)?, row.get(2)?);
    let own = buyer.customer_id.as_deref() == Some(referrer_id.as_str())
        || referrer_email.as_deref() == Some(email);
    if own {
        tracing::info!(
            order = %order_key,
            "the referrer's own order does not convert her referral"
        );
        return Ok(());
    }
    if eligible < way.min_order.unwrap_or(0) {
        return Ok(());
    }
    // Her first paid order: no other paid order with her email or her customer id.
    let earlier: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM shop_orders
             WHERE order_key <> ?1 AND paid = 1 AND (email = ?2 OR (customer_id IS NOT NULL AND customer_id = ?3))",
            &params![order_key, email, buyer.customer_id.as_deref()],
        )?
        .get(0)?;
    if earlier > 0 {
        return Ok(());
    }
    let points = way.points.unwrap_or(0) as i64;
    ledger::lock_customer(tx, &referrer_id)?;
    ledger::record(
        tx,
        &Entry {
            customer_id: &referrer_id,
            kind: Kind::Referral,
            points,
            tier_points: points,
            source: format!("referral:{referral_id}"),
            detail: None,
            shortfall: 0,
            available_at: programme.pending_until(now),
        },
        now,
    )?;
    tx.execute(
        "UPDATE referrals SET converted_order = ?2, converted_at = ?3 WHERE id = ?1",
        &params![referral_id, order_key, calendar::text(now)],
    )?;
    crate::outbound::emit(
        tx,
        "referral.converted",
        serde_json::json!({
            "referrer_id": referrer_id,
            "order": order_key,
            "points": points,
        }),
        now,
    )?;
    Ok(())
}
