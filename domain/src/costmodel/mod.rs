//! The pre-deployment cost model: what a workflow will cost per task and per
//! month, from its loop counts, context growth, cache hit rate, model mix and
//! retries, priced with the catalog. Pure and exact (Decimal throughout), so
//! the browser runs the same arithmetic as the server as the user types.
//!
//! One task is a loop of calls (turns). Turn `i` (from 0) sends
//! `system + turn + carry × min(i, window)` input tokens: the system prompt,
//! the user's new input, and the context carried from earlier turns, which
//! grows linearly unless pruned to a window. Summed over a task that growth
//! is quadratic in the loop count. A cache hit (at `cache_hit_rate`) reads the
//! system prompt from cache; a miss writes it, where the model charges for
//! cache writes, and otherwise bills it as plain input. Each call goes to the
//! escalation model at `escalation_rate`, else to the routine model, and a
//! share `retry_rate` of calls is sent twice. Rates are percentages.

pub mod calibrate;

pub use calibrate::{Actual, Comparison, Observed};

use crate::pricing::catalog::{Catalog, PriceVersion, Rates};
use crate::pricing::money::Nanos;
use crate::FieldError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Days in a modelled month.
pub const DAYS_PER_MONTH: i64 = 30;
/// Months the projection covers.
pub const PROJECTION_MONTHS: usize = 12;
/// The longest loop the model prices.
pub const MAX_LOOPS: u32 = 10_000;

mod scenario;
pub use scenario::*;

/// The cost of one token class on one model, in a task or a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub model: String,
    /// `input`, `cache_read`, `cache_write` or `output`.
    pub class: String,
    /// Tokens in a mean task.
    #[serde(with = "rust_decimal::serde::str")]
    pub tokens_per_task: Decimal,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost_per_task: Nanos,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost_per_month: Nanos,
}

/// One turn of the p95 task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// From 1.
    pub turn: u32,
    pub input_tokens: i64,
    /// Expected tokens read from cache.
    #[serde(with = "rust_decimal::serde::str")]
    pub cached_tokens: Decimal,
    pub output_tokens: i64,
    /// Expected cost of the turn (model mix and retries included).
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost: Nanos,
}

/// One what-if of the sensitivity table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sensitivity {
    pub label: String,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost_per_task: Nanos,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost_per_month: Nanos,
    /// Change against the scenario as given, in percent.
    #[serde(with = "rust_decimal::serde::str")]
    pub change_pct: Decimal,
}

/// What the model says a scenario costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost_per_task_mean: Nanos,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost_per_task_p95: Nanos,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost_per_call: Nanos,
    /// The first month's cost (30 days at today's volume).
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost_per_month: Nanos,
    /// Each of the next twelve months, with growth.
    pub months: Vec<MonthCost>,
    #[serde(with = "rust_decimal::serde::str")]
    pub calls_per_task: Decimal,
    pub p95_loops: u32,
    /// Mean input tokens per call (cached ones included).
    #[serde(with = "rust_decimal::serde::str")]
    pub input_tokens_per_call: Decimal,
    /// Cached tokens over input tokens, in percent: what the Signals page measures.
    #[serde(with = "rust_decimal::serde::str")]
    pub token_cache_hit: Decimal,
    pub lines: Vec<Line>,
    pub turns: Vec<Turn>,
    pub sensitivity: Vec<Sensitivity>,
}

/// One month of the projection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthCost {
    pub month: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub tasks: Decimal,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub cost: Nanos,
}

/// Expected tokens and cost of one turn on one model (before mix and retries).
#[derive(Clone, Copy, Default)]
struct CallCost {
    input: Decimal,
    cache_read: Decimal,
    cache_write: Decimal,
    output: Decimal,
    /// USD per class.
    usd: [Decimal; 4],
}

impl CallCost {
    fn total(&self) -> Decimal {
        self.usd.iter().copied().sum()
    }
}

const CLASSES: [&str; 4] = ["input", "cache_read", "cache_write", "output"];

fn call_cost(s: &Scenario, v: &PriceVersion, turn: u32) -> CallCost {
    let context = s.carry_tokens * i64::from(s.window_turns.map_or(turn, |w| turn.min(w)));
    let input = s.system_tokens + s.turn_tokens + context;
    let rates: &Rates =
        v.tiers.iter().rev().find(|t| input > t.above_input_tokens).map(|t| &t.rates).unwrap_or(&v.rates);
    let hit = s.cache_hit_rate / Decimal::from(100);
    let prefix = Decimal::from(s.system_tokens);
    let caches = rates.cache_read > Decimal::ZERO;
    let cache_read = if caches { prefix * hit } else { Decimal::ZERO };
    let cache_write = if rates.cache_write > Decimal::ZERO { prefix * (Decimal::ONE - hit) } else { Decimal::ZERO };
    let plain = Decimal::from(input) - cache_read - cache_write;
    let m = Decimal::from(1_000_000);
    let output = Decimal::from(s.output_tokens);
    CallCost {
        input: plain,
        cache_read,
        cache_write,
        output,
        usd: [
            plain * rates.input / m,
            cache_read * rates.cache_read / m,
            cache_write * rates.cache_write / m,
            output * rates.output / m,
        ],
    }
}

