//! The durable work queue: what must happen outside a request (creating a coupon at the shop
//! platform, delivering an event to the merchant's endpoint) is written in the same
//! transaction as the change that causes it, so it happens if and only if that change
//! committed, and survives a restart or a `kill -9`.
//!
//! A worker leases one due job at a time (`lease_until`); on PostgreSQL the lease is taken
//! with `FOR UPDATE SKIP LOCKED`, so several instances work one queue and each job is worked
//! by one of them at a time. A lease that runs out (its worker died) makes the job due again;
//! so a job may run more than once, and every job's effect must be safe to repeat (coupons
//! are created under lojal's own code; events carry a stable id). Jobs sharing an `ordering`
//! run one after another, oldest first: an endpoint's events arrive in order.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use crate::calendar;
use crate::db::{Conn, DbError};
use crate::params;

/// How long a worker holds a job before another may take it: longer than any call out may
/// take ([`crate::egress::TIMEOUT`]), so a live worker never loses its job.
pub const LEASE: Duration = Duration::from_secs(30);

/// A job to enqueue.
pub struct NewJob<'a> {
    /// What to do: `coupon.create`, `event.deliver`.
    pub kind: &'a str,
    /// Unique: enqueueing the same key twice enqueues once.
    pub key: String,
    /// Jobs with the same ordering run one at a time, oldest first.
    pub ordering: Option<String>,
    pub payload: Value,
}

/// Enqueues `job` in the caller's transaction; answers whether it was new.
pub fn enqueue(conn: &mut Conn, job: &NewJob, now: Timestamp) -> Result<bool, DbError> {
    let now = calendar::text(now);
    conn.note_queued();
    Ok(conn.execute(
        "INSERT INTO work_queue (kind, job_key, ordering, payload, run_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)
         ON CONFLICT (job_key) DO NOTHING",
        &params![
            job.kind,
            &job.key,
            job.ordering.as_deref(),
            job.payload.to_string(),
            &now
        ],
    )? > 0)
}

/// A leased job.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub ordering: Option<String>,
    pub payload: Value,
    /// Attempts before this one.
    pub attempts: u32,
}

/// Leases the next due job for `worker`, or answers `None`. A job whose ordering has an older
/// unfinished job waits for it.
pub fn lease(conn: &mut Conn, worker: &str, now: Timestamp) -> Result<Option<Job>, DbError> {
    let now_text = calendar::text(now);
    let until = calendar::text(now + LEASE);
    let skip_locked = match conn {
        Conn::Sqlite(_) => "",
        Conn::Postgres(_) => " FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "SELECT id, kind, job_key, ordering, payload, attempts FROM work_queue q
         WHERE state = 'ready' AND run_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
           AND (ordering IS NULL OR NOT EXISTS (
                 SELECT 1 FROM work_queue older
                 WHERE older.ordering = q.ordering AND older.state = 'ready' AND older.id < q.id))
         ORDER BY run_at, id LIMIT 1{skip_locked}"
    );
    let mut tx = conn.transaction()?;
    let Some(row) = tx.query_opt(&sql, &params![&now_text])? else {
        return Ok(None);
    };
    let id: i64 = row.get(0)?;
    let payload: String = row.get(4)?;
    tx.execute(
        "UPDATE work_queue SET lease_until = ?2, leased_by = ?3, updated_at = ?4 WHERE id = ?1",
        &params![id, &until, worker, &now_text],
    )?;
    tx.commit()?;
    Ok(Some(Job {
        id,
        kind: row.get(1)?,
        key: row.get(2)?,
        ordering: row.get(3)?,
        payload: serde_json::from_str(&payload)
            .map_err(|e| DbError::Mismatch(format!("job {id}: payload: {e}")))?,
        attempts: row.get(5)?,
    }))
}

/// What became of one attempt at a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Try again at this instant; the error is kept for the merchant.
    RetryAt(Timestamp, String),
    /// Never again: the job is dead, and the error says why.
    GiveUp(String),
}

/// Records an attempt's outcome, if the job is still `worker`'s.
pub fn settle(
    conn: &mut Conn,
    job: &Job,
    worker: &str,
    outcome: &Outcome,
    now: Timestamp,
) -> Result<(), DbError> {
    let now = calendar::text(now);
    let (state, run_at, error) = match outcome {
        Outcome::Done => ("done", None, None),
        Outcome::RetryAt(at, error) => (
            "ready",
            Some(calendar::text_ceil(*at)),
            Some(error.as_str()),
        ),
        Outcome::GiveUp(error) => ("dead", None, Some(error.as_str())),
    };
    conn.execute(
        "UPDATE work_queue SET state = ?3, attempts = attempts + 1,
                run_at = COALESCE(?4, run_at), last_error = COALESCE(?5, last_error),
                lease_until = NULL, leased_by = NULL, updated_at = ?6
         WHERE id = ?1 AND leased_by = ?2",
        &params![job.id, worker, state, run_at, error, &now],
    )?;
    Ok(())
}

/// The first retry's wait; each later one doubles it.
pub const BACKOFF_BASE: Duration = Duration::from_secs(10);

/// Exponential backoff: 10 s, 20 s, 40 s … capped at an hour, with the server's `Retry-After`
/// taking precedence when it asks for longer.
pub fn backoff(attempts: u32, retry_after: Option<Duration>) -> Duration {
    backoff_from(BACKOFF_BASE, attempts, retry_after)
}

/// [`backoff`] from another first wait (tests run the schedule in milliseconds).
pub fn backoff_from(base: Duration, attempts: u32, retry_after: Option<Duration>) -> Duration {
    let exponential = base
        .saturating_mul(1 << attempts.min(9))
        .min(Duration::from_secs(3600));
    retry_after.map_or(exponential, |asked| {
        asked.max(exponential).min(Duration::from_secs(6 * 3600))
    })
}

/// Jobs by state, for the merchant and the metrics.
pub fn counts(conn: &mut Conn) -> Result<Vec<(String, String, i64)>, DbError> {
    conn.query(
        "SELECT kind, state, COUNT(*) FROM work_queue GROUP BY kind, state ORDER BY kind, state",
        &[],
    )?
    .iter()
    .map(|row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
    .collect()
}

/// How long the oldest due job has waited at `now` (zero when none is due).
pub fn oldest_due_age(conn: &mut Conn, now: Timestamp) -> Result<Duration, DbError> {
    let oldest: Option<String> = conn
        .query_one(
            "SELECT MIN(run_at) FROM work_queue WHERE state = 'ready' AND run_at <= ?1",
            &params![calendar::text(now)],
        )?
        .get(0)?;
    let Some(oldest) = oldest else {
        return Ok(Duration::ZERO);
    };
    let since = calendar::parse(&oldest)
        .map_err(|e| DbError::Mismatch(format!("work_queue.run_at {oldest:?}: {e:?}")))?;
    Ok(Duration::try_from(now - since).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_an_hour_and_honours_retry_after() {
        let secs = |a, r: Option<u64>| backoff(a, r.map(Duration::from_secs)).as_secs();
        assert_eq!(secs(0, None), 10);
        assert_eq!(secs(1, None), 20);
        assert_eq!(secs(5, None), 320);
        assert_eq!(secs(20, None), 3600);
        assert_eq!(secs(0, Some(120)), 120);
        assert_eq!(secs(3, Some(5)), 80, "never sooner than the backoff");
        assert_eq!(secs(0, Some(86_400)), 6 * 3600, "nor later than six hours");
    }
}
