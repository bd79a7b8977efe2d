//! A balance is read as her ledger total (kept on her customer row by triggers) less her
//! pending rows. These tests hold it to what summing every row says, at instants before,
//! between and after her rows become available, through every way a ledger row is written,
//! changed or moved: earning now and later, spending, take-backs of pending and of spent
//! points, expiry, a hand edit, a deleted row, and erasure, which moves her rows to a
//! pseudonym. On SQLite, and on PostgreSQL when `DATABASE_URL` is set.

mod common;

use jiff::{SignedDuration, Timestamp};
use shop_api::db::{Conn, DbError};
use shop_api::ledger::{self, Balance, Entry, Kind};
use shop_api::{calendar, params, privacy};
use tempfile::TempDir;

/// What her rows add up to at `now`, summed row by row: what the balance must equal.
fn summed(conn: &mut Conn, customer_id: &str, now: Timestamp) -> Result<Balance, DbError> {
    let row = conn.query_one(
        "SELECT COALESCE(SUM(CASE WHEN available_at <= ?2 THEN points ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN available_at > ?2 THEN points ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN available_at <= ?2 THEN tier_points ELSE 0 END), 0),
                MIN(CASE WHEN available_at > ?2 AND points > 0 THEN available_at END),
                MAX(CASE WHEN kind <> 'expire' THEN created_at END)
         FROM ledger WHERE customer_id = ?1",
        &params![customer_id, calendar::text(now)],
    )?;
    Balance::from_row(&row)
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

fn entry<'a>(
    customer_id: &'a str,
    kind: Kind,
    points: i64,
    source: &str,
    available_at: Timestamp,
) -> Entry<'a> {
    Entry {
        customer_id,
        kind,
        points,
        tier_points: if points > 0 { points } else { 0 },
        source: source.to_owned(),
        detail: None,
        shortfall: 0,
        available_at,
    }
}

/// Her balance at instants around every row's availability, against the rows' sums; answers
/// the balance at `now`.
fn check(
    conn: &mut Conn,
    customer_id: &str,
    now: Timestamp,
    step: &str,
) -> Result<Balance, DbError> {
    for at in [
        now - days(400),
        now - days(1),
        now,
        now + days(13),
        now + days(14),
        now + days(60),
    ] {
        let read = ledger::balance(conn, customer_id, at)?;
        assert_eq!(
            read,
            summed(conn, customer_id, at)?,
            "{step}, balance at {at}"
        );
        assert_eq!(
            ledger::spendable(conn, customer_id, at)?,
            read.points,
            "{step}, spendable at {at}"
        );
    }
    ledger::balance(conn, customer_id, now)
}

#[test]
fn the_kept_total_less_the_pending_rows_is_what_the_rows_add_up_to() {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let erased = common::with_conn(&db, |conn| {
        let now: Timestamp = "2026-12-07T12:00:00Z".parse().unwrap();
        let her = "c-totals";
        ledger::ensure_customer(conn, her, Some("kari@example.com"), Some("Kari"), now)?;
        assert_eq!(check(conn, her, now, "no rows")?, Balance::default());

        let mut tx = conn.transaction()?;
        let later = now + days(14);
        ledger::record(&mut tx, &entry(her, Kind::Signup, 100, "signup", now), now)?;
        ledger::record(
            &mut tx,
            &entry(her, Kind::Purchase, 250, "order:1", later),
            now,
        )?;
        ledger::record(
            &mut tx,
            &entry(her, Kind::Purchase, 40, "order:0", now - days(30)),
            now - days(44),
        )?;
        // Written twice (a retried webhook): one row.
        ledger::record(
            &mut tx,
            &entry(her, Kind::Purchase, 250, "order:1", later),
            now,
        )?;
        tx.commit()?;
        let read = check(conn, her, now, "earned")?;
        assert_eq!(
            (read.points, read.pending, read.tier_points),
            (140, 250, 140)
        );

        let mut tx = conn.transaction()?;
        ledger::record(
            &mut tx,
            &entry(her, Kind::Redeem, -120, "redeem:A", now),
            now,
        )?;
        // A refund of the pending order takes its points back while they are still pending.
        ledger::record(
            &mut tx,
            &entry(her, Kind::Refund, -50, "order:1:refund", later),
            now,
        )?;
        ledger::record(
            &mut tx,
            &entry(her, Kind::Expire, -20, "expire:2026", now),
            now,
        )?;
        tx.commit()?;
        let read = check(conn, her, now, "spent, refunded, expired")?;
        assert_eq!((read.points, read.pending), (0, 200));

        // A merchant's hand edits in the database itself.
        conn.execute(
            "UPDATE ledger SET points = points + 30, tier_points = 7 WHERE source = 'signup'",
            &[],
        )?;
        conn.execute("DELETE FROM ledger WHERE source = 'expire:2026'", &[])?;
        let read = check(conn, her, now, "edited by hand")?;
        assert_eq!(read.points, 50);

        let subject = privacy::subject(conn, her)?;
        let erased = privacy::erase(conn, &subject).map_err(|e| DbError::Task(format!("{e:?}")))?;
        let pseudonym = erased["pseudonym"].as_str().unwrap().to_owned();
        assert_eq!(check(conn, her, now, "erased, her")?, Balance::default());
        let kept = check(conn, &pseudonym, now, "erased, the pseudonym")?;
        assert_eq!((kept.points, kept.pending), (50, 200));
        Ok(pseudonym)
    });
    assert!(erased.starts_with("erased-"));
}
