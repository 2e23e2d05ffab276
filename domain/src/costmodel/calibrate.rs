//! Model against actual: what a workflow really did over a window, set
//! beside what its scenario modelled, and a scenario calibrated from it.
//!
//! Calibration puts a task's whole first prompt in the cacheable prefix and
//! sets the cache hit rate so that the modelled cached tokens equal the
//! observed ones; carried context is the observed growth per turn; the
//! routine and escalation models are the most-called routine and premium ones.

use crate::costmodel::{Estimate, Loops, Scenario};
use crate::pricing::money::Nanos;
use crate::signals::signal::{Agg, Signal};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a workflow did over a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub days: u32,
    pub calls: i64,
    pub tasks: usize,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub spend: Nanos,
    #[serde(with = "rust_decimal::serde::str")]
    pub tasks_per_day: Decimal,
    pub loops_mean: Option<Decimal>,
    pub loops_p95: Option<Decimal>,
    pub cache_hit: Option<Decimal>,
    pub escalation: Option<Decimal>,
    pub context_depth: Option<Decimal>,
    pub context_growth: Option<Decimal>,
    pub cost_per_task: Option<Decimal>,
    pub cost_per_task_p95: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost_per_month: Decimal,
    /// Mean input tokens of a task's first call.
    pub first_input: Option<Decimal>,
    pub output_per_call: Option<Decimal>,
    /// Calls per model, most first, with whether the model is premium.
    pub models: Vec<(String, i64, bool)>,
}

impl Observed {
    /// Reads the window's sums; `models` are (model, calls, premium).
    pub fn of(a: &Agg, days: u32, models: Vec<(String, i64, bool)>) -> Observed {
        let d = Decimal::from(days.max(1));
        let tasks = a.tasks.count();
        let firsts: i64 = a.tasks.loops.values().map(|g| g.first_input).sum();
        Observed {
            days,
            calls: a.calls,
            tasks: tasks as usize,
            spend: a.cost,
            tasks_per_day: (Decimal::from(tasks) / d).round_dp(1),
            loops_mean: Signal::LoopsMean.value(a),
            loops_p95: Signal::LoopsP95.value(a),
            cache_hit: Signal::CacheHit.value(a),
            escalation: Signal::EscalationCalls.value(a),
            context_depth: Signal::ContextDepth.value(a),
            context_growth: Signal::ContextGrowth.value(a),
            cost_per_task: Signal::CostPerTask.value(a),
            cost_per_task_p95: Signal::CostPerTaskP95.value(a),
            cost_per_month: (a.cost.to_usd() * Decimal::from(crate::costmodel::DAYS_PER_MONTH) / d).round_dp(2),
            first_input: (tasks > 0).then(|| (Decimal::from(firsts) / Decimal::from(tasks)).round_dp(0)),
            output_per_call: (a.calls > 0)
                .then(|| (Decimal::from(a.output_tokens) / Decimal::from(a.calls)).round_dp(0)),
            models,
        }
    }

    /// A scenario that reproduces what was observed (see the module notes); `None` without tasks.
    pub fn calibrate(&self, cache_read_tokens: i64) -> Option<Scenario> {
        let first = self.first_input?;
        let routine = self.models.iter().find(|m| !m.2).or(self.models.first())?.0.clone();
        let escalation = self.models.iter().find(|m| m.2 && m.0 != routine).map(|m| m.0.clone()).unwrap_or_default();
        let esc_rate = if escalation.is_empty() { Decimal::ZERO } else { self.escalation.unwrap_or_default() };
        let system = i64::try_from(first.round()).unwrap_or(0).max(0);
        let hit = if system > 0 && self.calls > 0 {
            (Decimal::from(cache_read_tokens) * Decimal::from(100)
                / (Decimal::from(system) * Decimal::from(self.calls)))
            .min(Decimal::from(100))
            .round_dp(1)
        } else {
            Decimal::ZERO
        };
        let mean = self.loops_mean.unwrap_or(Decimal::ONE).max(Decimal::ONE).round_dp(1);
        Some(Scenario {
            tasks_per_day: self.tasks_per_day,
            growth_per_month: Decimal::ZERO,
            loops: Loops { mean, p95: self.loops_p95.unwrap_or(mean).max(mean), distribution: vec![] },
            system_tokens: system,
            turn_tokens: 0,
            carry_tokens: self.context_growth.and_then(|g| i64::try_from(g.round()).ok()).unwrap_or(0).max(0),
            window_turns: None,
            output_tokens: self.output_per_call.and_then(|o| i64::try_from(o.round()).ok()).unwrap_or(0).max(0),
            routine_model: routine,
            escalation_model: escalation,
            escalation_rate: esc_rate,
            cache_hit_rate: hit,
            retry_rate: Decimal::ZERO,
            prune_to_turns: 5,
        })
    }
}

