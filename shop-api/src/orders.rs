//! Points from orders, whichever platform reports them. Every report is an order's whole
//! current state (or one refund), and [`apply`] moves the order's points to what that state
//! says, through ledger rows numbered by the order's revision, inside one transaction that holds
//! the order's and the customer's rows. Reporting a state twice, or twenty times at once,
//! changes nothing the second time.
//!
//! The rules: an order earns once it is paid, from the items' subtotal after discounts and
//! without shipping, in the programme's currency only, times the shopper's tier multiplier at
//! that moment, rounded down; those points wait `pending_days`. A refund takes back the share
//! of the points that the refunded amount is of the subtotal; a cancellation takes back all.
//! A take-back never drives a balance below zero: what was already spent is recorded as the
//! row's shortfall and forgiven (the return window is what protects the merchant).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::HeaderMap;
use jiff::Timestamp;
use lojal::core::programme::{EarnKind, Milli};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::calendar;
use crate::db::Conn;
use crate::error::ApiError;
use crate::ledger::{self, Entry, Kind};
use crate::programme::{self, Programme};
use crate::{merchant, params, referrals};

/// Who placed an order, as the platform says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Buyer {
    /// lojal's customer id (Shopify's `customer.id`, WooCommerce's `customer_id`, as decimal
    /// strings); `None` for a guest checkout.
    pub customer_id: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
}

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Placed, not paid yet: nothing is earned.
    Open,
    Paid,
    /// Cancelled (or failed): everything is taken back.
    Cancelled,
    /// Refunded in full: everything is taken back, labelled a refund.
    Refunded,
}

/// An order's whole current state, in lojal's own terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderState {
    /// `shopify:<id>`, `woocommerce:<id>`, `api:<id>`.
    pub key: String,
    /// What the shopper knows it as (`#1001`, `NS-10042`).
    pub number: Option<String>,
    pub buyer: Buyer,
    pub currency: String,
    /// Items after discounts, without shipping, in minor units of `currency`.
    pub eligible: u64,
    pub standing: Standing,
    /// Refunds the state carries, by the platform's refund id, in minor units.
    pub refunds: Vec<(String, u64)>,
    /// Its products and quantities, for the recommendations (products the catalogue does not
    /// know are left out).
    pub lines: Vec<(String, u32)>,
}

/// What became of one report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub order: String,
    /// The points the order stands at now.
    pub points: i64,
    /// Points this report added (positive) or took back (negative).
    pub change: i64,
    /// Why the order earns nothing, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The stored order, as [`apply`] reads it.
struct Stored {
    customer_id: Option<String>,
    email: Option<String>,
    currency: String,
    eligible: u64,
    paid: bool,
    cancelled: bool,
    earned: i64,
    target: i64,
    revision: i64,
    paid_at: Option<String>,
    number: Option<String>,
}

/// Lower-cased and trimmed: how emails are compared.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    (email.len() <= 254 && email.contains('@') && !email.chars().any(char::is_whitespace))
        .then_some(email)
}

/// Applies an order's current state in its own transaction.
pub fn apply(
    conn: &mut Conn,
    programme: &Programme,
    state: &OrderState,
    now: Timestamp,
) -> Result<Applied, ApiError> {
    let mut tx = conn.transaction()?;
    let applied = apply_in(&mut tx, programme, state, now)?;
    tx.commit()?;
    Ok(applied)
}

