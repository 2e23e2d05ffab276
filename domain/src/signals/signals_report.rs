//! The Signals page's content, built from daily sums: for each scope value a
//! daily series of each signal, this week against last week, the drifts
//! worth reading, and the spend anomalies of the whole range.

use crate::pricing::money::Nanos;
use crate::signals::anomaly::{self, Anomaly, AnomalyParams};
use crate::signals::drift::{change_pct, drifts, Drift};
use crate::signals::signal::{dates, Agg, Daily, Signal};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The periods the Signals page offers, in days; the API and the page read
/// only these, so each is one cached report rather than one per number.
pub const PERIODS: [u32; 2] = [30, 90];

/// One signal of one scope value over the range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub signal: Signal,
    /// One point per day of the range (`None`: nothing that day).
    pub points: Vec<Option<Decimal>>,
    /// The last 7 days, and the 7 before.
    pub this_week: Option<Decimal>,
    pub last_week: Option<Decimal>,
    pub change_pct: Option<Decimal>,
    /// The change went the bad way by at least the drift threshold.
    pub drifting: bool,
}

/// The longest task of a range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopTask {
    pub task_id: String,
    pub calls: i64,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost: Nanos,
}

/// One scope value (a workflow, a team, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSignals {
    /// `None`: calls without the key.
    pub value: Option<String>,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub spend: Nanos,
    pub calls: i64,
    pub tasks: usize,
    pub series: Vec<Series>,
    pub longest_task: Option<TopTask>,
}

/// An anomalous day of one scope value, with the task that cost most that day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyRow {
    pub value: String,
    pub anomaly: Anomaly,
    pub top_task: Option<TopTask>,
}

/// Everything the Signals page shows for one tag key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalsReport {
    pub key: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<NaiveDate>,
    pub scopes: Vec<ScopeSignals>,
    pub drifts: Vec<Drift>,
    pub anomalies: Vec<AnomalyRow>,
    pub anomaly_params: AnomalyParams,
    /// The models counted as premium.
    pub premium_models: Vec<String>,
}

fn top(a: &Agg) -> Option<TopTask> {
    a.tasks.top.as_ref().map(|(task_id, calls, cost)| TopTask { task_id: task_id.clone(), calls: *calls, cost: *cost })
}

/// Builds the report for the days `from..=to`; "this week" is the 7 days to `to`.
pub fn build(
    key: &str,
    daily: &Daily,
    from: NaiveDate,
    to: NaiveDate,
    params: &AnomalyParams,
    premium_models: Vec<String>,
) -> SignalsReport {
    let days: Vec<NaiveDate> = dates(from, to).collect();
    let week = |end: NaiveDate| (end - Duration::days(6), end);
    let (tw, lw) = (week(to), week(to - Duration::days(7)));
    let mut scopes = Vec::new();
    let mut all_drifts = Vec::new();
    let mut anomalies = Vec::new();
    for value in daily.values_by_spend() {
        let total = daily.window(&value, from, to);
        if total.calls == 0 {
            continue;
        }
        let per_day: Vec<Agg> = days.iter().map(|d| daily.window(&value, *d, *d)).collect();
        let (this, last) = (daily.window(&value, tw.0, tw.1), daily.window(&value, lw.0, lw.1));
        let name = value.clone().unwrap_or_else(|| format!("(no {key})"));
        let found = drifts(&name, &last, &this);
        let series = Signal::SHOWN
            .iter()
            .map(|&s| {
                let (a, b) = (s.value(&this), s.value(&last));
                Series {
                    signal: s,
                    points: per_day.iter().map(|a| s.value(a)).collect(),
                    this_week: a,
                    last_week: b,
                    change_pct: b.zip(a).and_then(|(b, a)| change_pct(b, a)),
                    drifting: found.iter().any(|d| d.signal == s),
                }
            })
            .collect();
        if let (Some(v), Some(first)) = (&value, daily.first_day(&value)) {
            let start = first.max(from - Duration::days(anomaly::BASELINE_DAYS as i64));
            let series = daily.spend_series(&value, start, to);
            for a in anomaly::detect(&series, params).into_iter().filter(|a| a.day >= from) {
                let top_task = top(&daily.window(&value, a.day, a.day));
                anomalies.push(AnomalyRow { value: v.clone(), anomaly: a, top_task });
            }
        }
        all_drifts.extend(found);
        scopes.push(ScopeSignals {
            value,
            spend: total.cost,
            calls: total.calls,
            tasks: total.tasks.count() as usize,
            series,
            longest_task: top(&total),
        });
    }
    // Named values first (calls without the key have their own page), each by the size of the change.
    all_drifts.sort_by_key(|d| (d.value.starts_with("(no "), std::cmp::Reverse(d.change_pct.abs())));
    anomalies.sort_by(|a, b| b.anomaly.day.cmp(&a.anomaly.day).then(b.anomaly.spend.cmp(&a.anomaly.spend)));
    SignalsReport {
        key: key.to_string(),
        from,
        to,
        days,
        scopes,
        drifts: all_drifts,
        anomalies,
        anomaly_params: params.clone(),
        premium_models,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::signal::{DayRow, TaskDays, TaskRow};

    #[test]
    fn a_report_shows_series_drifts_and_anomalies() {
        let day = |i: i64| NaiveDate::from_ymd_opt(2026, 9, 1).unwrap() + Duration::days(i);
        // 40 days of "wf": 100 calls and $10 a day, 40% cached; the last week 10% cached; day 30 spends $500.
        let rows: Vec<DayRow> = (0..40)
            .map(|i| DayRow {
                day: day(i),
                value: Some("wf".into()),
                model: "m".into(),
                calls: 100,
                cost: Nanos(if i == 30 { 500_000_000_000 } else { 10_000_000_000 }),
                input_tokens: 100_000,
                cache_read_tokens: if i >= 33 { 10_000 } else { 40_000 },
                output_tokens: 0,
            })
            .collect();
        let tasks = vec![TaskRow {
            task_id: "runaway".into(),
            value: Some("wf".into()),
            day: day(30),
            calls: 90,
            cost: Nanos(490_000_000_000),
            min_input: 1,
            max_input: 90,
        }];
        let daily = Daily::build(&rows, &TaskDays::of(&tasks), &|_| false);
        let r = build("workflow", &daily, day(10), day(39), &AnomalyParams::default(), vec![]);
        assert_eq!(r.days.len(), 30);
        assert_eq!(r.scopes.len(), 1);
        let cache = r.scopes[0].series.iter().find(|s| s.signal == Signal::CacheHit).unwrap();
        assert_eq!(cache.this_week, Some(Decimal::from(10)));
        assert_eq!(cache.last_week, Some(Decimal::from(40)));
        assert!(cache.drifting);
        assert_eq!(r.drifts[0].sentence, "wf: cache hit rate fell 40% → 10% this week");
        assert_eq!(r.anomalies.len(), 1);
        assert_eq!(r.anomalies[0].anomaly.day, day(30));
        assert_eq!(r.anomalies[0].top_task.as_ref().unwrap().task_id, "runaway");
        assert_eq!(r.scopes[0].longest_task.as_ref().unwrap().calls, 90);
    }
}
