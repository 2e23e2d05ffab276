//! Early-warning signals: how a workflow's (or any tag scope's) cost is
//! drifting before the invoice shows it. From daily rollup rows and task
//! sums per value and day (`signals::tasks`) this module computes, per scope and day or over any window:
//!
//! - escalation rate: the share of calls, and of spend, on premium-tier models;
//! - cache hit rate: cache-read tokens over input tokens;
//! - loops per task: calls per distinct task id (mean, p50, p95, the biggest task);
//! - context depth: mean input tokens per call, and its growth per turn within tasks;
//! - cost per task: mean, and p95 to within two significant figures (the
//!   dearest task of its cost bucket; see `signals::tasks`).
//!
//! Values are exact decimals (percentages, tokens, USD); a signal with no
//! data behind it (no calls, no tasks) is `None`, never zero.

use crate::pricing::money::Nanos;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A model's tier: escalation is traffic to premium models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelTier {
    Routine,
    Premium,
}

impl ModelTier {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelTier::Routine => "routine",
            ModelTier::Premium => "premium",
        }
    }

    pub fn parse(s: &str) -> Result<ModelTier, String> {
        match s {
            "routine" => Ok(ModelTier::Routine),
            "premium" => Ok(ModelTier::Premium),
            other => Err(format!("must be routine or premium (got {other:?})")),
        }
    }
}

/// Input price (USD per 1M tokens) from which a model is premium by default.
pub const PREMIUM_INPUT_PRICE: i64 = 5;

/// A model's tier when no admin has set one: premium from $5 per 1M input tokens.
pub fn default_tier(model: &crate::pricing::catalog::ModelPrice) -> ModelTier {
    match model.prices.last() {
        Some(v) if v.rates.input >= Decimal::from(PREMIUM_INPUT_PRICE) => ModelTier::Premium,
        _ => ModelTier::Routine,
    }
}

/// One day of one scope on one model, from the daily rollups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRow {
    pub day: NaiveDate,
    /// The scope key's value; `None` for calls without the key.
    pub value: Option<String>,
    pub model: String,
    pub calls: i64,
    pub cost: Nanos,
    pub input_tokens: i64,
    pub cache_read_tokens: i64,
    pub output_tokens: i64,
}

pub use super::tasks::{TaskDays, TaskRow, TaskStats};

/// Sums over some days of one scope.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Agg {
    pub calls: i64,
    pub cost: Nanos,
    pub premium_calls: i64,
    pub premium_cost: Nanos,
    pub input_tokens: i64,
    pub cache_read_tokens: i64,
    pub output_tokens: i64,
    /// The tasks whose first call was in the window.
    pub tasks: TaskStats,
}

/// A signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    EscalationCalls,
    EscalationSpend,
    CacheHit,
    LoopsMean,
    LoopsP50,
    LoopsP95,
    LoopsMax,
    ContextDepth,
    ContextGrowth,
    CostPerTask,
    CostPerTaskP95,
    Spend,
}

impl Signal {
    /// Every signal, in page order.
    pub const ALL: [Signal; 12] = [
        Signal::EscalationCalls,
        Signal::EscalationSpend,
        Signal::CacheHit,
        Signal::LoopsMean,
        Signal::LoopsP50,
        Signal::LoopsP95,
        Signal::LoopsMax,
        Signal::ContextDepth,
        Signal::ContextGrowth,
        Signal::CostPerTask,
        Signal::CostPerTaskP95,
        Signal::Spend,
    ];

