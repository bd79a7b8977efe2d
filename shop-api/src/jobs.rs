//! The jobs that run inside shop-api: birthday points on the day, and the expiry of points
//! after the programme's months of inactivity. Both write ledger rows with unique sources
//! (`birthday:<year>`, `expire:<last activity>`), so two instances, or a run repeated after a
//! crash, never credit or expire twice. The birthday job remembers the last day it finished
//! in the `jobs` table and catches up every day since, so a server that was down on
//! someone's birthday pays it when it comes back: no day is skipped, none repeated.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;
use lojal::core::programme::EarnKind;

use crate::calendar;
use crate::db::{Conn, Db};
use crate::error::ApiError;
use crate::ledger::{self, Entry, Kind};
use crate::params;
use crate::programme::{self, Programme};
use crate::telemetry::Lifecycle;

/// How often the jobs look for work.
pub const INTERVAL: Duration = Duration::from_secs(60);
/// A birthday counts for a year only if it was set at least this many days before it, so
/// that nobody sets today as her birthday for the points.
pub const BIRTHDAY_NOTICE_DAYS: i64 = 30;
/// The longest gap the birthday job catches up (a server down for longer pays the last year).
const MAX_CATCH_UP_DAYS: i64 = 366;

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub birthdays: u64,
    pub expired: u64,
    /// The last day the birthday job has finished.
    pub birthdays_done_through: Option<String>,
}

/// Runs every job once at `now`.
pub fn run(conn: &mut Conn, now: Timestamp) -> Result<Report, ApiError> {
    let programme = programme::load(conn)?;
    let (birthdays, done) = birthdays(conn, &programme, now)?;
    let expired = expire(conn, &programme, now)?;
    Ok(Report {
        birthdays,
        expired,
        birthdays_done_through: Some(done.to_string()),
    })
}

/// The birthday's date in `year`: 29 February is 28 February in other years.
fn birthday_in(year: i16, month: i8, day: i8) -> Option<Date> {
    Date::new(year, month, day).ok().or_else(|| {
        (month == 2 && day == 29)
            .then(|| Date::new(year, 2, 28).ok())
            .flatten()
    })
}

fn birthdays(
    conn: &mut Conn,
    programme: &Programme,
    now: Timestamp,
) -> Result<(u64, Date), ApiError> {
    let today = calendar::local_date(now, &programme.zone);
    let last_done: Option<String> = conn
        .query_opt("SELECT last_day FROM jobs WHERE name = 'birthdays'", &[])?
        .map(|row| row.get(0))
        .transpose()?;
    let mut day = match last_done.as_deref().map(str::parse::<Date>) {
        Some(Ok(last)) => last.tomorrow().unwrap_or(today),
        // The first run starts with today.
        _ => today,
    };
    if (today - day).get_days() > MAX_CATCH_UP_DAYS as i32 {
        day = today.saturating_sub(jiff::Span::new().days(MAX_CATCH_UP_DAYS));
    }
    let points = programme.config.points_for(EarnKind::Birthday);
    let mut credited = 0;
    while day <= today {
        let mut tx = conn.transaction()?;
        if points > 0 {
            credited += birthdays_on(&mut tx, programme, day, points, now)?;
        }
        tx.execute(
            "INSERT INTO jobs (name, last_day) VALUES ('birthdays', ?1)
             ON CONFLICT (name) DO UPDATE SET last_day = ?1",
            &params![day.to_string()],
        )?;
        tx.commit()?;
        let Ok(next) = day.tomorrow() else { break };
        day = next;
    }
    Ok((credited, today))
}

