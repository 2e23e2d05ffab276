//! Reconciliation checks shared by the reliability tests: what Bursar keeps
//! pre-summed (hourly and daily rollups, budget counters) must equal a
//! recomputation from the raw events it stored.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use domain::attribution::report::SpendReport;
use std::sync::Arc;

/// A spend query over `[from, to]` (dates), grouped and bucketed as asked.
pub fn query(from: &str, to: &str, group_by: &str, granularity: &str) -> domain::SpendQuery {
    let mut params = vec![("from".to_string(), from.to_string()), ("to".to_string(), to.to_string())];
    if !group_by.is_empty() {
        params.push(("group_by".into(), group_by.into()));
    }
    if !granularity.is_empty() {
        params.push(("granularity".into(), granularity.into()));
    }
    domain::SpendQuery::from_params(&params, Utc::now()).unwrap()
}

/// The report with its groups in key order (ties in cost may list in either order).
fn sorted(mut r: SpendReport) -> SpendReport {
    r.groups.sort_by(|a, b| a.values.cmp(&b.values));
    r
}

/// Spend answered from the rollups equals spend summed from the raw events,
/// for the total, every group and every bucket, over several groupings.
pub async fn assert_rollups_match_events(store: &Arc<dyn store::Store>, from: &str, to: &str) {
    // Hourly series may span at most 31 days: those look at the last week of the range.
    let week_before =
        (chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").unwrap() - chrono::Duration::days(7)).to_string();
    let week_from = if week_before.as_str() > from { week_before.as_str() } else { from };
    for (from, group_by, granularity) in [
        (from, "", "day"),
        (from, "team,workflow", "day"),
        (week_from, "model", "hour"),
        (from, "provider,product", "week"),
        (from, "task_type", "month"),
    ] {
        let q = query(from, to, group_by, granularity);
        assert!(q.rollups_suffice(), "{group_by}/{granularity} should be answered from rollups");
        let rolled = sorted(store.spend(&q).await.unwrap());
        let raw = sorted(store.spend_from_events(&q).await.unwrap());
        assert_eq!(rolled.total, raw.total, "totals, group_by={group_by:?} granularity={granularity}");
        assert_eq!(rolled.groups, raw.groups, "groups, group_by={group_by:?} granularity={granularity}");
        assert_eq!(rolled.series, raw.series, "series, group_by={group_by:?} granularity={granularity}");
    }
}

/// The start of this month, UTC (the period of a monthly budget kept in UTC).
pub fn month_start() -> DateTime<Utc> {
    let now = Utc::now();
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).unwrap()
}

/// A budget's counters for this month equal what a recount from the raw events makes of them.
pub async fn assert_counters_match_recount(store: &Arc<dyn store::Store>, budget_id: &str) -> Vec<store::Counter> {
    let read = || async {
        let mut c = store.budget_counters(budget_id, month_start(), 100_000).await.unwrap();
        c.sort_by(|a, b| a.split_value.cmp(&b.split_value));
        c
    };
    let kept = read().await;
    store.recount_budgets(Utc::now()).await.unwrap();
    let recounted = read().await;
    assert_eq!(kept, recounted, "budget {budget_id}: counters kept at ingest differ from a recount of the events");
    kept
}

/// Each task's row of the task rollup equals a recount of that task's stored
/// calls over `[from, to]` (dates): first and last call, calls, cost, and the
/// smallest and largest input. Tasks without a stored call have no row.
pub async fn assert_task_rollups_match_events(
    store: &Arc<dyn store::Store>,
    tasks: impl IntoIterator<Item = String>,
    from: &str,
    to: &str,
) {
    let range = query(from, to, "", "");
    for task in tasks {
        let q = store::EventQuery { spend: range.clone(), task_id: Some(task.clone()), limit: 10_000, offset: 0 };
        let calls = store.list_events(&q).await.unwrap();
        let row = store.task_rollup(&task).await.unwrap();
        let Some(row) = row else {
            assert!(calls.is_empty(), "{task} has stored calls but no rollup row");
            continue;
        };
        let at = calls.iter().map(|c| c.event.timestamp);
        let input = calls.iter().map(|c| c.event.usage.input_tokens);
        let recount = (
            at.clone().min(),
            at.max(),
            calls.len() as i64,
            calls.iter().map(|c| c.cost.map_or(0, |n| n.0)).sum::<i64>(),
            input.clone().min(),
            input.max(),
        );
        assert_eq!(
            (Some(row.first), Some(row.last), row.calls, row.cost.0, Some(row.min_input), Some(row.max_input)),
            recount,
            "{task}: the task rollup equals a recount of its calls"
        );
    }
}
