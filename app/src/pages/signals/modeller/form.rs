//! The modeller's form: every scenario field as typed, filled from a
//! scenario and read back into one, naming each field that does not read.

use domain::costmodel::{LoopShare, Loops, Scenario};
use leptos::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The form: every field as typed.
#[derive(Clone, Copy)]
pub(super) struct Form {
    pub(super) tasks: RwSignal<String>,
    pub(super) growth: RwSignal<String>,
    pub(super) loops_mean: RwSignal<String>,
    pub(super) loops_p95: RwSignal<String>,
    pub(super) distribution: RwSignal<String>,
    pub(super) system: RwSignal<String>,
    pub(super) turn: RwSignal<String>,
    pub(super) carry: RwSignal<String>,
    pub(super) window: RwSignal<String>,
    pub(super) output: RwSignal<String>,
    pub(super) routine: RwSignal<String>,
    pub(super) escalation: RwSignal<String>,
    pub(super) esc_rate: RwSignal<String>,
    pub(super) cache_hit: RwSignal<String>,
    pub(super) retry: RwSignal<String>,
    pub(super) prune: RwSignal<String>,
}

impl Form {
    pub(super) fn new(s: &Scenario) -> Form {
        let f = Form {
            tasks: RwSignal::new(String::new()),
            growth: RwSignal::new(String::new()),
            loops_mean: RwSignal::new(String::new()),
            loops_p95: RwSignal::new(String::new()),
            distribution: RwSignal::new(String::new()),
            system: RwSignal::new(String::new()),
            turn: RwSignal::new(String::new()),
            carry: RwSignal::new(String::new()),
            window: RwSignal::new(String::new()),
            output: RwSignal::new(String::new()),
            routine: RwSignal::new(String::new()),
            escalation: RwSignal::new(String::new()),
            esc_rate: RwSignal::new(String::new()),
            cache_hit: RwSignal::new(String::new()),
            retry: RwSignal::new(String::new()),
            prune: RwSignal::new(String::new()),
        };
        f.fill(s);
        f
    }

    pub(super) fn fill(&self, s: &Scenario) {
        let d = |v: Decimal| v.normalize().to_string();
        self.tasks.set(d(s.tasks_per_day));
        self.growth.set(d(s.growth_per_month));
        self.loops_mean.set(d(s.loops.mean));
        self.loops_p95.set(d(s.loops.p95));
        self.distribution.set(
            s.loops
                .distribution
                .iter()
                .map(|l| format!("{}: {}", l.loops, l.share.normalize()))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        self.system.set(s.system_tokens.to_string());
        self.turn.set(s.turn_tokens.to_string());
        self.carry.set(s.carry_tokens.to_string());
        self.window.set(s.window_turns.map(|w| w.to_string()).unwrap_or_default());
        self.output.set(s.output_tokens.to_string());
        self.routine.set(s.routine_model.clone());
        self.escalation.set(s.escalation_model.clone());
        self.esc_rate.set(d(s.escalation_rate));
        self.cache_hit.set(d(s.cache_hit_rate));
        self.retry.set(d(s.retry_rate));
        self.prune.set(s.prune_to_turns.to_string());
    }

    /// The scenario the form describes, or each field that does not read.
    pub(super) fn scenario(&self) -> Result<Scenario, Vec<(String, String)>> {
        let mut errs = Vec::new();
        let mut dec = |field: &str, v: String| match Decimal::from_str(v.trim()) {
            Ok(d) => d,
            Err(_) => {
                errs.push((field.to_string(), format!("{v:?} is not a number")));
                Decimal::ZERO
            }
        };
        let tasks = dec("tasks_per_day", self.tasks.get());
        let growth = dec("growth_per_month", self.growth.get());
        let mean = dec("loops.mean", self.loops_mean.get());
        let p95 = dec("loops.p95", self.loops_p95.get());
        let esc = dec("escalation_rate", self.esc_rate.get());
        let hit = dec("cache_hit_rate", self.cache_hit.get());
        let retry = dec("retry_rate", self.retry.get());
        let mut int = |field: &str, v: String| match v.trim().replace(',', "").parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                errs.push((field.to_string(), format!("{v:?} is not a whole number")));
                0
            }
        };
        let system = int("system_tokens", self.system.get());
        let turn = int("turn_tokens", self.turn.get());
        let carry = int("carry_tokens", self.carry.get());
        let output = int("output_tokens", self.output.get());
        let prune = int("prune_to_turns", self.prune.get());
        let window = self.window.get();
        let window = if window.trim().is_empty() { None } else { Some(int("window_turns", window)) };
        let mut distribution = Vec::new();
        for (i, line) in self.distribution.get().lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            match line.split_once(':').map(|(l, s)| (l.trim().parse::<u32>(), Decimal::from_str(s.trim()))) {
                Some((Ok(loops), Ok(share))) => distribution.push(LoopShare { loops, share }),
                _ => errs.push((format!("loops.distribution[{i}]"), format!("{line:?} is not \"loops: share\""))),
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(Scenario {
            tasks_per_day: tasks,
            growth_per_month: growth,
            loops: Loops { mean, p95, distribution },
            system_tokens: system,
            turn_tokens: turn,
            carry_tokens: carry,
            window_turns: window.map(|w| w.clamp(0, u32::MAX as i64) as u32),
            output_tokens: output,
            routine_model: self.routine.get(),
            escalation_model: self.escalation.get(),
            escalation_rate: esc,
            cache_hit_rate: hit,
            retry_rate: retry,
            prune_to_turns: prune.clamp(0, u32::MAX as i64) as u32,
        })
    }
}