/// Credits everyone whose birthday is `day` (and was set in time), once for its year.
fn birthdays_on(
    tx: &mut Conn,
    programme: &Programme,
    day: Date,
    points: u64,
    now: Timestamp,
) -> Result<u64, ApiError> {
    // 28 February also pays the 29 February birthdays in a year without one.
    let leap_extra = day.month() == 2 && day.day() == 28 && !day.in_leap_year();
    let candidates = tx.query(
        "SELECT id, birthday_month, birthday_day, birthday_set_at FROM customers
         WHERE (birthday_month = ?1 AND birthday_day = ?2) OR (?3 = 1 AND birthday_month = 2 AND birthday_day = 29)",
        &params![i64::from(day.month()), i64::from(day.day()), leap_extra],
    )?;
    let midnight = day
        .to_zoned_datetime(programme.zone.clone())
        .map(|z| z.timestamp())
        .unwrap_or(now);
    let deadline = calendar::text(calendar::plus_days(midnight, -BIRTHDAY_NOTICE_DAYS));
    let mut credited = 0;
    for row in candidates {
        let (id, month, dom, set_at): (String, i64, i64, Option<String>) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let Some(set_at) = set_at else { continue };
        if set_at > deadline || birthday_in(day.year(), month as i8, dom as i8) != Some(day) {
            continue;
        }
        ledger::lock_customer(tx, &id)?;
        let written = ledger::record(
            tx,
            &Entry {
                customer_id: &id,
                kind: Kind::Birthday,
                points: points as i64,
                tier_points: points as i64,
                source: format!("birthday:{}", day.year()),
                detail: None,
                shortfall: 0,
                available_at: now,
            },
            now,
        )?;
        credited += u64::from(written);
    }
    Ok(credited)
}

/// When a balance with its last activity at `last_activity` expires, or `None` if points
/// never do.
pub fn expires_at(programme: &Programme, last_activity: &str) -> Option<Timestamp> {
    let months = programme.config.expiry_months?;
    let last = calendar::parse(last_activity).ok()?;
    Some(calendar::plus_months(
        last,
        i64::from(months),
        &programme.zone,
    ))
}

/// Expires the spendable balance of everyone inactive for the programme's months.
fn expire(conn: &mut Conn, programme: &Programme, now: Timestamp) -> Result<u64, ApiError> {
    let Some(months) = programme.config.expiry_months else {
        return Ok(0);
    };
    // Anyone whose newest activity lies before this may have points to expire.
    let cutoff = calendar::text(calendar::plus_months(
        now,
        -i64::from(months),
        &programme.zone,
    ));
    let candidates = conn.query(
        "SELECT customer_id, MAX(created_at) FROM ledger WHERE kind <> 'expire'
         GROUP BY customer_id HAVING MAX(created_at) <= ?1",
        &params![&cutoff],
    )?;
    let mut expired = 0;
    for row in candidates {
        let (id, last): (String, String) = (row.get(0)?, row.get(1)?);
        let mut tx = conn.transaction()?;
        ledger::lock_customer(&mut tx, &id)?;
        let balance = ledger::balance(&mut tx, &id, now)?;
        // Pending points are recent activity's; only the spendable balance goes.
        if balance.points > 0
            && balance.last_activity.as_deref() == Some(last.as_str())
            && expires_at(programme, &last).is_some_and(|at| at <= now)
        {
            let written = ledger::record(
                &mut tx,
                &Entry {
                    customer_id: &id,
                    kind: Kind::Expire,
                    points: -(balance.points as i64),
                    tier_points: 0,
                    source: format!("expire:{last}"),
                    detail: None,
                    shortfall: 0,
                    available_at: now,
                },
                now,
            )?;
            expired += u64::from(written);
        }
        tx.commit()?;
    }
    Ok(expired)
}

/// Runs the jobs at start and then every [`INTERVAL`], until the server drains (a run under way
/// finishes first).
pub fn spawn(db: Db, lifecycle: Arc<Lifecycle>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(INTERVAL);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = lifecycle.drained() => return,
            }
            match db.write(|conn| run(conn, calendar::now())).await {
                Ok(report) if report.birthdays + report.expired > 0 => tracing::info!(
                    birthdays = report.birthdays,
                    expired = report.expired,
                    "jobs: birthday credits and expired balances"
                ),
                Ok(_) => {}
                Err(error) => tracing::error!(error = ?error, "jobs failed"),
            }
        }
    })
}
