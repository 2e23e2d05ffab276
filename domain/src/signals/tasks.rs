//! What the signals need of tasks, summed per scope value and day so that
//! memory is bounded by days and values, never by the number of tasks
//! (issue 18: at 10M calls the per-task rows took 861 MiB).
//!
//! The store sums its task rollup into three kinds of rows per (scope value,
//! day of the task's first call), in SQL ([`TaskDays`]):
//! - per number of calls: how many tasks, their cost, their input growth and
//!   first inputs ([`LoopRow`]), so loop percentiles, means and context growth
//!   over any window are exact;
//! - per cost bucket: how many tasks and the dearest ([`CostRow`]), so the
//!   cost p95 over any window is found to within one bucket ([`cost_bucket`]);
//! - the day's longest task ([`TopRow`]).
//!
//! [`TaskDays::of`] makes the same rows from per-task sums, for tests and as
//! the reference the store's SQL is checked against.

use crate::pricing::money::Nanos;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One task's sums: its calls, their cost, and its smallest and largest input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRow {
    pub task_id: String,
    pub value: Option<String>,
    /// The day of its first call.
    pub day: NaiveDate,
    pub calls: i64,
    pub cost: Nanos,
    pub min_input: i64,
    pub max_input: i64,
}

/// The tasks of one value and day that made `calls` calls each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopRow {
    pub value: Option<String>,
    pub day: NaiveDate,
    pub calls: i64,
    pub tasks: i64,
    pub cost: Nanos,
    /// Sum over the tasks of (largest input − smallest input), in tokens.
    pub growth: i64,
    /// Sum of the tasks' smallest inputs (their first prompts), in tokens.
    pub first_input: i64,
}

/// The tasks of one value and day whose cost falls in one [`cost_bucket`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostRow {
    pub value: Option<String>,
    pub day: NaiveDate,
    pub bucket: i64,
    pub tasks: i64,
    /// The dearest task's cost in the bucket.
    pub max_cost: Nanos,
}

/// The longest task of one value and day: most calls, then most cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopRow {
    pub value: Option<String>,
    pub day: NaiveDate,
    pub task_id: String,
    pub calls: i64,
    pub cost: Nanos,
}

/// The task sums of a range, per value and day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDays {
    pub loops: Vec<LoopRow>,
    pub costs: Vec<CostRow>,
    pub tops: Vec<TopRow>,
}

/// A task cost's bucket: its number of digits × 100 plus its first two
/// digits (a one-digit cost counts as that digit × 10), in nano-dollars, so
/// buckets sort as costs do and each spans two significant figures. The
/// store computes the same in SQL (`store::sql`); a negative cost counts as 0.
///
/// `cost_bucket(5) == 150`, `cost_bucket(1_700) == 417`, `cost_bucket(12_345) == 512`.
pub fn cost_bucket(cost: i64) -> i64 {
    let digits = cost.max(0).to_string();
    let lead: i64 = format!("{digits}0")[..2].parse().unwrap_or(0);
    digits.len() as i64 * 100 + lead
}

impl TaskDays {
    /// The rows of each day, by day (a day without rows is absent).
    pub fn by_day(self) -> BTreeMap<NaiveDate, TaskDays> {
        let mut out: BTreeMap<NaiveDate, TaskDays> = BTreeMap::new();
        for r in self.loops {
            out.entry(r.day).or_default().loops.push(r);
        }
        for r in self.costs {
            out.entry(r.day).or_default().costs.push(r);
        }
        for r in self.tops {
            out.entry(r.day).or_default().tops.push(r);
        }
        out
    }

    /// Appends `other`'s rows, keeping only those of `value` when given.
    pub fn append(&mut self, other: &TaskDays, value: Option<&str>) {
        let keep = |v: &Option<String>| value.is_none_or(|want| v.as_deref() == Some(want));
        self.loops.extend(other.loops.iter().filter(|r| keep(&r.value)).cloned());
        self.costs.extend(other.costs.iter().filter(|r| keep(&r.value)).cloned());
        self.tops.extend(other.tops.iter().filter(|r| keep(&r.value)).cloned());
    }

    /// The same sums the store makes in SQL, from per-task rows.
    pub fn of(tasks: &[TaskRow]) -> TaskDays {
        let mut loops: BTreeMap<(Option<String>, NaiveDate, i64), LoopRow> = BTreeMap::new();
        let mut costs: BTreeMap<(Option<String>, NaiveDate, i64), CostRow> = BTreeMap::new();
        let mut tops: BTreeMap<(Option<String>, NaiveDate), TopRow> = BTreeMap::new();
        for t in tasks {
            let l = loops.entry((t.value.clone(), t.day, t.calls)).or_insert_with(|| LoopRow {
                value: t.value.clone(),
                day: t.day,
                calls: t.calls,
                tasks: 0,
                cost: Nanos::ZERO,
                growth: 0,
                first_input: 0,
            });
            l.tasks += 1;
            l.cost += t.cost;
            l.growth += t.max_input - t.min_input;
            l.first_input += t.min_input;
            let bucket = cost_bucket(t.cost.0);
            let c = costs.entry((t.value.clone(), t.day, bucket)).or_insert_with(|| CostRow {
                value: t.value.clone(),
                day: t.day,
                bucket,
                tasks: 0,
                max_cost: t.cost,
            });
            c.tasks += 1;
            c.max_cost = c.max_cost.max(t.cost);
            let top =
                TopRow { value: t.value.clone(), day: t.day, task_id: t.task_id.clone(), calls: t.calls, cost: t.cost };
            tops.entry((t.value.clone(), t.day))
                .and_modify(|old| {
                    if (top.calls, top.cost, &top.task_id) > (old.calls, old.cost, &old.task_id) {
                        *old = top.clone();
                    }
                })
                .or_insert(top);
        }
        TaskDays {
            loops: loops.into_values().collect(),
            costs: costs.into_values().collect(),
            tops: tops.into_values().collect(),
        }
    }
}

