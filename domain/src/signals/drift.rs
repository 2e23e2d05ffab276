//! Drift: a signal that moved by more than a set share between last week
//! and this one, with enough calls behind both to mean something.

use super::signal::{show, Agg, Signal, Unit};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A week-over-week change worth a person's attention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub value: String,
    pub signal: Signal,
    #[serde(with = "rust_decimal::serde::str")]
    pub before: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub after: Decimal,
    /// Relative change in percent (negative for a fall).
    #[serde(with = "rust_decimal::serde::str")]
    pub change_pct: Decimal,
    /// "bug-triage: cache hit rate fell 41% → 12% this week".
    pub sentence: String,
}

/// Relative change from `before` to `after` in percent; `None` from zero.
pub fn change_pct(before: Decimal, after: Decimal) -> Option<Decimal> {
    (!before.is_zero()).then(|| ((after - before) * Decimal::from(100) / before.abs()).round_dp(1))
}

/// Least calls in each week for a drift to count.
pub const DRIFT_MIN_CALLS: i64 = 50;
/// Least relative change, in percent, for a drift to count.
pub const DRIFT_MIN_CHANGE: i64 = 25;

/// The signals of `value` that moved the bad way by at least 25% from last
/// week (`prev`) to this week (`this`), with enough calls in both.
pub fn drifts(value: &str, prev: &Agg, this: &Agg) -> Vec<Drift> {
    if prev.calls < DRIFT_MIN_CALLS || this.calls < DRIFT_MIN_CALLS {
        return Vec::new();
    }
    let mut out: Vec<Drift> = [
        Signal::EscalationCalls,
        Signal::CacheHit,
        Signal::LoopsMean,
        Signal::LoopsP95,
        Signal::ContextDepth,
        Signal::CostPerTask,
    ]
    .into_iter()
    .filter_map(|s| {
        let (before, after) = (s.value(prev)?, s.value(this)?);
        let change = change_pct(before, after)?;
        let bad = if s.rise_is_bad() { change } else { -change };
        // Percentages must also move by 5 points: 1% → 2% is not news.
        let points = s.unit() != Unit::Percent || (after - before).abs() >= Decimal::from(5);
        (bad >= Decimal::from(DRIFT_MIN_CHANGE) && points).then(|| Drift {
            value: value.to_string(),
            signal: s,
            before,
            after,
            change_pct: change,
            sentence: format!(
                "{value}: {} {} {} → {} this week",
                s.label(),
                if after > before { "rose" } else { "fell" },
                show(s.unit(), before),
                show(s.unit(), after)
            ),
        })
    })
    .collect();
    out.sort_by_key(|d| std::cmp::Reverse(d.change_pct.abs()));
    out
}