    /// The signals the page draws a sparkline for.
    pub const SHOWN: [Signal; 8] = [
        Signal::EscalationCalls,
        Signal::CacheHit,
        Signal::LoopsMean,
        Signal::LoopsP95,
        Signal::LoopsMax,
        Signal::ContextDepth,
        Signal::CostPerTask,
        Signal::Spend,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Signal::EscalationCalls => "escalation_calls",
            Signal::EscalationSpend => "escalation_spend",
            Signal::CacheHit => "cache_hit",
            Signal::LoopsMean => "loops_mean",
            Signal::LoopsP50 => "loops_p50",
            Signal::LoopsP95 => "loops_p95",
            Signal::LoopsMax => "loops_max",
            Signal::ContextDepth => "context_depth",
            Signal::ContextGrowth => "context_growth",
            Signal::CostPerTask => "cost_per_task",
            Signal::CostPerTaskP95 => "cost_per_task_p95",
            Signal::Spend => "spend",
        }
    }

    pub fn parse(s: &str) -> Result<Signal, String> {
        Signal::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Signal::ALL.iter().map(|x| x.as_str()).collect();
            format!("must be one of {} (got {s:?})", names.join(", "))
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Signal::EscalationCalls => "escalation rate",
            Signal::EscalationSpend => "escalation share of spend",
            Signal::CacheHit => "cache hit rate",
            Signal::LoopsMean => "loops per task",
            Signal::LoopsP50 => "loops per task (p50)",
            Signal::LoopsP95 => "loops per task (p95)",
            Signal::LoopsMax => "calls in the longest task",
            Signal::ContextDepth => "context depth",
            Signal::ContextGrowth => "context growth per turn",
            Signal::CostPerTask => "cost per task",
            Signal::CostPerTaskP95 => "cost per task (p95)",
            Signal::Spend => "spend",
        }
    }

    /// How values of this signal read: `%`, `$` or a count of tokens/calls.
    pub fn unit(self) -> Unit {
        match self {
            Signal::EscalationCalls | Signal::EscalationSpend | Signal::CacheHit => Unit::Percent,
            Signal::CostPerTask | Signal::CostPerTaskP95 | Signal::Spend => Unit::Usd,
            Signal::ContextDepth | Signal::ContextGrowth => Unit::Tokens,
            _ => Unit::Calls,
        }
    }

    /// Whether a rise is the bad direction (false: a fall is, as for the cache hit rate).
    pub fn rise_is_bad(self) -> bool {
        self != Signal::CacheHit
    }

    /// The signal's value over some sums; `None` when nothing stands behind it.
    pub fn value(self, a: &Agg) -> Option<Decimal> {
        let pct =
            |n: i64, d: i64| (d > 0).then(|| (Decimal::from(n) * Decimal::from(100) / Decimal::from(d)).round_dp(1));
        let t = &a.tasks;
        let n = t.count();
        let per_task =
            |sum: i128| (n > 0).then(|| (Decimal::from_i128_with_scale(sum, 0) / Decimal::from(n)).round_dp(2));
        match self {
            Signal::EscalationCalls => pct(a.premium_calls, a.calls),
            Signal::EscalationSpend => pct(a.premium_cost.0, a.cost.0),
            Signal::CacheHit => pct(a.cache_read_tokens, a.input_tokens),
            Signal::LoopsMean => per_task(t.loops.iter().map(|(c, g)| i128::from(*c) * i128::from(g.tasks)).sum()),
            Signal::LoopsP50 => t.loops_percentile(50).map(Decimal::from),
            Signal::LoopsP95 => t.loops_percentile(95).map(Decimal::from),
            Signal::LoopsMax => t.loops.keys().next_back().map(|&m| Decimal::from(m)),
            Signal::ContextDepth => {
                (a.calls > 0).then(|| (Decimal::from(a.input_tokens) / Decimal::from(a.calls)).round_dp(0))
            }
            Signal::ContextGrowth => {
                // The mean over tasks of more than one call of (largest − smallest input) / (calls − 1):
                // the tasks of one size share the divisor, so each size's sum divides once.
                let grown = t.loops.iter().filter(|(c, _)| **c > 1);
                let tasks: i64 = grown.clone().map(|(_, g)| g.tasks).sum();
                let sum: Decimal = grown.map(|(c, g)| Decimal::from(g.growth) / Decimal::from(c - 1)).sum();
                (tasks > 0).then(|| (sum / Decimal::from(tasks)).round_dp(0))
            }
            Signal::CostPerTask => per_task(t.loops.values().map(|g| i128::from(g.cost.0)).sum())
                .map(|c| Nanos(c.round().try_into().unwrap_or(i64::MAX)).to_usd()),
            Signal::CostPerTaskP95 => t.cost_percentile(95).map(|c| c.to_usd()),
            Signal::Spend => (a.calls > 0).then(|| a.cost.to_usd()),
        }
    }
}

/// How a signal's values read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Percent,
    Usd,
    Tokens,
    Calls,
}

/// A value as a person reads it: "41.2%", "$1.23", "12,400 tokens", "9.5".
pub fn show(unit: Unit, v: Decimal) -> String {
    match unit {
        Unit::Percent => format!("{}%", v.round_dp(1).normalize()),
        Unit::Usd => match Nanos::from_usd(v.round_dp(9)) {
            Ok(n) if v.abs() >= Decimal::ONE => crate::pricing::money::usd_display(n),
            _ => format!("${}", v.round_dp(4).normalize()),
        },
        Unit::Tokens => format!("{} tokens", group(v.round_dp(0))),
        Unit::Calls => v.round_dp(1).normalize().to_string(),
    }
}

