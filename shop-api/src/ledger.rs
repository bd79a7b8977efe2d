//! The points ledger: every change of a shopper's points is one row, and her balance, pending
//! points and tier points are what the rows say at a given instant. A row's `source` is unique
//! per customer, so recording the same event twice (a webhook retried, two instances racing)
//! writes one row. Callers hold the customer's row lock ([`lock_customer`]) around anything
//! that reads a balance and then writes against it.

use jiff::Timestamp;
use lojal::core::loyalty::Activity;

use crate::calendar;
use crate::db::{Conn, DbError, Row};
use crate::params;

/// What a ledger row is for; the `kind` column and the badge's activity list say this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Purchase,
    Signup,
    Birthday,
    Review,
    Referral,
    Redeem,
    /// Points taken back for a refund.
    Refund,
    /// Points taken back for a cancellation.
    Cancel,
    Expire,
    /// A merchant's manual correction.
    Adjust,
    /// Points given back: the shop platform refused a reward's coupon.
    Returned,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Purchase => "purchase",
            Self::Signup => "signup",
            Self::Birthday => "birthday",
            Self::Review => "review",
            Self::Referral => "referral",
            Self::Redeem => "redeem",
            Self::Refund => "refund",
            Self::Cancel => "cancel",
            Self::Expire => "expire",
            Self::Adjust => "adjust",
            Self::Returned => "returned",
        }
    }

    /// The outbound event a row of this kind is, if any.
    fn event(self, points: i64) -> Option<&'static str> {
        match self {
            Self::Purchase | Self::Signup | Self::Birthday | Self::Review | Self::Referral
                if points > 0 =>
            {
                Some("points.earned")
            }
            Self::Redeem => Some("points.redeemed"),
            Self::Expire => Some("points.expired"),
            _ => None,
        }
    }
}

/// One row to record.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub customer_id: &'a str,
    pub kind: Kind,
    /// What it does to the spendable balance.
    pub points: i64,
    /// What it does to the qualifying points.
    pub tier_points: i64,
    /// Unique per customer: the event behind the row.
    pub source: String,
    pub detail: Option<String>,
    /// Points a take-back could not take because they were spent.
    pub shortfall: i64,
    /// Pending until then.
    pub available_at: Timestamp,
}

/// Writes `entry` unless a row with its source exists; answers whether it wrote. A row that
/// earns, spends or expires points is also an outbound event, emitted exactly when it is written.
pub fn record(conn: &mut Conn, entry: &Entry, now: Timestamp) -> Result<bool, DbError> {
    let written = conn.execute(
        "INSERT INTO ledger (customer_id, kind, points, tier_points, source, detail, shortfall,
                             available_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (customer_id, source) DO NOTHING",
        &params![
            entry.customer_id,
            entry.kind.as_str(),
            entry.points,
            entry.tier_points,
            &entry.source,
            entry.detail.as_deref(),
            entry.shortfall,
            calendar::text(entry.available_at),
            calendar::text(now)
        ],
    )? > 0;
    if written && let Some(event) = entry.kind.event(entry.points) {
        crate::outbound::emit(
            conn,
            event,
            serde_json::json!({
                "customer_id": entry.customer_id,
                "kind": entry.kind.as_str(),
                "points": entry.points,
                "source": entry.source,
                "detail": entry.detail,
                "available_at": calendar::text(entry.available_at),
            }),
            now,
        )?;
    }
    Ok(written)
}

/// A shopper's points at one instant, as the ledger says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    /// Spendable now.
    pub points: u64,
    /// Earned, waiting for the return window to close.
    pub pending: u64,
    /// Qualifying points, confirmed ones only: tiers follow these.
    pub tier_points: u64,
    /// When the next pending points become spendable.
    pub pending_until: Option<String>,
    /// The newest row that is not an expiry: what "inactivity" is counted from.
    pub last_activity: Option<String>,
}

/// Her balance is the total of all her rows (kept on her customer row by migration 0012's
/// triggers) less the rows not yet available at `now`: only her pending rows are read,
/// however long her history.
pub fn balance(conn: &mut Conn, customer_id: &str, now: Timestamp) -> Result<Balance, DbError> {
    let Some(row) = conn.query_opt(
        "SELECT c.ledger_points - p.points, p.points, c.ledger_tier_points - p.tier_points,
                p.until,
                (SELECT created_at FROM ledger WHERE customer_id = ?1 AND kind <> 'expire'
                 ORDER BY created_at DESC LIMIT 1)
         FROM customers c,
              (SELECT COALESCE(SUM(points), 0) AS points,
                      COALESCE(SUM(tier_points), 0) AS tier_points,
                      MIN(CASE WHEN points > 0 THEN available_at END) AS until
               FROM ledger WHERE customer_id = ?1 AND available_at > ?2) p
         WHERE c.id = ?1",
        &params![customer_id, calendar::text(now)],
    )?
    else {
        return Ok(Balance::default());
    };
    Balance::from_row(&row)
}