fn usd(d: Decimal) -> Nanos {
    Nanos::from_usd(d.round_dp(9)).unwrap_or(Nanos(i64::MAX))
}

/// Per-turn expected costs for each model in the mix, up to the longest loop.
struct Priced<'a> {
    models: Vec<(&'a str, Decimal, &'a PriceVersion)>,
    retry: Decimal,
}

impl Priced<'_> {
    /// The expected cost of turn `i` (mix and retries included).
    fn turn(&self, s: &Scenario, i: u32) -> Decimal {
        self.models.iter().map(|(_, w, v)| *w * call_cost(s, v, i).total()).sum::<Decimal>() * self.retry
    }

    /// The expected cost of a task of `loops` turns.
    fn task(&self, s: &Scenario, loops: u32) -> Decimal {
        (0..loops).map(|i| self.turn(s, i)).sum()
    }

    fn mean_task(&self, s: &Scenario, dist: &[(u32, Decimal)]) -> Decimal {
        let max = dist.iter().map(|(l, _)| *l).max().unwrap_or(1);
        let mut prefix = Vec::with_capacity(max as usize + 1);
        let mut acc = Decimal::ZERO;
        prefix.push(acc);
        for i in 0..max {
            acc += self.turn(s, i);
            prefix.push(acc);
        }
        dist.iter().map(|(l, w)| *w * prefix[*l as usize]).sum()
    }
}

fn priced<'a>(s: &'a Scenario, catalog: &'a Catalog, at: DateTime<Utc>) -> Result<Priced<'a>, Vec<FieldError>> {
    let version = |field: &str, m: &'a str| {
        catalog.version_at(m, at).ok_or_else(|| {
            vec![FieldError {
                field: field.into(),
                reason: format!("{m:?} has no price in force on {}", at.date_naive()),
            }]
        })
    };
    let esc = s.escalation_rate / Decimal::from(100);
    let mut models = vec![(s.routine_model.as_str(), Decimal::ONE - esc, version("routine_model", &s.routine_model)?)];
    if esc > Decimal::ZERO {
        models.push((s.escalation_model.as_str(), esc, version("escalation_model", &s.escalation_model)?));
    }
    Ok(Priced { models, retry: Decimal::ONE + s.retry_rate / Decimal::from(100) })
}

fn monthly(s: &Scenario, per_task: Decimal) -> Decimal {
    s.tasks_per_day * Decimal::from(DAYS_PER_MONTH) * per_task
}

/// Mean cost per task of a scenario (no breakdown): the sensitivity table's unit.
fn mean_cost(s: &Scenario, catalog: &Catalog, at: DateTime<Utc>) -> Result<Decimal, Vec<FieldError>> {
    Ok(priced(s, catalog, at)?.mean_task(s, &s.distribution()))
}

