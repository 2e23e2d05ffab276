//! View periods: the named ranges the pages offer ("last 30 days", "this
//! month"), each with the previous period of the same length to compare with.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A named range relative to now, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewPeriod {
    Last7,
    Last30,
    Last90,
    ThisMonth,
    LastMonth,
}

impl ViewPeriod {
    /// Every period, in picker order.
    pub const ALL: [ViewPeriod; 5] =
        [ViewPeriod::Last7, ViewPeriod::Last30, ViewPeriod::Last90, ViewPeriod::ThisMonth, ViewPeriod::LastMonth];

    /// Parses a URL value (`7d`, `30d`, `90d`, `mtd`, `last-month`); anything
    /// else is the default, the last 30 days.
    pub fn parse(s: &str) -> ViewPeriod {
        match s {
            "7d" => ViewPeriod::Last7,
            "90d" => ViewPeriod::Last90,
            "mtd" => ViewPeriod::ThisMonth,
            "last-month" => ViewPeriod::LastMonth,
            _ => ViewPeriod::Last30,
        }
    }

    /// The URL value.
    pub fn key(self) -> &'static str {
        match self {
            ViewPeriod::Last7 => "7d",
            ViewPeriod::Last30 => "30d",
            ViewPeriod::Last90 => "90d",
            ViewPeriod::ThisMonth => "mtd",
            ViewPeriod::LastMonth => "last-month",
        }
    }

    /// What the picker shows.
    pub fn label(self) -> &'static str {
        match self {
            ViewPeriod::Last7 => "Last 7 days",
            ViewPeriod::Last30 => "Last 30 days",
            ViewPeriod::Last90 => "Last 90 days",
            ViewPeriod::ThisMonth => "This month",
            ViewPeriod::LastMonth => "Last month",
        }
    }

    /// `[from, to)` for this period as of `now`. Rolling periods end at the
    /// end of today, so the chart's last bar is today.
    pub fn range(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default());
        let tomorrow = midnight(now.date_naive()) + Duration::days(1);
        let month_start = midnight(NaiveDate::from_ymd_opt(now.year(), now.month(), 1).unwrap_or_default());
        match self {
            ViewPeriod::Last7 => (tomorrow - Duration::days(7), tomorrow),
            ViewPeriod::Last30 => (tomorrow - Duration::days(30), tomorrow),
            ViewPeriod::Last90 => (tomorrow - Duration::days(90), tomorrow),
            ViewPeriod::ThisMonth => (month_start, tomorrow),
            ViewPeriod::LastMonth => {
                let prev = month_start - Duration::days(1);
                (midnight(NaiveDate::from_ymd_opt(prev.year(), prev.month(), 1).unwrap_or_default()), month_start)
            }
        }
    }

    /// The range of the same length just before [`ViewPeriod::range`].
    pub fn previous(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let (from, to) = self.range(now);
        (from - (to - from), from)
    }
}

/// A resolved range: a named period, or a custom one from two dates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// `7d`, `30d`, … or `custom`.
    pub key: String,
    pub label: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Range {
    /// The range of the same length just before this one.
    pub fn previous(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.from - (self.to - self.from), self.from)
    }
}

/// Resolves a period key, or `custom` with `from` and `to` dates
/// (`YYYY-MM-DD`, both days included). A custom range that does not parse, is
/// reversed or spans more than ten years falls back to the last 30 days.
pub fn resolve(period: &str, from: Option<&str>, to: Option<&str>, now: DateTime<Utc>) -> Range {
    let day = |s: Option<&str>| s.and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok());
    if period == "custom" {
        if let (Some(f), Some(t)) = (day(from), day(to)) {
            if f <= t && (t - f).num_days() <= 3_650 {
                let midnight = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default());
                return Range {
                    key: "custom".into(),
                    label: format!("{} – {}", f.format("%b %d, %Y"), t.format("%b %d, %Y")),
                    from: midnight(f),
                    to: midnight(t) + Duration::days(1),
                };
            }
        }
    }
    let p = ViewPeriod::parse(period);
    let (from, to) = p.range(now);
    Range { key: p.key().into(), label: p.label().into(), from, to }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn ranges_end_with_today() {
        let now = t("2026-11-28T15:00:00Z");
        assert_eq!(ViewPeriod::Last7.range(now), (t("2026-11-22T00:00:00Z"), t("2026-11-29T00:00:00Z")));
        assert_eq!(ViewPeriod::ThisMonth.range(now), (t("2026-11-01T00:00:00Z"), t("2026-11-29T00:00:00Z")));
        assert_eq!(ViewPeriod::LastMonth.range(now), (t("2026-10-01T00:00:00Z"), t("2026-11-01T00:00:00Z")));
        assert_eq!(ViewPeriod::Last7.previous(now), (t("2026-11-15T00:00:00Z"), t("2026-11-22T00:00:00Z")));
    }

    #[test]
    fn custom_ranges_include_both_days() {
        let now = t("2026-11-28T15:00:00Z");
        let r = resolve("custom", Some("2026-11-01"), Some("2026-11-15"), now);
        assert_eq!((r.from, r.to), (t("2026-11-01T00:00:00Z"), t("2026-11-16T00:00:00Z")));
        assert_eq!(r.label, "Nov 01, 2026 – Nov 15, 2026");
        assert_eq!(r.previous(), (t("2026-10-17T00:00:00Z"), t("2026-11-01T00:00:00Z")));
        assert_eq!(resolve("custom", Some("2026-11-15"), Some("2026-11-01"), now).key, "30d");
        assert_eq!(resolve("custom", Some("nope"), None, now).key, "30d");
        assert_eq!(resolve("7d", None, None, now).from, t("2026-11-22T00:00:00Z"));
    }

    #[test]
    fn unknown_values_fall_back_to_30_days() {
        assert_eq!(ViewPeriod::parse("bogus"), ViewPeriod::Last30);
        for p in ViewPeriod::ALL {
            assert_eq!(ViewPeriod::parse(p.key()), p);
        }
    }
}