fn group(v: Decimal) -> String {
    let s = v.normalize().to_string();
    let (neg, digits) = s.strip_prefix('-').map_or((false, s.as_str()), |d| (true, d));
    let out = crate::pricing::money::group_digits(digits);
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

/// Daily sums of each scope value, built from rollup rows and task rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Daily {
    /// By scope value (`None`: calls without the key), then day.
    pub by_value: BTreeMap<Option<String>, BTreeMap<NaiveDate, Agg>>,
}

impl Daily {
    /// Sums the rows; `premium` says which models are premium.
    pub fn build(days: &[DayRow], tasks: &TaskDays, premium: &dyn Fn(&str) -> bool) -> Daily {
        let mut by_value: BTreeMap<Option<String>, BTreeMap<NaiveDate, Agg>> = BTreeMap::new();
        for r in days {
            let a = by_value.entry(r.value.clone()).or_default().entry(r.day).or_default();
            a.calls += r.calls;
            a.cost += r.cost;
            if premium(&r.model) {
                a.premium_calls += r.calls;
                a.premium_cost += r.cost;
            }
            a.input_tokens += r.input_tokens;
            a.cache_read_tokens += r.cache_read_tokens;
            a.output_tokens += r.output_tokens;
        }
        fn at<'a>(
            by_value: &'a mut BTreeMap<Option<String>, BTreeMap<NaiveDate, Agg>>,
            value: &Option<String>,
            day: NaiveDate,
        ) -> &'a mut Agg {
            by_value.entry(value.clone()).or_default().entry(day).or_default()
        }
        for l in &tasks.loops {
            let g =
                super::tasks::LoopGroup { tasks: l.tasks, cost: l.cost, growth: l.growth, first_input: l.first_input };
            at(&mut by_value, &l.value, l.day).tasks.add_loop(l.calls, &g);
        }
        for c in &tasks.costs {
            at(&mut by_value, &c.value, c.day).tasks.add_cost(c.bucket, c.tasks, c.max_cost);
        }
        for t in &tasks.tops {
            at(&mut by_value, &t.value, t.day).tasks.offer_top((t.task_id.clone(), t.calls, t.cost));
        }
        Daily { by_value }
    }

    /// The sums of one value over the days `from..=to`.
    pub fn window(&self, value: &Option<String>, from: NaiveDate, to: NaiveDate) -> Agg {
        let mut out = Agg::default();
        if from > to {
            return out;
        }
        if let Some(days) = self.by_value.get(value) {
            for (_, a) in days.range(from..=to) {
                out.calls += a.calls;
                out.cost += a.cost;
                out.premium_calls += a.premium_calls;
                out.premium_cost += a.premium_cost;
                out.input_tokens += a.input_tokens;
                out.cache_read_tokens += a.cache_read_tokens;
                out.output_tokens += a.output_tokens;
                out.tasks.merge(&a.tasks);
            }
        }
        out
    }

    /// The scope values, biggest spend first (`None` last).
    pub fn values_by_spend(&self) -> Vec<Option<String>> {
        let mut v: Vec<(Option<String>, Nanos)> = self
            .by_value
            .iter()
            .map(|(k, days)| (k.clone(), days.values().fold(Nanos::ZERO, |s, a| s + a.cost)))
            .collect();
        v.sort_by(|a, b| a.0.is_none().cmp(&b.0.is_none()).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
        v.into_iter().map(|(k, _)| k).collect()
    }

    /// The first day a value has calls.
    pub fn first_day(&self, value: &Option<String>) -> Option<NaiveDate> {
        self.by_value.get(value)?.iter().find(|(_, a)| a.calls > 0).map(|(d, _)| *d)
    }

    /// Daily spend of a value, one entry per day from `from` to `to` (zero on days without calls).
    pub fn spend_series(&self, value: &Option<String>, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, Nanos)> {
        let days = self.by_value.get(value);
        dates(from, to).map(|d| (d, days.and_then(|m| m.get(&d)).map(|a| a.cost).unwrap_or(Nanos::ZERO))).collect()
    }
}

/// Every day from `from` to `to`, inclusive.
pub fn dates(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    let n = (to - from).num_days().max(-1) + 1;
    (0..n).map(move |i| from + Duration::days(i))
}

#[cfg(test)]
mod tests;
