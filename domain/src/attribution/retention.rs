//! Retiring old calls (`BURSAR_RETAIN_CALLS_DAYS`): which raw calls may be
//! deleted while every total stays exact.
//!
//! The hourly and daily rollups, the task rollup and the budget counters
//! stay forever; only the rows of `events` retire. The store keeps one
//! instant, the **edge**: every call before it is gone, every call after it
//! is kept. The edge is on a UTC hour, so the hourly rollups answer exactly
//! for any time before it, and it only moves forward.
//!
//! Nothing holds the edge back. A budget recount (after retagging or
//! repricing, or a budget saved) counts its current and previous period
//! again; the part of a period before the edge comes from:
//! - the hourly rollups, for a budget whose scope and split use only tags
//!   the rollups keep and whose period starts on a UTC hour;
//! - otherwise (a split by task or user, a time zone off the hour) the
//!   retired calls' share of each counter, kept when they were deleted, in
//!   the same transaction ([`kept_share_windows`]).
//!
//! That share is only right for the scope, split, period and zone it was
//! counted for: a budget created, or changed in those, whose recount needs
//! calls from before the edge is refused ([`refuse_budget`]).
//!
//! Ingest refuses a call older than the window (`timestamp`), since a call
//! that old may already have been retired, and a resent one could not be
//! told from it: it would be counted twice.

use crate::budgets::budget::{BudgetSpec, SplitBy};
use crate::budgets::counting::recount_windows;
use crate::budgets::window::{self, Window};
use chrono::{DateTime, Duration, DurationRound, Utc};

/// The fewest days a window may be (a day of calls is kept at least), and the most.
pub const RETAIN_DAYS: (u32, u32) = (1, 36_500);

/// The instant calls older than `days` start at: `now − days`, down to its UTC hour.
pub fn window_start(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let t = now - Duration::days(i64::from(days));
    t.duration_trunc(Duration::hours(1)).unwrap_or(t)
}

/// Whether a budget can be recounted from the hourly rollups before the
/// edge: its scope and split use only tags the rollups keep.
pub fn rollups_count(spec: &BudgetSpec) -> bool {
    let kept = |k: &str| crate::attribution::tags::ROLLUP_KEYS.contains(&k);
    let split_ok = match &spec.split_by {
        None => true,
        Some(SplitBy::Task) => false,
        Some(SplitBy::Tag(k)) => kept(k.as_str()),
    };
    split_ok && spec.scope.0.keys().all(|k| kept(k.as_str()))
}

/// Whether an instant is on a UTC hour.
pub fn on_the_hour(t: DateTime<Utc>) -> bool {
    t.timestamp() % 3600 == 0
}

/// The earliest instant from which recounting `spec` at `now` needs raw
/// calls (`None`: the rollups serve any part before the edge).
pub fn needs_calls_from(spec: &BudgetSpec, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let zone = window::zone(&spec.time_zone).unwrap_or(window::Tz::UTC);
    let windows: Vec<Window> = recount_windows(spec.period, zone, now);
    let from_rollups = rollups_count(spec);
    windows.iter().filter(|w| !(from_rollups && on_the_hour(w.start))).map(|w| w.start).min()
}

/// Why `spec` cannot be counted exactly once calls before `edge` are
/// retired (`None`: it can): its recount needs calls from before the edge.
/// Names `split_by` or `scope` when they use a key the rollups do not keep
/// (or the split is by task), else `time_zone` (its periods start off the hour).
pub fn refuse_budget(spec: &BudgetSpec, now: DateTime<Utc>, edge: DateTime<Utc>) -> Option<crate::FieldError> {
    let need = needs_calls_from(spec, now).filter(|n| *n < edge)?;
    let kept = |k: &str| crate::attribution::tags::ROLLUP_KEYS.contains(&k);
    let field = match &spec.split_by {
        Some(SplitBy::Task) => "split_by",
        Some(SplitBy::Tag(k)) if !kept(k.as_str()) => "split_by",
        _ if spec.scope.0.keys().any(|k| !kept(k.as_str())) => "scope",
        _ => "time_zone",
    };
    Some(crate::FieldError {
        field: field.into(),
        reason: format!(
            "counting this budget needs each call from {}, and calls before {} are retired \
             (BURSAR_RETAIN_CALLS_DAYS); split and scope by {} with periods on the hour, or choose a shorter period",
            need.format("%Y-%m-%d %H:%M UTC"),
            edge.format("%Y-%m-%d %H:%M UTC"),
            crate::attribution::tags::ROLLUP_KEYS.join(", ")
        ),
    })
}