/// [`apply`] inside the caller's transaction (the webhooks record their delivery in it too).
pub fn apply_in(
    tx: &mut Conn,
    programme: &Programme,
    state: &OrderState,
    now: Timestamp,
) -> Result<Applied, ApiError> {
    let email = state.buyer.email.as_deref().and_then(normalize_email);
    if let Some(id) = &state.buyer.customer_id {
        // An order from a customer lojal has not seen creates her.
        ledger::ensure_customer(
            tx,
            id,
            email.as_deref(),
            state.buyer.first_name.as_deref(),
            now,
        )?;
    }
    let now_text = calendar::text(now);
    tx.execute(
        "INSERT INTO shop_orders (order_key, number, customer_id, email, currency, eligible,
                                  created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT (order_key) DO NOTHING",
        &params![
            &state.key,
            state.number.as_deref(),
            state.buyer.customer_id.as_deref(),
            email.as_deref(),
            &state.currency,
            state.eligible,
            &now_text
        ],
    )?;
    for (refund_id, amount) in &state.refunds {
        tx.execute(
            "INSERT INTO shop_refunds (order_key, refund_id, amount) VALUES (?1, ?2, ?3)
             ON CONFLICT (order_key, refund_id) DO UPDATE SET amount = ?3",
            &params![&state.key, refund_id, *amount],
        )?;
    }
    let mut order = lock_order(tx, &state.key)?;
    let became_paid = state.standing == Standing::Paid && !order.paid && !order.cancelled;
    // Paid and cancelled never go back: a late delivery of an old state cannot undo them.
    order.paid |= matches!(state.standing, Standing::Paid | Standing::Refunded);
    order.cancelled |= state.standing == Standing::Cancelled;
    let fully_refunded = state.standing == Standing::Refunded;
    order.eligible = state.eligible;
    order.currency = state.currency.clone();
    order.customer_id = order.customer_id.or(state.buyer.customer_id.clone());
    order.email = order.email.or(email);
    order.number = state.number.clone().or(order.number);
    if became_paid {
        order.paid_at = Some(now_text.clone());
    }
    let refunded: u64 = tx
        .query_one(
            "SELECT COALESCE(SUM(amount), 0) FROM shop_refunds WHERE order_key = ?1",
            &params![&state.key],
        )?
        .get::<i64>(0)?
        .try_into()
        .unwrap_or(0);
    let refunded = if fully_refunded {
        order.eligible
    } else {
        refunded.min(order.eligible)
    };

    let note = why_nothing(programme, &order);
    let mut change = 0;
    if let (None, Some(customer_id)) = (&note, order.customer_id.clone()) {
        ledger::lock_customer(tx, &customer_id)?;
        if order.earned == 0 && order.paid && !order.cancelled {
            let balance = ledger::balance(tx, &customer_id, now)?;
            let multiplier = programme
                .config
                .tier_for(balance.tier_points)
                .map_or(Milli::ONE, |t| t.multiplier);
            let points = programme.config.purchase_points(order.eligible, multiplier);
            order.earned = i64::try_from(points).unwrap_or(i64::MAX);
        }
        let target = if order.cancelled || !order.paid || order.eligible == 0 {
            0
        } else {
            // The share not refunded, rounded down.
            let kept = u128::from(order.eligible - refunded);
            i64::try_from(
                u128::try_from(order.earned).unwrap_or(0) * kept / u128::from(order.eligible),
            )
            .unwrap_or(0)
        };
        if target != order.target {
            change = target - order.target;
            order.revision += 1;
            let paid_at = order
                .paid_at
                .as_deref()
                .map(calendar::parse)
                .transpose()?
                .unwrap_or(now);
            let release = programme.pending_until(paid_at);
            let kind = if change > 0 {
                Kind::Purchase
            } else if order.cancelled {
                Kind::Cancel
            } else {
                Kind::Refund
            };
            // A take-back of points still pending leaves the pending bucket; one of spendable
            // points takes what is there and forgives the rest.
            let (points, shortfall, available_at) = if change > 0 || release > now {
                (change, 0, release)
            } else {
                let spendable = ledger::spendable(tx, &customer_id, now)?;
                let take = (-change).min(i64::try_from(spendable).unwrap_or(i64::MAX));
                (-take, -change - take, now)
            };
            ledger::record(
                tx,
                &Entry {
                    customer_id: &customer_id,
                    kind,
                    points,
                    tier_points: change,
                    source: format!("order:{}:rev:{}", state.key, order.revision),
                    detail: order.number.clone(),
                    shortfall,
                    available_at,
                },
                now,
            )?;
            order.target = target;
        }
    }
    tx.execute(
        "UPDATE shop_orders SET number = ?2, customer_id = ?3, email = ?4, currency = ?5,
                eligible = ?6, refunded = ?7, paid = ?8, cancelled = ?9, earned = ?10,
                target = ?11, revision = ?12, note = ?13, paid_at = ?14, updated_at = ?15
         WHERE order_key = ?1",
        &params![
            &state.key,
            order.number.as_deref(),
            order.customer_id.as_deref(),
            order.email.as_deref(),
            &order.currency,
            order.eligible,
            refunded,
            order.paid,
            order.cancelled,
            order.earned,
            order.target,
            order.revision,
            note.as_deref(),
            order.paid_at.as_deref(),
            &now_text
        ],
    )?;
    if became_paid && !order.cancelled {
        referrals::convert(
            tx,
            programme,
            &state.key,
            &order_buyer(&order),
            order.eligible,
            now,
        )?;
        record_purchases(tx, state, order.customer_id.as_deref(), now)?;
    }
    if let Some(note) = &note {
        tracing::info!(order = %state.key, note = %note, "order earns nothing");
    }
    Ok(Applied {
        order: state.key.clone(),
        points: order.target,
        change,
        note,
    })
}