impl Balance {
    /// A row of points, pending, tier points, pending until and last activity, in that order:
    /// [`balance`]'s, and the row-by-row sums its tests hold it to.
    pub fn from_row(row: &Row) -> Result<Self, DbError> {
        // Sums are never negative by construction; clamp anyway so a hand-edited row cannot
        // make a balance wrap around.
        let clamp = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(Self {
            points: clamp(row.get(0)?),
            pending: clamp(row.get(1)?),
            tier_points: clamp(row.get(2)?),
            pending_until: row.get(3)?,
            last_activity: row.get(4)?,
        })
    }
}

/// Her points spendable at `now`: [`balance`]'s `points` alone, which is all a redemption
/// needs, in the writer that runs one at a time.
pub fn spendable(conn: &mut Conn, customer_id: &str, now: Timestamp) -> Result<u64, DbError> {
    let Some(row) = conn.query_opt(
        "SELECT ledger_points - (SELECT COALESCE(SUM(points), 0) FROM ledger
                                 WHERE customer_id = ?1 AND available_at > ?2)
         FROM customers WHERE id = ?1",
        &params![customer_id, calendar::text(now)],
    )?
    else {
        return Ok(0);
    };
    // As in `balance`: a hand-edited row cannot make it wrap around.
    Ok(u64::try_from(row.get::<i64>(0)?).unwrap_or(0))
}

/// Locks the customer's row for the rest of the transaction (PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` already holds the write lock); answers whether she exists.
pub fn lock_customer(conn: &mut Conn, customer_id: &str) -> Result<bool, DbError> {
    let sql = format!(
        "SELECT id FROM customers WHERE id = ?1{}",
        conn.for_update()
    );
    Ok(conn.query_opt(&sql, &params![customer_id])?.is_some())
}

/// Creates the customer when lojal has not seen her; fills in an email or a first name it
/// did not have. Answers whether she was created.
pub fn ensure_customer(
    conn: &mut Conn,
    customer_id: &str,
    email: Option<&str>,
    first_name: Option<&str>,
    now: Timestamp,
) -> Result<bool, DbError> {
    let created = conn.execute(
        "INSERT INTO customers (id, first_name, email, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO NOTHING",
        &params![customer_id, first_name, email, calendar::text(now)],
    )? > 0;
    if !created {
        conn.execute(
            "UPDATE customers SET email = COALESCE(email, ?2), first_name = COALESCE(first_name, ?3)
             WHERE id = ?1",
            &params![customer_id, email, first_name],
        )?;
    }
    Ok(created)
}

/// Her newest rows (?1 the customer, ?2 how many), in an order `ledger_by_customer` gives
/// itself (`tests/plans.rs`): a list of ten reads ten rows, however many share a second.
pub const ACTIVITY_SQL: &str = "SELECT kind, points, created_at, available_at, detail FROM ledger
     WHERE customer_id = ?1 AND points <> 0
     ORDER BY created_at DESC, id DESC LIMIT ?2";

/// The newest `limit` rows, as the badge lists them.
pub fn activity(
    conn: &mut Conn,
    customer_id: &str,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<Activity>, DbError> {
    conn.query(ACTIVITY_SQL, &params![customer_id, limit])?
        .iter()
        .map(|row| activity_from_row(row, now))
        .collect()
}

fn activity_from_row(row: &Row, now: Timestamp) -> Result<Activity, DbError> {
    let available_at: String = row.get(3)?;
    Ok(Activity {
        kind: row.get(0)?,
        points: row.get(1)?,
        at: row.get(2)?,
        pending: available_at > calendar::text(now),
        detail: row.get(4)?,
    })
}

/// Every row of a customer, oldest first, for the merchant and for tests.
pub fn rows(conn: &mut Conn, customer_id: &str) -> Result<Vec<LedgerRow>, DbError> {
    conn.query(
        "SELECT kind, points, tier_points, source, detail, shortfall, available_at, created_at
         FROM ledger WHERE customer_id = ?1 ORDER BY id",
        &params![customer_id],
    )?
    .iter()
    .map(|row| {
        Ok(LedgerRow {
            kind: row.get(0)?,
            points: row.get(1)?,
            tier_points: row.get(2)?,
            source: row.get(3)?,
            detail: row.get(4)?,
            shortfall: row.get(5)?,
            available_at: row.get(6)?,
            created_at: row.get(7)?,
        })
    })
    .collect()
}

/// A stored ledger row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LedgerRow {
    pub kind: String,
    pub points: i64,
    pub tier_points: i64,
    pub source: String,
    pub detail: Option<String>,
    pub shortfall: i64,
    pub available_at: String,
    pub created_at: String,
}