/// The periods of `spec` at `now` whose retired calls' share is kept at
/// deletion: the recount windows the hourly rollups cannot serve. A recount
/// at `now` adds the share for exactly these windows, so both sides use
/// this one rule.
pub fn kept_share_windows(spec: &BudgetSpec, now: DateTime<Utc>) -> Vec<Window> {
    let zone = window::zone(&spec.time_zone).unwrap_or(window::Tz::UTC);
    recount_windows(spec.period, zone, now).into_iter().filter(|w| keeps_share(spec, w)).collect()
}

/// Whether a recount of `spec`'s period `w` takes the part before the edge
/// from the retired calls' kept share (true) or from the hourly rollups.
pub fn keeps_share(spec: &BudgetSpec, w: &Window) -> bool {
    !(rollups_count(spec) && on_the_hour(w.start))
}

/// Where the edge may move to: the window's start, never behind where it already is.
pub fn next_edge(current: Option<DateTime<Utc>>, window_start: DateTime<Utc>) -> DateTime<Utc> {
    current.map_or(window_start, |c| c.max(window_start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn spec(split: Option<&str>, zone: &str) -> BudgetSpec {
        BudgetSpec {
            name: "b".into(),
            scope: crate::TagSet::new(),
            split_by: split.map(|s| SplitBy::parse(s).unwrap()),
            period: crate::budgets::budget::BudgetPeriod::Month,
            amount: crate::Nanos(100),
            thresholds: vec![],
            hard_cap: false,
            webhook: None,
            owner: String::new(),
            description: String::new(),
            time_zone: zone.into(),
        }
    }

    #[test]
    fn the_window_starts_on_the_hour() {
        assert_eq!(window_start(t("2026-12-07T18:47:12Z"), 30), t("2026-11-07T18:00:00Z"));
    }

    #[test]
    fn what_a_recount_needs_before_the_edge() {
        let now = t("2026-12-07T18:00:00Z");
        let team = spec(Some("team"), "UTC");
        assert!(rollups_count(&team));
        assert_eq!(needs_calls_from(&team, now), None);
        // By user: the previous month's raw calls are needed.
        let user = spec(Some("user"), "UTC");
        assert_eq!(needs_calls_from(&user, now), Some(t("2026-11-01T00:00:00Z")));
        // In Kolkata (UTC+5:30) a month starts off the hour.
        let ist = spec(None, "Asia/Kolkata");
        assert_eq!(needs_calls_from(&ist, now), Some(Utc.with_ymd_and_hms(2026, 10, 31, 18, 30, 0).unwrap()));
        // The share of retired calls is kept for the windows the rollups cannot serve.
        assert!(kept_share_windows(&team, now).is_empty());
        let kept = kept_share_windows(&user, now);
        assert_eq!(
            kept.iter().map(|w| w.start).collect::<Vec<_>>(),
            [t("2026-11-01T00:00:00Z"), t("2026-12-01T00:00:00Z")]
        );
        assert_eq!(kept_share_windows(&ist, now).len(), 2);
        let mut each_task = spec(Some("task"), "UTC");
        each_task.period = crate::budgets::budget::BudgetPeriod::Total;
        assert_eq!(kept_share_windows(&each_task, now), [window::all_time()]);
        // So nothing holds the edge back, and it never moves back.
        let w = window_start(now, 7);
        assert_eq!(next_edge(None, w), w);
        assert_eq!(next_edge(Some(t("2026-12-05T00:00:00Z")), w), t("2026-12-05T00:00:00Z"));
        // A budget by user, saved after November's calls were retired, is refused naming split_by.
        let edge = t("2026-11-15T00:00:00Z");
        assert_eq!(refuse_budget(&user, now, edge).unwrap().field, "split_by");
        assert_eq!(refuse_budget(&ist, now, edge).unwrap().field, "time_zone");
        assert!(refuse_budget(&team, now, edge).is_none());
        assert!(refuse_budget(&user, now, t("2026-11-01T00:00:00Z")).is_none(), "nothing it needs is retired");
    }
}
