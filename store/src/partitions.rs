//! Postgres keeps `events` partitioned by UTC month (migration
//! `0013_events_by_month`): partitions named `events_yYYYYmMM`, each holding
//! `[month start, next month start)` in microseconds. Ingest makes a month's
//! partition before it stores a call in it; retention drops the months
//! wholly before its edge.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// A month's partition: its name and bounds (µs since 1970, UTC; upper excluded).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Month {
    pub name: String,
    pub from_us: i64,
    pub to_us: i64,
}

/// The start (µs since 1970) of the month holding `ts_us`: what ingest
/// checks per call, before any name is made.
pub fn month_start(ts_us: i64) -> i64 {
    let t = DateTime::<Utc>::from_timestamp_micros(ts_us).unwrap_or_default();
    let first = NaiveDate::from_ymd_opt(t.year(), t.month(), 1).unwrap_or_default();
    first.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_micros()
}

/// The month holding the instant `ts_us` (µs since 1970).
pub fn month_of(ts_us: i64) -> Month {
    let first = DateTime::<Utc>::from_timestamp_micros(month_start(ts_us)).unwrap_or_default().date_naive();
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    let us = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_micros();
    Month { name: format!("events_y{:04}m{:02}", first.year(), first.month()), from_us: us(first), to_us: us(next) }
}

/// The month a partition's name gives (`None` for any other name).
pub fn parse(name: &str) -> Option<Month> {
    let rest = name.strip_prefix("events_y")?;
    let (y, m) = rest.split_once('m')?;
    let first = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let month = month_of(first.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros());
    (month.name == name).then_some(month)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_named_and_bounded_in_utc() {
        let m = month_of(DateTime::parse_from_rfc3339("2026-12-31T23:59:59.999999Z").unwrap().timestamp_micros());
        assert_eq!(m.name, "events_y2026m12");
        assert_eq!(m.from_us, 1_796_083_200_000_000);
        assert_eq!(month_start(1_798_761_599_999_999), m.from_us);
        assert_eq!(m.to_us, 1_798_761_600_000_000);
        assert_eq!(parse("events_y2026m12"), Some(m));
        assert_eq!(parse("events_y2026m13"), None);
        assert_eq!(parse("events"), None);
    }
}
