//! Instants as the database stores them (`2026-12-02T14:41:50Z`, UTC, whole seconds, so text
//! order is time order) and the calendar arithmetic the programme needs: days, months and
//! local dates in the shop's time zone. Domain functions take `now` as a parameter, so tests
//! can run a shop's year in a second.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

use crate::db::DbError;

pub fn now() -> Timestamp {
    Timestamp::now()
}

/// The stored form of an instant.
pub fn text(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The stored form of the first whole second at or after `at`: a retry never runs early.
pub fn text_ceil(at: Timestamp) -> String {
    let whole = Timestamp::from_second(at.as_second()).unwrap_or(at);
    text(if whole < at {
        whole
            .saturating_add(SignedDuration::from_secs(1))
            .unwrap_or(at)
    } else {
        at
    })
}

/// Reads a stored instant.
pub fn parse(text: &str) -> Result<Timestamp, DbError> {
    text.parse()
        .map_err(|e| DbError::Mismatch(format!("{text:?} is not an instant: {e}")))
}

pub fn plus_days(at: Timestamp, days: i64) -> Timestamp {
    at.saturating_add(SignedDuration::from_hours(24 * days))
        .unwrap_or(at)
}

/// `months` calendar months after `at` in `zone` (31 January + 1 month is 28 or 29 February).
pub fn plus_months(at: Timestamp, months: i64, zone: &TimeZone) -> Timestamp {
    at.to_zoned_datetime(zone.clone())
        .checked_add(months.months())
        .map(|z| z.timestamp())
        .unwrap_or(at)
}

/// The day it is at `at` in `zone`.
pub fn local_date(at: Timestamp, zone: &TimeZone) -> jiff::civil::Date {
    at.to_zoned_datetime(zone.clone()).date()
}

/// A time zone by its IANA name, from the system's tz database.
pub fn zone(name: &str) -> Result<TimeZone, String> {
    if name == "UTC" {
        return Ok(TimeZone::UTC);
    }
    TimeZone::get(name).map_err(|e| format!("{name:?} is not a time zone this server knows: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_stored_as_sortable_utc_text() {
        let at: Timestamp = "2026-12-02T14:41:50.123Z".parse().unwrap();
        assert_eq!(text(at), "2026-12-02T14:41:50Z");
        assert_eq!(
            text(parse("2026-12-02T14:41:50Z").unwrap()),
            "2026-12-02T14:41:50Z"
        );
        assert!(text(plus_days(at, 14)) > text(at));
        assert_eq!(text(plus_days(at, 14)), "2026-12-16T14:41:50Z");
        assert!(parse("yesterday").is_err());
    }

    #[test]
    fn months_follow_the_shops_calendar() {
        let oslo = zone("Europe/Oslo").unwrap();
        let end_of_january: Timestamp = "2027-01-31T10:00:00Z".parse().unwrap();
        assert_eq!(
            text(plus_months(end_of_january, 1, &oslo)),
            "2027-02-28T10:00:00Z"
        );
        let before_midnight: Timestamp = "2026-12-31T23:30:00Z".parse().unwrap();
        assert_eq!(local_date(before_midnight, &oslo).to_string(), "2027-01-01");
        assert_eq!(
            local_date(before_midnight, &TimeZone::UTC).to_string(),
            "2026-12-31"
        );
        assert!(zone("Mars/Olympus_Mons").is_err());
    }
}