/// The paid order's products, for the recommendation model, and the catalogue's order tables
/// ("bought together", "popular"). Products the catalogue does not know are left out.
fn record_purchases(
    tx: &mut Conn,
    state: &OrderState,
    customer_id: Option<&str>,
    now: Timestamp,
) -> Result<(), ApiError> {
    if state.lines.is_empty() {
        return Ok(());
    }
    let now = calendar::text(now);
    let shopper = customer_id.map_or_else(|| format!("order:{}", state.key), str::to_owned);
    tx.execute(
        "INSERT INTO orders (id, customer_id, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO NOTHING",
        &params![&state.key, customer_id, &now],
    )?;
    for (product, quantity) in &state.lines {
        tx.execute(
            "INSERT INTO order_lines (order_id, product_id, quantity)
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM products WHERE id = ?2)
               AND NOT EXISTS (SELECT 1 FROM order_lines WHERE order_id = ?1 AND product_id = ?2)",
            &params![&state.key, product, (*quantity).max(1)],
        )?;
        tx.execute(
            "INSERT INTO purchases (shopper, product_id, order_key, created_at)
             SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM products WHERE id = ?2)
             ON CONFLICT (order_key, product_id) DO NOTHING",
            &params![&shopper, product, &state.key, &now],
        )?;
    }
    Ok(())
}

fn order_buyer(order: &Stored) -> Buyer {
    Buyer {
        customer_id: order.customer_id.clone(),
        email: order.email.clone(),
        first_name: None,
    }
}

/// Why an order earns nothing, or `None` when it earns by the rules.
fn why_nothing(programme: &Programme, order: &Stored) -> Option<String> {
    if order.customer_id.is_none() {
        return Some("a guest checkout earns no points".into());
    }
    if order.currency != programme.config.currency {
        return Some(format!(
            "the order is in {}, the programme counts {}: it earns nothing",
            order.currency, programme.config.currency
        ));
    }
    if programme.config.way(EarnKind::Purchase).is_none() {
        return Some("the programme gives no points for purchases".into());
    }
    None
}

fn lock_order(conn: &mut Conn, key: &str) -> Result<Stored, ApiError> {
    let sql = format!(
        "SELECT customer_id, email, currency, eligible, paid, cancelled, earned, target, revision,
                paid_at, number
         FROM shop_orders WHERE order_key = ?1{}",
        conn.for_update()
    );
    let row = conn.query_one(&sql, &params![key])?;
    Ok(Stored {
        customer_id: row.get(0)?,
        email: row.get(1)?,
        currency: row.get(2)?,
        eligible: row.get(3)?,
        paid: row.get(4)?,
        cancelled: row.get(5)?,
        earned: row.get(6)?,
        target: row.get(7)?,
        revision: row.get(8)?,
        paid_at: row.get(9)?,
        number: row.get(10)?,
    })
}

