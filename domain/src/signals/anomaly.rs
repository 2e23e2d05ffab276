//! Spend anomalies: a day whose spend is far above its own recent past.
//!
//! In one sentence, as the page says it: a day is anomalous when its spend
//! is more than `sensitivity` robust deviations (1.4826 × the median absolute
//! deviation) above the median of the 28 days before it, and at least the
//! minimum amount above that median. Median and MAD ignore the spikes they
//! are looking for, where a mean and standard deviation would be dragged by them.

use crate::pricing::money::Nanos;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Days of history the baseline is read from.
pub const BASELINE_DAYS: usize = 28;
/// Days of history needed before a day is judged at all.
pub const MIN_HISTORY_DAYS: usize = 14;

/// How sensitive detection is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyParams {
    /// Robust deviations above the median (lower is more sensitive).
    #[serde(with = "rust_decimal::serde::str")]
    pub sensitivity: Decimal,
    /// The least excess over the median that counts, so that small workflows page no one.
    #[serde(with = "crate::pricing::money::usd_str")]
    pub min_amount: Nanos,
}

impl Default for AnomalyParams {
    fn default() -> AnomalyParams {
        AnomalyParams { sensitivity: Decimal::from(4), min_amount: Nanos(25_000_000_000) }
    }
}

/// One anomalous day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub day: NaiveDate,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub spend: Nanos,
    /// The median of the baseline days.
    #[serde(with = "crate::pricing::money::usd_str")]
    pub median: Nanos,
    /// Spend above which the day is anomalous.
    #[serde(with = "crate::pricing::money::usd_str")]
    pub threshold: Nanos,
}

impl Anomaly {
    /// How many times the usual day this one was, e.g. "12.4×".
    pub fn ratio(&self) -> String {
        if self.median.0 <= 0 {
            return "new".into();
        }
        format!("{}×", (Decimal::from(self.spend.0) / Decimal::from(self.median.0)).round_dp(1).normalize())
    }
}

fn median(v: &mut [i64]) -> i64 {
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        ((i128::from(v[n / 2 - 1]) + i128::from(v[n / 2])) / 2) as i64
    }
}

/// Judges one day against the days before it (oldest first, zero-spend days
/// included); `None` when it is ordinary or there is too little history.
pub fn judge(history: &[Nanos], day: NaiveDate, spend: Nanos, p: &AnomalyParams) -> Option<Anomaly> {
    if history.len() < MIN_HISTORY_DAYS {
        return None;
    }
    let base = &history[history.len().saturating_sub(BASELINE_DAYS)..];
    let mut v: Vec<i64> = base.iter().map(|n| n.0).collect();
    let med = median(&mut v);
    let mut dev: Vec<i64> = base.iter().map(|n| (n.0 - med).abs()).collect();
    let mad = median(&mut dev);
    let spread = Decimal::new(14826, 4) * Decimal::from(mad) * p.sensitivity;
    let threshold = Decimal::from(med) + spread;
    let threshold = threshold.max(Decimal::from(med) + Decimal::from(p.min_amount.0));
    let threshold = Nanos(threshold.round().try_into().unwrap_or(i64::MAX));
    (spend > threshold).then_some(Anomaly { day, spend, median: Nanos(med), threshold })
}

/// Every anomalous day of a daily series (oldest first, one entry per day).
pub fn detect(series: &[(NaiveDate, Nanos)], p: &AnomalyParams) -> Vec<Anomaly> {
    let spend: Vec<Nanos> = series.iter().map(|(_, s)| *s).collect();
    series.iter().enumerate().filter_map(|(i, (day, s))| judge(&spend[..i], *day, *s, p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn usd(n: i64) -> Nanos {
        Nanos(n * 1_000_000_000)
    }

    fn series(values: &[i64]) -> Vec<(NaiveDate, Nanos)> {
        let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        values.iter().enumerate().map(|(i, v)| (start + Duration::days(i as i64), usd(*v))).collect()
    }

    #[test]
    fn a_spike_over_a_steady_baseline_is_flagged() {
        // 20 days alternating $100 and $110: median 105, MAD 5, threshold 105 + 4 × 1.4826 × 5 = 134.652,
        // so $134 passes. Then with $134 in the history: median 110, MAD 10, threshold 169.304.
        let mut v: Vec<i64> = (0..20).map(|i| if i % 2 == 0 { 100 } else { 110 }).collect();
        v.push(134);
        v.push(400);
        let found = detect(&series(&v), &AnomalyParams::default());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].spend, usd(400));
        assert_eq!(found[0].median, usd(110));
        assert_eq!(found[0].threshold, Nanos(169_304_000_000));
        assert_eq!(found[0].ratio(), "3.6×");
    }

    #[test]
    fn small_excesses_and_short_histories_page_no_one() {
        // Flat $1 a day then $20: far above in deviations, but only $19 above the median (< $25).
        let mut v = vec![1; 20];
        v.push(20);
        assert!(detect(&series(&v), &AnomalyParams::default()).is_empty());
        v.push(30);
        assert_eq!(detect(&series(&v), &AnomalyParams::default()).len(), 1);
        // Too little history: nothing is judged.
        assert!(detect(&series(&[1, 1, 1, 500]), &AnomalyParams::default()).is_empty());
    }
}
