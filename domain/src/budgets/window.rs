//! Budget periods as instants: the calendar day, week, month or quarter that
//! holds a time, in a budget's time zone, with the resets at local midnight.
//!
//! Local midnight can be missing (a DST change at 00:00 skips to 01:00) or
//! happen twice; a period then starts at the first instant of its first day.

use crate::budgets::budget::BudgetPeriod;
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
pub use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A period `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Where a `total` budget's only period starts and ends.
pub fn all_time() -> Window {
    let start = DateTime::<Utc>::UNIX_EPOCH;
    let end = Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0).single().unwrap_or(start);
    Window { start, end }
}

/// Parses an IANA zone name.
pub fn zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// The period of kind `period` that holds `at`, in zone `tz`.
pub fn window(period: BudgetPeriod, tz: Tz, at: DateTime<Utc>) -> Window {
    let day = at.with_timezone(&tz).date_naive();
    let first = match period {
        BudgetPeriod::Total => return all_time(),
        BudgetPeriod::Day => day,
        BudgetPeriod::Week => day - Duration::days(day.weekday().num_days_from_monday() as i64),
        BudgetPeriod::Month => day.with_day(1).unwrap_or(day),
        BudgetPeriod::Quarter => NaiveDate::from_ymd_opt(day.year(), (day.month0() / 3) * 3 + 1, 1).unwrap_or(day),
    };
    let next = match period {
        BudgetPeriod::Day => first + Duration::days(1),
        BudgetPeriod::Week => first + Duration::days(7),
        BudgetPeriod::Month => add_months(first, 1),
        _ => add_months(first, 3),
    };
    Window { start: local_midnight(tz, first), end: local_midnight(tz, next) }
}

/// The period before the one holding `at`.
pub fn previous(period: BudgetPeriod, tz: Tz, at: DateTime<Utc>) -> Window {
    let current = window(period, tz, at);
    if period == BudgetPeriod::Total {
        return current;
    }
    window(period, tz, current.start - Duration::seconds(1))
}

fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    let m0 = d.month0() + n;
    NaiveDate::from_ymd_opt(d.year() + (m0 / 12) as i32, m0 % 12 + 1, 1).unwrap_or(d)
}

/// The first instant of a local date: midnight, or when midnight does not
/// exist, the end of the gap.
fn local_midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    let midnight: NaiveDateTime = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => {
            // Inside a gap: find the first local minute that exists (gaps are at most a few hours).
            (1..=24 * 60)
                .find_map(|m| tz.from_local_datetime(&(midnight + Duration::minutes(m))).earliest())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn w(p: BudgetPeriod, z: &str, at: &str) -> (String, String) {
        let w = window(p, zone(z).unwrap(), utc(at));
        (w.start.to_rfc3339(), w.end.to_rfc3339())
    }

    #[test]
    fn calendar_periods_in_utc() {
        assert_eq!(
            w(BudgetPeriod::Month, "UTC", "2026-11-28T12:00:00Z"),
            ("2026-11-01T00:00:00+00:00".into(), "2026-12-01T00:00:00+00:00".into())
        );
        assert_eq!(
            w(BudgetPeriod::Quarter, "UTC", "2026-12-31T23:59:59Z"),
            ("2026-10-01T00:00:00+00:00".into(), "2027-01-01T00:00:00+00:00".into())
        );
        // 2026-11-28 is a Saturday; ISO weeks start on Monday.
        assert_eq!(
            w(BudgetPeriod::Week, "UTC", "2026-11-28T12:00:00Z"),
            ("2026-11-23T00:00:00+00:00".into(), "2026-11-30T00:00:00+00:00".into())
        );
        assert_eq!(window(BudgetPeriod::Total, Tz::UTC, utc("2026-11-28T12:00:00Z")), all_time());
    }

    #[test]
    fn periods_reset_at_local_midnight() {
        // 23:30 UTC on 31 Oct is already 1 November in Berlin (UTC+1 after the October change).
        assert_eq!(
            w(BudgetPeriod::Month, "Europe/Berlin", "2026-10-31T23:30:00Z"),
            ("2026-10-31T23:00:00+00:00".into(), "2026-11-30T23:00:00+00:00".into())
        );
    }

    #[test]
    fn a_day_with_a_dst_change_is_23_or_25_hours_long() {
        // Europe/London: clocks go forward on 29 March 2026 and back on 25 October 2026.
        let spring = window(BudgetPeriod::Day, zone("Europe/London").unwrap(), utc("2026-03-29T12:00:00Z"));
        assert_eq!(spring.end - spring.start, Duration::hours(23));
        let autumn = window(BudgetPeriod::Day, zone("Europe/London").unwrap(), utc("2026-10-25T12:00:00Z"));
        assert_eq!(autumn.end - autumn.start, Duration::hours(25));
        // A month whose boundary week holds the change: March has 31 days less one hour.
        let march = window(BudgetPeriod::Month, zone("Europe/London").unwrap(), utc("2026-03-15T00:00:00Z"));
        assert_eq!(march.end - march.start, Duration::days(31) - Duration::hours(1));
    }

    #[test]
    fn a_period_whose_midnight_does_not_exist_starts_when_the_gap_ends() {
        // America/Santiago moves clocks forward at local midnight (to 01:00) on 6 September 2026.
        let day = window(BudgetPeriod::Day, zone("America/Santiago").unwrap(), utc("2026-09-06T12:00:00Z"));
        assert_eq!(day.start, utc("2026-09-06T04:00:00Z"), "01:00 -03 is the day's first instant");
        let before = window(BudgetPeriod::Day, zone("America/Santiago").unwrap(), utc("2026-09-06T03:59:59Z"));
        assert_eq!(before.end, day.start, "the previous day ends where this one starts");
        assert_eq!(day.end - day.start, Duration::hours(23));
    }

    #[test]
    fn the_previous_period_is_the_one_before() {
        let p = previous(BudgetPeriod::Month, Tz::UTC, utc("2026-01-10T00:00:00Z"));
        assert_eq!(p.start, utc("2025-12-01T00:00:00Z"));
        assert_eq!(p.end, utc("2026-01-01T00:00:00Z"));
    }
}