/// A refund reported on its own (Shopify's `refunds/create`): recorded, then the order is
/// re-applied if lojal knows it; an order that arrives later counts it then.
pub fn apply_refund(
    tx: &mut Conn,
    programme: &Programme,
    order_key: &str,
    refund_id: &str,
    amount: u64,
    now: Timestamp,
) -> Result<Applied, ApiError> {
    tx.execute(
        "INSERT INTO shop_refunds (order_key, refund_id, amount) VALUES (?1, ?2, ?3)
         ON CONFLICT (order_key, refund_id) DO NOTHING",
        &params![order_key, refund_id, amount],
    )?;
    let Some(state) = stored_state(tx, order_key)? else {
        return Ok(Applied {
            order: order_key.to_owned(),
            points: 0,
            change: 0,
            note: Some("the order is not known yet; the refund counts once it arrives".into()),
        });
    };
    apply_in(tx, programme, &state, now)
}

/// The order as last stored, as a state to re-apply.
fn stored_state(conn: &mut Conn, key: &str) -> Result<Option<OrderState>, ApiError> {
    let Some(row) = conn.query_opt(
        "SELECT number, customer_id, email, currency, eligible, paid, cancelled
         FROM shop_orders WHERE order_key = ?1",
        &params![key],
    )?
    else {
        return Ok(None);
    };
    let (paid, cancelled): (bool, bool) = (row.get(5)?, row.get(6)?);
    Ok(Some(OrderState {
        key: key.to_owned(),
        number: row.get(0)?,
        buyer: Buyer {
            customer_id: row.get(1)?,
            email: row.get(2)?,
            first_name: None,
        },
        currency: row.get(3)?,
        eligible: row.get(4)?,
        standing: if cancelled {
            Standing::Cancelled
        } else if paid {
            Standing::Paid
        } else {
            Standing::Open
        },
        refunds: Vec::new(),
        lines: Vec::new(),
    }))
}

/// `POST /api/v1/orders` body: any shop's backend reports an order's whole current state.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderReport {
    /// The shop's own order id.
    pub id: String,
    /// What the shopper knows it as; the id if absent.
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    pub currency: String,
    /// Items after discounts, without shipping, in minor units.
    pub subtotal: u64,
    /// `open`, `paid`, `cancelled` or `refunded`.
    pub status: String,
    /// Refunded so far, minor units.
    #[serde(default)]
    pub refunded: u64,
    /// Its products, for the recommendations.
    #[serde(default)]
    pub lines: Vec<OrderLine>,
}

/// One product of a reported order.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub product_id: String,
    #[serde(default = "one")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

fn is_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && !id.chars().any(char::is_control)
}

impl OrderReport {
    pub fn into_state(self) -> Result<OrderState, ApiError> {
        let mut problems = Vec::new();
        if !is_id(&self.id) {
            problems.push("id must be 1 to 128 characters");
        }
        if self.customer_id.as_deref().is_some_and(|c| !is_id(c)) {
            problems.push("customer_id must be 1 to 128 characters");
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            problems.push("currency must be an ISO 4217 code such as NOK");
        }
        let standing = match self.status.as_str() {
            "open" => Some(Standing::Open),
            "paid" => Some(Standing::Paid),
            "cancelled" => Some(Standing::Cancelled),
            "refunded" => Some(Standing::Refunded),
            _ => None,
        };
        if standing.is_none() {
            problems.push("status must be open, paid, cancelled or refunded");
        }
        if self.refunded > self.subtotal {
            problems.push("refunded must not exceed subtotal");
        }
        if self
            .email
            .as_deref()
            .is_some_and(|e| normalize_email(e).is_none())
        {
            problems.push("email is not an email address");
        }
        match standing {
            Some(standing) if problems.is_empty() => Ok(OrderState {
                key: format!("api:{}", self.id),
                number: Some(self.number.unwrap_or_else(|| self.id.clone())),
                buyer: Buyer {
                    customer_id: self.customer_id.filter(|c| !c.is_empty()),
                    email: self.email,
                    first_name: self.first_name,
                },
                currency: self.currency,
                eligible: self.subtotal,
                standing,
                // The whole refunded amount so far, as one figure that replaces the last one.
                refunds: vec![("total".into(), self.refunded)],
                lines: self
                    .lines
                    .into_iter()
                    .map(|l| (l.product_id, l.quantity))
                    .collect(),
            }),
            _ => Err(ApiError::InvalidBody(problems.join("; "))),
        }
    }
}

