//! A workflow as a lead describes it before it ships: tasks a day, loops,
//! prompt sizes, context growth, the model mix, cache hits and retries,
//! and its validation, naming each field.

use super::MAX_LOOPS;
use crate::pricing::catalog::Catalog;
use crate::FieldError;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use std::str::FromStr;

/// How many calls a task makes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loops {
    /// Mean calls per task.
    #[serde(deserialize_with = "dec")]
    pub mean: Decimal,
    /// The 95th percentile of calls per task.
    #[serde(deserialize_with = "dec")]
    pub p95: Decimal,
    /// Optional: the distribution itself (loop count and share of tasks),
    /// which then replaces mean and p95.
    #[serde(default)]
    pub distribution: Vec<LoopShare>,
}

/// A share of tasks that make `loops` calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopShare {
    pub loops: u32,
    #[serde(deserialize_with = "dec")]
    pub share: Decimal,
}

/// A workflow described before it is deployed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    #[serde(deserialize_with = "dec")]
    pub tasks_per_day: Decimal,
    /// Growth in tasks per month, in percent (compounding).
    #[serde(default, deserialize_with = "dec")]
    pub growth_per_month: Decimal,
    pub loops: Loops,
    /// System prompt tokens: the cacheable prefix of every call.
    pub system_tokens: i64,
    /// New user input per turn.
    pub turn_tokens: i64,
    /// Context carried into each next turn.
    pub carry_tokens: i64,
    /// Keep only the last N turns of context (`None`: it grows without limit).
    #[serde(default)]
    pub window_turns: Option<u32>,
    /// Output tokens per call.
    pub output_tokens: i64,
    pub routine_model: String,
    #[serde(default)]
    pub escalation_model: String,
    /// Share of calls sent to the escalation model, in percent.
    #[serde(default, deserialize_with = "dec")]
    pub escalation_rate: Decimal,
    /// Share of calls whose system prompt is read from cache, in percent.
    #[serde(default, deserialize_with = "dec")]
    pub cache_hit_rate: Decimal,
    /// Share of calls sent a second time, in percent.
    #[serde(default, deserialize_with = "dec")]
    pub retry_rate: Decimal,
    /// The window the sensitivity table prunes context to.
    #[serde(default = "default_prune")]
    pub prune_to_turns: u32,
}

fn default_prune() -> u32 {
    5
}

/// Reads a decimal from a JSON number or string.
fn dec<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let text = match &v {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().to_string(),
        other => return Err(serde::de::Error::custom(format!("expected a number, got {other}"))),
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a number")))
}

impl Scenario {
    /// A starting point for the modeller page: a small support agent.
    pub fn example() -> Scenario {
        Scenario {
            tasks_per_day: Decimal::from(500),
            growth_per_month: Decimal::from(10),
            loops: Loops { mean: Decimal::from(6), p95: Decimal::from(15), distribution: Vec::new() },
            system_tokens: 6_000,
            turn_tokens: 800,
            carry_tokens: 1_500,
            window_turns: None,
            output_tokens: 500,
            routine_model: "claude-sonnet-4-5".into(),
            escalation_model: "claude-opus-4-1".into(),
            escalation_rate: Decimal::from(5),
            cache_hit_rate: Decimal::from(70),
            retry_rate: Decimal::from(2),
            prune_to_turns: 5,
        }
    }