/// Tasks of one loop size within a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoopGroup {
    pub tasks: i64,
    pub cost: Nanos,
    pub growth: i64,
    pub first_input: i64,
}

/// The tasks of a window of days, summed: mergeable across days.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskStats {
    /// By calls per task.
    pub loops: BTreeMap<i64, LoopGroup>,
    /// By [`cost_bucket`]: how many tasks, and the dearest.
    pub costs: BTreeMap<i64, (i64, Nanos)>,
    /// The longest task: most calls, then most cost.
    pub top: Option<(String, i64, Nanos)>,
}

impl TaskStats {
    /// How many tasks.
    pub fn count(&self) -> i64 {
        self.loops.values().map(|g| g.tasks).sum()
    }

    /// Adds another window's (or day's) tasks.
    pub fn merge(&mut self, other: &TaskStats) {
        for (calls, g) in &other.loops {
            self.add_loop(*calls, g);
        }
        for (bucket, (n, max)) in &other.costs {
            self.add_cost(*bucket, *n, *max);
        }
        if let Some(t) = &other.top {
            self.offer_top(t.clone());
        }
    }

    /// Adds tasks of `calls` calls each.
    pub fn add_loop(&mut self, calls: i64, g: &LoopGroup) {
        let mine = self.loops.entry(calls).or_default();
        mine.tasks += g.tasks;
        mine.cost += g.cost;
        mine.growth += g.growth;
        mine.first_input += g.first_input;
    }

    /// Adds `n` tasks of one cost bucket, the dearest costing `max`.
    pub fn add_cost(&mut self, bucket: i64, n: i64, max: Nanos) {
        let mine = self.costs.entry(bucket).or_insert((0, max));
        mine.0 += n;
        mine.1 = mine.1.max(max);
    }

    /// Keeps `t` as the longest task if it is.
    pub fn offer_top(&mut self, t: (String, i64, Nanos)) {
        if self.top.as_ref().is_none_or(|old| (t.1, t.2, &t.0) > (old.1, old.2, &old.0)) {
            self.top = Some(t);
        }
    }

    /// The nearest-rank `p` percentile of calls per task (exact).
    pub fn loops_percentile(&self, p: u32) -> Option<i64> {
        nearest_rank(self.loops.iter().map(|(calls, g)| (g.tasks, *calls)), p)
    }

    /// The nearest-rank `p` percentile of cost per task, to within its
    /// bucket: the dearest task of the bucket holding that rank, so an actual
    /// task's cost, at most one bucket (two significant figures) above the exact value.
    pub fn cost_percentile(&self, p: u32) -> Option<Nanos> {
        nearest_rank(self.costs.values().map(|(n, max)| (*n, *max)), p)
    }
}

/// The nearest-rank percentile over (count, value) groups in ascending order:
/// the value of the group holding rank ⌈count × p / 100⌉.
fn nearest_rank<T>(groups: impl Iterator<Item = (i64, T)> + Clone, p: u32) -> Option<T> {
    let total: i64 = groups.clone().map(|(n, _)| n).sum();
    if total <= 0 {
        return None;
    }
    let rank = ((total * i64::from(p) + 99) / 100).max(1);
    let mut seen = 0;
    for (n, v) in groups {
        seen += n;
        if seen >= rank {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_sort_as_costs_do() {
        assert_eq!((cost_bucket(0), cost_bucket(5), cost_bucket(1_700), cost_bucket(12_345)), (100, 150, 417, 512));
        let costs = [0, 1, 9, 10, 11, 99, 100, 109, 110, 999, 1_000, 123_456_789];
        assert!(costs.windows(2).all(|w| cost_bucket(w[0]) <= cost_bucket(w[1])));
    }

    #[test]
    fn percentiles_over_groups_are_nearest_rank() {
        let mut s = TaskStats::default();
        for calls in 1..=100 {
            s.loops.insert(calls, LoopGroup { tasks: 1, ..LoopGroup::default() });
        }
        assert_eq!(
            (s.loops_percentile(95), s.loops_percentile(50), s.loops_percentile(100)),
            (Some(95), Some(50), Some(100))
        );
        assert_eq!(TaskStats::default().loops_percentile(95), None);
    }

    #[test]
    fn days_split_and_join_back_by_value() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let task = |id: &str, value: &str, d: u32, calls: i64| TaskRow {
            task_id: id.into(),
            value: Some(value.into()),
            day: day(d),
            calls,
            cost: Nanos(calls * 1_000),
            min_input: 10,
            max_input: 10 + calls,
        };
        let tasks = [task("a", "triage", 1, 3), task("b", "search", 1, 40), task("c", "triage", 2, 7)];
        let days = TaskDays::of(&tasks).by_day();
        assert_eq!(days.keys().copied().collect::<Vec<_>>(), [day(1), day(2)]);
        let mut joined = TaskDays::default();
        for d in days.values() {
            joined.append(d, None);
        }
        assert_eq!(joined, TaskDays::of(&tasks));
        let mut triage = TaskDays::default();
        for d in days.values() {
            triage.append(d, Some("triage"));
        }
        assert_eq!(triage, TaskDays::of(&[tasks[0].clone(), tasks[2].clone()]));
    }
}