/// `POST /api/v1/orders` under the merchant token.
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<OrderReport>, JsonRejection>,
) -> Result<Json<Applied>, ApiError> {
    merchant::authorize(state.merchant_token.as_ref(), &headers)?;
    let Json(report) = body?;
    let order = report.into_state()?;
    state
        .db
        .write(move |conn| {
            let programme = programme::load(conn)?;
            apply(conn, &programme, &order, calendar::now()).map(Json)
        })
        .await
}

/// `POST /api/v1/customers` body: a shop's backend says a customer signed up.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerReport {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
}

/// What a sign-up did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignedUp {
    pub customer_id: String,
    /// Whether lojal saw her for the first time.
    pub created: bool,
    /// The sign-up bonus credited now (0 when she had it before, or the programme has none).
    pub bonus: u64,
}

/// A customer signed up: she is created, and gets the sign-up bonus once, ever.
pub fn sign_up(
    conn: &mut Conn,
    programme: &Programme,
    customer: &CustomerReport,
    now: Timestamp,
) -> Result<SignedUp, ApiError> {
    if !is_id(&customer.id) {
        return Err(ApiError::InvalidBody(
            "id must be 1 to 128 characters".into(),
        ));
    }
    let mut tx = conn.transaction()?;
    let signed_up = sign_up_in(&mut tx, programme, customer, now)?;
    tx.commit()?;
    Ok(signed_up)
}

/// [`sign_up`] inside the caller's transaction.
pub fn sign_up_in(
    tx: &mut Conn,
    programme: &Programme,
    customer: &CustomerReport,
    now: Timestamp,
) -> Result<SignedUp, ApiError> {
    if !is_id(&customer.id) {
        return Err(ApiError::InvalidBody(
            "id must be 1 to 128 characters".into(),
        ));
    }
    let email = customer.email.as_deref().and_then(normalize_email);
    let created = ledger::ensure_customer(
        tx,
        &customer.id,
        email.as_deref(),
        customer.first_name.as_deref(),
        now,
    )?;
    ledger::lock_customer(tx, &customer.id)?;
    let points = programme.config.points_for(EarnKind::Signup);
    let bonus = if points > 0
        && ledger::record(
            tx,
            &Entry {
                customer_id: &customer.id,
                kind: Kind::Signup,
                points: points as i64,
                tier_points: points as i64,
                source: "signup".into(),
                detail: None,
                shortfall: 0,
                available_at: now,
            },
            now,
        )? {
        points
    } else {
        0
    };
    Ok(SignedUp {
        customer_id: customer.id.clone(),
        created,
        bonus,
    })
}

/// `POST /api/v1/customers` under the merchant token.
pub async fn report_customer(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<CustomerReport>, JsonRejection>,
) -> Result<Json<SignedUp>, ApiError> {
    merchant::authorize(state.merchant_token.as_ref(), &headers)?;
    let Json(customer) = body?;
    state
        .db
        .write(move |conn| {
            let programme = programme::load(conn)?;
            sign_up(conn, &programme, &customer, calendar::now()).map(Json)
        })
        .await
}
