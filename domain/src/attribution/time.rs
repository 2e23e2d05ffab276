//! Time: buckets for series, and how a query range splits over the rollups.
//!
//! All times are UTC. Rollups are kept per UTC hour and per UTC day; a range
//! is answered from the coarsest rollup that covers each part of it exactly,
//! and from raw events only at its unaligned edges, so every answer equals a
//! sum over the stored events.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// The width of one point of a time series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Hour,
    Day,
    Week,
    Month,
}

impl Granularity {
    /// Parses `hour|day|week|month`.
    pub fn parse(s: &str) -> Result<Granularity, String> {
        match s {
            "hour" => Ok(Granularity::Hour),
            "day" => Ok(Granularity::Day),
            "week" => Ok(Granularity::Week),
            "month" => Ok(Granularity::Month),
            other => Err(format!("must be one of hour, day, week, month (got {other:?})")),
        }
    }

    /// The start of the bucket holding `t`. Weeks start on Monday.
    pub fn floor(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let day = Utc.from_utc_datetime(&t.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default());
        match self {
            Granularity::Hour => floor_hour(t),
            Granularity::Day => day,
            Granularity::Week => day - Duration::days(i64::from(t.weekday().num_days_from_monday())),
            Granularity::Month => {
                let first = NaiveDate::from_ymd_opt(t.year(), t.month(), 1).unwrap_or_default();
                Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
            }
        }
    }

    /// The start of the bucket after the one starting at `start`.
    pub fn next(self, start: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Granularity::Hour => start + Duration::hours(1),
            Granularity::Day => start + Duration::days(1),
            Granularity::Week => start + Duration::weeks(1),
            Granularity::Month => {
                let (y, m) =
                    if start.month() == 12 { (start.year() + 1, 1) } else { (start.year(), start.month() + 1) };
                let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default();
                Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
            }
        }
    }

    /// Every bucket start from the one holding `from` up to `to` (exclusive).
    pub fn buckets(self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut t = self.floor(from);
        while t < to && out.len() < 100_000 {
            out.push(t);
            t = self.next(t);
        }
        out
    }
}

/// The start of the UTC hour holding `t`.
pub fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp().div_euclid(3600) * 3600;
    Utc.timestamp_opt(secs, 0).single().unwrap_or(t).with_nanosecond(0).unwrap_or(t)
}

fn floor_day(t: DateTime<Utc>) -> DateTime<Utc> {
    Granularity::Day.floor(t)
}

fn ceil_with(t: DateTime<Utc>, floor: fn(DateTime<Utc>) -> DateTime<Utc>, step: Duration) -> DateTime<Utc> {
    let f = floor(t);
    if f == t {
        t
    } else {
        f + step
    }
}

/// Where one part of a range is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Individual events.
    Raw,
    /// The hourly rollup.
    Hour,
    /// The daily rollup.
    Day,
}

/// One part of a query range, `[from, to)`, and its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub source: Source,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Splits `[from, to)` into raw edges, hourly edges and a daily middle. With
/// `allow_days` false (hourly series) no daily segment is used.
pub fn plan_segments(from: DateTime<Utc>, to: DateTime<Utc>, allow_days: bool) -> Vec<Segment> {
    let mut out = Vec::new();
    if from >= to {
        return out;
    }
    let mut push = |source, a: DateTime<Utc>, b: DateTime<Utc>| {
        if a < b {
            out.push(Segment { source, from: a, to: b });
        }
    };
    let h_from = ceil_with(from, floor_hour, Duration::hours(1));
    let h_to = floor_hour(to);
    if h_from >= h_to {
        push(Source::Raw, from, to);
        return out;
    }
    push(Source::Raw, from, h_from);
    let d_from = ceil_with(h_from, floor_day, Duration::days(1));
    let d_to = floor_day(h_to);
    if allow_days && d_from < d_to {
        push(Source::Hour, h_from, d_from);
        push(Source::Day, d_from, d_to);
        push(Source::Hour, d_to, h_to);
    } else {
        push(Source::Hour, h_from, h_to);
    }
    push(Source::Raw, h_to, to);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn floors_to_each_granularity() {
        let x = t("2026-11-26T13:45:10Z"); // a Thursday
        assert_eq!(Granularity::Hour.floor(x), t("2026-11-26T13:00:00Z"));
        assert_eq!(Granularity::Day.floor(x), t("2026-11-26T00:00:00Z"));
        assert_eq!(Granularity::Week.floor(x), t("2026-11-23T00:00:00Z"));
        assert_eq!(Granularity::Month.floor(x), t("2026-11-01T00:00:00Z"));
        assert_eq!(Granularity::Month.next(t("2026-12-01T00:00:00Z")), t("2027-01-01T00:00:00Z"));
    }

    #[test]
    fn aligned_days_read_only_the_daily_rollup() {
        let s = plan_segments(t("2026-11-01T00:00:00Z"), t("2026-11-08T00:00:00Z"), true);
        assert_eq!(
            s,
            vec![Segment { source: Source::Day, from: t("2026-11-01T00:00:00Z"), to: t("2026-11-08T00:00:00Z") }]
        );
    }

    #[test]
    fn ragged_ranges_cover_every_instant_once() {
        let from = t("2026-11-01T10:15:00Z");
        let to = t("2026-11-05T07:30:00Z");
        let s = plan_segments(from, to, true);
        let sources: Vec<Source> = s.iter().map(|x| x.source).collect();
        assert_eq!(sources, vec![Source::Raw, Source::Hour, Source::Day, Source::Hour, Source::Raw]);
        assert_eq!(s.first().unwrap().from, from);
        assert_eq!(s.last().unwrap().to, to);
        assert!(s.windows(2).all(|w| w[0].to == w[1].from));
    }

    #[test]
    fn short_ranges_read_raw_events() {
        let s = plan_segments(t("2026-11-01T10:15:00Z"), t("2026-11-01T10:45:00Z"), true);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].source, Source::Raw);
        assert!(plan_segments(t("2026-11-02T00:00:00Z"), t("2026-11-01T00:00:00Z"), true).is_empty());
    }

    #[test]
    fn hourly_series_never_use_days() {
        let s = plan_segments(t("2026-11-01T00:00:00Z"), t("2026-11-03T00:00:00Z"), false);
        assert_eq!(
            s,
            vec![Segment { source: Source::Hour, from: t("2026-11-01T00:00:00Z"), to: t("2026-11-03T00:00:00Z") }]
        );
    }

    #[test]
    fn buckets_span_the_range() {
        let b = Granularity::Day.buckets(t("2026-11-01T12:00:00Z"), t("2026-11-04T00:00:00Z"));
        assert_eq!(b, vec![t("2026-11-01T00:00:00Z"), t("2026-11-02T00:00:00Z"), t("2026-11-03T00:00:00Z")]);
    }
}