/// Estimates a scenario with the catalog's prices in force at `at`.
pub fn estimate(s: &Scenario, catalog: &Catalog, at: DateTime<Utc>) -> Result<Estimate, Vec<FieldError>> {
    let errs = s.validate(catalog);
    if !errs.is_empty() {
        return Err(errs);
    }
    let p = priced(s, catalog, at)?;
    let dist = s.distribution();
    let mean = p.mean_task(s, &dist);
    let p95_loops = s.p95_loops();
    let calls_per_task: Decimal = dist.iter().map(|(l, w)| Decimal::from(*l) * *w).sum();

    // Token classes and models in a mean task: each turn's share of tasks that reach it.
    let max = dist.iter().map(|(l, _)| *l).max().unwrap_or(1);
    let mut lines = Vec::new();
    let (mut input_tokens, mut cached_tokens) = (Decimal::ZERO, Decimal::ZERO);
    for (model, weight, v) in &p.models {
        let mut tokens = [Decimal::ZERO; 4];
        let mut cost = [Decimal::ZERO; 4];
        for i in 0..max {
            let reach: Decimal = dist.iter().filter(|(l, _)| *l > i).map(|(_, w)| *w).sum();
            let c = call_cost(s, v, i);
            let k = reach * *weight * p.retry;
            for (j, t) in [c.input, c.cache_read, c.cache_write, c.output].into_iter().enumerate() {
                tokens[j] += t * k;
                cost[j] += c.usd[j] * k;
            }
        }
        input_tokens += tokens[0] + tokens[1] + tokens[2];
        cached_tokens += tokens[1];
        for j in 0..4 {
            if tokens[j] > Decimal::ZERO {
                lines.push(Line {
                    model: model.to_string(),
                    class: CLASSES[j].into(),
                    tokens_per_task: tokens[j].round_dp(1),
                    cost_per_task: usd(cost[j]),
                    cost_per_month: usd(monthly(s, cost[j])),
                });
            }
        }
    }

    let turns = (0..p95_loops)
        .map(|i| {
            let mix: Vec<CallCost> = p.models.iter().map(|(_, _, v)| call_cost(s, v, i)).collect();
            let cached: Decimal = p.models.iter().zip(&mix).map(|((_, w, _), c)| *w * c.cache_read).sum();
            let context = s.carry_tokens * i64::from(s.window_turns.map_or(i, |w| i.min(w)));
            Turn {
                turn: i + 1,
                input_tokens: s.system_tokens + s.turn_tokens + context,
                cached_tokens: cached.round_dp(1),
                output_tokens: s.output_tokens,
                cost: usd(p.turn(s, i)),
            }
        })
        .collect();

    let month_one = monthly(s, mean);
    let growth = Decimal::ONE + s.growth_per_month / Decimal::from(100);
    let mut factor = Decimal::ONE;
    let months = (1..=PROJECTION_MONTHS as u32)
        .map(|m| {
            let tasks = s.tasks_per_day * Decimal::from(DAYS_PER_MONTH) * factor;
            let row = MonthCost { month: m, tasks: tasks.round_dp(0), cost: usd(tasks * mean) };
            factor *= growth;
            row
        })
        .collect();

    let whatif = |label: String, t: Scenario| -> Result<Sensitivity, Vec<FieldError>> {
        let c = mean_cost(&t, catalog, at)?;
        let change = if mean.is_zero() { Decimal::ZERO } else { ((c - mean) * Decimal::from(100) / mean).round_dp(1) };
        Ok(Sensitivity { label, cost_per_task: usd(c), cost_per_month: usd(monthly(&t, c)), change_pct: change })
    };
    let mut doubled = s.clone();
    doubled.loops = Loops {
        mean: s.loops.mean * Decimal::TWO,
        p95: s.loops.p95 * Decimal::TWO,
        distribution: s
            .loops
            .distribution
            .iter()
            .map(|d| LoopShare { loops: (d.loops * 2).min(MAX_LOOPS), share: d.share })
            .collect(),
    };
    let mut half_cache = s.clone();
    half_cache.cache_hit_rate = s.cache_hit_rate / Decimal::TWO;
    let mut more_esc = s.clone();
    more_esc.escalation_rate = (s.escalation_rate + Decimal::from(10)).min(Decimal::from(100));
    if s.escalation_model.trim().is_empty() {
        more_esc.escalation_model = s.routine_model.clone();
    }
    let mut pruned = s.clone();
    pruned.window_turns = Some(s.window_turns.map_or(s.prune_to_turns, |w| w.min(s.prune_to_turns)));
    let sensitivity = vec![
        whatif("As modelled".into(), s.clone())?,
        whatif("Loops ×2".into(), doubled)?,
        whatif(
            format!("Cache hit −50% ({}% → {}%)", s.cache_hit_rate.normalize(), half_cache.cache_hit_rate.normalize()),
            half_cache,
        )?,
        whatif(
            format!(
                "Escalation +10 pts ({}% → {}%)",
                s.escalation_rate.normalize(),
                more_esc.escalation_rate.normalize()
            ),
            more_esc,
        )?,
        whatif(format!("Context pruned to {} turns", pruned.window_turns.unwrap_or(1)), pruned)?,
    ];

    Ok(Estimate {
        cost_per_task_mean: usd(mean),
        cost_per_task_p95: usd(p.task(s, p95_loops)),
        cost_per_call: usd(if calls_per_task.is_zero() { Decimal::ZERO } else { mean / calls_per_task }),
        cost_per_month: usd(month_one),
        months,
        calls_per_task: calls_per_task.round_dp(2),
        p95_loops,
        input_tokens_per_call: if calls_per_task.is_zero() {
            Decimal::ZERO
        } else {
            (input_tokens / (calls_per_task * p.retry)).round_dp(0)
        },
        token_cache_hit: if input_tokens.is_zero() {
            Decimal::ZERO
        } else {
            (cached_tokens * Decimal::from(100) / input_tokens).round_dp(1)
        },
        lines,
        turns,
        sensitivity,
    })
}

#[cfg(test)]
mod tests;