/// What one workflow did over a window, ready to compare or calibrate from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actual {
    pub workflow: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub observed: Observed,
    /// A scenario that reproduces it (none without tasks).
    pub calibrated: Option<Scenario>,
}

/// One line of the model-vs-actual table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub label: String,
    pub unit: crate::signals::signal::Unit,
    pub modelled: Decimal,
    pub observed: Option<Decimal>,
    /// Observed against modelled, in percent.
    pub departure_pct: Option<Decimal>,
    /// Departs by more than the tolerance.
    pub flagged: bool,
}

/// Sets a scenario's estimate beside the observed values, flagging departures above `tolerance` percent.
pub fn compare(s: &Scenario, e: &Estimate, o: &Observed, tolerance: Decimal) -> Vec<Comparison> {
    use crate::signals::signal::Unit;
    let usd = |n: Nanos| n.to_usd();
    let rows = [
        ("Tasks per day", Unit::Calls, s.tasks_per_day, Some(o.tasks_per_day)),
        ("Calls per task", Unit::Calls, e.calls_per_task, o.loops_mean),
        ("Calls per task (p95)", Unit::Calls, Decimal::from(e.p95_loops), o.loops_p95),
        ("Cache hit rate (tokens)", Unit::Percent, e.token_cache_hit, o.cache_hit),
        ("Escalation rate", Unit::Percent, s.escalation_rate, o.escalation),
        ("Context depth", Unit::Tokens, e.input_tokens_per_call, o.context_depth),
        ("Cost per task", Unit::Usd, usd(e.cost_per_task_mean), o.cost_per_task),
        ("Cost per task (p95)", Unit::Usd, usd(e.cost_per_task_p95), o.cost_per_task_p95),
        ("Cost per month", Unit::Usd, usd(e.cost_per_month), Some(o.cost_per_month)),
    ];
    rows.into_iter()
        .map(|(label, unit, modelled, observed)| {
            let departure = observed.and_then(|ob| {
                if modelled.is_zero() {
                    return (!ob.is_zero()).then_some(Decimal::from(100));
                }
                Some(((ob - modelled) * Decimal::from(100) / modelled).round_dp(1))
            });
            Comparison {
                label: label.into(),
                unit,
                modelled: modelled.round_dp(4),
                observed,
                departure_pct: departure,
                flagged: departure.is_some_and(|d| d.abs() > tolerance),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::signal::{TaskDays, TaskRow};

    #[test]
    fn calibration_reproduces_tokens_and_mix() {
        // 10 tasks of 3 calls, first prompts of 1,000 tokens growing 500 a turn; 15,000 of the 45,000 input tokens cached.
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let rows: Vec<TaskRow> = (0..10)
            .map(|i| TaskRow {
                task_id: format!("t{i}"),
                value: None,
                day,
                calls: 3,
                cost: Nanos(3_000_000),
                min_input: 1_000,
                max_input: 2_000,
            })
            .collect();
        let tasks =
            crate::signals::signal::Daily::build(&[], &TaskDays::of(&rows), &|_| false).window(&None, day, day).tasks;
        let a = Agg {
            calls: 30,
            cost: Nanos(30_000_000),
            premium_calls: 3,
            premium_cost: Nanos(9_000_000),
            input_tokens: 45_000,
            cache_read_tokens: 15_000,
            output_tokens: 6_000,
            tasks,
        };
        let o = Observed::of(&a, 5, vec![("cheap".into(), 27, false), ("dear".into(), 3, true)]);
        assert_eq!(o.tasks_per_day, Decimal::from(2));
        // $0.03 over 5 days → $0.18 a month.
        assert_eq!(o.cost_per_month, Decimal::new(18, 2));
        let s = o.calibrate(a.cache_read_tokens).unwrap();
        assert_eq!((s.system_tokens, s.carry_tokens, s.output_tokens), (1_000, 500, 200));
        // 15,000 cached over 30 calls of a 1,000-token prefix: 50%.
        assert_eq!(s.cache_hit_rate, Decimal::from(50));
        assert_eq!((s.routine_model.as_str(), s.escalation_model.as_str()), ("cheap", "dear"));
        assert_eq!(s.escalation_rate, Decimal::from(10));
        assert_eq!(s.loops.mean, Decimal::from(3));
    }
}