    /// Every problem with the scenario, each naming its field.
    pub fn validate(&self, catalog: &Catalog) -> Vec<FieldError> {
        let mut errs = Vec::new();
        let mut err = |field: &str, reason: String| errs.push(FieldError { field: field.into(), reason });
        let hundred = Decimal::from(100);
        if self.tasks_per_day < Decimal::ZERO || self.tasks_per_day > Decimal::from(100_000_000) {
            err("tasks_per_day", "must be from 0 to 100,000,000".into());
        }
        if self.growth_per_month < Decimal::from(-100) || self.growth_per_month > Decimal::from(1_000) {
            err("growth_per_month", "must be a percentage from -100 to 1000".into());
        }
        if self.loops.distribution.is_empty() {
            if self.loops.mean < Decimal::ONE {
                err("loops.mean", "must be at least 1 call per task".into());
            }
            if self.loops.p95 < self.loops.mean {
                err("loops.p95", "must be at least the mean".into());
            }
            if self.loops.p95 > Decimal::from(MAX_LOOPS) {
                err("loops.p95", format!("must be at most {MAX_LOOPS}"));
            }
        } else {
            for (i, s) in self.loops.distribution.iter().enumerate() {
                if s.loops == 0 || s.loops > MAX_LOOPS {
                    err(&format!("loops.distribution[{i}].loops"), format!("must be from 1 to {MAX_LOOPS}"));
                }
                if s.share < Decimal::ZERO {
                    err(&format!("loops.distribution[{i}].share"), "must not be negative".into());
                }
            }
            if self.loops.distribution.iter().map(|s| s.share).sum::<Decimal>() <= Decimal::ZERO {
                err("loops.distribution", "the shares must add up to more than 0".into());
            }
        }
        for (field, v) in [
            ("system_tokens", self.system_tokens),
            ("turn_tokens", self.turn_tokens),
            ("carry_tokens", self.carry_tokens),
            ("output_tokens", self.output_tokens),
        ] {
            if !(0..=10_000_000).contains(&v) {
                err(field, "must be from 0 to 10,000,000 tokens".into());
            }
        }
        for (field, v) in [
            ("escalation_rate", self.escalation_rate),
            ("cache_hit_rate", self.cache_hit_rate),
            ("retry_rate", self.retry_rate),
        ] {
            if v < Decimal::ZERO || v > hundred {
                err(field, "must be a percentage from 0 to 100".into());
            }
        }
        if self.window_turns == Some(0) {
            err("window_turns", "must be at least 1 turn (leave it empty for unlimited context)".into());
        }
        if self.prune_to_turns == 0 {
            err("prune_to_turns", "must be at least 1 turn".into());
        }
        let known = |m: &str| catalog.find(m).is_some_and(|p| !p.prices.is_empty());
        if self.routine_model.trim().is_empty() {
            err("routine_model", "is required".into());
        } else if !known(&self.routine_model) {
            err("routine_model", format!("{:?} has no price in the catalog", self.routine_model));
        }
        if self.escalation_rate > Decimal::ZERO {
            if self.escalation_model.trim().is_empty() {
                err("escalation_model", "is required when the escalation rate is above 0".into());
            } else if !known(&self.escalation_model) {
                err("escalation_model", format!("{:?} has no price in the catalog", self.escalation_model));
            }
        }
        errs
    }

    /// The loop distribution: the one given, or one built from mean and p95
    /// (5% of tasks at the p95, the rest split between the two whole loop
    /// counts around the value that keeps the mean exact).
    pub fn distribution(&self) -> Vec<(u32, Decimal)> {
        if !self.loops.distribution.is_empty() {
            let total: Decimal = self.loops.distribution.iter().map(|s| s.share).sum();
            return self.loops.distribution.iter().map(|s| (s.loops, s.share / total)).collect();
        }
        let (mean, p95) = (self.loops.mean, self.loops.p95);
        if p95 == mean {
            return split_whole(mean, Decimal::ONE);
        }
        let tail = Decimal::new(5, 2);
        let mut low = (mean - tail * p95) / (Decimal::ONE - tail);
        let mut tail_share = tail;
        if low < Decimal::ONE {
            // A long tail: everyone else makes one call, and the tail's share keeps the mean.
            low = Decimal::ONE;
            tail_share = (mean - Decimal::ONE) / (p95 - Decimal::ONE);
        }
        let mut out = split_whole(low, Decimal::ONE - tail_share);
        out.extend(split_whole(p95, tail_share));
        out
    }

    /// The loop count of the 95th-percentile task.
    pub fn p95_loops(&self) -> u32 {
        if self.loops.distribution.is_empty() {
            return to_u32(self.loops.p95.ceil());
        }
        let mut d = self.distribution();
        d.sort_by_key(|(l, _)| *l);
        let mut cum = Decimal::ZERO;
        for (l, share) in &d {
            cum += share;
            if cum >= Decimal::new(95, 2) {
                return *l;
            }
        }
        d.last().map(|(l, _)| *l).unwrap_or(1)
    }
}

/// A fractional loop count as the two whole counts around it, weighted so the mean is exact.
fn split_whole(loops: Decimal, weight: Decimal) -> Vec<(u32, Decimal)> {
    let lo = loops.floor();
    let frac = loops - lo;
    let mut out = vec![(to_u32(lo), weight * (Decimal::ONE - frac))];
    if frac > Decimal::ZERO {
        out.push((to_u32(lo) + 1, weight * frac));
    }
    out.retain(|(l, w)| *l > 0 && *w > Decimal::ZERO);
    out
}

fn to_u32(d: Decimal) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    d.trunc().to_u32().unwrap_or(MAX_LOOPS).clamp(1, MAX_LOOPS)
}
